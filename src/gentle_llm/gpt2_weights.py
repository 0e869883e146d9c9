"""GPT-2's weights in our tiny GPT, and ours in ``transformers``' GPT-2 (Chapter 5).

:class:`gentle_llm.model.GPT` is laid out like GPT-2, so a ``transformers`` GPT-2 model's
weights load into it and give the same logits (a test checks it to 1e-5), and the other way
round. The one surprise: GPT-2 stores its linear layers as ``Conv1D`` with the weight
transposed, so those are transposed on the way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn

from gentle_llm.model import GPT, GPTConfig

__all__ = ["gpt_from_hf_gpt2", "to_hf_gpt2", "to_hf_gpt2_state_dict"]


def gpt_from_hf_gpt2(
    source: nn.Module | Mapping[str, Tensor],
    *,
    n_head: int | None = None,
    gelu_approximate: str = "tanh",
) -> GPT:
    """Build a GPT holding the weights of a ``transformers`` GPT-2 model or state dict.

    A model (``GPT2LMHeadModel`` or ``GPT2Model``) carries its own config. A bare state dict
    does not say how many heads it has: pass ``n_head`` (and ``gelu_approximate="none"`` if
    the model used exact GELU). GPT-2 stores linear layers as ``Conv1D`` with the weight
    transposed, so those are transposed here.
    """
    if isinstance(source, nn.Module):
        hf_config = source.config
        _check_hf_gpt2_config(hf_config)
        n_head = hf_config.n_head
        gelu_approximate = "tanh" if hf_config.activation_function == "gelu_new" else "none"
        state = source.state_dict()
    else:
        state = dict(source)
        if n_head is None:
            raise ValueError(
                "A GPT-2 state dict does not record the number of attention heads; "
                "call gpt_from_hf_gpt2(state_dict, n_head=...)."
            )
    prefix = "transformer." if "transformer.wte.weight" in state else ""
    if prefix + "wte.weight" not in state:
        raise ValueError(
            "This does not look like a GPT-2 state dict (no 'transformer.wte.weight' or "
            "'wte.weight' key)."
        )
    wte = state[prefix + "wte.weight"]
    head = state.get("lm_head.weight")
    if head is not None and not torch.equal(head, wte):
        raise ValueError(
            "This GPT-2 has an LM head that differs from its token embedding "
            "(tie_word_embeddings=False); gentle_llm's GPT always ties them."
        )
    wpe = state[prefix + "wpe.weight"]
    config = _config_from_state(state, prefix, n_head, gelu_approximate)
    n_layer = config.n_layer
    model = GPT(config)
    ours = {
        "tok_emb.weight": wte,
        "pos_emb.weight": wpe,
        "ln_f.weight": state[prefix + "ln_f.weight"],
        "ln_f.bias": state[prefix + "ln_f.bias"],
    }
    for i in range(n_layer):
        for hf_name, our_name, transpose in _GPT2_BLOCK_NAMES:
            tensor = state[f"{prefix}h.{i}.{hf_name}"]
            ours[f"blocks.{i}.{our_name}"] = tensor.t() if transpose else tensor
    ours["lm_head.weight"] = ours["tok_emb.weight"]
    model.load_state_dict({k: v.detach().clone() for k, v in ours.items()})
    return model


def _config_from_state(
    state: Mapping[str, Tensor], prefix: str, n_head: int, gelu_approximate: str
) -> GPTConfig:
    """Read the model's shape off its tensors: vocabulary, context, width and depth."""
    wte, wpe = state[prefix + "wte.weight"], state[prefix + "wpe.weight"]
    n_layer = 1 + max(
        int(key[len(prefix) :].split(".")[1]) for key in state if key.startswith(prefix + "h.")
    )
    return GPTConfig(
        vocab_size=wte.shape[0],
        block_size=wpe.shape[0],
        n_layer=n_layer,
        n_head=n_head,
        n_embd=wte.shape[1],
        bias=True,
        gelu_approximate=gelu_approximate,
    )


