// Sampling explorer (Chapter 7). Runs with no kernel: the stored logits travel with the page
// as JSON. Python wraps this body in a function that receives `root`, the explorer's outer
// <div>, so several explorers on one page never touch each other. The steps mirror
// gentle_llm.generate.next_token_distribution, and the random draws mirror
// gentle_llm.explorers.sampling.draw_tokens.
var dataNode = root.querySelector("script.glm-data");
if (!dataNode || root.getAttribute("data-ready") === "1") { return; }
root.setAttribute("data-ready", "1");
var data = JSON.parse(dataNode.textContent);
var state = {
  prompt: 0,
  temperature: data.start.temperature,
  topK: data.start.top_k,
  topP: data.start.top_p,
  seed: data.start.seed
};

function el(tag, cls, text) {
  var node = document.createElement(tag);
  if (cls) { node.className = cls; }
  if (text !== undefined) { node.textContent = text; }
  return node;
}

// Temperature (0 = greedy), top-k (ties with the k-th are kept), softmax, top-p (keep the
// most likely tokens until their total reaches p, the one that crosses it included).
function distribution(logits, temperature, topK, topP) {
  var n = logits.length;
  var probs = new Array(n);
  var i;
  if (temperature === 0) {
    var best = 0;
    for (i = 1; i < n; i++) { if (logits[i] > logits[best]) { best = i; } }
    for (i = 0; i < n; i++) { probs[i] = i === best ? 1 : 0; }
    return probs;
  }
  var scaled = logits.map(function (v) { return v / temperature; });
  var keep = scaled.map(function () { return true; });
  if (topK < n) {
    var sorted = scaled.slice().sort(function (a, b) { return b - a; });
    var kth = sorted[topK - 1];
    for (i = 0; i < n; i++) { keep[i] = scaled[i] >= kth; }
  }
  var top = -Infinity;
  for (i = 0; i < n; i++) { if (keep[i] && scaled[i] > top) { top = scaled[i]; } }
  var total = 0;
  for (i = 0; i < n; i++) {
    probs[i] = keep[i] ? Math.exp(scaled[i] - top) : 0;
    total += probs[i];
  }
  for (i = 0; i < n; i++) { probs[i] /= total; }
  if (topP < 1) {
    var order = probs.map(function (p, j) { return j; });
    // A stable sort, largest first: equal probabilities keep their order, as in torch.
    order.sort(function (a, b) { return probs[b] - probs[a] || a - b; });
    var before = 0;
    var kept = 0;
    var out = probs.map(function () { return 0; });
    order.forEach(function (j) {
      if (before < topP) { out[j] = probs[j]; kept += probs[j]; }
      before += probs[j];
    });
    probs = out.map(function (p) { return p / kept; });
  }
  return probs;
}

// mulberry32: a tiny seeded generator of floats in [0, 1).
function mulberry32(seed) {
  var a = seed >>> 0;
  return function () {
    a = (a + 0x6D2B79F5) >>> 0;
    var t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function drawTokens(probs, seed, n) {
  var rand = mulberry32(seed);
  var last = 0;
  probs.forEach(function (p, i) { if (p > 0) { last = i; } });
  var draws = [];
  for (var d = 0; d < n; d++) {
    var u = rand();
    var total = 0;
    var pick = last;
    for (var i = 0; i < probs.length; i++) {
      total += probs[i];
      if (probs[i] > 0 && u < total) { pick = i; break; }
    }
    draws.push(pick);
  }
  return draws;
}

function entropyBits(probs) {
  var h = 0;
  probs.forEach(function (p) { if (p > 0) { h -= p * Math.log2(p); } });
  return h;
}

var promptSelect = root.querySelector("select.glm-prompt");
data.prompts.forEach(function (entry, i) {
  var option = el("option", "", "\u201c" + entry.prompt + "\u2026\u201d");
  option.value = String(i);
  promptSelect.appendChild(option);
});
promptSelect.addEventListener("change", function () {
  state.prompt = Number(promptSelect.value);
  render();
});

var sliders = {
  temperature: root.querySelector("input.glm-temperature"),
  topK: root.querySelector("input.glm-top-k"),
  topP: root.querySelector("input.glm-top-p"),
  seed: root.querySelector("input.glm-seed")
};
var outputs = {
  temperature: root.querySelector("output.glm-temperature-value"),
  topK: root.querySelector("output.glm-top-k-value"),
  topP: root.querySelector("output.glm-top-p-value"),
  seed: root.querySelector("output.glm-seed-value")
};
Object.keys(sliders).forEach(function (name) {
  sliders[name].value = String(state[name]);
  sliders[name].addEventListener("input", function () {
    state[name] = Number(sliders[name].value);
    render();
  });
});

var bars = root.querySelector(".glm-bars");
var summary = root.querySelector(".glm-summary");
var drawsHead = root.querySelector(".glm-draws-head");
var drawsBox = root.querySelector(".glm-draws");
var note = root.querySelector(".glm-note");

function percent(p) {
  if (p === 0) { return "0"; }
  return p >= 0.001 ? (100 * p).toFixed(1) + "%" : "<0.1%";
}

function render() {
  var entry = data.prompts[state.prompt];
  var n = entry.logits.length;
  var topK = Math.min(state.topK, n);
  outputs.temperature.textContent = state.temperature === 0 ? "0 (greedy)" :
    state.temperature.toFixed(2);
  outputs.topK.textContent = topK >= n ? n + " (off)" : String(topK);
  outputs.topP.textContent = state.topP >= 1 ? "1 (off)" : state.topP.toFixed(2);
  outputs.seed.textContent = String(state.seed);

  var probs = distribution(entry.logits, state.temperature, topK, state.topP);
  var kept = probs.filter(function (p) { return p > 0; }).length;
  bars.textContent = "";
  probs.forEach(function (p, i) {
    var row = el("div", "glm-row" + (p === 0 ? " glm-off" : ""));
    row.setAttribute("role", "listitem");
    row.setAttribute("data-i", String(i));
    row.setAttribute("data-p", String(p));
    row.appendChild(el("span", "glm-label", entry.labels[i]));
    var track = el("span", "glm-track");
    var bar = el("span", "glm-bar");
    bar.style.width = (100 * p).toFixed(2) + "%";  // the whole track is probability 1
    track.appendChild(bar);
    row.appendChild(track);
    row.appendChild(el("span", "glm-value", percent(p)));
    bars.appendChild(row);
  });
  summary.textContent = kept + " of " + n + " tokens can be drawn; entropy " +
    entropyBits(probs).toFixed(2) + " bits.";

  var draws = drawTokens(probs, state.seed, data.draws);
  drawsHead.textContent = data.draws + " draws with seed " + state.seed +
    " (the same seed always gives the same draws):";
  drawsBox.textContent = "";
  drawsBox.setAttribute("data-draws", draws.join(","));
  draws.forEach(function (i) {
    drawsBox.appendChild(el("span", "glm-draw", entry.labels[i]));
  });
  note.textContent = "The bars show the " + n + " most likely next tokens, which hold " +
    (100 * entry.mass).toFixed(0) + "% of the model's probability for this prompt; the " +
    "explorer renormalises over them. A bar across the whole track would be probability 1.";
}

var fallback = root.querySelector(".glm-fallback");
if (fallback) { fallback.parentNode.removeChild(fallback); }
root.querySelector(".glm-body").style.display = "";
render();
