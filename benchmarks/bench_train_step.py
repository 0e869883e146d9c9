"""Training-step throughput: gentle_llm's GPT vs a lean nanoGPT-style GPT and transformers'.

One step = forward + loss + backward + AdamW update, same weights, same batch, same optimizer
settings, dropout off. Three models of the same architecture are timed in alternating rounds
(so a noisy neighbour hurts all alike) after warm-up steps; the table shows the median steps/s
and the ratios:

* ours: :class:`gentle_llm.model.GPT` (dropout modules, a KV-cache branch, argument checks);
* lean: the same architecture written as plainly as possible in the style of nanoGPT's
  ``model.py`` (no dropout modules, no cache, no checks) — the leanest well-known way to write it;
* HF: ``transformers``' ``GPT2LMHeadModel`` with our weights.

``--gelu none`` times all three with exact GELU instead of GPT-2's tanh approximation (nanoGPT
and PyTorch's ``nn.GELU()`` default): on a CPU it is the cheaper of the two.

    .venv/bin/python benchmarks/bench_train_step.py            # CPU, two configs
    .venv/bin/python benchmarks/bench_train_step.py --device cuda
    .venv/bin/python benchmarks/bench_train_step.py --threads 1   # a shared, busy machine
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gentle_llm.gpt2_weights import to_hf_gpt2
from gentle_llm.model import GPT, GPTConfig

# name -> (model shape, batch size, steps per timed round)
CONFIGS = {
    # The cpu-quick preset's shape and batch (Chapter 6).
    "cpu-quick": (
        GPTConfig(vocab_size=65, block_size=64, n_layer=2, n_head=4, n_embd=128),
        32,
        10,
    ),
    # The well-known nanoGPT CPU recipe (Chapter 6): 4 layers, 4 heads, 128 dims.
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


class LeanBlock(nn.Module):
    """One pre-norm block with nothing but the arithmetic."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        width = config.n_embd
        self.n_head = config.n_head
        self.gelu_approximate = config.gelu_approximate
        self.ln_1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.attn_proj = nn.Linear(width, width)
        self.ln_2 = nn.LayerNorm(width)
        self.fc = nn.Linear(width, 4 * width)
        self.mlp_proj = nn.Linear(4 * width, width)

    def forward(self, x: Tensor) -> Tensor:
        batch, seq, width = x.shape
        q, k, v = self.qkv(self.ln_1(x)).split(width, dim=2)
        q, k, v = (t.view(batch, seq, self.n_head, -1).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.attn_proj(y.transpose(1, 2).reshape(batch, seq, width))
        hidden = F.gelu(self.fc(self.ln_2(x)), approximate=self.gelu_approximate)
        return x + self.mlp_proj(hidden)


class LeanGPT(nn.Module):
    """The same architecture as gentle_llm's GPT, parameters declared in the same order."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.tok_emb = nn.Embedding(config.vocab_size, config.n_embd)
        self.pos_emb = nn.Embedding(config.block_size, config.n_embd)
        self.blocks = nn.ModuleList(LeanBlock(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.tok_emb.weight

    def forward(self, idx: Tensor, targets: Tensor) -> tuple[Tensor, Tensor]:
        positions = torch.arange(idx.shape[1], device=idx.device)
        x = self.tok_emb(idx) + self.pos_emb(positions)
        for block in self.blocks:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        return logits, F.cross_entropy(logits.flatten(0, 1), targets.flatten())


def lean_copy(model: GPT) -> LeanGPT:
    """A LeanGPT holding a copy of ``model``'s weights."""
    lean = LeanGPT(model.config).to(next(model.parameters()).device)
    with torch.no_grad():
        for mine, theirs in zip(lean.parameters(), model.parameters(), strict=True):
            mine.copy_(theirs)
    return lean


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
    config = dataclasses.replace(config, gelu_approximate=args.gelu)
    ours = GPT(config).to(device).train()
    lean = lean_copy(ours).train()
    theirs = to_hf_gpt2(ours).to(device).train()
    attn_impl = getattr(theirs.config, "_attn_implementation", "?")

    x = torch.randint(0, config.vocab_size, (batch, config.block_size), device=device)
    y = torch.randint(0, config.vocab_size, (batch, config.block_size), device=device)
    with torch.no_grad():
        diff = (ours(x)[0] - theirs(x).logits).abs().max().item()
        diff = max(diff, (ours(x)[0] - lean(x, y)[0]).abs().max().item())

    opt_ours = torch.optim.AdamW(ours.parameters(), lr=1e-3)
    opt_lean = torch.optim.AdamW(lean.parameters(), lr=1e-3)
    opt_theirs = torch.optim.AdamW(theirs.parameters(), lr=1e-3)

    def step_ours() -> None:
        opt_ours.zero_grad(set_to_none=True)
        _, loss = ours(x, y)
        loss.backward()
        opt_ours.step()

    def step_lean() -> None:
        opt_lean.zero_grad(set_to_none=True)
        _, loss = lean(x, y)
        loss.backward()
        opt_lean.step()

    def step_theirs() -> None:
        opt_theirs.zero_grad(set_to_none=True)
        # transformers shifts labels internally; it scores T-1 positions instead of T.
        loss = theirs(input_ids=x, labels=y).loss
        loss.backward()
        opt_theirs.step()

    steppers = {"ours": step_ours, "lean": step_lean, "theirs": step_theirs}
    for _ in range(args.warmup):
        for step in steppers.values():
            step()
    rates: dict[str, list[float]] = {key: [] for key in steppers}
    for _ in range(args.repeats):
        for key, step in steppers.items():
            rates[key].append(_steps_per_second(step, steps, device))
    ours_rate, lean_rate, theirs_rate = (statistics.median(rates[key]) for key in steppers)
    return {
        "name": name,
        "batch": batch,
        "ours": ours_rate,
        "lean": lean_rate,
        "theirs": theirs_rate,
        "vs_lean": ours_rate / lean_rate,
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
    parser.add_argument(
        "--gelu", choices=("tanh", "none"), default="tanh", help="GELU variant for all three"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    import transformers

    print(
        f"torch {torch.__version__}, transformers {transformers.__version__}, "
        f"device {args.device}, threads {torch.get_num_threads()}, GELU {args.gelu}; "
        f"{args.warmup} warm-up steps, then median of {args.repeats} alternating timed rounds"
    )
    header = (
        f"{'config':<16} {'batch':>5} {'ours step/s':>12} {'lean step/s':>12} "
        f"{'HF step/s':>10} {'ours/lean':>9} {'ours/HF':>8} {'ours tok/s':>11}  "
        "HF attention  max|logit diff|"
    )
    print(header)
    print("-" * len(header))
    for name in args.config or list(CONFIGS):
        config, batch, steps = CONFIGS[name]
        r = bench(name, config, batch, args.steps or steps, args)
        print(
            f"{r['name']:<16} {r['batch']:>5} {r['ours']:>12.2f} {r['lean']:>12.2f} "
            f"{r['theirs']:>10.2f} {r['vs_lean']:>8.2f}x {r['ratio']:>7.2f}x "
            f"{r['tokens_per_s']:>11.0f}  {r['attn']:<12}  {r['diff']:.1e}"
        )


if __name__ == "__main__":
    main()
