"""How fast the book page's tiny GPT generates: gpt.js in headless Chromium next to PyTorch.

Both run the committed weights (assets/extra/tiny-gpt/tiny-gpt-weights.js, the cpu-quick
model) with the same generation policy: the key/value cache while the text fits in the
64-character window; then, once it is full, either the whole window recomputed at each step
(``window="slide"``, gentle_llm.generate's default) or its last half kept and the cache filled
again (``window="halve"``, the page's default). Each side generates ``--new-tokens`` characters
from a short prompt, greedy so that the two must give the same text; sampling costs the same
per step. The table shows the best of ``--repeats`` runs for the first 49 characters (all
inside the window, where the cache does all the work) and for the whole run under each policy,
and the browser's share of PyTorch's speed. A second table shows what halving costs in
quality: the same validation characters (all of them after the first window) scored with the
whole window before each one (what every character gets under "slide") and with the 32 to 64
characters that "halve" leaves it.

    .venv/bin/python benchmarks/bench_browser_gpt.py
    .venv/bin/python benchmarks/bench_browser_gpt.py --threads 1 --repeats 5
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the browser helpers the book tests use

from browser import chromium, open_page  # noqa: E402

from gentle_llm.assets import use_mirror_by_default  # noqa: E402
from gentle_llm.explorers.gpt import model_from_weights_js, standalone_page_html  # noqa: E402
from gentle_llm.generate import SamplingConfig, generate  # noqa: E402

WEIGHTS = ROOT / "assets" / "extra" / "tiny-gpt" / "tiny-gpt-weights.js"
PROMPT = "ROMEO:\nWhat say"  # 15 characters: 49 more fill the window
# Like the tests, use the offline asset mirror next to the repository when there is one.
use_mirror_by_default(ROOT.parent / "shared" / "assets")

_JS_RUN = """
([ids, n, split, policy]) => {
  const g = window.GentleTinyGPT;
  const run = new g.Generation(g.model, ids, {temperature: 0, window: policy});
  const start = performance.now();
  let firstPart = 0;
  for (let i = 0; i < n; i++) {
    run.step();
    if (i + 1 === split) { firstPart = performance.now() - start; }
  }
  return {tokens: run.tokens.slice(ids.length), ms: performance.now() - start,
          firstMs: firstPart};
}
"""


def loss_by_context(model: torch.nn.Module, max_targets: int | None = None) -> dict[str, float]:
    """What keeping half the window costs: one set of validation characters, scored twice.

    Every target character from position ``block_size`` of the validation split on (or the
    first ``max_targets`` of them, for a quick check) is predicted once with the full window
    of the ``block_size`` characters before it (``window="slide"``), and once with the context
    that ``window="halve"`` gives it. Halving cycles through contexts of ``block_size // 2`` to
    ``block_size`` characters; windows of ``block_size`` characters starting every
    ``block_size // 2 + 1`` characters reproduce that cycle and cover each target exactly once.
    Returns both mean losses and the number of targets, so the two are means over the same
    characters.
    """
    from gentle_llm.data import char_dataset

    block = model.config.block_size
    half = block // 2
    val = char_dataset().val.long()
    first = block  # the first target with a full window before it
    last = len(val) if max_targets is None else min(len(val), first + max_targets)
    targets = torch.arange(first, last)  # positions in val of the characters to predict
    cross_entropy = torch.nn.functional.cross_entropy

    # Full window: one window per target, ending just before it; only its last logit counts.
    slide = torch.zeros(len(targets))
    # Halve: a window starting at s predicts val[s + half + j] from its first half + j
    # characters (j = 0 .. half), at its positions half - 1 + j.
    starts = torch.arange(first - half, last - half, half + 1)
    halve = torch.zeros(len(targets))
    with torch.inference_mode():
        for i in range(0, len(targets), 256):
            t = targets[i : i + 256]
            windows = val[t.unsqueeze(1) - block + torch.arange(block)]
            logits, _ = model(windows)
            slide[i : i + 256] = cross_entropy(logits[:, -1], val[t], reduction="none")
        for i in range(0, len(starts), 256):
            s = starts[i : i + 256]
            # Past the last target the inputs are clamped; the causal mask keeps them unread.
            inputs = (s.unsqueeze(1) + torch.arange(block)).clamp(max=len(val) - 1)
            logits, _ = model(val[inputs])
            scored = s.unsqueeze(1) + half + torch.arange(half + 1)  # target positions
            keep = scored < last
            losses = cross_entropy(
                logits[:, half - 1 :].transpose(1, 2),
                val[scored.clamp(max=len(val) - 1)],
                reduction="none",
            )
            halve[scored[keep] - first] = losses[keep]
    return {"targets": len(targets), "slide": slide.mean().item(), "halve": halve.mean().item()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new-tokens", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    model, tokenizer = model_from_weights_js(WEIGHTS.read_text("ascii"))
    ids = tokenizer.encode(PROMPT)
    n = args.new_tokens
    split = model.config.block_size - len(ids)  # steps that fit in the window with the cache
    policies = ("slide", "halve")

    def run_torch(count: int, policy: str = "slide") -> tuple[list[int], float]:
        start = time.perf_counter()
        config = SamplingConfig(max_new_tokens=count, temperature=0)
        out = generate(model, ids, config, window=policy)
        return out, time.perf_counter() - start

    run_torch(20)  # warm-up
    speeds: dict[str, tuple[list[float], list[float]]] = {
        part: ([], []) for part in ("first", *policies)
    }  # part -> (browser tokens/s, PyTorch tokens/s)
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "page.html"
        (Path(folder) / "weights.js").write_bytes(WEIGHTS.read_bytes())
        page.write_text(standalone_page_html("weights.js"), "utf-8")
        with chromium() as browser, open_page(browser, page.as_uri()) as (tab, report):
            tab.evaluate(_JS_RUN, [ids, 80, 10, "halve"])  # warm-up: let the JIT compile
            for _ in range(args.repeats):
                for policy in policies:
                    result = tab.evaluate(_JS_RUN, [ids, n, split, policy])
                    tokens, seconds = run_torch(n, policy)
                    if result["tokens"] != tokens:
                        raise SystemExit(f"browser and PyTorch differ ({policy})")
                    speeds[policy][0].append(n / (result["ms"] / 1000))
                    speeds[policy][1].append(n / seconds)
                    if policy == "slide":
                        speeds["first"][0].append(split / (result["firstMs"] / 1000))
                        speeds["first"][1].append(split / run_torch(split)[1])
        if report.problems():
            raise SystemExit("page problems: " + "; ".join(report.problems()))

    print(
        f"tiny GPT (cpu-quick weights), greedy, {len(ids)}-character prompt, "
        f"torch threads {torch.get_num_threads()}, best of {args.repeats}; same text on both"
    )
    print("| part | browser (gpt.js) tokens/s | PyTorch tokens/s | browser / PyTorch |")
    print("| --- | --- | --- | --- |")
    labels = {
        "first": f"first {split} (inside the window, cache)",
        "slide": f'all {n}, window="slide" (window recomputed after {split})',
        "halve": f'all {n}, window="halve" (last half kept, cache refilled)',
    }
    for part, (js, pt) in speeds.items():
        print(f"| {labels[part]} | {max(js):,.0f} | {max(pt):,.0f} | {max(js) / max(pt):.2f} |")

    losses = loss_by_context(model)
    block = model.config.block_size
    print()
    print(f"the same {losses['targets']:,} validation characters, each predicted from:")
    print("| context the model sees | validation loss |")
    print("| --- | --- |")
    print(f'| the {block} characters before it (every step of "slide") | {losses["slide"]:.3f} |')
    print(f'| {block // 2} to {block} characters ("halve") | {losses["halve"]:.3f} |')


if __name__ == "__main__":
    main()
