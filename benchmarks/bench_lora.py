"""LoRA training-step speed on SmolLM2: gentle_llm.lora vs the peft library.

Both wrap the same SmolLM2-135M-Instruct weights (float32, CPU) with LoRA of the same rank on
the same layers, holding the very same A and B matrices, and time one training step: forward
pass, loss, backward pass, AdamW step on the LoRA parameters. Rounds alternate between the
two (a few steps each), the median step time over all rounds counts, and the first step of
both must give the same loss.

    .venv/bin/python benchmarks/bench_lora.py
    .venv/bin/python benchmarks/bench_lora.py --rounds 7 --steps 2 --batch 4 --seq 64
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import time
import warnings

import torch
from torch import nn

from gentle_llm.lora import add_lora, count_parameters, lora_layers
from gentle_llm.pretrained import load_smollm2

TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def peft_twin(base: nn.Module, ours: nn.Module, r: int, alpha: float) -> nn.Module:
    """peft's LoRA on a copy of ``base``, holding our A and B."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=r, lora_alpha=alpha, target_modules=TARGETS, lora_dropout=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # peft reads an alias transformers 5 deprecates
        theirs = get_peft_model(copy.deepcopy(base), config)
    inner = theirs.base_model.model
    for name, layer in lora_layers(ours).items():
        target = inner.get_submodule(name)
        with torch.no_grad():
            target.lora_A["default"].weight.copy_(layer.lora_A)
            target.lora_B["default"].weight.copy_(layer.lora_B)
    return theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=2, help="timed steps per round each")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seq", type=int, default=64)
    parser.add_argument("--r", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    import peft
    import transformers

    model, _ = load_smollm2()
    ours = add_lora(copy.deepcopy(model), r=args.r, alpha=2 * args.r, target_modules=TARGETS)
    generator = torch.Generator().manual_seed(0)
    for layer in lora_layers(ours).values():
        # Non-zero B, as after some training, so the LoRA path does real work on both sides.
        with torch.no_grad():
            layer.lora_B.copy_(torch.randn(layer.lora_B.shape, generator=generator) * 0.01)
    theirs = peft_twin(model, ours, args.r, 2 * args.r)
    del model
    ids = torch.randint(0, 49152, (args.batch, args.seq), generator=generator)

    contenders = {"ours (gentle_llm.lora)": ours.train(), "peft": theirs.train()}
    optimizers = {
        name: torch.optim.AdamW([p for p in m.parameters() if p.requires_grad], lr=1e-4)
        for name, m in contenders.items()
    }

    def step(name: str) -> float:
        model, optimizer = contenders[name], optimizers[name]
        loss = model(input_ids=ids, labels=ids).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.item()

    first = {name: step(name) for name in contenders}  # also the warm-up
    a, b = first.values()
    assert abs(a - b) < 1e-5, f"first-step losses differ: {first}"
    counts = count_parameters(ours)
    print(
        f"torch {torch.__version__}, transformers {transformers.__version__}, peft "
        f"{peft.__version__}, CPU, {args.threads} threads, load average before "
        f"{os.getloadavg()[0]:.2f}; SmolLM2-135M-Instruct float32, LoRA r={args.r} "
        f"alpha={2 * args.r} on {len(lora_layers(ours))} layers ({counts['trainable']:,} "
        f"trainable of {counts['total']:,}); batch {args.batch} x {args.seq} tokens; "
        f"{args.rounds} alternating rounds of {args.steps} steps; first-step loss "
        f"{a:.6f} (ours) vs {b:.6f} (peft)"
    )
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for round_ in range(args.rounds):
        # Alternate who goes first, so neither always runs on a warmer (or busier) machine.
        order = list(contenders) if round_ % 2 == 0 else list(reversed(contenders))
        for name in order:
            for _ in range(args.steps):
                start = time.perf_counter()
                step(name)
                times[name].append(time.perf_counter() - start)
    mine, peft_times = (statistics.median(t) for t in times.values())
    print(f"{'':<24}{'median s/step':>14}{'min':>8}{'max':>8}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<24}{median:>14.3f}{min(values):>8.3f}{max(values):>8.3f}")
    print(f"speed ratio ours / peft: {peft_times / mine:.3f}x (goal >= 1.0)")
    print(f"load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
