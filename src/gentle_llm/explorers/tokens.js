// Token explorer (Chapter 2). Python wraps this body in a function that receives `root`, the
// explorer's outer <div>, so several explorers on one page never touch each other.
//
// Every explorer: pointing at or clicking a token shows its position and id. An explorer made
// by explore_tokens also carries its tokenizers as JSON (script.gllm-data) and re-tokenizes
// what the reader types, in the page, with no kernel. The encoders below follow the Python
// ones step by step, so the ids are the same: split the text with the tokenizer's regex,
// write each chunk as UTF-8 bytes, merge by rank. Reader text only ever goes into
// textContent, never into HTML.
var dom = window.GentleDom;  // dom.js, shared by every explorer
if (!dom.startOnce(root)) { return; }

function show(token, pin) {
  var block = token.closest(".gllm-block");
  var status = block && block.querySelector(".gllm-status");
  if (!status || status.classList.contains("gllm-error")) { return; }
  if (pin) {
    var old = block.querySelectorAll(".gllm-on");
    for (var i = 0; i < old.length; i++) { old[i].classList.remove("gllm-on"); }
    token.classList.add("gllm-on");
    status.setAttribute("data-pinned", token.getAttribute("data-i"));
  }
  status.textContent = token.getAttribute("data-label");
}
root.addEventListener("click", function (event) {
  var token = event.target.closest(".gllm-t");
  if (token) { show(token, true); }
});
root.addEventListener("mouseover", function (event) {
  var token = event.target.closest(".gllm-t");
  if (token) { show(token, false); }
});

var data = dom.readData(root, "script.gllm-data");
if (!data) { return; }

// ---- splitting text into chunks ---------------------------------------------------------
// The GPT-2 and GPT-4 split patterns of gentle_llm.tokenizers, rewritten for JavaScript:
// * \s becomes \p{White_Space} (JavaScript's \s also matches U+FEFF and misses U+0085);
// * JavaScript has no possessive quantifiers. In GPT-4's pattern "[^\r\n\p{L}\p{N}]?+\p{L}+"
//   the optional character can never be a letter, so giving it back could not help \p{L}+
//   match; and in " ?[^\s\p{L}\p{N}]++[\r\n]*" the part after the class always matches. So
//   the plain greedy forms match exactly the same text;
// * (?i:[sdmt]|ll|ve|re) spells out its cases; case folding also maps U+017F (long s) to s.
var WS = "\\p{White_Space}";
var NOT_WS = "\\P{White_Space}";
var SPLIT = {
  gpt2: "'(?:[sdmt]|ll|ve|re)| ?\\p{L}+| ?\\p{N}+| ?[^" + WS + "\\p{L}\\p{N}]+" +
    "|" + WS + "+(?!" + NOT_WS + ")|" + WS + "+",
  gpt4: "'(?:[sdmtSDMT\\u017F]|[lL][lL]|[vV][eE]|[rR][eE])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+" +
    "|\\p{N}{1,3}| ?[^" + WS + "\\p{L}\\p{N}]+[\\r\\n]*|" + WS + "*[\\r\\n]" +
    "|" + WS + "+(?!" + NOT_WS + ")|" + WS + "+"
};

var compiled = {};
function chunks(text, pattern) {
  // String.match with a global regex starts from 0 every time, so one compiled copy will do.
  compiled[pattern] = compiled[pattern] || new RegExp(SPLIT[pattern], "gu");
  return text.match(compiled[pattern]) || [];
}

// ---- bytes ------------------------------------------------------------------------------
var utf8 = new TextEncoder();

function hex(b) { return "<0x" + (b < 16 ? "0" : "") + b.toString(16).toUpperCase() + ">"; }

