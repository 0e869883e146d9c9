"""Speculative decoding: the tiny GPT drafts, a larger character GPT checks (Chapter 7).

Draft: the course's canonical tiny GPT (`gentle_llm/weights/tiny-gpt.safetensors`, 2 layers
of 128 dims, context 64). Target: a larger character GPT with the same 65-character
vocabulary and a longer context (by default 12 layers of 256 dims, context 256: 9.6 million
parameters, 38 MB of float32 weights, more than a typical CPU's last-level cache), trained once
by this script on Tiny Shakespeare with Muon (about 11 minutes on 2 CPU cores) and cached under
``GENTLE_LLM_CACHE`` (default ``~/.cache/gentle_llm``) in ``bench-speculative/``, or at
``--target``. Its weights are never committed.

Both contenders write the target's greedy text for the same prompts and length, inside the
target's context, so both use the key/value cache all the way:

- plain: ``gentle_llm.generate(target, prompt, temperature=0)``, one target pass per token;
- speculative: ``gentle_llm.speculative.speculative_generate(target, draft, prompt, k=k)``.

The texts must be identical (the script stops otherwise). After a warm-up, runs alternate
between the contenders; the table shows median tokens/s, the acceptance rate, tokens per target
pass and the speed-up for each ``k``. A second table times the parts of a round (one draft
pass, one target pass over 1 and over k + 1 tokens), which explains the speed-up.

    .venv/bin/python benchmarks/bench_speculative.py      # writes results/speculative.txt
    .venv/bin/python benchmarks/bench_speculative.py --k 2 --repeats 3 --no-write
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch

from gentle_llm.assets import cache_dir
from gentle_llm.checkpoint import load_tiny_gpt, model_from_checkpoint, save_checkpoint
from gentle_llm.data import char_dataset, evaluate_full
from gentle_llm.generate import SamplingConfig, generate
from gentle_llm.model import GPT, GPTConfig, KVCache
from gentle_llm.speculative import SpeculativeStats, speculative_generate
from gentle_llm.train import TrainConfig, Trainer

RESULTS = Path(__file__).parent / "results" / "speculative.txt"
PROMPTS = ["ROMEO:\n", "KING HENRY VI:\nWhat", "First Citizen:\nWe are"]


def recipe(args: argparse.Namespace) -> tuple[GPTConfig, TrainConfig]:
    """The target's shape and training run (Muon, as Chapter 6's speedrun presets)."""
    model = GPTConfig(
        vocab_size=65,
        block_size=args.context,
        n_layer=args.layers,
        n_head=args.width // 64,
        n_embd=args.width,
        gelu_approximate="none",
    )
    train = TrainConfig(
        steps=args.steps,
        batch_size=args.batch,
        lr=1e-2,
        min_lr=0.0,
        warmup_steps=min(50, args.steps // 10),
        optimizer="muon",
        muon_lr=0.03,
        eval_interval=args.steps,
        eval_batches=10,
        eval_batch_size=32,
        device="cpu",
        num_threads=args.threads,
    )
    return model, train


def target_model(args: argparse.Namespace, chars: object) -> tuple[GPT, Path, float]:
    """The cached target, or a freshly trained one; also where it is and its training time."""
    model_config, train_config = recipe(args)
    name = (
        f"target-{args.layers}x{args.width}-context{args.context}-"
        f"batch{args.batch}-steps{args.steps}.safetensors"
    )
    path = Path(args.target) if args.target else cache_dir() / "bench-speculative" / name
    if path.exists():
        model, _, meta = model_from_checkpoint(path)
        return model, path, float(meta.get("elapsed_s", float("nan")))
    data = char_dataset()
    if data.tokenizer.chars != chars.chars:
        raise SystemExit("Tiny Shakespeare's characters differ from the tiny GPT's vocabulary.")
    print(f"training the target ({args.steps} steps), once; it is cached at {path}")
    torch.manual_seed(train_config.seed)
    model = GPT(model_config)
    trainer = Trainer(model, data, train_config)
    start = time.perf_counter()
    trainer.fit()
    elapsed = time.perf_counter() - start
    path.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(
        path, model, step=trainer.step, train_config=train_config, tokenizer=chars,
        elapsed_s=elapsed,
    )  # fmt: skip
    return model.eval(), path, elapsed


def pass_ms(model: GPT, new: int, context: int = 100, repeats: int = 50) -> float:
    """Median milliseconds of one cached forward pass over ``new`` tokens after ``context``."""
    cache = KVCache(model.config.n_layer)
    ids = torch.randint(0, model.config.vocab_size, (1, context + new))
    times = []
    with torch.inference_mode():
        model(ids[:, :context], kv_cache=cache)
        for _ in range(repeats):
            start = time.perf_counter()
            model(ids[:, context:], kv_cache=cache)
            times.append(time.perf_counter() - start)
            cache.length = context  # forget the new tokens again
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, nargs="+", default=[1, 2, 3, 4, 6], help="proposals")
    parser.add_argument("--new-tokens", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--target", help="the target's checkpoint (trained there if missing)")
    parser.add_argument("--layers", type=int, default=12)
    parser.add_argument("--width", type=int, default=256, help="a multiple of 64")
    parser.add_argument("--context", type=int, default=256)
    parser.add_argument("--steps", type=int, default=400, help="training steps of the target")
    parser.add_argument("--batch", type=int, default=8, help="windows per training step")
    parser.add_argument("--no-write", action="store_true", help=f"do not write {RESULTS.name}")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    draft, chars = load_tiny_gpt()
    target, path, train_s = target_model(args, chars)
    val = char_dataset().val
    loss = {name: evaluate_full(m, val, m.config.block_size) for name, m in
            [("draft", draft), ("target", target)]}  # fmt: skip
    prompts = [chars.encode(p) for p in PROMPTS]
    n = args.new_tokens
    if max(map(len, prompts)) + n > target.config.block_size:
        raise SystemExit("The prompts and new tokens must fit in the target's context.")
    config = SamplingConfig(max_new_tokens=n, temperature=0)
    load_before = os.getloadavg()[0]

    def plain() -> tuple[list[list[int]], list[SpeculativeStats]]:
        return [generate(target, p, config) for p in prompts], []

    def speculative(k: int) -> Callable[[], tuple[list[list[int]], list[SpeculativeStats]]]:
        def run() -> tuple[list[list[int]], list[SpeculativeStats]]:
            out = [speculative_generate(target, draft, p, config, k=k) for p in prompts]
            return [tokens for tokens, _ in out], [stats for _, stats in out]

        return run

    contenders = {"plain": plain} | {f"k={k}": speculative(k) for k in args.k}
    texts, stats = {}, {}
    for name, run in contenders.items():  # the warm-up, and the check
        texts[name], stats[name] = run()
        if texts[name] != texts["plain"]:
            raise SystemExit(f"speculative {name} wrote another text than the target alone")
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.repeats):
        for name, run in contenders.items():
            start = time.perf_counter()
            run()
            rates[name].append(n * len(prompts) / (time.perf_counter() - start))
    median = {name: statistics.median(r) for name, r in rates.items()}
    parts = {"draft, 1 token": pass_ms(draft, 1, context=40)}
    for new in sorted({1} | {k + 1 for k in args.k}):
        parts[f"target, {new} token{'s' if new > 1 else ''}"] = pass_ms(target, new)

    def describe(m: GPT) -> str:
        c = m.config
        return (f"{c.n_layer} layers x {c.n_embd}, context {c.block_size}, "
                f"{m.num_parameters() / 1e6:.2f}M parameters")  # fmt: skip

    lines = [
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average "
        f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after",
        f"draft:  the tiny GPT, {describe(draft)}, validation loss {loss['draft']:.3f}",
        f"target: {describe(target)}, validation loss {loss['target']:.3f}, "
        f"trained in {train_s:.0f} s ({path.name})",
        f"{len(prompts)} prompts x {n} new characters, greedy; median of {args.repeats} "
        "alternating runs after a warm-up",
        f"the target's text after {PROMPTS[0]!r}: {chars.decode(texts['plain'][0])[:90]!r}",
        "",
        "| decoding | tokens/s | acceptance | tokens per target pass | speed-up | same text |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
        f"| plain `generate` | {median['plain']:.1f} | | 1.00 | 1.00 | |",
    ]
    for name in contenders:
        if name == "plain":
            continue
        s = stats[name]
        accepted = sum(x.accepted for x in s) / sum(x.proposed for x in s)
        per_pass = sum(x.generated for x in s) / sum(x.target_passes for x in s)
        lines.append(
            f"| speculative, {name} | {median[name]:.1f} | {accepted:.1%} | {per_pass:.2f} "
            f"| {median[name] / median['plain']:.2f} | yes |"
        )
    best = max((name for name in contenders if name != "plain"), key=median.__getitem__)
    lines += [
        "",
        f"best: {best}, {median[best] / median['plain']:.2f}x the plain speed (goal >= 1.5)",
        "",
        "| one forward pass with the cache | ms (median of 50) | vs target, 1 token |",
        "| --- | ---: | ---: |",
    ]
    one = parts["target, 1 token"]
    lines += [f"| {name} | {ms:.2f} | {ms / one:.2f} |" for name, ms in parts.items()]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(text + "\n")


if __name__ == "__main__":
    main()
