/* What every explorer of the book does with the page, in one place: the token explorer
 * (Chapter 2), the head view (Chapter 4), the sampling explorer and the tiny GPT (Chapters 6
 * and 7) all use it. It defines window.GentleDom once, however many explorers a page holds.
 */
(function () {
  "use strict";
  if (window.GentleDom) { return; }

  // A new element with a class and text; text only ever goes into textContent, never HTML.
  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // True the first time an explorer's box is started, false after: a page that runs its
  // scripts twice (a notebook re-rendering its outputs) must not wire the controls twice.
  function startOnce(root) {
    if (root.getAttribute("data-ready") === "1") { return false; }
    root.setAttribute("data-ready", "1");
    return true;
  }

  // The JSON the Python side stored in the box (a script element of type application/json),
  // or null.
  function readData(root, selector) {
    var node = root.querySelector(selector);
    return node ? JSON.parse(node.textContent) : null;
  }

  // Swap the "needs JavaScript" note for the working explorer.
  function reveal(root) {
    var fallback = root.querySelector(".glm-fallback");
    if (fallback) { fallback.parentNode.removeChild(fallback); }
    root.querySelector(".glm-body").style.display = "";
  }

  window.GentleDom = {
    element: element, startOnce: startOnce, readData: readData, reveal: reveal,
  };
})();
