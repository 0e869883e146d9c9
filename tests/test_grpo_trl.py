"""gentle_llm.grpo's loss against TRL's GRPOTrainer on one fixed batch (TRL as the reference).

TRL needs a newer transformers than the oldest one the labs support, so this file runs in
`make test` and the newest-versions run, not in the oldest-versions run (see pyproject.toml's
`reference` extra).
"""

from __future__ import annotations

import datasets
import pytest
import torch
import trl
from tokenizers import Tokenizer, models
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from gentle_llm.grpo import completion_logprobs, group_advantages, grpo_loss

VOCAB = 32


def _tiny_tokenizer() -> PreTrainedTokenizerFast:
    vocab = {f"t{i}": i for i in range(VOCAB)}
    return PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer(models.WordLevel(vocab, unk_token="t0")),
        pad_token="t0",
        eos_token="t1",
    )


# TRL 1.16's GRPOConfig sets transformers' old `gradient_checkpointing` name itself.
@pytest.mark.filterwarnings("ignore:.gradient_checkpointing. is deprecated:FutureWarning")
@pytest.mark.parametrize(("beta", "clip"), [(0.04, 0.2), (0.0, 0.2), (0.1, 0.05)])
def test_loss_equals_trl_grpo_trainer(tmp_path, beta: float, clip: float) -> None:
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=VOCAB,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
    )
    folder = tmp_path / "tiny-llama"
    LlamaForCausalLM(config).save_pretrained(folder)  # TRL loads its reference model from a path
    trainer = trl.GRPOTrainer(
        model=str(folder),
        reward_funcs=lambda completions, **_: [0.0] * len(completions),
        args=trl.GRPOConfig(
            output_dir=str(tmp_path),
            per_device_train_batch_size=4,
            num_generations=4,
            beta=beta,
            epsilon=clip,
            loss_type="grpo",
            temperature=1.0,
            report_to=[],
            use_bias_correction_kl=False,  # the KL term of the GRPO paper, without TRL's correction
            use_cpu=True,
            max_completion_length=5,
        ),
        train_dataset=datasets.Dataset.from_dict({"prompt": ["t2 t3"] * 4}),
        processing_class=_tiny_tokenizer(),
    )
    model = trainer.model
    model.eval()  # TRL divides by gradient accumulation steps only in training mode

    generator = torch.Generator().manual_seed(1)
    prompt_ids = torch.randint(2, VOCAB, (4, 3), generator=generator)
    completion_ids = torch.randint(2, VOCAB, (4, 5), generator=generator)
    completion_mask = torch.tensor([[1] * 5, [1] * 3 + [0] * 2, [1] * 4 + [0], [1] + [0] * 4])
    rewards = torch.tensor([1.0, 0.0, 0.5, 0.0])
    advantages = group_advantages(rewards, group_size=4)
    old = torch.randn(4, 5, generator=generator) * 0.1 - 2.0
    ref = torch.randn(4, 5, generator=generator) * 0.1 - 2.0
    inputs = {
        "prompt_ids": prompt_ids,
        "prompt_mask": torch.ones_like(prompt_ids),
        "completion_ids": completion_ids,
        "completion_mask": completion_mask,
        "advantages": advantages,
        "old_per_token_logps": old,
        "ref_per_token_logps": ref,
    }
    expected = trainer.compute_loss(model, inputs)

    # Our side runs the plain model: TRL has patched its copy with a fused, chunked LM head.
    plain = LlamaForCausalLM.from_pretrained(folder).eval()
    ids = torch.cat([prompt_ids, completion_ids], dim=1)
    logprobs = completion_logprobs(plain, ids, prompt_ids.shape[1])
    ours = grpo_loss(logprobs, old, ref, advantages, completion_mask, clip=clip, beta=beta)
    torch.testing.assert_close(ours, expected, rtol=0, atol=1e-5)

    # The gradients agree too, to within TRL's fused LM head (its backward pass is about 0.5 %
    # off the exact gradient here); ours matches central finite differences closely.
    (grad_ours,) = torch.autograd.grad(ours, plain.lm_head.weight)
    (grad_trl,) = torch.autograd.grad(trainer.compute_loss(model, inputs), model.lm_head.weight)
    scale = grad_ours.abs().max()
    assert scale > 0
    torch.testing.assert_close(grad_ours / scale, grad_trl / scale, rtol=0, atol=2e-2)
    weight, step = plain.lm_head.weight, 1e-3
    for row, col in [(4, 12), (25, 8)]:
        with torch.no_grad():
            weight[row, col] += step
            up = grpo_loss(
                completion_logprobs(plain, ids, 3),
                old,
                ref,
                advantages,
                completion_mask,
                clip=clip,
                beta=beta,
            )
            weight[row, col] -= 2 * step
            down = grpo_loss(
                completion_logprobs(plain, ids, 3),
                old,
                ref,
                advantages,
                completion_mask,
                clip=clip,
                beta=beta,
            )
            weight[row, col] += step
        assert abs(float(up - down) / (2 * step) - float(grad_ours[row, col])) < 2e-5 + 1e-3 * scale


def test_advantages_equal_trl_formula() -> None:
    rewards = torch.tensor([1.0, 0.0, 0.0, 1.0, 0.2, 0.2, 0.2, 0.2])
    grouped = rewards.view(-1, 4)
    std = trl.trainer.utils.nanstd(grouped, dim=1).repeat_interleave(4)
    mean = grouped.mean(dim=1).repeat_interleave(4)
    torch.testing.assert_close(group_advantages(rewards, 4), (rewards - mean) / (std + 1e-4))
