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
quality: the model's full-validation loss when it sees a whole window (what every character
gets under "slide") and averaged over the contexts of 32 to 64 characters that "halve" gives.

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


def loss_by_context(model: torch.nn.Module) -> torch.Tensor:
    """Mean full-validation loss at each position of non-overlapping windows (Chapter 6's
    evaluator, kept per position): entry i is the loss with i + 1 characters of context."""
    from gentle_llm.data import char_dataset

    block = model.config.block_size
    val = char_dataset().val.long()
    count = (len(val) - 1) // block
    inputs = val[: count * block].view(count, block)
    targets = val[1 : count * block + 1].view(count, block)
    total = torch.zeros(block)
    with torch.inference_mode():
        for i in range(0, count, 256):
            logits, _ = model(inputs[i : i + 256])
            losses = torch.nn.functional.cross_entropy(
                logits.transpose(1, 2), targets[i : i + 256], reduction="none"
            )
            total += losses.sum(0)
    return total / count


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
    print("| context the model sees | full-validation loss |")
    print("| --- | --- |")
    print(f'| {block} characters (every step of "slide") | {losses[-1]:.3f} |')
    half = losses[block // 2 - 1 :].mean()
    print(f'| {block // 2} to {block}, averaged ("halve") | {half:.3f} |')
    print(f"| 1 to {block}, averaged (the evaluator's windows) | {losses.mean():.3f} |")


if __name__ == "__main__":
    main()
