// Loaded on pages with stored ipywidgets state, after require.js and before the widget manager
// (see nb_ipywidgets_js in _config.yml). It prepares two things the manager expects.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || typeof window.requirejs !== "function") {
    return;
  }

  // 1. Where the manager lives. Its bundles are named AMD modules ("@jupyter-widgets/controls",
  // ...) that load their icon fonts from beside themselves; without this, require.js would place
  // them under the page's own folder and the fonts would not be found. The site serves them from
  // _static/vendor/html-manager, which is where this script's folder points.
  var staticDir = script.src.replace(/[?#].*$/, "").replace(/[^/]*$/, "");
  var manager = staticDir + "vendor/html-manager";
  window.requirejs.config({
    paths: {
      "@jupyter-widgets": manager,
      "@jupyter-widgets/html-manager/dist": manager,
    },
  });

  // 2. Math in widget labels. The manager typesets labels through the MathJax 2 interface
  // (MathJax.Hub.Queue); the book runs MathJax 3, so translate that one call once MathJax is up.
  // Deferred scripts such as MathJax have run by DOMContentLoaded; widgets render after it.
  document.addEventListener("DOMContentLoaded", function () {
    var mathjax = window.MathJax;
    if (!mathjax || mathjax.Hub || typeof mathjax.typesetPromise !== "function") {
      return;
    }
    mathjax.Hub = {
      Queue: function () {
        Array.prototype.forEach.call(arguments, function (job) {
          if (Array.isArray(job) && job[0] === "Typeset" && job[2]) {
            mathjax.startup.promise
              .then(function () {
                return mathjax.typesetPromise([job[2]]);
              })
              .catch(function (error) {
                console.warn("MathJax could not typeset a widget label:", error);
              });
          }
        });
      },
    };
  });
})();
