"""Tests of the tiny GPT that runs in the book page (gentle_llm.explorers.gpt and gpt.js).

The export is checked on small random models (no training here); the committed weights file
is checked against the ``cpu-quick`` preset and Tiny Shakespeare. In headless Chromium,
gpt.js must give PyTorch's logits for the same (rounded) weights, PyTorch's greedy text, the
sampling distributions of gentle_llm.generate, reproducible seeded sampling, and a demo that
answers the reader. A checkpoint trained here loads into the demo through its file input
(checkpoint.js) and gives PyTorch's logits; files the page cannot run are refused with one
clear sentence and leave the running model alone. The built book page must load the weights
from disk and from a server.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from browser import chromium, open_page, serve_directory
from filelock import FileLock
from safetensors.torch import save_file

from gentle_llm.checkpoint import model_from_checkpoint, save_checkpoint
from gentle_llm.data import char_dataset, evaluate_full, load_tinyshakespeare
from gentle_llm.explorers import gpt as ex
from gentle_llm.generate import SamplingConfig, generate, next_token_distribution
from gentle_llm.model import GPT, GPTConfig
from gentle_llm.presets import PRESETS, trainer_from_preset
from gentle_llm.tokenizers import BPETokenizer, CharTokenizer

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / "assets" / "extra" / "tiny-gpt" / "tiny-gpt-weights.js"
CHAPTER = ROOT / "chapters" / "06-gpt-in-your-browser.md"
PAGE = "chapters/06-gpt-in-your-browser.html"
MAX_BYTES = 2_300_000
VOCAB = sorted(set("abcdefghij klmnopqrstuvwxyz\n.,!?ABC:;'"))


def _random_gpt(seed: int = 0, *, tied: bool = True, block_size: int = 16) -> GPT:
    """A small GPT with weights large enough that its logits differ clearly between tokens."""
    torch.manual_seed(seed)
    config = GPTConfig(vocab_size=len(VOCAB), block_size=block_size, n_layer=2, n_head=2, n_embd=24)
    model = GPT(config)
    if not tied:
        model.lm_head.weight = torch.nn.Parameter(torch.randn(len(VOCAB), 24) * 0.3)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "ln" in name and name.endswith("weight"):
                param.copy_(1 + 0.2 * torch.randn_like(param))
            elif name != "lm_head.weight":
                param.copy_(0.3 * torch.randn_like(param))
    return model.eval()


def _torch_logits(model: GPT, ids: list[int]) -> torch.Tensor:
    with torch.no_grad():
        return model(torch.tensor([ids]))[0][0].double()


# ---- the export, in Python ---------------------------------------------------------------------


def test_export_is_deterministic_and_reads_back_the_rounded_weights() -> None:
    model, tok = _random_gpt(), CharTokenizer(VOCAB)
    first = ex.export_weights_js(model, tok)
    assert first == ex.export_weights_js(model, tok)
    assert first != ex.export_weights_js(_random_gpt(seed=1), tok)
    assert first.isascii() and first.startswith("// ")
    payload = ex.read_weights_js(first)
    assert payload["vocab"] == VOCAB and payload["tied"] is True
    assert payload["config"] == ex.config_dict(model.config)
    assert "lm_head.weight" not in payload["tensors"]  # tied: stored once
    for name, tensor in model.state_dict().items():
        if name == "lm_head.weight":
            continue
        assert torch.equal(payload["tensors"][name], tensor.half().float()), name
    # float32 keeps every bit.
    exact = ex.read_weights_js(ex.export_weights_js(model, tok, dtype="float32"))["tensors"]
    assert all(torch.equal(exact[n], t) for n, t in model.state_dict().items() if n in exact)


def test_rebuilt_model_is_the_rounded_model_and_keeps_an_untied_head() -> None:
    model, tok = _random_gpt(tied=False), CharTokenizer(VOCAB)
    rebuilt, rebuilt_tok = ex.model_from_weights_js(ex.export_weights_js(model, tok))
    assert rebuilt_tok.chars == VOCAB
    assert rebuilt.lm_head.weight is not rebuilt.tok_emb.weight
    assert torch.equal(rebuilt.lm_head.weight, model.lm_head.weight.half().float())
    ids = tok.encode("hello there")
    assert (_torch_logits(rebuilt, ids) - _torch_logits(model, ids)).abs().max() < 0.05


def test_written_file_is_the_same_bytes_twice_and_small(tmp_path: Path) -> None:
    # The cpu-quick shape, untrained: the size depends only on the shape.
    torch.manual_seed(0)
    model = GPT(PRESETS["cpu-quick"].model)
    assert model.num_parameters() == 413_312
    tok = CharTokenizer(sorted(set(load_tinyshakespeare())))
    paths = [tmp_path / "a.js", tmp_path / "b.js"]
    for path in paths:
        path.write_bytes(ex.export_weights_js(model, tok).encode("ascii"))
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert paths[0].stat().st_size <= MAX_BYTES
    assert paths[0].stat().st_size < 1_200_000  # float16: about half of float32's 2.2 MB


def test_export_refuses_what_the_browser_cannot_run() -> None:
    model, tok = _random_gpt(), CharTokenizer(VOCAB)
    with pytest.raises(TypeError, match="CharTokenizer"):
        ex.export_weights_js(model, BPETokenizer.train("abc abc abd" * 5, 258))
    with pytest.raises(ValueError, match="tokenizer has 3 characters"):
        ex.export_weights_js(model, CharTokenizer("abc"))
    with pytest.raises(TypeError, match="gentle_llm.model.GPT"):
        ex.export_weights_js(torch.nn.Linear(2, 2), tok)
    with pytest.raises(ValueError, match="dtype"):
        ex.export_weights_js(model, tok, dtype="int8")
    exact = GPT(
        GPTConfig(
            vocab_size=len(VOCAB),
            block_size=8,
            n_layer=1,
            n_head=1,
            n_embd=8,
            gelu_approximate="none",
        )
    )
    with pytest.raises(ValueError, match="tanh"):
        ex.export_weights_js(exact, tok)
    with torch.no_grad():
        model.pos_emb.weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        ex.export_weights_js(model, tok)
    with pytest.raises(ValueError, match="Not a tiny-GPT weights file"):
        ex.read_weights_js("window.SOMETHING = {};")


def test_committed_weights_are_the_trained_cpu_quick_model() -> None:
    assert WEIGHTS.stat().st_size <= MAX_BYTES
    text = WEIGHTS.read_text("ascii")
    payload = ex.read_weights_js(text)
    assert payload["config"] == ex.config_dict(PRESETS["cpu-quick"].model)
    assert payload["vocab"] == sorted(set(load_tinyshakespeare()))
    assert len(payload["vocab"]) == 65
    model, _ = ex.model_from_weights_js(text)
    assert model.num_parameters() == 413_312
    # Trained, not random (uniform guessing scores ln 65 = 4.17), and the loss the file
    # reports is the loss of the weights it holds.
    loss = evaluate_full(model, char_dataset().val, model.config.block_size)
    assert loss < 2.0
    assert abs(loss - payload["about"]["val_loss"]) < 1e-3


def test_chapter_page_loads_the_weights_and_shows_the_real_code() -> None:
    page = CHAPTER.read_text("utf-8")
    assert '<script src="../tiny-gpt/tiny-gpt-weights.js"></script>' in page
    # dom.js and decoding.js (shared with the other explorers) run first: gpt.js needs them.
    runs = re.findall(r":file: \.\./src/gentle_llm/explorers/(\S+\.js)", page)
    assert runs == ["dom.js", "decoding.js", "gpt.js", "checkpoint.js"]
    # Every excerpt shown exists once in the file it is taken from.
    shown = re.findall(
        r"```\{literalinclude\} \.\./(\S+)\n(?::\w+: .*\n)*?:start-after: (\S+)", page
    )
    assert len(shown) >= 5
    for path, marker in shown:
        code = (ROOT / path).read_text("utf-8")
        assert code.count(marker) == 1, (path, marker)
        assert code.count(marker.replace("[glm:", "[/glm:")) == 1, (path, marker)


# ---- in headless Chromium ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def js_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A page with the committed model, and a second one with a small untied random model."""
    folder = tmp_path_factory.mktemp("gpt")
    (folder / "weights.js").write_bytes(WEIGHTS.read_bytes())
    (folder / "page.html").write_text(ex.standalone_page_html("weights.js"), "utf-8")
    small = ex.export_weights_js(_random_gpt(tied=False), CharTokenizer(VOCAB))
    (folder / "small.js").write_text(small, "ascii")
    (folder / "small.html").write_text(ex.standalone_page_html("small.js"), "utf-8")
    with chromium() as browser:
        yield browser, folder


