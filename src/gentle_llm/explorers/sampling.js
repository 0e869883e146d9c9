// Sampling explorer (Chapter 7). Runs with no kernel: the stored logits travel with the page
// as JSON. Python wraps this body in a function that receives `root`, the explorer's outer
// <div>, so several explorers on one page never touch each other. decoding.js (shared with
// the tiny GPT of Chapter 6) reshapes the distribution as
// gentle_llm.generate.next_token_distribution does and draws as
// gentle_llm.explorers.sampling.draw_tokens does.
var dom = window.GentleDom;  // dom.js, shared by every explorer
var el = dom.element;
if (!root.querySelector("script.glm-data") || !dom.startOnce(root)) { return; }
var data = dom.readData(root, "script.glm-data");
var state = {
  prompt: 0,
  temperature: data.start.temperature,
  topK: data.start.top_k,
  topP: data.start.top_p,
  seed: data.start.seed
};

var decoding = window.GentleDecoding; // decoding.js, included before this explorer

// Temperature, top-k and top-p as decoding.js applies them; the sliders' top ends mean "off".
function distribution(logits, temperature, topK, topP) {
  var options = {
    temperature: temperature, topK: topK < logits.length ? topK : null,
    topP: topP < 1 ? topP : null
  };
  return Array.from(decoding.nextTokenDistribution(logits, options));
}

// n independent draws from one distribution, from one seeded generator.
function drawTokens(probs, seed, n) {
  var random = decoding.seededRandom(seed);
  var draws = [];
  for (var d = 0; d < n; d++) { draws.push(decoding.sample(probs, random)); }
  return draws;
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
    decoding.entropyBits(probs).toFixed(2) + " bits.";

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

dom.reveal(root);
render();