def to_hf_gpt2_state_dict(model: GPT) -> dict[str, Tensor]:
    """Our weights under ``GPT2LMHeadModel``'s names and layouts (Conv1D = transposed)."""
    if not model.config.bias:
        raise ValueError("GPT-2 has biases everywhere; only a GPT with bias=True converts.")
    state = {
        "transformer.wte.weight": model.tok_emb.weight,
        "transformer.wpe.weight": model.pos_emb.weight,
        "transformer.ln_f.weight": model.ln_f.weight,
        "transformer.ln_f.bias": model.ln_f.bias,
        "lm_head.weight": model.lm_head.weight,
    }
    for i, block in enumerate(model.blocks):
        ours = dict(block.named_parameters())
        for hf_name, our_name, transpose in _GPT2_BLOCK_NAMES:
            tensor = ours[our_name]
            state[f"transformer.h.{i}.{hf_name}"] = tensor.t() if transpose else tensor
    return {k: v.detach().clone().contiguous() for k, v in state.items()}


def to_hf_gpt2(model: GPT) -> Any:
    """A ``transformers.GPT2LMHeadModel`` (eval mode) with our weights, built offline."""
    from transformers import GPT2Config, GPT2LMHeadModel

    cfg = model.config
    hf_config = GPT2Config(
        vocab_size=cfg.vocab_size,
        n_positions=cfg.block_size,
        n_embd=cfg.n_embd,
        n_layer=cfg.n_layer,
        n_head=cfg.n_head,
        activation_function="gelu_new" if cfg.gelu_approximate == "tanh" else "gelu",
        resid_pdrop=cfg.dropout,
        embd_pdrop=cfg.dropout,
        attn_pdrop=cfg.dropout,
        bos_token_id=None,
        eos_token_id=None,
        pad_token_id=None,
    )
    hf_model = GPT2LMHeadModel(hf_config)
    hf_model.load_state_dict(to_hf_gpt2_state_dict(model), strict=False)
    return hf_model.eval()


# (name in GPT-2, our name, stored transposed in GPT-2)
_GPT2_BLOCK_NAMES = [
    ("ln_1.weight", "ln_1.weight", False),
    ("ln_1.bias", "ln_1.bias", False),
    ("attn.c_attn.weight", "attn.qkv.weight", True),
    ("attn.c_attn.bias", "attn.qkv.bias", False),
    ("attn.c_proj.weight", "attn.proj.weight", True),
    ("attn.c_proj.bias", "attn.proj.bias", False),
    ("ln_2.weight", "ln_2.weight", False),
    ("ln_2.bias", "ln_2.bias", False),
    ("mlp.c_fc.weight", "mlp.fc.weight", True),
    ("mlp.c_fc.bias", "mlp.fc.bias", False),
    ("mlp.c_proj.weight", "mlp.proj.weight", True),
    ("mlp.c_proj.bias", "mlp.proj.bias", False),
]


def _check_hf_gpt2_config(hf_config: Any) -> None:
    """Refuse GPT-2 variants whose maths differs from ours instead of silently diverging."""
    problems = []
    if hf_config.activation_function not in ("gelu_new", "gelu"):
        problems.append(f"activation_function={hf_config.activation_function!r}")
    if not math.isclose(hf_config.layer_norm_epsilon, 1e-5):
        problems.append(f"layer_norm_epsilon={hf_config.layer_norm_epsilon}")
    if not getattr(hf_config, "scale_attn_weights", True):
        problems.append("scale_attn_weights=False")
    if getattr(hf_config, "scale_attn_by_inverse_layer_idx", False):
        problems.append("scale_attn_by_inverse_layer_idx=True")
    if problems:
        raise ValueError(
            "This GPT-2 variant cannot be reproduced by gentle_llm's GPT: "
            + ", ".join(problems)
            + ". Use activation 'gelu_new' or 'gelu', epsilon 1e-5 and standard scaling."
        )