_LOGITS_JS = """
([ids, all]) => window.GentleTinyGPT.model.forward(ids, null, all).map((row) => Array.from(row))
"""

_STEPS_JS = """
([ids, steps, useCache, policy]) => {
  const g = window.GentleTinyGPT;
  const run = new g.Generation(g.model, ids, {temperature: 0, useCache, window: policy});
  const out = [];
  for (let i = 0; i < steps; i++) {
    run.step();
    out.push(Array.from(run.logits));
  }
  return {tokens: run.tokens, logits: out};
}
"""


def _check_model_in_page(browser, url: str, model: GPT, tok: CharTokenizer, texts) -> float:
    """The largest logit difference from PyTorch, over prompts and generation steps."""
    worst = 0.0
    block = model.config.block_size
    with open_page(browser, url) as (page, report):
        for text in texts:
            ids = tok.encode(text)[-block:]
            js = torch.tensor(page.evaluate(_LOGITS_JS, [ids, True]), dtype=torch.float64)
            ref = torch.stack([_torch_logits(model, ids[: i + 1])[-1] for i in range(len(ids))])
            assert js.shape == ref.shape
            worst = max(worst, (js - ref).abs().max().item())
        # A prompt longer than the context: the generation loop keeps its last block tokens
        # and uses the cache until the window is full. Then "slide" recomputes the window at
        # every step, and "halve" keeps its last half and fills it up again, twice here.
        long_ids = tok.encode(texts[-1] * 3)
        assert len(long_ids) > block
        steps = block + 10
        config = SamplingConfig(max_new_tokens=steps, temperature=0)
        for use_cache, policy in itertools.product((True, False), ("slide", "halve")):
            result = page.evaluate(_STEPS_JS, [long_ids, steps, use_cache, policy])
            expected = generate(model, long_ids, config, window=policy)
            assert result["tokens"][len(long_ids) :] == expected, (use_cache, policy)
            start = len(long_ids) - block
            for i in range(steps):
                end = len(long_ids) + i
                if end - start > block:  # the window is full: where it starts next
                    start = end - (block if policy == "slide" else block // 2)
                js = torch.tensor(result["logits"][i], dtype=torch.float64)
                reference = _torch_logits(model, result["tokens"][start:end])[-1]
                worst = max(worst, (js - reference).abs().max().item())
    assert report.problems() == []
    return worst


@pytest.mark.book
def test_browser_logits_equal_pytorch_for_the_committed_model(js_page) -> None:
    browser, folder = js_page
    model, tok = ex.model_from_weights_js(WEIGHTS.read_text("ascii"))
    prompts = ["ROMEO:\n", "First Citizen:\nBefore we proceed any further, hear me speak.\n"]
    worst = _check_model_in_page(browser, (folder / "page.html").as_uri(), model, tok, prompts)
    print(f"max |logit difference| JS vs PyTorch, committed model: {worst:.2e}")
    assert worst < 1e-4


@pytest.mark.book
def test_browser_logits_equal_pytorch_for_an_untied_model(js_page) -> None:
    browser, folder = js_page
    model, tok = ex.model_from_weights_js((folder / "small.js").read_text("ascii"))
    assert model.lm_head.weight is not model.tok_emb.weight
    worst = _check_model_in_page(
        browser, (folder / "small.html").as_uri(), model, tok, ["hi", "the cat sat. on a mat"]
    )
    assert worst < 1e-4


_DIST_JS = """
([logits, options]) => Array.from(window.GentleTinyGPT.nextTokenDistribution(logits, options))
"""


@pytest.mark.book
def test_sampling_distributions_match_gentle_llm_generate(js_page) -> None:
    browser, folder = js_page
    generator = torch.Generator().manual_seed(3)
    settings = [
        (1.0, None, None),
        (0.7, None, None),
        (1.3, 5, None),
        (1.0, None, 0.9),
        (0.8, 10, 0.5),
        (2.0, 1, None),
        (0.0, None, None),
        (1e-3, None, None),
    ]
    with open_page(browser, (folder / "page.html").as_uri()) as (page, report):
        for temperature, top_k, top_p in settings:
            logits = torch.randn(65, generator=generator, dtype=torch.float64) * 3
            config = SamplingConfig(temperature=temperature, top_k=top_k, top_p=top_p)
            expected = next_token_distribution(logits, config).double()
            options = {"temperature": temperature, "topK": top_k, "topP": top_p}
            got = torch.tensor(page.evaluate(_DIST_JS, [logits.tolist(), options]))
            assert (got - expected).abs().max() < 1e-6, (temperature, top_k, top_p)
            assert int((got > 0).sum()) == int((expected > 0).sum())
    assert report.problems() == []


_SAMPLE_JS = """
([ids, seed]) => window.GentleTinyGPT.generate(window.GentleTinyGPT.model, ids,
  {temperature: 1.0, topK: 20, topP: 0.95, seed: seed, maxNewTokens: 150})
"""


@pytest.mark.book
def test_seeded_sampling_is_reproducible(js_page) -> None:
    browser, folder = js_page
    ids = CharTokenizer(ex.read_weights_js(WEIGHTS.read_text("ascii"))["vocab"]).encode("KING:\n")
    with open_page(browser, (folder / "page.html").as_uri()) as (page, report):
        first = page.evaluate(_SAMPLE_JS, [ids, 7])
        again = page.evaluate(_SAMPLE_JS, [ids, 7])
        other = page.evaluate(_SAMPLE_JS, [ids, 8])
    assert len(first) == 150 and first == again
    assert other != first
    assert report.problems() == []


def _generate_in_demo(page, prompt: str, count: int, seed: int, window: str = "halve") -> str:
    demo = page.locator(".glm-gpt")
    demo.locator("textarea.glm-gpt-prompt").fill(prompt)
    inputs = demo.locator(".glm-gpt-controls input")
    inputs.nth(3).fill(str(count))
    inputs.nth(4).fill(str(seed))
    demo.locator("select.glm-gpt-window").select_option(window)
    demo.locator("button.glm-gpt-go").click()
    page.wait_for_selector(f".glm-gpt[data-done='{count}']")
    return demo.locator(".glm-gpt-new").inner_text()


@pytest.mark.book
def test_the_demo_answers_the_reader(js_page) -> None:
    browser, folder = js_page
    with open_page(browser, (folder / "page.html").as_uri()) as (page, report):
        demo = page.locator(".glm-gpt")
        assert demo.get_attribute("data-ready") == "true"
        assert demo.locator(".glm-gpt-fallback").count() == 0
        # Before any sampling, the bars show the prompt's next-character distribution.
        assert demo.locator(".glm-gpt-row").count() == 10
        text = _generate_in_demo(page, "JULIET:\n", 120, seed=3)
        assert len(text) == 120
        assert demo.locator(".glm-gpt-given").inner_text() == "JULIET:\n"
        assert demo.locator(".glm-gpt-row").count() == 10
        assert demo.locator(".glm-gpt-chosen").count() == 1
        widths = demo.locator(".glm-gpt-bar").evaluate_all(
            "(bars) => bars.map((b) => parseFloat(b.style.width))"
        )
        assert widths == sorted(widths, reverse=True) and 0 < sum(widths) <= 100.1
        assert "120 characters in" in demo.locator(".glm-gpt-status").inner_text()
        assert _generate_in_demo(page, "JULIET:\n", 120, seed=3) == text
        assert _generate_in_demo(page, "JULIET:\n", 120, seed=4) != text
        # One more character continues the same text.
        demo.locator("button.glm-gpt-one").click()
        assert demo.locator(".glm-gpt-new").inner_text()[:120] == _generate_in_demo(
            page, "JULIET:\n", 120, seed=4
        )
        demo.locator("button.glm-gpt-one").click()
        assert len(demo.locator(".glm-gpt-new").inner_text()) == 121
        # Temperature 0 puts all the probability on one character.
        demo.locator(".glm-gpt-controls input").nth(0).fill("0")
        assert demo.locator(".glm-gpt-p").first.inner_text() == "100.0%"
        # Greedy, the demo writes what gentle_llm.generate writes, under either window policy.
        model, tok = ex.model_from_weights_js(WEIGHTS.read_text("ascii"))
        assert demo.locator("select.glm-gpt-window").input_value() == "halve"
        greedy = SamplingConfig(max_new_tokens=150, temperature=0)
        for policy in ("halve", "slide"):
            expected = tok.decode(generate(model, tok.encode("JULIET:\n"), greedy, window=policy))
            assert _generate_in_demo(page, "JULIET:\n", 150, seed=0, window=policy) == expected
        # A character the model never saw is named, and nothing is generated.
        demo.locator("textarea.glm-gpt-prompt").fill("café")
        status = demo.locator(".glm-gpt-status")
        assert "Not in the model's alphabet: “é”" in status.inner_text()
        assert "glm-gpt-error" in status.get_attribute("class")
        demo.locator("button.glm-gpt-go").click()
        assert demo.locator(".glm-gpt-new").inner_text() == ""
        demo.locator("textarea.glm-gpt-prompt").fill("x" * 100)
        assert "only the last 64 characters" in status.inner_text()
    assert report.problems() == []


# ---- your own checkpoint in the page -----------------------------------------------------------


@pytest.fixture(scope="module")
def own_checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A checkpoint trained here as `gentle-llm train` writes it, and files the page must refuse."""
    folder = tmp_path_factory.mktemp("ckpt")
    data = char_dataset()
    # The cpu-quick recipe for a few steps: a real Trainer.save file, AdamW state and all.
    trainer = trainer_from_preset(
        "cpu-quick", data, steps=4, warmup_steps=1, eval_interval=4, eval_batches=1
    )
    trainer.fit()
    files = {"trained": trainer.save(folder / "ckpt.safetensors")}
    model, tok, _ = model_from_checkpoint(files["trained"])
    # The same weights rounded to bfloat16, saved for inference only (no optimizer).
    files["bf16"] = save_checkpoint(folder / "bf16.safetensors", model.bfloat16(), tokenizer=tok)
    # Exact GELU and no biases (a cpu-sprint-like model), float16.
    torch.manual_seed(1)
    config = GPTConfig(
        vocab_size=65, block_size=16, n_layer=1, n_head=2, n_embd=24, bias=False,
        gelu_approximate="none",
    )  # fmt: skip
    files["exact"] = save_checkpoint(
        folder / "exact.safetensors", GPT(config).half(), tokenizer=tok
    )
    whole = files["trained"].read_bytes()
    files["truncated"] = folder / "truncated.safetensors"
    files["truncated"].write_bytes(whole[: len(whole) // 2])
    flipped = bytearray(whole)
    flipped[len(whole) // 3] ^= 0x40  # one bit, inside the tensors
    files["flipped"] = folder / "flipped.safetensors"
    files["flipped"].write_bytes(bytes(flipped))
    files["llama"] = folder / "adapter.safetensors"
    save_file({"base_model.model.layers.0.self_attn.q_proj.lora_A.weight": torch.zeros(8, 64)},
              str(files["llama"]), metadata={"format": "pt"})  # fmt: skip
    small = GPT(GPTConfig(vocab_size=len(VOCAB), block_size=8, n_layer=1, n_head=1, n_embd=8))
    files["vocab"] = save_checkpoint(
        folder / "vocab.safetensors", small, tokenizer=CharTokenizer(VOCAB)
    )
    files["pt"] = folder / "model.pt"
    torch.save(model.state_dict(), files["pt"])
    return files


def _load_in_demo(page, path: Path, expect: str) -> str:
    page.locator("input.glm-gpt-file").set_input_files(str(path))
    page.wait_for_selector(".glm-gpt[data-load='done'], .glm-gpt[data-load='refused']")
    status = page.locator(".glm-gpt-status").inner_text()
    assert page.locator(".glm-gpt").get_attribute("data-load") == expect, (path.name, status)
    return status


def _max_logit_difference(page, model: GPT, ids: list[int]) -> float:
    js = torch.tensor(page.evaluate(_LOGITS_JS, [ids, True]), dtype=torch.float64)
    return (js - _torch_logits(model, ids)).abs().max().item()


_DROP_JS = """
([bytes, name]) => {
  const transfer = new DataTransfer();
  transfer.items.add(new File([new Uint8Array(bytes)], name));
  const demo = document.querySelector(".glm-gpt");
  demo.removeAttribute("data-load");
  demo.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true}));
}
"""


@pytest.mark.book
def test_the_demo_runs_a_checkpoint_you_trained(js_page, own_checkpoints) -> None:
    browser, folder = js_page
    model, tok, meta = model_from_checkpoint(own_checkpoints["trained"])
    assert meta["step"] == 4 and meta["optimizer_groups"] is not None
    ids = tok.encode("ROMEO:\nWhat light through yonder window")
    with open_page(browser, (folder / "page.html").as_uri()) as (page, report):
        demo = page.locator(".glm-gpt")
        assert demo.get_attribute("data-model") == "book"
        assert page.locator("button.glm-gpt-book").is_hidden()
        book_logits = page.evaluate(_LOGITS_JS, [ids, False])
        _load_in_demo(page, own_checkpoints["trained"], "done")
        assert demo.get_attribute("data-model") == "yours"
        line = page.locator(".glm-gpt-model").inner_text()
        assert "your model from ckpt.safetensors (step 4)" in line
        assert "2 blocks, 4 heads, width 128" in line
        # The file stores float32 weights, so the page runs exactly PyTorch's model.
        assert _max_logit_difference(page, model, ids) < 1e-4
        # The demo's controls now sample from it: greedy text is gentle_llm.generate's.
        demo.locator(".glm-gpt-controls input").nth(0).fill("0")
        greedy = SamplingConfig(max_new_tokens=80, temperature=0)
        expected = tok.decode(generate(model, tok.encode("JULIET:\n"), greedy, window="halve"))
        assert _generate_in_demo(page, "JULIET:\n", 80, seed=0) == expected
        demo.locator(".glm-gpt-controls input").nth(0).fill("0.8")
        assert len(_generate_in_demo(page, "JULIET:\n", 50, seed=2)) == 50
        # bfloat16 and float16 files, exact GELU and a model without biases, one by drop.
        for name, dropped in (("bf16", False), ("exact", True)):
            rounded, _, _ = model_from_checkpoint(own_checkpoints[name])
            if dropped:
                raw = list(own_checkpoints[name].read_bytes())
                page.evaluate(_DROP_JS, [raw, own_checkpoints[name].name])
                page.wait_for_selector(".glm-gpt[data-load='done']")
            else:
                _load_in_demo(page, own_checkpoints[name], "done")
            short = ids[-rounded.config.block_size :]
            assert _max_logit_difference(page, rounded.float(), short) < 1e-4, name
        assert "width 24, a context of 16" in page.locator(".glm-gpt-model").inner_text()
        # And back to the book's model.
        page.locator("button.glm-gpt-book").click()
        assert demo.get_attribute("data-model") == "book"
        assert page.evaluate(_LOGITS_JS, [ids, False]) == book_logits
        assert page.locator("button.glm-gpt-book").is_hidden()
    assert report.problems() == []


# The file, and the words its one-sentence refusal must contain.
REFUSALS = {
    "truncated": "This checkpoint was cut short",
    "flipped": "do not match the checksum saved with them",
    "llama": "not a tiny GPT checkpoint",
    "vocab": f"has a vocabulary of {len(VOCAB)} tokens, not the 65 Tiny Shakespeare characters",
    "pt": "This file is not a safetensors checkpoint",
}


@pytest.mark.book
def test_files_the_page_cannot_run_are_refused_clearly(js_page, own_checkpoints) -> None:
    browser, folder = js_page
    model, tok, _ = model_from_checkpoint(own_checkpoints["trained"])
    ids = tok.encode("KING:\n")
    with open_page(browser, (folder / "page.html").as_uri()) as (page, report):
        _load_in_demo(page, own_checkpoints["trained"], "done")
        for name, words in REFUSALS.items():
            message = _load_in_demo(page, own_checkpoints[name], "refused")
            assert words in message, (name, message)
            assert message.count(". ") == 0 and message.endswith("."), message  # one sentence
            status_class = page.locator(".glm-gpt-status").get_attribute("class")
            assert "glm-gpt-error" in status_class
            # The model loaded before still runs.
            assert page.locator(".glm-gpt").get_attribute("data-model") == "yours"
            assert _max_logit_difference(page, model, ids) < 1e-4, name
        # Too large a file is refused before it is read.
        big = page.evaluate(
            "() => window.GentleCheckpoint.loadCheckpoint({size: 3e8}, [])"
            ".then(() => 'loaded', (error) => error.message)"
        )
        assert "This file is 300 MB; the page reads checkpoints up to 200 MB" in big
    assert report.problems() == []


# ---- the built book page -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def built_html() -> Path:
    """Build the book the way tests/test_book.py does (incremental, so fast when current)."""
    lock_path = ROOT / "_build" / ".book-build.lock"
    lock_path.parent.mkdir(exist_ok=True)
    with FileLock(str(lock_path)):
        done = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "build_book.py")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=1800,
        )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    return ROOT / "_build" / "html"


@pytest.mark.book
def test_built_page_runs_the_model_from_a_server_and_from_disk(built_html: Path) -> None:
    copied = built_html / "tiny-gpt" / "tiny-gpt-weights.js"
    assert copied.read_bytes() == WEIGHTS.read_bytes()
    loading = [
        page.relative_to(built_html).as_posix()
        for page in built_html.rglob("*.html")
        if "tiny-gpt-weights.js" in page.read_text("utf-8")
    ]
    assert loading == [PAGE], "only Chapter 6's page may load the weights"
    with serve_directory(built_html) as base, chromium() as browser:
        for url in (base + PAGE, (built_html / PAGE).as_uri()):
            with open_page(browser, url) as (page, report):
                assert page.locator(".glm-gpt[data-ready='true']").count() == 1
                assert len(_generate_in_demo(page, "ROMEO:\n", 40, seed=1)) == 40
                assert page.locator(".glm-gpt-row").count() == 10
            assert report.problems() == [], url
