/* Your own tiny GPT in the page: read a checkpoint that `gentle-llm train` (or Trainer.save)
 * wrote, check it, and hand its weights to gpt.js. Everything happens in the page: the file
 * is read from your disk by the browser and sent nowhere.
 *
 * A safetensors file is: 8 bytes giving the header's length (a little-endian whole number),
 * the header (JSON: for each tensor its dtype, shape and where its bytes lie after the
 * header, plus "__metadata__", where gentle_llm keeps the model's config and tokenizer), then
 * the tensors' bytes, little-endian. Loaded after gpt.js, whose TinyGPT runs the weights.
 */
(function () {
  "use strict";

  var gpt = window.GentleTinyGPT;
  if (!gpt) {
    throw new Error("checkpoint.js needs gpt.js: include it on the page first.");
  }

  // Bigger files are refused before they are read: the gpu preset's checkpoint (10.7 million
  // weights, with AdamW's two averages per weight) is about 130 MB.
  var MAX_FILE_MB = 200;
  var MAX_WEIGHTS = 20e6; // the page computes in plain JavaScript: about 10 M is still usable
  var CHECKPOINT_FORMAT = "gentle_llm.checkpoint";
  var CHECKPOINT_VERSION = 2;
  var TRAIN_HINT = "choose the ckpt.safetensors file that `gentle-llm train` or Trainer.save " +
    "wrote.";
  var RETRY_HINT = "copy the file again, or use an earlier checkpoint.";

  // Bytes per number, and the names PyTorch gives the types (the checksum uses those names).
  var DTYPES = {
    F64: [8, "torch.float64"], F32: [4, "torch.float32"], F16: [2, "torch.float16"],
    BF16: [2, "torch.bfloat16"], I64: [8, "torch.int64"], I32: [4, "torch.int32"],
    I16: [2, "torch.int16"], I8: [1, "torch.int8"], U8: [1, "torch.uint8"],
    U16: [2, "torch.uint16"], U32: [4, "torch.uint32"], U64: [8, "torch.uint64"],
    BOOL: [1, "torch.bool"],
  };

  function refuse(message) {
    var error = new Error(message);
    error.refused = true; // a problem with the file, not with the page
    return error;
  }

  function isCount(n) {
    return typeof n === "number" && Math.floor(n) === n && n >= 0;
  }

  // The file's metadata and, for each tensor, its dtype, shape and bytes (not yet converted).
  function readSafetensors(buffer) {
    var size = buffer.byteLength;
    if (size < 8) {
      throw refuse("This file is not a safetensors checkpoint (it is only " + size +
        " bytes long); " + TRAIN_HINT);
    }
    var view = new DataView(buffer);
    var low = view.getUint32(0, true), high = view.getUint32(4, true);
    var headerLength = high * 4294967296 + low;
    if (headerLength < 2 || 8 + headerLength > size) {
      throw refuse("This file is not a safetensors checkpoint, or it was cut short: its " +
        "first 8 bytes announce a header longer than the file; " + TRAIN_HINT);
    }
    var header;
    try {
      var text = new TextDecoder("utf-8", { fatal: true })
        .decode(new Uint8Array(buffer, 8, headerLength));
      header = JSON.parse(text);
    } catch (error) {
      header = null;
    }
    if (!header || typeof header !== "object" || Array.isArray(header)) {
      throw refuse("This file is not a safetensors checkpoint, or its header is damaged (it " +
        "is not valid JSON); " + TRAIN_HINT);
    }
    var dataStart = 8 + headerLength, dataLength = size - dataStart, tensors = {};
    Object.keys(header).forEach(function (name) {
      if (name === "__metadata__") { return; }
      var entry = header[name] || {}, shape = entry.shape, offsets = entry.data_offsets;
      if (!Array.isArray(shape) || !shape.every(isCount) || !Array.isArray(offsets) ||
          offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
        throw refuse("This checkpoint's header is damaged (tensor \u201c" + name +
          "\u201d has no valid shape or position); " + RETRY_HINT);
      }
      if (offsets[1] > dataLength) {
        throw refuse("This checkpoint was cut short: tensor \u201c" + name + "\u201d ends at " +
          "byte " + (dataStart + offsets[1]) + " but the file has only " + size +
          " bytes; " + RETRY_HINT);
      }
      var count = shape.reduce(function (a, b) { return a * b; }, 1);
      var dtype = DTYPES[entry.dtype];
      if (dtype && count * dtype[0] !== offsets[1] - offsets[0]) {
        throw refuse("This checkpoint is damaged: tensor \u201c" + name + "\u201d should hold " +
          count * dtype[0] + " bytes (" + entry.dtype + ", shape [" + shape.join(", ") +
          "]) but holds " + (offsets[1] - offsets[0]) + "; " + RETRY_HINT);
      }
      tensors[name] = {
        dtype: entry.dtype, shape: shape,
        bytes: new Uint8Array(buffer, dataStart + offsets[0], offsets[1] - offsets[0]),
      };
    });
    var metadata = header.__metadata__;
    return { metadata: metadata && typeof metadata === "object" ? metadata : {}, tensors: tensors };
  }

  // One tensor's numbers as float32, whatever float type the file stores them in.
  function toFloat32(name, tensor) {
    var bytes = tensor.bytes, n = tensor.shape.reduce(function (a, b) { return a * b; }, 1);
    var view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    var out = new Float32Array(n), i;
    if (tensor.dtype === "F32") {
      for (i = 0; i < n; i++) { out[i] = view.getFloat32(i * 4, true); }
    } else if (tensor.dtype === "F16") {
      for (i = 0; i < n; i++) { out[i] = gpt.halfToFloat(view.getUint16(i * 2, true)); }
    } else if (tensor.dtype === "BF16") {
      // bfloat16 is the top half of a float32: put its 16 bits there, zeros below.
      var word = new DataView(new ArrayBuffer(4));
      for (i = 0; i < n; i++) {
        word.setUint32(0, view.getUint16(i * 2, true) * 65536);
        out[i] = word.getFloat32(0);
      }
    } else {
      throw refuse("Tensor \u201c" + name + "\u201d is stored as " + tensor.dtype + "; the " +
        "page reads float32, float16 and bfloat16 weights only, as save_checkpoint writes them.");
    }
    for (i = 0; i < n; i++) {
      if (!isFinite(out[i])) {
        throw refuse("Tensor \u201c" + name + "\u201d holds NaN or infinite numbers: the " +
          "training run diverged; train again with a lower learning rate.");
      }
    }
    return out;
  }

  // Every weight GPT(config) has, with its shape (the names of model.py's state_dict).
  function expectedShapes(c) {
    var C = c.n_embd, shapes = {
      "tok_emb.weight": [c.vocab_size, C], "pos_emb.weight": [c.block_size, C],
      "ln_f.weight": [C], "lm_head.weight": [c.vocab_size, C],
    };
    var add = function (name, shape, isBias) {
      if (!isBias || c.bias) { shapes[name] = shape; }
    };
    add("ln_f.bias", [C], true);
    for (var l = 0; l < c.n_layer; l++) {
      var p = "blocks." + l + ".";
      add(p + "ln_1.weight", [C]); add(p + "ln_1.bias", [C], true);
      add(p + "attn.qkv.weight", [3 * C, C]); add(p + "attn.qkv.bias", [3 * C], true);
      add(p + "attn.proj.weight", [C, C]); add(p + "attn.proj.bias", [C], true);
      add(p + "ln_2.weight", [C]); add(p + "ln_2.bias", [C], true);
      add(p + "mlp.fc.weight", [4 * C, C]); add(p + "mlp.fc.bias", [4 * C], true);
      add(p + "mlp.proj.weight", [C, 4 * C]); add(p + "mlp.proj.bias", [C], true);
    }
    return shapes;
  }

  // Python's json module writes NaN and Infinity (the loss history has NaN where nothing was
  // measured yet), which JSON.parse refuses: outside strings, read them as null.
  function parsePythonJson(text) {
    return JSON.parse(String(text).replace(/"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g, function (token) {
      return token.charAt(0) === "\"" ? token : "null";
    }));
  }

  function readMeta(metadata) {
    if (metadata.format !== CHECKPOINT_FORMAT) { return null; }
    try {
      var meta = parsePythonJson(metadata.gentle_llm);
      return meta && meta.model_config ? meta : null;
    } catch (error) {
      return null;
    }
  }

  // The characters of the checkpoint's own tokenizer, or null if it stores none.
  function storedCharacters(meta) {
    var tokenizer = meta.tokenizer;
    if (!tokenizer) { return null; }
    if (tokenizer["class"] !== "CharTokenizer") {
      throw refuse("This model reads " + tokenizer["class"] + " tokens, but the page types " +
        "one character at a time; train a character-level model (for example --preset cpu-quick).");
    }
    try {
      return JSON.parse(tokenizer.file).chars;
    } catch (error) {
      throw refuse("This checkpoint's tokenizer is damaged (not valid JSON); " + RETRY_HINT);
    }
  }

  // Check a checkpoint against what the page can run; return what TinyGPT needs.
  function tinyGptSpec(file, vocab) {
    var meta = readMeta(file.metadata);
    var names = Object.keys(file.tensors);
    if (!meta) {
      throw refuse("This safetensors file is not a tiny GPT checkpoint (it has no gentle_llm " +
        "model config; a Llama, a LoRA adapter or bare weights cannot run here); " + TRAIN_HINT);
    }
    if (Number(file.metadata.version) > CHECKPOINT_VERSION) {
      throw refuse("This checkpoint was written by a newer gentle_llm (version " +
        file.metadata.version + "); update the book, or save it with this version.");
    }
    var c = meta.model_config;
    var sizes = ["vocab_size", "block_size", "n_layer", "n_head", "n_embd"];
    if (!sizes.every(function (k) { return isCount(c[k]) && c[k] > 0; }) ||
        c.n_embd % c.n_head !== 0) {
      throw refuse("This checkpoint's model config is damaged (its sizes are not whole " +
        "numbers, or n_embd is not a multiple of n_head); " + RETRY_HINT);
    }
    var gelu = c.gelu_approximate || "tanh";
    if (gelu !== "tanh" && gelu !== "none") {
      throw refuse("This model uses GELU \u201c" + gelu + "\u201d; the page runs " +
        "\u201ctanh\u201d and \u201cnone\u201d only.");
    }
    var chars = storedCharacters(meta);
    var sameVocab = c.vocab_size === vocab.length &&
      (chars === null || chars.join("\u0000") === vocab.join("\u0000"));
    if (!sameVocab) {
      var what = c.vocab_size === vocab.length ? "other characters"
        : "a vocabulary of " + c.vocab_size + " tokens";
      throw refuse("This model has " + what + ", not the " + vocab.length + " Tiny " +
        "Shakespeare characters the page types with; train it on char_dataset() (what " +
        "`gentle-llm train` uses).");
    }
    var shapes = expectedShapes(c), weights = {}, total = 0;
    Object.keys(shapes).forEach(function (name) {
      var tensor = file.tensors["model/" + name];
      if (!tensor) {
        var hint = names.length && names.every(function (n) { return n.indexOf("model/") < 0; })
          ? "it holds no model weights" : "\u201cmodel/" + name + "\u201d is missing";
        throw refuse("This checkpoint does not hold the tiny GPT its config describes (" + hint +
          "); " + TRAIN_HINT);
      }
      if (tensor.shape.join(",") !== shapes[name].join(",")) {
        throw refuse("This checkpoint does not fit its own config: \u201c" + name + "\u201d has " +
          "shape [" + tensor.shape.join(", ") + "] where the config asks for [" +
          shapes[name].join(", ") + "]; " + RETRY_HINT);
      }
      total += tensor.bytes.length / DTYPES[tensor.dtype][0];
    });
    if (total > MAX_WEIGHTS) {
      throw refuse("This model has " + (total / 1e6).toFixed(1) + " million weights; the page " +
        "runs models up to " + MAX_WEIGHTS / 1e6 + " million; sample it with `gentle-llm " +
        "sample` instead.");
    }
    Object.keys(shapes).forEach(function (name) {
      weights[name] = toFloat32(name, file.tensors["model/" + name]);
    });
    var config = {};
    sizes.forEach(function (k) { config[k] = c[k]; });
    config.bias = c.bias !== false;
    config.gelu_approximate = gelu;
    // The head is stored under its own name even when tied to the embedding, so the page
    // always uses lm_head.weight: the same numbers either way.
    return {
      format: "gentle_llm.tiny-gpt/1", config: config, vocab: vocab.slice(), tied: false,
      weights: weights, about: { step: meta.step, parameters: total },
    };
  }

  // The SHA-256 that save_checkpoint stores, over every tensor's name, type, shape and bytes
  // in name order: a changed byte anywhere gives another sum. Resolves to true (it matches),
  // false (damaged) or null (no sum stored, or the browser offers no SHA-256 on this page).
  function checksumMatches(file) {
    var stored = file.metadata.tensors_sha256;
    if (!stored || !(window.crypto && window.crypto.subtle)) { return Promise.resolve(null); }
    var encoder = new TextEncoder(), parts = [], length = 0;
    Object.keys(file.tensors).sort().forEach(function (name) {
      var t = file.tensors[name], dims = t.shape.join(", ");
      var shape = "(" + dims + (t.shape.length === 1 ? ",)" : ")"); // Python's tuple repr
      var dtype = DTYPES[t.dtype] ? DTYPES[t.dtype][1] : t.dtype;
      var label = encoder.encode(name + "|" + dtype + "|" + shape + "|");
      parts.push(label, t.bytes);
      length += label.length + t.bytes.length;
    });
    var all = new Uint8Array(length), at = 0;
    parts.forEach(function (part) { all.set(part, at); at += part.length; });
    return window.crypto.subtle.digest("SHA-256", all).then(function (digest) {
      var hex = Array.from(new Uint8Array(digest)).map(function (b) {
        return (b < 16 ? "0" : "") + b.toString(16);
      }).join("");
      return hex === stored;
    });
  }

  // A File (from the file input or a drop) to a TinyGPT, or a rejection with a clear message.
  function loadCheckpoint(blob, vocab) {
    if (blob.size > MAX_FILE_MB * 1e6) {
      return Promise.reject(refuse("This file is " + (blob.size / 1e6).toFixed(0) + " MB; the " +
        "page reads checkpoints up to " + MAX_FILE_MB + " MB (tiny GPTs); sample bigger " +
        "models with `gentle-llm sample` instead."));
    }
    var file;
    return blob.arrayBuffer().then(function (buffer) {
      file = readSafetensors(buffer);
      var spec = tinyGptSpec(file, vocab); // refuse a wrong model before hashing it
      return checksumMatches(file).then(function (matches) {
        if (matches === false) {
          throw refuse("This checkpoint is damaged: its numbers do not match the checksum " +
            "saved with them (a byte changed on disk or in a copy); " + RETRY_HINT);
        }
        return new gpt.TinyGPT(spec);
      });
    });
  }

  window.GentleCheckpoint = {
    readSafetensors: readSafetensors, tinyGptSpec: tinyGptSpec, loadCheckpoint: loadCheckpoint,
    MAX_FILE_MB: MAX_FILE_MB,
  };
})();
