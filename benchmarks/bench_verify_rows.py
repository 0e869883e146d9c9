"""What checking k proposals costs here: a pass over k + 1 tokens against one (Chapter 7).

Speculative decoding wins only if the target reads k + 1 tokens in about the time it reads one.
That holds where a pass waits for its weights to come from memory (large models, accelerators).
This script measures it on the machine it runs on, for the part of a transformer that holds the
weights: a stack of feed-forward layers (``d -> 4d -> d``, PyTorch's ``nn.Linear``), with more
megabytes of weights than a CPU's caches hold, fed 1, 2, 3, 5 and 7 rows (tokens).

For each k it prints the **ceiling** of the speed-up, ``(k + 1) / cost(k + 1 rows)`` in units
of one row: what speculative decoding would give with a free draft whose every proposal is
accepted. A real draft costs time and is sometimes wrong, so the measured speed-up
(``bench_speculative.py``) stays below the best ceiling.

    .venv/bin/python benchmarks/bench_verify_rows.py
    .venv/bin/python benchmarks/bench_verify_rows.py --device cuda --megabytes 1024
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import torch
from torch import nn

ROWS = [1, 2, 3, 5, 7]


def layer_stack(width: int, megabytes: int, device: str) -> nn.Sequential:
    """Feed-forward layers ``width -> 4 width -> width`` holding about ``megabytes`` of float32."""
    pair_bytes = 2 * 4 * width * width * 4
    pairs = max(1, round(megabytes * 1e6 / pair_bytes))
    layers: list[nn.Module] = []
    for _ in range(pairs):
        layers += [nn.Linear(width, 4 * width), nn.Linear(4 * width, width)]
    return nn.Sequential(*layers).to(device)


def pass_ms(model: nn.Sequential, rows: int, width: int, device: str, repeats: int) -> float:
    """Median milliseconds of one pass over ``rows`` tokens."""
    x = torch.randn(1, rows, width, device=device)
    times = []
    with torch.inference_mode():
        model(x)  # warm-up
        for _ in range(repeats):
            if device == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            model(x)
            if device == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[256, 512, 1024])
    parser.add_argument("--megabytes", type=int, default=256, help="weights per stack")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    where = torch.cuda.get_device_name() if args.device == "cuda" else platform.processor()
    print(
        f"torch {torch.__version__}, {args.device} ({where or platform.machine()}), "
        f"{torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.1f}"
    )
    print(f"median of {args.repeats} passes; cost in units of the one-row pass\n")
    header = " | ".join(f"{r} row{'s' if r > 1 else ''}" for r in ROWS)
    print(f"| width | weights | 1 row, ms | {header} | best ceiling (k) |")
    print("| ---: | ---: | ---: |" + " ---: |" * len(ROWS) + " ---: |")
    for width in args.widths:
        model = layer_stack(width, args.megabytes, args.device)
        megabytes = sum(p.numel() for p in model.parameters()) * 4 / 1e6
        ms = {r: pass_ms(model, r, width, args.device, args.repeats) for r in ROWS}
        cost = {r: ms[r] / ms[1] for r in ROWS}
        ceiling = {r - 1: r / cost[r] for r in ROWS if r > 1}
        k = max(ceiling, key=ceiling.__getitem__)
        cells = " | ".join(f"{cost[r]:.2f}" for r in ROWS)
        print(f"| {width} | {megabytes:.0f} MB | {ms[1]:.2f} | {cells} | "
              f"{ceiling[k]:.2f} ({k}) |")  # fmt: skip


if __name__ == "__main__":
    main()