// Like readable_bytes in Python: whole UTF-8 characters as text, any other byte as <0xAB>.
// The ranges are Unicode's well-formed byte sequences, which is what Python's decoder accepts.
function readable(bytes) {
  var out = "";
  var i = 0;
  while (i < bytes.length) {
    var b = bytes[i];
    var len = 0;
    var lo = 0x80;
    var hi = 0xBF;
    if (b < 0x80) { len = 1; }
    else if (b >= 0xC2 && b <= 0xDF) { len = 2; }
    else if (b >= 0xE0 && b <= 0xEF) { len = 3; lo = b === 0xE0 ? 0xA0 : 0x80; hi = b === 0xED ? 0x9F : 0xBF; }
    else if (b >= 0xF0 && b <= 0xF4) { len = 4; lo = b === 0xF0 ? 0x90 : 0x80; hi = b === 0xF4 ? 0x8F : 0xBF; }
    var ok = len > 0 && i + len <= bytes.length;
    for (var k = 1; ok && k < len; k++) {
      var c = bytes[i + k];
      ok = k === 1 ? c >= lo && c <= hi : c >= 0x80 && c <= 0xBF;
    }
    if (!ok) { out += hex(b); i += 1; continue; }
    var cp = len === 1 ? b : b & (0xFF >> (len + 1));
    for (k = 1; k < len; k++) { cp = (cp << 6) | (bytes[i + k] & 0x3F); }
    out += String.fromCodePoint(cp);
    i += len;
  }
  return out;
}

function refuseSpecial(text, special) {
  var found = special.filter(function (s) { return text.indexOf(s) >= 0; });
  if (!found.length) { return null; }
  return "The text contains the special token(s) " + found.join(", ") + ". Like encode() " +
    "in Python, the explorer refuses them (Chapter 2 explains why).";
}

// ---- the three kinds of tokenizer ---------------------------------------------------------

// One token per character; Python walks a str by code points, and so does Array.from.
function charEncoder(spec) {
  var idOf = new Map();
  spec.chars.forEach(function (c, i) { idOf.set(c, i); });
  return function (text) {
    var chars = Array.from(text);
    var unknown = chars.filter(function (c) { return !idOf.has(c); });
    if (unknown.length) {
      var shown = Array.from(new Set(unknown)).sort(function (a, b) {
        return a.codePointAt(0) - b.codePointAt(0);
      }).map(function (c) { return JSON.stringify(c); });
      return { error: "Characters not in the vocabulary: " + shown.join(", ") + ". A " +
        "character tokenizer only knows the characters of the text it was built from." };
    }
    return { ids: chars.map(function (c) { return idOf.get(c); }), pieces: chars };
  };
}

// BPETokenizer: merges are pairs of ids; in each chunk, merge the adjacent pair learned
// first, everywhere in the chunk, until no learned pair is left (BPETokenizer._encode_chunk).
function bpeEncoder(spec) {
  var rank = new Map();
  var vocab = [];
  for (var b = 0; b < 256; b++) { vocab.push([b]); }
  for (var r = 0; r * 2 < spec.merges.length; r++) {
    var left = spec.merges[2 * r];
    var right = spec.merges[2 * r + 1];
    rank.set(left + "," + right, r);
    vocab.push(vocab[left].concat(vocab[right]));
  }
  function encodeChunk(ids) {
    while (ids.length >= 2) {
      var best = -1;
      var bestRank = Infinity;
      for (var i = 0; i + 1 < ids.length; i++) {
        var found = rank.get(ids[i] + "," + ids[i + 1]);
        if (found !== undefined && found < bestRank) { bestRank = found; best = i; }
      }
      if (best < 0) { break; }
      var l = ids[best];
      var rr = ids[best + 1];
      var merged = [];
      for (i = 0; i < ids.length; i++) {
        if (i + 1 < ids.length && ids[i] === l && ids[i + 1] === rr) {
          merged.push(256 + bestRank);
          i++;
        } else {
          merged.push(ids[i]);
        }
      }
      ids = merged;
    }
    return ids;
  }
  return function (text) {
    var refused = refuseSpecial(text, spec.special);
    if (refused) { return { error: refused }; }
    var ids = [];
    chunks(text, spec.pattern).forEach(function (chunk) {
      Array.prototype.push.apply(ids, encodeChunk(Array.from(utf8.encode(chunk))));
    });
    return { ids: ids, pieces: ids.map(function (id) { return readable(vocab[id]); }) };
  };
}

