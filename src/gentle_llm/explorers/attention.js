// Head view for attention weights (Chapter 4). Runs with no kernel: the weights travel with
// the page as JSON. Python wraps this body in a function that receives `root`, the explorer's
// outer <div>, so several explorers on one page never touch each other.
var dom = window.GentleDom;  // dom.js, shared by every explorer
var el = dom.element;
if (!root.querySelector("script.glm-data") || !dom.startOnce(root)) { return; }
var data = dom.readData(root, "script.glm-data");
var tokens = data.tokens;
var T = tokens.length;
var state = { layer: 0, head: 0, sel: T - 1, hover: -1 };

function weight(row, col) {
  // Rows are stored per mille with trailing zeros left out (a causal row ends in zeros).
  var r = data.w[state.layer][state.head][row];
  return col < r.length ? r[col] / 1000 : 0;
}

function colour(w) {
  // White for 0, dark blue for 1.
  var r = Math.round(255 + (8 - 255) * w);
  var g = Math.round(255 + (48 - 255) * w);
  var b = Math.round(255 + (107 - 255) * w);
  return "rgb(" + r + "," + g + "," + b + ")";
}

function quoted(i) { return "\u201c" + tokens[i] + "\u201d"; }

var layerSelect = root.querySelector("select.glm-layer");
data.layers.forEach(function (layer, i) {
  var option = el("option", "", "layer " + layer);
  option.value = String(i);
  layerSelect.appendChild(option);
});
layerSelect.addEventListener("change", function () {
  state.layer = Number(layerSelect.value);
  render();
});

var headBox = root.querySelector(".glm-heads");
var headButtons = data.heads.map(function (head, i) {
  var button = el("button", "glm-head", "head " + head);
  button.type = "button";
  button.setAttribute("data-head", String(head));
  button.addEventListener("click", function () { state.head = i; render(); });
  headBox.appendChild(button);
  return button;
});

function select(i) {
  state.sel = state.sel === i ? -1 : i;
  render();
}

function hover(i) { state.hover = i; paintStrip(); }

var strip = root.querySelector(".glm-tokens");
var tokenSpans = tokens.map(function (tok, i) {
  var span = el("span", "glm-tok", tok);
  span.setAttribute("data-i", String(i));
  span.setAttribute("tabindex", "0");
  span.setAttribute("role", "button");
  span.addEventListener("click", function () { select(i); });
  span.addEventListener("keydown", function (event) {
    if (event.key === "Enter" || event.key === " ") { event.preventDefault(); select(i); }
  });
  span.addEventListener("mouseenter", function () { hover(i); });
  span.addEventListener("mouseleave", function () { hover(-1); });
  strip.appendChild(span);
  return span;
});

// The heat map: one row per query (the token that looks), one column per key (looked at).
var table = root.querySelector("table.glm-grid");
var head = el("tr");
head.appendChild(el("th"));
tokens.forEach(function (tok) {
  var th = el("th", "glm-col");
  th.appendChild(el("span", "", tok));
  head.appendChild(th);
});
table.appendChild(head);
var rows = [];
var cells = [];
tokens.forEach(function (tok, i) {
  var tr = el("tr");
  tr.setAttribute("data-row", String(i));
  var th = el("th", "glm-row", tok);
  th.addEventListener("click", function () { select(i); });
  tr.appendChild(th);
  var rowCells = [];
  for (var j = 0; j < T; j++) {
    var td = el("td", "glm-cell");
    td.setAttribute("data-col", String(j));
    td.addEventListener("click", function () { select(i); });
    tr.appendChild(td);
    rowCells.push(td);
  }
  table.appendChild(tr);
  rows.push(tr);
  cells.push(rowCells);
});

var info = root.querySelector(".glm-info");

function paintStrip() {
  var focus = state.hover >= 0 ? state.hover : state.sel;
  tokenSpans.forEach(function (span, j) {
    var w = focus >= 0 ? weight(focus, j) : 0;
    span.style.backgroundColor = colour(w);
    span.style.color = w > 0.5 ? "#fff" : "#1f2328";
    span.title = focus >= 0 ? quoted(focus) + " \u2192 " + quoted(j) + ": " + w.toFixed(3) : "";
    span.classList.toggle("glm-sel", j === state.sel);
  });
  if (focus < 0) {
    info.textContent = "Click a token to see which tokens it looks at.";
    return;
  }
  var best = 0;
  for (var j = 1; j < T; j++) { if (weight(focus, j) > weight(focus, best)) { best = j; } }
  info.textContent = "Layer " + data.layers[state.layer] + ", head " + data.heads[state.head] +
    ": " + quoted(focus) + " looks most at " + quoted(best) + " (" +
    weight(focus, best).toFixed(3) + ").";
}

function render() {
  layerSelect.value = String(state.layer);
  headButtons.forEach(function (button, i) {
    button.classList.toggle("glm-on", i === state.head);
    button.setAttribute("aria-pressed", i === state.head ? "true" : "false");
  });
  for (var i = 0; i < T; i++) {
    rows[i].classList.toggle("glm-row-sel", i === state.sel);
    for (var j = 0; j < T; j++) {
      var w = weight(i, j);
      var td = cells[i][j];
      td.style.backgroundColor = colour(w);
      td.title = quoted(i) + " \u2192 " + quoted(j) + ": " + w.toFixed(3);
      td.setAttribute("data-w", w.toFixed(3));
    }
  }
  paintStrip();
}

dom.reveal(root);
render();
