"""How fast the book page's tiny GPT generates: gpt.js in headless Chromium next to PyTorch.

Both run the committed weights (assets/extra/tiny-gpt/tiny-gpt-weights.js, the cpu-quick
model) with the same generation policy: the key/value cache while the text fits in the
64-character window, then the whole window recomputed at each step (gentle_llm.generate's
rule for learned positions). Each side generates ``--new-tokens`` characters from a short
prompt, greedy so that the two must give the same text; sampling costs the same per step. The
table shows the best of ``--repeats`` runs for the whole run and for the first 56 characters
(all inside the window, where the cache does all the work), and the browser's share of
PyTorch's speed.

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

from gentle_llm.explorers.gpt import model_from_weights_js, standalone_page_html  # noqa: E402
from gentle_llm.generate import SamplingConfig, generate  # noqa: E402

WEIGHTS = ROOT / "assets" / "extra" / "tiny-gpt" / "tiny-gpt-weights.js"
PROMPT = "ROMEO:\nWhat say"  # 15 characters: 49 more fill the window

_JS_RUN = """
([ids, n, split]) => {
  const g = window.GentleTinyGPT;
  const run = new g.Generation(g.model, ids, {temperature: 0});
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

    def run_torch(count: int) -> tuple[list[int], float]:
        start = time.perf_counter()
        out = generate(model, ids, SamplingConfig(max_new_tokens=count, temperature=0))
        return out, time.perf_counter() - start

    run_torch(20)  # warm-up
    torch_all, torch_first = [], []
    js_all, js_first = [], []
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "page.html"
        (Path(folder) / "weights.js").write_bytes(WEIGHTS.read_bytes())
        page.write_text(standalone_page_html("weights.js"), "utf-8")
        with chromium() as browser, open_page(browser, page.as_uri()) as (tab, report):
            tab.evaluate(_JS_RUN, [ids, 20, 10])  # warm-up: let the JIT compile the loops
            for _ in range(args.repeats):
                result = tab.evaluate(_JS_RUN, [ids, n, split])
                js_all.append(n / (result["ms"] / 1000))
                js_first.append(split / (result["firstMs"] / 1000))
                tokens, seconds = run_torch(n)
                torch_all.append(n / seconds)
                _, seconds = run_torch(split)
                torch_first.append(split / seconds)
                if result["tokens"] != tokens:
                    raise SystemExit("the browser and PyTorch generated different text")
        if report.problems():
            raise SystemExit("page problems: " + "; ".join(report.problems()))

    print(
        f"tiny GPT (cpu-quick weights), greedy, {len(ids)}-character prompt, "
        f"torch threads {torch.get_num_threads()}, best of {args.repeats}; same text on both"
    )
    print("| part | browser (gpt.js) tokens/s | PyTorch tokens/s | browser / PyTorch |")
    print("| --- | --- | --- | --- |")
    for label, js, pt in (
        (f"first {split} (inside the window, cache)", max(js_first), max(torch_first)),
        (f"all {n} (window recomputed after {split})", max(js_all), max(torch_all)),
    ):
        print(f"| {label} | {js:,.0f} | {pt:,.0f} | {js / pt:.2f} |")


if __name__ == "__main__":
    main()
