// Search results normally show a snippet of each page, which the search page fetches from the
// server. A book opened straight from disk (file://) is not allowed to fetch its own pages, so
// there every snippet would fail with an error. Show the page titles alone in that case.
(function () {
  "use strict";
  if (window.location.protocol === "file:" && typeof DOCUMENTATION_OPTIONS !== "undefined") {
    DOCUMENTATION_OPTIONS.SHOW_SEARCH_SUMMARY = false;
  }
})();
