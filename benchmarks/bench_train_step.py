"""Training-step throughput: gentle_llm's GPT vs transformers' GPT2LMHeadModel.

One step = forward + loss + backward + AdamW update, same weights, same batch, same optimizer
settings, dropout off. Both models are timed in alternating rounds (so a noisy neighbour hurts
both alike) after warm-up steps; the table shows the median steps/s and the ratio ours/theirs.

    .venv/bin/python benchmarks/bench_train_step.py            # CPU, two configs
    .venv/bin/python benchmarks/bench_train_step.py --device cuda
    .venv/bin/python benchmarks/bench_train_step.py --threads 1   # a shared, busy machine
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from gentle_llm.gpt2_weights import to_hf_gpt2
from gentle_llm.model import GPT, GPTConfig

# name -> (model shape, batch size, steps per timed round)
CONFIGS = {
    # The well-known CPU recipe of the course (Chapter 7): 4 layers, 4 heads, 128 dims.
    "cpu-recipe": (
        GPTConfig(vocab_size=65, block_size=64, n_layer=4, n_head=4, n_embd=128),
        12,
        10,
    ),
    # A bigger character model: 6 layers, 6 heads, 384 dims, context 256.
    "6L-384d-256ctx": (
        GPTConfig(vocab_size=65, block_size=256, n_layer=6, n_head=6, n_embd=384),
        4,
        3,
    ),
}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _steps_per_second(step, steps: int, device: torch.device) -> float:
    _sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    _sync(device)
    return steps / (time.perf_counter() - start)


def bench(name: str, config: GPTConfig, batch: int, steps: int, args: argparse.Namespace) -> dict:
    device = torch.device(args.device)
    torch.manual_seed(0)
    ours = GPT(config).to(device).train()
    theirs = to_hf_gpt2(ours).to(device).train()
    attn_impl = getattr(theirs.config, "_attn_implementation", "?")

    x = torch.randint(0, config.vocab_size, (batch, config.block_size), device=device)
    y = torch.randint(0, config.vocab_size, (batch, config.block_size), device=device)
    with torch.no_grad():
        diff = (ours(x)[0] - theirs(x).logits).abs().max().item()

    opt_ours = torch.optim.AdamW(ours.parameters(), lr=1e-3)
    opt_theirs = torch.optim.AdamW(theirs.parameters(), lr=1e-3)

    def step_ours() -> None:
        opt_ours.zero_grad(set_to_none=True)
        _, loss = ours(x, y)
        loss.backward()
        opt_ours.step()

    def step_theirs() -> None:
        opt_theirs.zero_grad(set_to_none=True)
        # transformers shifts labels internally; it scores T-1 positions instead of T.
        loss = theirs(input_ids=x, labels=y).loss
        loss.backward()
        opt_theirs.step()

    for _ in range(args.warmup):
        step_ours()
        step_theirs()
    rates_ours, rates_theirs = [], []
    for _ in range(args.repeats):
        rates_ours.append(_steps_per_second(step_ours, steps, device))
        rates_theirs.append(_steps_per_second(step_theirs, steps, device))
    ours_rate = statistics.median(rates_ours)
    theirs_rate = statistics.median(rates_theirs)
    return {
        "name": name,
        "batch": batch,
        "ours": ours_rate,
        "theirs": theirs_rate,
        "ratio": ours_rate / theirs_rate,
        "tokens_per_s": ours_rate * batch * config.block_size,
        "attn": attn_impl,
        "diff": diff,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, help="steps per timed round (default: per config)")
    parser.add_argument("--repeats", type=int, default=5, help="timed rounds per model")
    parser.add_argument("--config", choices=sorted(CONFIGS), action="append")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    import transformers

    print(
        f"torch {torch.__version__}, transformers {transformers.__version__}, "
        f"device {args.device}, threads {torch.get_num_threads()}; "
        f"{args.warmup} warm-up steps, then median of {args.repeats} alternating timed rounds"
    )
    header = (
        f"{'config':<16} {'batch':>5} {'ours step/s':>12} {'HF step/s':>10} "
        f"{'ours/HF':>8} {'ours tok/s':>11}  HF attention  max|logit diff|"
    )
    print(header)
    print("-" * len(header))
    for name in args.config or list(CONFIGS):
        config, batch, steps = CONFIGS[name]
        r = bench(name, config, batch, args.steps or steps, args)
        print(
            f"{r['name']:<16} {r['batch']:>5} {r['ours']:>12.2f} {r['theirs']:>10.2f} "
            f"{r['ratio']:>7.2f}x {r['tokens_per_s']:>11.0f}  {r['attn']:<12}  {r['diff']:.1e}"
        )


if __name__ == "__main__":
    main()