// tiktoken: the vocabulary is a list of byte strings, the rank of each is its id. In each
// chunk, repeatedly join the adjacent two parts whose joined bytes have the lowest rank (the
// leftmost if several), as tiktoken's byte_pair_merge does. Bytes travel as GPT-2's
// printable stand-in characters (the `alphabet`, one character per byte value), so a
// token's string is also its lookup key. `vocab` is the unpacked list, tokens separated by
// spaces, in id order.
function tiktokenEncoder(spec, vocab) {
  var alphabet = Array.from(data.alphabet);
  var byteOf = new Map();
  alphabet.forEach(function (c, b) { byteOf.set(c, b); });
  var tokens = vocab.split(" ");
  var rankOf = new Map();
  tokens.forEach(function (t, r) { rankOf.set(t, r); });
  function encodeChunk(s) {
    if (rankOf.has(s)) { return [rankOf.get(s)]; }
    var cuts = [];
    for (var i = 0; i <= s.length; i++) { cuts.push(i); }
    for (;;) {
      var best = -1;
      var bestRank = Infinity;
      for (i = 0; i + 2 < cuts.length; i++) {
        var found = rankOf.get(s.slice(cuts[i], cuts[i + 2]));
        if (found !== undefined && found < bestRank) { bestRank = found; best = i; }
      }
      if (best < 0) { break; }
      cuts.splice(best + 1, 1);
    }
    var ids = [];
    for (i = 0; i + 1 < cuts.length; i++) { ids.push(rankOf.get(s.slice(cuts[i], cuts[i + 1]))); }
    return ids;
  }
  return function (text) {
    var refused = refuseSpecial(text, spec.special);
    if (refused) { return { error: refused }; }
    var ids = [];
    chunks(text, spec.pattern).forEach(function (chunk) {
      var s = "";
      utf8.encode(chunk).forEach(function (b) { s += alphabet[b]; });
      Array.prototype.push.apply(ids, encodeChunk(s));
    });
    var pieces = ids.map(function (id) {
      return readable(Array.from(tokens[id]).map(function (c) { return byteOf.get(c); }));
    });
    return { ids: ids, pieces: pieces };
  };
}

// ---- unpacking: the tokenizers are made when the reader first uses the box ----------------
// GPT-2's and GPT-4's vocabularies travel as base64 text of gzip data, a third smaller than
// the plain lists. Unpacking them and building their lookup tables waits until the reader
// clicks into the box or types: the tokens of the starting text are already drawn, so a
// reader who only looks pays nothing. root's data-tokenizers says where this stands:
// "packed", "unpacking", "ready", "unsupported" (a browser too old) or "failed".
var fallback = root.querySelector(".gllm-fallback");
var needsUnpacking = data.tokenizers.some(function (spec) { return spec.kind === "tiktoken"; });
if (needsUnpacking && typeof DecompressionStream !== "function") {
  // The box stays hidden and the drawn tokens stay; this line replaces the no-JavaScript note.
  fallback.textContent = "Typing your own text here needs a newer browser (Chrome or Edge " +
    "80, Firefox 113, Safari 16.4 or later); the tokens of the text below are shown without it.";
  root.setAttribute("data-tokenizers", "unsupported");
  return;
}
root.setAttribute("data-tokenizers", "packed");

function gunzipText(base64) {
  var binary = atob(base64);
  var bytes = new Uint8Array(binary.length);
  for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
  var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Response(stream).text();  // the vocabulary was UTF-8
}

var MAKERS = { char: charEncoder, bpe: bpeEncoder };
function makeEncoder(spec) {
  if (spec.kind === "tiktoken") {
    return gunzipText(spec.vocab_gzip).then(function (vocab) {
      return tiktokenEncoder(spec, vocab);
    });
  }
  return Promise.resolve(MAKERS[spec.kind](spec));
}

