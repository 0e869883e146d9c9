/* From next-token logits to a drawn token, in the browser: the sampling explorer of Chapter 7
 * and the tiny GPT of Chapter 6 both use this file, which mirrors
 * gentle_llm.generate.next_token_distribution and the explorers' seeded draws
 * (gentle_llm.explorers.sampling.mulberry32 and draw_tokens). It defines
 * window.GentleDecoding once, however many explorers on a page include it.
 */
(function () {
  "use strict";
  if (window.GentleDecoding) { return; }

  // [glm:sampling]
  // generate.next_token_distribution: temperature (0 = greedy), then top-k, softmax, top-p.
  // options.topK and options.topP switch their filter off when null, 0 or above the limit.
  function nextTokenDistribution(logits, options) {
    var n = logits.length, probs = new Float64Array(n), i, max = -Infinity, best = 0;
    for (i = 0; i < n; i++) {
      if (!isFinite(logits[i])) {
        throw new Error("The model produced a non-finite logit; its weights are broken.");
      }
      if (logits[i] > max) { max = logits[i]; best = i; }
    }
    if (options.temperature === 0) {
      probs[best] = 1; // greedy; the lowest id wins a tie
      return probs;
    }
    // Subtracting the largest logit changes no probability and keeps exp() finite.
    var z = new Float64Array(n);
    for (i = 0; i < n; i++) {
      z[i] = (logits[i] - max) / options.temperature;
    }
    if (options.topK && options.topK < n) {
      var sorted = Array.prototype.slice.call(z).sort(function (a, b) { return b - a; });
      var kth = sorted[options.topK - 1];
      for (i = 0; i < n; i++) {
        if (z[i] < kth) { z[i] = -Infinity; } // ties with the k-th are kept
      }
    }
    var total = 0;
    for (i = 0; i < n; i++) {
      probs[i] = Math.exp(z[i]);
      total += probs[i];
    }
    for (i = 0; i < n; i++) {
      probs[i] /= total;
    }
    if (options.topP && options.topP < 1) {
      var order = [];
      for (i = 0; i < n; i++) { order.push(i); }
      // Largest first; equal probabilities keep their order, as torch's sort does here.
      order.sort(function (a, b) { return probs[b] - probs[a] || a - b; });
      // Keep the most likely tokens until their total reaches top_p (the one that crosses
      // it is kept), then renormalise.
      var before = 0, kept = 0;
      for (i = 0; i < n; i++) {
        var p = probs[order[i]];
        if (before >= options.topP) {
          probs[order[i]] = 0;
        } else {
          kept += p;
        }
        before += p;
      }
      for (i = 0; i < n; i++) {
        probs[i] /= kept;
      }
    }
    return probs;
  }

  // A small seeded random number generator (mulberry32): the same seed, the same text.
  function seededRandom(seed) {
    var state = seed >>> 0;
    return function () {
      state = (state + 0x6d2b79f5) >>> 0;
      var t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  // Draw one token id: walk the cumulative probabilities up to a uniform random number.
  function sample(probs, random) {
    var u = random(), total = 0, last = 0;
    for (var i = 0; i < probs.length; i++) {
      if (probs[i] > 0) {
        total += probs[i];
        last = i;
        if (u < total) { return i; }
      }
    }
    return last; // rounding left u just above the total
  }
  // [/glm:sampling]

  // Shannon entropy in bits; tokens with probability 0 add nothing.
  function entropyBits(probs) {
    var h = 0;
    for (var i = 0; i < probs.length; i++) {
      if (probs[i] > 0) { h -= probs[i] * Math.log2(probs[i]); }
    }
    return h;
  }

  window.GentleDecoding = {
    nextTokenDistribution: nextTokenDistribution, seededRandom: seededRandom, sample: sample,
    entropyBits: entropyBits,
  };
})();
