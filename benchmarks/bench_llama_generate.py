"""Generation speed on SmolLM2: our Llama from scratch vs transformers' ``generate``.

Both run the very same SmolLM2-135M-Instruct weights (``Llama.from_hf`` copies them) in
float32 on the CPU: greedy decoding of one chat prompt, a fixed number of new tokens, a KV
cache on both sides. Ours is ``gentle_llm.generate`` (the loop Chapter 7 teaches: the prompt
once, then one token per step into :class:`gentle_llm.model.KVCache`); theirs is
``model.generate``. Runs
alternate between the two, the best of ``--repeats`` runs counts, at each thread count, and
both must produce the very same tokens.

    .venv/bin/python benchmarks/bench_llama_generate.py
    .venv/bin/python benchmarks/bench_llama_generate.py --threads 1 2 --new-tokens 64 --repeats 5
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from collections.abc import Callable

import torch

from gentle_llm.generate import SamplingConfig, generate
from gentle_llm.llama import Llama
from gentle_llm.pretrained import load_smollm2


def greedy_ours(model: Llama, prompt: list[int], n: int) -> list[int]:
    """Greedy decoding through gentle_llm.generate, which uses our KV cache with our Llama."""
    return generate(model, prompt, SamplingConfig(max_new_tokens=n, temperature=0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    n = args.new_tokens

    import transformers

    hf, tokenizer = load_smollm2()
    ours = Llama.from_hf(hf)
    chat = [{"role": "user", "content": "Write a short story about a robot who learns to paint."}]
    text = tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
    prompt = tokenizer(text)["input_ids"]
    ids = torch.tensor([prompt])
    with torch.inference_mode():
        diff = (ours(ids)[0] - hf(ids).logits).abs().max().item()

    def run_hf() -> list[int]:
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = hf.generate(
                ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=n
            )
        return out[0, len(prompt) :].tolist()

    contenders: dict[str, Callable[[], list[int]]] = {
        "ours (gentle_llm.llama)": lambda: greedy_ours(ours, prompt, n),
        "transformers generate": run_hf,
    }
    print(
        f"torch {torch.__version__}, transformers {transformers.__version__}, CPU, "
        f"load average before {os.getloadavg()[0]:.2f}; SmolLM2-135M-Instruct float32 "
        f"({ours.num_parameters() / 1e6:.1f}M params); prompt {len(prompt)} tokens, {n} new "
        f"tokens, greedy; best of {args.repeats} alternating runs after one warm-up; "
        f"max |logit difference| on the prompt {diff:.2e}"
    )
    print(f"{'threads':>7}  {'ours tok/s':>10}  {'transformers tok/s':>18}  {'ours/theirs':>11}")
    for threads in args.threads:
        torch.set_num_threads(threads)
        tokens = {name: fn() for name, fn in contenders.items()}  # also the warm-up
        mine, theirs = tokens.values()
        assert len(theirs) == n, f"transformers stopped after {len(theirs)} tokens (end of text)"
        assert mine == theirs, "our tokens differ from transformers' tokens"
        best = dict.fromkeys(contenders, 0.0)
        for _ in range(args.repeats):
            for name, fn in contenders.items():
                start = time.perf_counter()
                fn()
                best[name] = max(best[name], n / (time.perf_counter() - start))
        a, b = best.values()
        print(f"{threads:>7}  {a:>10.1f}  {b:>18.1f}  {a / b:>10.2f}x")
    print(f"same tokens: yes; load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