var encoders = null;  // one function per tokenizer, once unpacked
var loading = null;
// A Promise of the encoders (null if unpacking failed); the work is done once, on first call.
function loadEncoders() {
  if (!loading) {
    root.setAttribute("data-tokenizers", "unpacking");
    loading = Promise.all(data.tokenizers.map(makeEncoder)).then(function (made) {
      encoders = made;
      root.setAttribute("data-tokenizers", "ready");
      return made;
    }, function (error) {
      fallback.textContent = "The tokenizers could not be unpacked (" + error + "); the " +
        "tokens of the text below are those of the starting text.";
      fallback.style.display = "";
      root.setAttribute("data-tokenizers", "failed");
      return null;
    });
  }
  return loading;
}

// For the curious (in the browser's console) and for tests: a Promise of what each tokenizer
// gives for a text, without drawing it: [{ids: [...], pieces: [...]} or {error: "..."}, ...].
root.gllmTokenize = function (text) {
  return loadEncoders().then(function (made) {
    if (!made) { throw new Error("the tokenizers could not be unpacked"); }
    return made.map(function (encode) { return encode(String(text)); });
  });
};

// ---- drawing (the same HTML as _tokens_block in Python) -----------------------------------
function visible(piece) {
  return Array.from(piece).map(function (c) { return data.ws[c] || c; }).join("");
}

function tokenSpan(piece, id, i, n) {
  var span = dom.element("span", "gllm-t");
  span.setAttribute("data-i", String(i));
  span.setAttribute("data-id", String(id));
  var where = "token " + (i + 1) + " of " + n + ", id " + id;
  span.title = where;
  span.setAttribute("data-label", where + ": \u201c" + (piece ? visible(piece) : "\u2205") + "\u201d");
  span.style.background = data.palette[i % data.palette.length];
  Array.from(piece).forEach(function (c) {
    var marker = data.ws[c];
    if (marker === undefined) {
      span.appendChild(document.createTextNode(c));
    } else {
      var ws = dom.element("span", "gllm-ws", marker);
      ws.style.color = "#999";
      span.appendChild(ws);
    }
  });
  return span;
}

var input = root.querySelector("textarea.gllm-input");
var blocks = root.querySelectorAll(".gllm-block");
var hint = data.hint;

function render() {
  var text = input.value;
  var results = encoders.map(function (encode) { return encode(text); });
  var longest = 1;
  results.forEach(function (res) { if (res.ids) { longest = Math.max(longest, res.ids.length); } });
  results.forEach(function (res, k) {
    var block = blocks[k];
    var box = block.querySelector(".gllm-text");
    var status = block.querySelector(".gllm-status");
    var count = block.querySelector(".gllm-count");
    var bar = block.querySelector(".gllm-bar");
    box.textContent = "";
    status.removeAttribute("data-pinned");
    if (res.error) {
      count.textContent = "cannot encode this text";
      bar.style.width = "0";
      status.className = "gllm-status gllm-error";
      status.textContent = res.error;
      return;
    }
    var n = res.ids.length;
    count.textContent = n + (n === 1 ? " token" : " tokens");
    bar.style.width = (Math.max(n / longest, 0.01) * 12).toFixed(2) + "em";
    status.className = "gllm-status";
    status.textContent = hint;
    res.pieces.forEach(function (piece, i) {
      box.appendChild(tokenSpan(piece, res.ids[i], i, n));
      // A newline ends its token's line after the token, so no token is split over two lines.
      for (var j = 0; j < piece.length; j++) {
        if (piece[j] === "\n") { box.appendChild(document.createElement("br")); }
      }
    });
  });
  var chars = root.querySelector(".gllm-chars");
  if (chars) { chars.textContent = Array.from(text).length + " characters"; }
}

var waiting = false;
function update() {
  if (encoders) { render(); return; }  // at once, so typing stays instant
  if (waiting) { return; }  // one drawing after unpacking shows the latest text
  waiting = true;
  loadEncoders().then(function (made) {
    waiting = false;
    if (made) { render(); }
  });
}

input.addEventListener("focus", loadEncoders);
input.addEventListener("input", update);
fallback.style.display = "none";
input.style.display = "";
