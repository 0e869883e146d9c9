"""Generation speed: KV cache vs none, and gentle_llm vs transformers' ``generate``.

A GPT of 6 layers, 6 heads, 384 dims (the size of the bigger character model) with a context
of 1024 tokens, so that 500 new tokens fit in the window and the cache is used all the way
(past the window our generator recomputes, see gentle_llm.generate). Greedy decoding, one
prompt, 500 new tokens, no stop tokens. transformers gets the very same weights through
``to_hf_gpt2(GPT)`` and must produce the very same tokens. Runs alternate between the three
contenders; the table shows the median tokens/s and the ratios.

    .venv/bin/python benchmarks/bench_generate.py
    .venv/bin/python benchmarks/bench_generate.py --threads 1   # a shared, busy machine
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import torch

from gentle_llm.generate import SamplingConfig, generate
from gentle_llm.gpt2_weights import to_hf_gpt2
from gentle_llm.model import GPT, GPTConfig


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--new-tokens", type=int, default=500)
    parser.add_argument("--prompt-tokens", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)

    import transformers

    config = GPTConfig(vocab_size=65, block_size=1024, n_layer=6, n_head=6, n_embd=384)
    torch.manual_seed(0)
    ours = GPT(config)
    # Random weights at the initial scale give nearly flat logits, where float rounding could
    # flip a greedy choice; wider weights make the argmax decisive (speed is unaffected).
    with torch.no_grad():
        for param in ours.parameters():
            param.add_(0.05 * torch.randn_like(param))
    ours = ours.to(device).eval()
    theirs = to_hf_gpt2(ours).to(device).eval()
    prompt = torch.randint(0, config.vocab_size, (args.prompt_tokens,)).tolist()
    n = args.new_tokens
    sampling = SamplingConfig(max_new_tokens=n, temperature=0)

    def run_ours_cached() -> list[int]:
        return generate(ours, prompt, sampling, use_cache=True)

    def run_ours_uncached() -> list[int]:
        return generate(ours, prompt, sampling, use_cache=False)

    def run_hf() -> list[int]:
        ids = torch.tensor([prompt], device=device)
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = theirs.generate(
                ids,
                attention_mask=torch.ones_like(ids),
                do_sample=False,
                max_new_tokens=n,
                min_new_tokens=n,
                use_cache=True,
                pad_token_id=0,
            )
        return out[0, len(prompt) :].tolist()

    contenders = {
        "ours, KV cache": run_ours_cached,
        "ours, no cache": run_ours_uncached,
        "transformers generate": run_hf,
    }
    tokens = {name: fn() for name, fn in contenders.items()}  # also the warm-up
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.repeats):
        for name, fn in contenders.items():
            _sync(device)
            start = time.perf_counter()
            fn()
            _sync(device)
            rates[name].append(n / (time.perf_counter() - start))
    median = {name: statistics.median(r) for name, r in rates.items()}

    print(
        f"torch {torch.__version__}, transformers {transformers.__version__}, "
        f"device {args.device}, threads {torch.get_num_threads()}; model 6L/6H/384d, "
        f"{ours.num_parameters() / 1e6:.1f}M params; prompt {len(prompt)} tokens, {n} new "
        f"tokens, greedy; median of {args.repeats} runs after one warm-up"
    )
    print(f"{'contender':<24} {'tokens/s':>9}  same tokens as ours+cache")
    for name in contenders:
        same = tokens[name] == tokens["ours, KV cache"]
        print(f"{name:<24} {median[name]:>9.1f}  {'yes' if same else 'NO'}")
    cached = median["ours, KV cache"]
    speedup = cached / median["ours, no cache"]
    vs_hf = cached / median["transformers generate"]
    print(f"KV cache speed-up (ours cached / ours uncached): {speedup:.2f}x")
    print(f"ours cached / transformers generate:           {vs_hf:.2f}x")


if __name__ == "__main__":
    main()
