"""GRPO training-step speed on SmolLM2: gentle_llm.grpo vs TRL's GRPOTrainer.

Both train the same SmolLM2-135M-Instruct weights (float32, CPU) on the same word problems
(Chapter 13's `reasoning.word_problems`), with the same group size, number of prompts per
step, answer length, temperature (1.0, no top-k or top-p), learning rate, clip (0.2) and KL
weight (0.04, so both run a frozen reference model), and the same exact-answer reward. One
step is everything: sampling the group with `generate` and its key/value cache, scoring,
the reference model's log-probabilities, the loss, the backward pass and the AdamW step.
The loss formula itself is compared in tests/test_grpo_trl.py; here only the time counts.

Each side runs a warm-up step, then the timed steps (ours half before and half after TRL's,
so a change in machine load hits both); TRL's steps are timed by a callback inside its own
training loop. The median step time counts.

    .venv/bin/python benchmarks/bench_grpo.py
    .venv/bin/python benchmarks/bench_grpo.py --rounds 2 --steps 3 --prompts 4 --group 4
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import time
import warnings

import torch

from gentle_llm.grpo import GRPOConfig, PolicyTrainer
from gentle_llm.pretrained import converted_dir, load_smollm2
from gentle_llm.reasoning import parse_answer, word_problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=2, help="rounds x steps timed steps each")
    parser.add_argument("--prompts", type=int, default=4, help="prompts per step")
    parser.add_argument("--group", type=int, default=4, help="answers per prompt")
    parser.add_argument("--new-tokens", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    import datasets
    import transformers
    import trl

    model, tokenizer = load_smollm2()  # converts the offline GGUF file once
    tokenizer.padding_side = "left"
    problems = word_problems(args.prompts * (args.rounds * args.steps + 2) * 2, seed=0)
    prompts = [f"{p.question} Answer:" for p in problems]
    answer_of = {text: p.answer for text, p in zip(prompts, problems, strict=True)}
    lr = 1e-5

    # -- TRL -----------------------------------------------------------------------------------
    def trl_reward(prompts: list[str], completions: list[str], **_: object) -> list[float]:
        return [
            float(parse_answer(c) == answer_of[p])
            for p, c in zip(prompts, completions, strict=True)
        ]

    with tempfile.TemporaryDirectory() as out, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = trl.GRPOConfig(
            output_dir=out,
            per_device_train_batch_size=args.prompts * args.group,
            num_generations=args.group,
            max_completion_length=args.new_tokens,
            temperature=1.0,
            top_k=0,
            top_p=1.0,
            learning_rate=lr,
            lr_scheduler_type="constant",
            weight_decay=0.0,
            beta=0.04,
            epsilon=0.2,
            loss_type="grpo",
            use_bias_correction_kl=False,
            max_steps=2,
            logging_steps=10**6,
            save_strategy="no",
            report_to=[],
            use_cpu=True,
            # TRL turns bfloat16 autocast on by default; both sides run float32 here (and on a CPU
            # without bfloat16 arithmetic, bfloat16 is many times slower).
            bf16=False,
            disable_tqdm=True,
            seed=0,
        )
        trainer = trl.GRPOTrainer(
            model=str(converted_dir()),
            reward_funcs=trl_reward,
            args=config,
            train_dataset=datasets.Dataset.from_dict({"prompt": prompts}),
            processing_class=tokenizer,
        )

        step_ends: list[float] = []

        class StepClock(transformers.TrainerCallback):
            def on_step_end(self, *_: object, **__: object) -> None:
                step_ends.append(time.perf_counter())

        trainer.add_callback(StepClock())
        timed = args.rounds * args.steps

        # -- ours ------------------------------------------------------------------------------
        policy = transformers.AutoModelForCausalLM.from_pretrained(converted_dir())
        ours = PolicyTrainer(
            policy,
            lambda ids: tokenizer.decode(ids, skip_special_tokens=True),
            lambda texts, answers: [
                float(parse_answer(t) == a) for t, a in zip(texts, answers, strict=True)
            ],
            stop_id=tokenizer.eos_token_id,
            config=GRPOConfig(
                group_size=args.group,
                max_new_tokens=args.new_tokens,
                lr=lr,
                temperature=1.0,
                clip=0.2,
                beta=0.04,
            ),
        )

        def our_step(batch: list) -> float:
            start = time.perf_counter()
            enc = tokenizer(
                [f"{p.question} Answer:" for p in batch], return_tensors="pt", padding=True
            )
            ours.step(enc["input_ids"], [p.answer for p in batch], enc["attention_mask"])
            return time.perf_counter() - start

        batches = [problems[i : i + args.prompts] for i in range(0, len(problems), args.prompts)]
        our_step(batches[0])  # warm-up
        # Ours before and after TRL's run, so a change in machine load shows in both.
        ours_times = [our_step(b) for b in batches[1 : 1 + timed // 2]]
        trainer.args.max_steps = timed + 1
        trainer.train()
        trl_times = [b - a for a, b in itertools.pairwise(step_ends)]  # after the first step
        ours_times += [our_step(b) for b in batches[1 + timed // 2 : 1 + timed]]
        times = {"ours": ours_times, "trl": trl_times}

    ours_s, trl_s = statistics.median(times["ours"]), statistics.median(times["trl"])
    print(
        f"torch {torch.__version__}, transformers {transformers.__version__}, "
        f"trl {trl.__version__}, {args.threads} threads"
    )
    print(
        f"SmolLM2-135M, {args.prompts} prompts x {args.group} answers x {args.new_tokens} "
        f"tokens per step, {len(times['ours'])} timed steps each after a warm-up step"
    )
    print("| implementation | s per step (median) | every step |")
    print("| --- | --- | --- |")
    print(
        f"| gentle_llm.grpo.PolicyTrainer | {ours_s:.2f} | "
        f"{', '.join(f'{t:.2f}' for t in times['ours'])} |"
    )
    print(
        f"| trl.GRPOTrainer {trl.__version__} | {trl_s:.2f} | "
        f"{', '.join(f'{t:.2f}' for t in times['trl'])} |"
    )
    print(f"ours / TRL speed: {trl_s / ours_s:.2f}x (target >= 1.0)")


if __name__ == "__main__":
    main()
