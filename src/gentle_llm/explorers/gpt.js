/* The tiny GPT of Chapter 6, running in the page: plain JavaScript, no kernel, no network.
 *
 * The forward pass mirrors src/gentle_llm/model.py block for block (embeddings, pre-norm
 * blocks of causal self-attention with a key/value cache and a tanh-GELU MLP, residual
 * connections, final LayerNorm, the head tied to the token embedding), and the generation loop
 * mirrors gentle_llm.generate (a window of block_size tokens); decoding.js, loaded first, turns
 * logits into a drawn token (temperature, top-k, top-p).
 * The weights come from a classic script that sets window.GENTLE_TINY_GPT (written by
 * scripts/export_browser_gpt.py), or from a checkpoint of your own (checkpoint.js, loaded
 * after this file, reads it). Numbers are JavaScript doubles; the weights are float32.
 */
(function () {
  "use strict";

  // ---- Reading the weights -------------------------------------------------------------

  function halfToFloat(h) {
    var sign = h & 0x8000 ? -1 : 1;
    var exponent = (h >> 10) & 0x1f;
    var fraction = h & 0x3ff;
    if (exponent === 0) {
      return sign * fraction * Math.pow(2, -24); // subnormal numbers
    }
    if (exponent === 31) {
      return fraction ? NaN : sign * Infinity;
    }
    return sign * (1 + fraction / 1024) * Math.pow(2, exponent - 15);
  }

  function readTensors(spec) {
    var binary = atob(spec.data);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    var view = new DataView(bytes.buffer);
    var half = spec.dtype === "float16";
    var table = null;
    if (half) {
      // 65,536 possible float16 values: convert each once instead of once per weight.
      table = new Float32Array(65536);
      for (var h = 0; h < 65536; h++) {
        table[h] = halfToFloat(h);
      }
    }
    var tensors = {};
    spec.tensors.forEach(function (entry) {
      var size = entry[1].reduce(function (a, b) { return a * b; }, 1);
      var values = new Float32Array(size);
      for (var j = 0; j < size; j++) {
        values[j] = half
          ? table[view.getUint16((entry[2] + j) * 2, true)]
          : view.getFloat32((entry[2] + j) * 4, true);
      }
      tensors[entry[0]] = values;
    });
    return tensors;
  }

  // ---- The building blocks -----------------------------------------------------------------

  // [glm:linear]
  // nn.Linear on `rows` vectors at once: y[r] = W x[r] + b, with W stored [out, in] as
  // PyTorch stores it. Nearly all the time goes here, so four rows and two outputs share
  // every weight read from memory, which makes it about twice as fast as one dot product
  // at a time; the sums are the same up to rounding.
  function linear(W, b, x, xOff, rows, nIn, nOut, y, yOff) {
    var r = 0, o, k;
    for (; r + 3 < rows; r += 4) {
      var x0 = xOff + r * nIn, x1 = x0 + nIn, x2 = x1 + nIn, x3 = x2 + nIn;
      var y0 = yOff + r * nOut, y1 = y0 + nOut, y2 = y1 + nOut, y3 = y2 + nOut;
      for (o = 0; o < nOut; o += 2) {
        var pair = o + 1 < nOut, w0 = o * nIn, w1 = pair ? w0 + nIn : w0;
        var a0 = 0, a1 = 0, a2 = 0, a3 = 0, c0 = 0, c1 = 0, c2 = 0, c3 = 0;
        for (k = 0; k < nIn; k++) {
          var u = W[w0 + k], v = W[w1 + k];
          var e0 = x[x0 + k], e1 = x[x1 + k], e2 = x[x2 + k], e3 = x[x3 + k];
          a0 += u * e0; a1 += u * e1; a2 += u * e2; a3 += u * e3;
          c0 += v * e0; c1 += v * e1; c2 += v * e2; c3 += v * e3;
        }
        var bu = b ? b[o] : 0;
        y[y0 + o] = a0 + bu; y[y1 + o] = a1 + bu; y[y2 + o] = a2 + bu; y[y3 + o] = a3 + bu;
        if (pair) {
          var bv = b ? b[o + 1] : 0;
          y[y0 + o + 1] = c0 + bv; y[y1 + o + 1] = c1 + bv;
          y[y2 + o + 1] = c2 + bv; y[y3 + o + 1] = c3 + bv;
        }
      }
    }
    for (; r < rows; r++) { // the rows left over: one dot product per output
      var xr = xOff + r * nIn, yr = yOff + r * nOut;
      for (o = 0; o < nOut; o++) {
        var row = o * nIn, s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (k = 0; k + 3 < nIn; k += 4) { // four running sums overlap the additions
          s0 += W[row + k] * x[xr + k];
          s1 += W[row + k + 1] * x[xr + k + 1];
          s2 += W[row + k + 2] * x[xr + k + 2];
          s3 += W[row + k + 3] * x[xr + k + 3];
        }
        for (; k < nIn; k++) {
          s0 += W[row + k] * x[xr + k];
        }
        y[yr + o] = (b ? b[o] : 0) + (s0 + s1) + (s2 + s3);
      }
    }
  }
  // [/glm:linear]

  // [glm:layernorm]
  // nn.LayerNorm: subtract the mean, divide by the standard deviation, then gain and bias.
  function layerNorm(x, xOff, n, gain, bias, y, yOff) {
    var mean = 0, variance = 0, i;
    for (i = 0; i < n; i++) {
      mean += x[xOff + i];
    }
    mean /= n;
    for (i = 0; i < n; i++) {
      var d = x[xOff + i] - mean;
      variance += d * d;
    }
    var scale = 1 / Math.sqrt(variance / n + 1e-5); // PyTorch's default eps
    for (i = 0; i < n; i++) {
      y[yOff + i] = (x[xOff + i] - mean) * scale * gain[i] + (bias ? bias[i] : 0);
    }
  }
  // [/glm:layernorm]

  // [glm:gelu]
  // nn.GELU(approximate="tanh"), GPT-2's version of GELU.
  var GELU_C = Math.sqrt(2 / Math.PI);
  function gelu(x) {
    return 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x * x * x)));
  }
  // [/glm:gelu]

  // nn.GELU() without the approximation, x times the normal distribution's CDF, for models
  // trained with gelu_approximate="none". JavaScript has no erf, so this uses Abramowitz and
  // Stegun's formula 7.1.26, within 1.5e-7 of the true value.
  function geluExact(x) {
    var z = Math.abs(x) / Math.SQRT2, t = 1 / (1 + 0.3275911 * z);
    var poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 +
      t * (-1.453152027 + t * 1.061405429))));
    var erf = 1 - poly * Math.exp(-z * z);
    return 0.5 * x * (1 + (x < 0 ? -erf : erf));
  }

  // ---- The model -----------------------------------------------------------------------------

  // The keys and values of every layer for the positions seen so far (model.KVCache).
  function KVCache(config) {
    var size = config.block_size * config.n_embd;
    this.keys = [];
    this.values = [];
    for (var layer = 0; layer < config.n_layer; layer++) {
      this.keys.push(new Float64Array(size));
      this.values.push(new Float64Array(size));
    }
    this.length = 0;
  }

  function TinyGPT(spec) {
    if (!spec || spec.format !== "gentle_llm.tiny-gpt/1") {
      throw new Error("These are not tiny-GPT weights (format gentle_llm.tiny-gpt/1).");
    }
    // A checkpoint of your own arrives already decoded (checkpoint.js).
    var w = spec.weights || readTensors(spec);
    this.config = spec.config;
    this.activation = spec.config.gelu_approximate === "none" ? geluExact : gelu;
    this.vocab = spec.vocab;
    this.about = spec.about || {};
    this.tokEmb = w["tok_emb.weight"];
    this.posEmb = w["pos_emb.weight"];
    this.blocks = [];
    for (var l = 0; l < spec.config.n_layer; l++) {
      var p = "blocks." + l + ".";
      this.blocks.push({
        ln1: [w[p + "ln_1.weight"], w[p + "ln_1.bias"] || null],
        qkv: [w[p + "attn.qkv.weight"], w[p + "attn.qkv.bias"] || null],
        attnProj: [w[p + "attn.proj.weight"], w[p + "attn.proj.bias"] || null],
        ln2: [w[p + "ln_2.weight"], w[p + "ln_2.bias"] || null],
        fc: [w[p + "mlp.fc.weight"], w[p + "mlp.fc.bias"] || null],
        mlpProj: [w[p + "mlp.proj.weight"], w[p + "mlp.proj.bias"] || null],
      });
    }
    this.lnF = [w["ln_f.weight"], w["ln_f.bias"] || null];
    // Weight tying: the head reuses the token embedding unless the file stores its own.
    this.head = spec.tied ? this.tokEmb : w["lm_head.weight"];
  }

  // [glm:attention]
  // CausalSelfAttention.forward for T new positions after the cache's; x holds their
  // LayerNorm'ed inputs. Only positions from `first` on need an output.
  TinyGPT.prototype.attention = function (layer, x, T, cache, first) {
    var C = this.config.n_embd, H = this.config.n_head, D = C / H;
    var block = this.blocks[layer], past = cache.length;
    var keys = cache.keys[layer], values = cache.values[layer];
    // q, k, v = self.qkv(x).split(width): one matrix makes all three.
    var qkv = new Float64Array(T * 3 * C), q = new Float64Array((T - first) * C);
    linear(block.qkv[0], block.qkv[1], x, 0, T, C, 3 * C, qkv, 0);
    for (var t = 0; t < T; t++) {
      var row = t * 3 * C;
      keys.set(qkv.subarray(row + C, row + 2 * C), (past + t) * C); // cache.update(...)
      values.set(qkv.subarray(row + 2 * C, row + 3 * C), (past + t) * C);
      if (t >= first) {
        q.set(qkv.subarray(row, row + C), (t - first) * C);
      }
    }
    var y = new Float64Array((T - first) * C), weights = new Float64Array(past + T);
    var scale = 1 / Math.sqrt(D);
    for (var r = 0; r < T - first; r++) {
      var seen = past + first + r + 1; // the causal mask: keys 0 .. this position
      for (var h = 0; h < H; h++) {
        var qo = r * C + h * D, max = -Infinity, j, d;
        for (j = 0; j < seen; j++) {
          var s = 0;
          for (d = 0; d < D; d++) {
            s += q[qo + d] * keys[j * C + h * D + d];
          }
          weights[j] = s * scale;
          if (weights[j] > max) { max = weights[j]; }
        }
        var total = 0;
        for (j = 0; j < seen; j++) {
          weights[j] = Math.exp(weights[j] - max); // softmax, shifted so exp cannot overflow
          total += weights[j];
        }
        for (j = 0; j < seen; j++) {
          var a = weights[j] / total;
          for (d = 0; d < D; d++) {
            y[qo + d] += a * values[j * C + h * D + d];
          }
        }
      }
    }
    var out = new Float64Array((T - first) * C);
    linear(block.attnProj[0], block.attnProj[1], y, 0, T - first, C, C, out, 0);
    return out;
  };
  // [/glm:attention]

  // [glm:block]
  // Block.forward: x + attn(ln_1(x)), then x + mlp(ln_2(x)); rows from `first` on are kept.
  TinyGPT.prototype.block = function (layer, x, T, cache, first) {
    var C = this.config.n_embd, b = this.blocks[layer], rows = T - first, i, r;
    var normed = new Float64Array(T * C);
    for (r = 0; r < T; r++) {
      layerNorm(x, r * C, C, b.ln1[0], b.ln1[1], normed, r * C);
    }
    var attn = this.attention(layer, normed, T, cache, first);
    var out = new Float64Array(rows * C);
    for (i = 0; i < rows * C; i++) {
      out[i] = x[first * C + i] + attn[i];
    }
    // MLP.forward: widen 4x, GELU, project back.
    var h = new Float64Array(rows * C), hidden = new Float64Array(rows * 4 * C);
    var m = new Float64Array(rows * C);
    for (r = 0; r < rows; r++) {
      layerNorm(out, r * C, C, b.ln2[0], b.ln2[1], h, r * C);
    }
    linear(b.fc[0], b.fc[1], h, 0, rows, C, 4 * C, hidden, 0);
    for (i = 0; i < rows * 4 * C; i++) {
      hidden[i] = this.activation(hidden[i]);
    }
    linear(b.mlpProj[0], b.mlpProj[1], hidden, 0, rows, 4 * C, C, m, 0);
    for (i = 0; i < rows * C; i++) {
      out[i] += m[i];
    }
    return out;
  };
  // [/glm:block]

  // [glm:forward]
  // GPT.forward: logits for the new token ids, continuing after the cache's positions.
  // Sampling needs only the last position, so by default the last block computes that one
  // (the keys and values of every position are still cached); allPositions gives all rows.
  TinyGPT.prototype.forward = function (ids, cache, allPositions) {
    var c = this.config, C = c.n_embd, V = c.vocab_size, T = ids.length;
    cache = cache || new KVCache(c);
    var past = cache.length;
    if (T === 0) {
      throw new Error("forward needs at least one token id.");
    }
    if (past + T > c.block_size) {
      throw new Error("The model's context is " + c.block_size + " tokens but got " +
        (past + T) + "; keep only the last " + c.block_size + ".");
    }
    // x = tok_emb(idx) + pos_emb(positions): positions continue after the cached ones.
    var x = new Float64Array(T * C);
    for (var t = 0; t < T; t++) {
      var id = ids[t];
      if (!(id >= 0 && id < V)) {
        throw new Error("Token id " + id + " is outside the vocabulary (0 to " + (V - 1) + ").");
      }
      for (var i = 0; i < C; i++) {
        x[t * C + i] = this.tokEmb[id * C + i] + this.posEmb[(past + t) * C + i];
      }
    }
    var rows = T;
    for (var layer = 0; layer < c.n_layer; layer++) {
      var first = !allPositions && layer === c.n_layer - 1 ? rows - 1 : 0;
      x = this.block(layer, x, rows, cache, first);
      rows -= first;
    }
    cache.length += T;
    // logits = lm_head(ln_f(x))
    var normed = new Float64Array(C), logits = [];
    for (var r = 0; r < rows; r++) {
      layerNorm(x, r * C, C, this.lnF[0], this.lnF[1], normed, 0);
      var row = new Float64Array(V);
      linear(this.head, null, normed, 0, 1, C, V, row, 0);
      logits.push(row);
    }
    return logits;
  };
  // [/glm:forward]

  TinyGPT.prototype.encode = function (text) {
    var ids = [], unknown = [];
    for (var i = 0; i < text.length; i++) {
      var id = this.vocab.indexOf(text[i]);
      if (id < 0) {
        if (unknown.indexOf(text[i]) < 0) { unknown.push(text[i]); }
      } else {
        ids.push(id);
      }
    }
    return { ids: ids, unknown: unknown };
  };

  TinyGPT.prototype.decode = function (ids) {
    var vocab = this.vocab;
    return ids.map(function (id) { return vocab[id]; }).join("");
  };

  // ---- Sampling: decoding.js, shared with the sampling explorer --------------------------------

  var decoding = window.GentleDecoding;
  if (!decoding) {
    throw new Error("gpt.js needs decoding.js: include it on the page first.");
  }
  var nextTokenDistribution = decoding.nextTokenDistribution;
  var seededRandom = decoding.seededRandom;
  var sample = decoding.sample;

  // [glm:generate]
  // generate.stream: one step per call. The model sees at most block_size tokens, so a long
  // prompt keeps its last ones. Positions are learned, so a full window cannot just slide
  // along the cache. window "slide" (as gentle_llm.generate does by default) recomputes the
  // whole window at every step; "halve" keeps the window's last half, computes it once into a
  // fresh cache and goes on with the cache, many times less work for the same kind of text.
  function Generation(model, promptIds, options) {
    if (promptIds.length === 0) {
      throw new Error("The prompt is empty: type at least one character (a newline will do).");
    }
    this.model = model;
    this.options = options;
    this.window = options.window || "slide";
    if (this.window !== "slide" && this.window !== "halve") {
      throw new Error("window must be \"slide\" or \"halve\", not " + this.window + ".");
    }
    this.block = model.config.block_size;
    this.tokens = promptIds.slice();
    this.start = Math.max(this.tokens.length - this.block, 0);
    this.pending = this.tokens.slice(this.start); // the tokens the model has not seen yet
    this.caching = options.useCache !== false;
    this.cache = new KVCache(model.config);
    this.random = seededRandom(options.seed || 0);
    this.logits = null;
    this.probs = null;
  }

  Generation.prototype.step = function () {
    var cache = this.caching ? this.cache : new KVCache(this.model.config);
    var logits = this.model.forward(this.pending, cache)[0];
    var probs = nextTokenDistribution(logits, this.options);
    var token = 0;
    if (this.options.temperature === 0) {
      for (var i = 1; i < probs.length; i++) {
        if (probs[i] > probs[token]) { token = i; }
      }
    } else {
      token = sample(probs, this.random);
    }
    this.logits = logits;
    this.probs = probs;
    this.tokens.push(token);
    var full = this.tokens.length - this.start > this.block;
    if (full && this.window === "halve") {
      // Keep the last half of the window; its positions restart at 0.
      this.start = this.tokens.length - Math.max(Math.floor(this.block / 2), 1);
      this.cache = new KVCache(this.model.config);
    } else if (full) {
      this.start = this.tokens.length - this.block;
      this.caching = false; // sliding moves every position, so the cache no longer fits
    }
    var fresh = !this.caching || this.cache.length === 0;
    this.pending = fresh ? this.tokens.slice(this.start) : [token];
    return token;
  };
  // [/glm:generate]

  function generate(model, promptIds, options) {
    var run = new Generation(model, promptIds, options), out = [];
    for (var i = 0; i < options.maxNewTokens; i++) {
      out.push(run.step());
    }
    return out;
  }

  // ---- The demo ----------------------------------------------------------------------------------

  var TOP_SHOWN = 10;

  function visible(ch) {
    if (ch === " ") { return "\u00b7"; } // "·"
    if (ch === "\n") { return "\u21b5"; } // "↵"
    return ch;
  }

  var element = window.GentleDom.element;  // dom.js, shared by every explorer

  function field(parent, label, input, note) {
    var wrap = element("label", "glm-gpt-field");
    wrap.appendChild(element("span", "glm-gpt-label", label));
    wrap.appendChild(input);
    if (note) { wrap.appendChild(note); }
    parent.appendChild(wrap);
    return input;
  }

  function numberInput(min, max, step, value) {
    var input = element("input");
    input.type = "number";
    input.min = min;
    input.max = max;
    input.step = step;
    input.value = value;
    return input;
  }

  function Demo(root, model) {
    this.root = root;
    this.model = model;
    this.bookModel = model;
    this.run = null;
    this.timer = null;
    root.textContent = "";
    var c = model.config;

    // Which model runs, and a way to run your own: a file input, or a file dropped on the demo.
    var own = element("div", "glm-gpt-own");
    this.modelLine = element("p", "glm-gpt-model");
    own.appendChild(this.modelLine);
    this.fileInput = element("input", "glm-gpt-file");
    this.fileInput.type = "file";
    this.fileInput.accept = ".safetensors";
    field(own, "Load your own checkpoint (ckpt.safetensors), or drop it on this box",
      this.fileInput);
    this.bookButton = element("button", "glm-gpt-book", "Back to the book's model");
    this.bookButton.type = "button";
    own.appendChild(this.bookButton);
    root.appendChild(own);
    this.prompt = element("textarea", "glm-gpt-prompt");
    this.prompt.rows = 3;
    this.prompt.value = root.getAttribute("data-prompt") || "ROMEO:\n";
    this.prompt.setAttribute("aria-label", "Prompt");
    this.prompt.spellcheck = false;
    var promptLabel = element("label", "glm-gpt-field glm-gpt-wide");
    promptLabel.appendChild(element("span", "glm-gpt-label", "Prompt"));
    promptLabel.appendChild(this.prompt);
    root.appendChild(promptLabel);

    var controls = element("div", "glm-gpt-controls");
    this.temperature = numberInput(0, 3, 0.1, 0.8);
    field(controls, "Temperature", this.temperature);
    this.topK = numberInput(0, c.vocab_size, 1, 0);
    field(controls, "Top-k (0 = off)", this.topK);
    this.topP = numberInput(0.05, 1, 0.05, 1);
    field(controls, "Top-p (1 = off)", this.topP);
    this.count = numberInput(1, 2000, 1, 200);
    field(controls, "Characters", this.count);
    this.seed = numberInput(0, 1000000, 1, 1);
    field(controls, "Seed", this.seed);
    // What to do once the text fills the 64-character window (see Generation).
    this.windowChoice = element("select", "glm-gpt-window");
    [["halve", "keep the last half (fast)"], ["slide", "slide by one (full context, slower)"]]
      .forEach(function (choice) {
        var option = element("option", "", choice[1]);
        option.value = choice[0];
        this.windowChoice.appendChild(option);
      }, this);
    field(controls, "Window full", this.windowChoice);
    root.appendChild(controls);

    var buttons = element("div", "glm-gpt-buttons");
    this.go = element("button", "glm-gpt-go", "Generate");
    this.one = element("button", "glm-gpt-one", "One more character");
    this.stop = element("button", "glm-gpt-stop", "Stop");
    [this.go, this.one, this.stop].forEach(function (b) {
      b.type = "button";
      buttons.appendChild(b);
    });
    this.stop.disabled = true;
    root.appendChild(buttons);

    this.status = element("p", "glm-gpt-status");
    this.status.setAttribute("aria-live", "polite");
    root.appendChild(this.status);
    var text = element("pre", "glm-gpt-text");
    this.shownPrompt = element("span", "glm-gpt-given");
    this.shownNew = element("span", "glm-gpt-new");
    text.appendChild(this.shownPrompt);
    text.appendChild(this.shownNew);
    root.appendChild(text);
    this.distTitle = element("p", "glm-gpt-dist-title");
    root.appendChild(this.distTitle);
    this.bars = element("ol", "glm-gpt-bars");
    root.appendChild(this.bars);

    var self = this;
    this.go.addEventListener("click", function () { self.start(); });
    this.one.addEventListener("click", function () { self.oneMore(); });
    this.stop.addEventListener("click", function () { self.halt("Stopped."); });
    this.bookButton.addEventListener("click", function () {
      self.use(self.bookModel, "the book's tiny GPT");
    });
    this.fileInput.addEventListener("change", function () {
      if (self.fileInput.files.length) { self.load(self.fileInput.files[0]); }
    });
    root.addEventListener("dragover", function (event) {
      event.preventDefault(); // without this the browser would open the file instead
      root.classList.add("glm-gpt-dropping");
    });
    root.addEventListener("dragleave", function () { root.classList.remove("glm-gpt-dropping"); });
    root.addEventListener("drop", function (event) {
      event.preventDefault();
      root.classList.remove("glm-gpt-dropping");
      var files = event.dataTransfer && event.dataTransfer.files;
      if (files && files.length) { self.load(files[0]); }
    });
    [this.prompt, this.temperature, this.topK, this.topP].forEach(function (input) {
      input.addEventListener("input", function () { self.preview(); });
    });
    root.setAttribute("data-ready", "true");
    this.use(model, "the book's tiny GPT");
  }

  // Sample from `model` from now on; `name` says whose it is.
  Demo.prototype.use = function (model, name) {
    this.halt();
    this.model = model;
    api.model = model;
    var c = model.config;
    this.topK.max = c.vocab_size;
    this.modelLine.textContent = "Running " + name + ": " + c.n_layer + " blocks, " + c.n_head +
      " heads, width " + c.n_embd + ", a context of " + c.block_size + " characters.";
    this.bookButton.hidden = model === this.bookModel;
    this.root.setAttribute("data-model", model === this.bookModel ? "book" : "yours");
    this.preview();
  };

  // Read a checkpoint file (checkpoint.js); a file the page cannot run leaves the model as it is.
  Demo.prototype.load = function (file) {
    var self = this, loader = window.GentleCheckpoint;
    this.root.setAttribute("data-load", "busy");
    this.fileInput.value = ""; // so that choosing the same file again loads it again
    if (!loader) {
      this.note("This page cannot read checkpoints (checkpoint.js is missing).", true);
      this.root.setAttribute("data-load", "refused");
      return;
    }
    this.halt();
    this.note("Reading " + file.name + "\u2026", false);
    loader.loadCheckpoint(file, this.bookModel.vocab).then(function (model) {
      var step = model.about.step;
      self.use(model, "your model from " + file.name + (step ? " (step " + step + ")" : ""));
      self.root.setAttribute("data-load", "done");
    }, function (error) {
      self.note(error.refused ? error.message
        : "The page could not read " + file.name + " (" + error.message + ").", true);
      self.root.setAttribute("data-load", "refused");
    });
  };

  // The sampling settings from the form, checked the way SamplingConfig checks them.
  Demo.prototype.settings = function () {
    var temperature = Number(this.temperature.value);
    var topK = Number(this.topK.value), topP = Number(this.topP.value);
    var count = Number(this.count.value), seed = Number(this.seed.value);
    if (!(temperature >= 0)) { throw new Error("Temperature must be 0 or more (0 = greedy)."); }
    if (!(topK >= 0) || Math.floor(topK) !== topK) {
      throw new Error("Top-k must be a whole number (0 switches it off).");
    }
    if (!(topP > 0 && topP <= 1)) { throw new Error("Top-p must be above 0 and at most 1."); }
    if (!(count >= 1) || Math.floor(count) !== count) {
      throw new Error("Characters must be a whole number of at least 1.");
    }
    if (!(seed >= 0) || Math.floor(seed) !== seed) {
      throw new Error("Seed must be a whole number of 0 or more.");
    }
    return {
      temperature: temperature, topK: topK || null, topP: topP < 1 ? topP : null,
      maxNewTokens: Math.min(count, 2000), seed: seed, window: this.windowChoice.value,
    };
  };

  Demo.prototype.promptIds = function () {
    var encoded = this.model.encode(this.prompt.value);
    if (encoded.unknown.length) {
      throw new Error("Not in the model's alphabet: " + encoded.unknown.map(function (ch) {
        return "\u201c" + ch + "\u201d";
      }).join(", ") + ". It knows only the " + this.model.vocab.length +
        " characters of Tiny Shakespeare; remove these.");
    }
    if (encoded.ids.length === 0) {
      throw new Error("The prompt is empty: type at least one character (a newline will do).");
    }
    return encoded.ids;
  };

  Demo.prototype.note = function (message, isError) {
    this.status.textContent = message;
    this.status.className = "glm-gpt-status" + (isError ? " glm-gpt-error" : "");
  };

  Demo.prototype.cropNote = function (ids) {
    var block = this.model.config.block_size;
    return ids.length > block
      ? " The model sees only the last " + block + " characters of the prompt." : "";
  };

  // Show what the model would pick next for the prompt as it stands, before any sampling.
  Demo.prototype.preview = function () {
    if (this.timer !== null) { return; }
    this.run = null;
    this.shownNew.textContent = "";
    try {
      var ids = this.promptIds(), options = this.settings();
      var logits = this.model.forward(ids.slice(-this.model.config.block_size))[0];
      this.shownPrompt.textContent = this.prompt.value;
      this.drawBars(nextTokenDistribution(logits, options), -1, 0);
      this.note("Press Generate to sample." + this.cropNote(ids), false);
    } catch (error) {
      this.bars.textContent = "";
      this.distTitle.textContent = "";
      this.note(error.message, true);
    }
  };

  Demo.prototype.drawBars = function (probs, chosen, step) {
    var order = [];
    for (var i = 0; i < probs.length; i++) { order.push(i); }
    order.sort(function (a, b) { return probs[b] - probs[a] || a - b; });
    this.bars.textContent = "";
    var vocab = this.model.vocab;
    for (var r = 0; r < TOP_SHOWN && r < order.length; r++) {
      var id = order[r], p = probs[id];
      var item = element("li", "glm-gpt-row" + (id === chosen ? " glm-gpt-chosen" : ""));
      item.setAttribute("data-id", String(id));
      item.appendChild(element("span", "glm-gpt-char", visible(vocab[id])));
      var track = element("span", "glm-gpt-track");
      var bar = element("span", "glm-gpt-bar");
      bar.style.width = (100 * p).toFixed(1) + "%";
      track.appendChild(bar);
      item.appendChild(track);
      item.appendChild(element("span", "glm-gpt-p", (100 * p).toFixed(1) + "%"));
      this.bars.appendChild(item);
    }
    this.distTitle.textContent = step > 0
      ? "Step " + step + ": the " + TOP_SHOWN + " likeliest next characters after the " +
        "settings, and the one drawn (outlined)."
      : "The " + TOP_SHOWN + " likeliest next characters for this prompt, after the settings.";
  };

  Demo.prototype.begin = function () {
    var ids = this.promptIds(), options = this.settings();
    this.run = new Generation(this.model, ids, options);
    this.run.prompt = ids.length;
    this.shownPrompt.textContent = this.prompt.value;
    this.shownNew.textContent = "";
    return ids;
  };

  Demo.prototype.advance = function () {
    var token = this.run.step();
    this.shownNew.textContent += this.model.vocab[token];
    this.drawBars(this.run.probs, token, this.run.tokens.length - this.run.prompt);
  };

  Demo.prototype.start = function () {
    this.halt();
    try {
      var ids = this.begin();
    } catch (error) {
      this.note(error.message, true);
      return;
    }
    var self = this, goal = this.run.options.maxNewTokens, started = performance.now();
    this.note("Generating\u2026" + this.cropNote(ids), false);
    this.stop.disabled = false;
    this.go.disabled = true;
    // Work in slices of about 15 ms so the page keeps responding while the text grows.
    var slice = function () {
      var until = performance.now() + 15;
      var made = self.run.tokens.length - self.run.prompt;
      while (made < goal && performance.now() < until) {
        self.advance();
        made++;
      }
      if (made >= goal) {
        var seconds = (performance.now() - started) / 1000;
        self.halt(made + " characters in " + seconds.toFixed(2) + " s." + self.cropNote(ids));
        self.root.setAttribute("data-done", String(made));
      } else {
        self.timer = setTimeout(slice, 0);
      }
    };
    this.root.removeAttribute("data-done");
    this.timer = setTimeout(slice, 0);
  };

  Demo.prototype.oneMore = function () {
    if (this.timer !== null) { return; }
    try {
      if (this.run === null) { this.begin(); }
      this.advance();
      this.note("One character at a time: press again for the next.", false);
    } catch (error) {
      this.note(error.message, true);
    }
  };

  Demo.prototype.halt = function (message) {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.stop.disabled = true;
    this.go.disabled = false;
    if (message) { this.note(message, false); }
  };

  // ---- Start every demo on the page --------------------------------------------------------

  var api = {
    TinyGPT: TinyGPT, KVCache: KVCache, Generation: Generation, generate: generate,
    nextTokenDistribution: nextTokenDistribution, seededRandom: seededRandom, sample: sample,
    halfToFloat: halfToFloat, demos: [],
  };
  window.GentleTinyGPT = api;

  var roots = document.querySelectorAll(".glm-gpt:not([data-ready])");
  if (roots.length) {
    var spec = window.GENTLE_TINY_GPT;
    var model = null;
    try {
      model = new TinyGPT(spec);
    } catch (error) {
      for (var i = 0; i < roots.length; i++) {
        roots[i].textContent = "The model's weights did not load (" + error.message + ").";
      }
    }
    if (model) {
      api.model = model;
      for (var j = 0; j < roots.length; j++) {
        api.demos.push(new Demo(roots[j], model));
      }
    }
  }
})();
