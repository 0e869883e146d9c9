"""LoRA: fine-tune a big model by training two thin matrices per layer (Chapter 8).

Chapter 8 explains the idea (Hu et al., 2021, "LoRA: Low-Rank Adaptation of Large Language
Models"). Full fine-tuning changes every weight matrix ``W`` (``out × in`` numbers). LoRA keeps
``W`` frozen and learns a low-rank change instead: ``W + (alpha / r) · B A``, with ``A`` of
shape ``r × in`` and ``B`` of shape ``out × r``. For a 576 × 576 matrix and ``r = 8`` that is
9 216 trainable numbers instead of 331 776. ``B`` starts at zero, so the wrapped model starts
out computing exactly what the original did; training moves it away from there.

* :class:`LoRALinear` wraps one ``nn.Linear``.
* :func:`add_lora` wraps the matching linear layers of any model (our GPT, our Llama, a
  ``transformers`` model such as SmolLM2) and freezes everything else.
* :func:`merge_lora` folds each ``B A`` back into ``W``: plain linear layers again, nothing
  extra to compute when generating.
* :func:`unload_lora` drops the adapter instead: the base model back, ready for another one.
* :func:`count_parameters` shows how few numbers are trained.

The layers compute the same numbers as the ``peft`` library's LoRA (a test checks it); this
file just shows that there is nothing more to it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gentle_llm import checks

__all__ = [
    "LoRALinear",
    "add_lora",
    "count_parameters",
    "lora_layers",
    "merge_lora",
    "unload_lora",
]


class LoRALinear(nn.Module):
    """``base(x) + (alpha / r) · B A dropout(x)``: a frozen linear layer plus a low-rank update.

    ``base`` keeps its weight and bias, frozen. ``lora_A`` (``r × in``) starts random, like a
    fresh ``nn.Linear``'s weight; ``lora_B`` (``out × r``) starts at zero, so at first the
    layer gives exactly ``base(x)``. ``dropout`` drops inputs of the LoRA path only.
    """

    def __init__(self, base: nn.Linear, r: int, alpha: float, dropout: float = 0.0) -> None:
        super().__init__()
        checks.instance(base, "base", nn.Linear, "an nn.Linear", "LoRALinear wraps an nn.Linear.")
        r = checks.whole_number(r, "r", hint="The rank of the update, e.g. r=8.")
        side = min(base.in_features, base.out_features)
        hint = (
            f"r cannot be larger than this layer's smaller side ({base.out_features} × "
            f"{base.in_features}): a rank-r update has at most {side} independent directions. "
            "Use a smaller r (4 to 64 is usual)."
        )
        checks.whole_number(r, "r", 1, side, hint=hint)
        alpha = checks.number(alpha, "alpha", low=0, low_open=True, hint="e.g. alpha=16.")
        dropout = checks.number(dropout, "dropout", low=0, high=1, high_open=True)
        self.base = base.requires_grad_(False)
        self.r, self.alpha = r, alpha
        self.scale = alpha / r  # dividing by r lets one alpha suit every rank
        like = {"device": base.weight.device, "dtype": base.weight.dtype}
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features, **like))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r, **like))
        # The same start as a fresh nn.Linear's weight (and the LoRA paper's code).
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    @property
    def in_features(self) -> int:
        return self.base.in_features

    @property
    def out_features(self) -> int:
        return self.base.out_features

    @property
    def weight(self) -> Tensor:
        """The frozen weight ``W`` (code that reads ``layer.weight`` keeps working)."""
        return self.base.weight

    @property
    def bias(self) -> Tensor | None:
        return self.base.bias

    def delta_weight(self) -> Tensor:
        """The change LoRA makes to ``W``: ``(alpha / r) · B A``, shaped like ``W``."""
        return (self.lora_B @ self.lora_A) * self.scale

    def forward(self, x: Tensor) -> Tensor:
        # Two thin matmuls (x A^T, then B^T) instead of one with the full out × in delta:
        # r numbers per token in between, which is what makes LoRA cheap.
        update = F.linear(F.linear(self.dropout(x), self.lora_A), self.lora_B)
        # add(..., alpha=scale) scales and adds in one pass over the output.
        return torch.add(self.base(x), update, alpha=self.scale)

    def merged(self) -> nn.Linear:
        """A plain ``nn.Linear`` holding ``W + (alpha / r) · B A`` (a new weight tensor)."""
        base = self.base
        layer = nn.Linear(
            base.in_features,
            base.out_features,
            bias=base.bias is not None,
            device=base.weight.device,
            dtype=base.weight.dtype,
        )
        with torch.no_grad():
            layer.weight.copy_(base.weight + self.delta_weight())
            if base.bias is not None:
                layer.bias.copy_(base.bias)
        return layer.requires_grad_(False)

    def extra_repr(self) -> str:
        return f"r={self.r}, alpha={self.alpha:g}, scale={self.scale:g}"


def add_lora(
    model: nn.Module,
    r: int = 8,
    alpha: float = 16.0,
    target_modules: str | Sequence[str] | None = None,
    dropout: float = 0.0,
) -> nn.Module:
    """Wrap matching ``nn.Linear`` layers of ``model`` in :class:`LoRALinear`; freeze the rest.

    The model is changed in place and returned. ``target_modules`` names the layers by the
    end of their dotted names, as ``peft`` does: ``("q_proj", "v_proj")`` in a Llama (the two
    layers the LoRA paper adapted), ``("qkv",)`` in our GPT. ``None`` takes every linear layer
    except the output head and any layer that shares its weight with an embedding. Afterwards
    only the LoRA matrices have ``requires_grad=True``.
    """
    checks.instance(model, "model", nn.Module, "a torch nn.Module")
    if lora_layers(model):
        raise ValueError(
            "This model already has LoRA layers; call merge_lora(model) first to fold them in "
            "(or start from a fresh copy of the model)."
        )
    if isinstance(target_modules, str):
        target_modules = (target_modules,)
    chosen = _matching_linears(model, target_modules)
    if not chosen:
        names = sorted({n.rsplit(".", 1)[-1] for n, m in model.named_modules() if _linear(m)})
        wanted = "(every linear layer but the head)" if target_modules is None else target_modules
        raise ValueError(
            f"No nn.Linear layer of this model matches target_modules={wanted!r}. Its linear "
            f"layers are named: {', '.join(names) or 'none'}."
        )
    model.requires_grad_(False)
    for name in chosen:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name)
        setattr(parent, child, LoRALinear(getattr(parent, child), r, alpha, dropout))
    return model


def merge_lora(model: nn.Module) -> nn.Module:
    """Replace every :class:`LoRALinear` by a plain ``nn.Linear`` holding ``W + B A · scale``.

    In place; returns the model. Same outputs as before (up to rounding), no extra work per
    token. The merged layers stay frozen like the rest; ``model.requires_grad_(True)`` unfreezes
    everything. A merged layer gets its own weight tensor, so a weight it shared (a head tied to
    the embedding) is untied rather than changing the embedding too.
    """
    wrapped = lora_layers(model)
    if not wrapped:
        raise ValueError("This model has no LoRA layers to merge; add them with add_lora(model).")
    for name, layer in wrapped.items():
        parent_name, _, child = name.rpartition(".")
        setattr(model.get_submodule(parent_name), child, layer.merged())
    return model


def unload_lora(model: nn.Module) -> nn.Module:
    """Replace every :class:`LoRALinear` by the frozen layer it wraps: the adapter is dropped.

    In place; returns the model, which computes exactly what it did before :func:`add_lora`
    (LoRA never changes ``W``). One base model can so serve one adapter after another. The
    base layers stay frozen; ``model.requires_grad_(True)`` unfreezes them.
    """
    wrapped = lora_layers(model)
    if not wrapped:
        raise ValueError("This model has no LoRA layers to unload; add them with add_lora(model).")
    for name, layer in wrapped.items():
        parent_name, _, child = name.rpartition(".")
        setattr(model.get_submodule(parent_name), child, layer.base)
    return model


def lora_layers(model: nn.Module) -> dict[str, LoRALinear]:
    """The model's :class:`LoRALinear` layers by dotted name."""
    return {name: m for name, m in model.named_modules() if isinstance(m, LoRALinear)}


def count_parameters(model: nn.Module) -> dict[str, int]:
    """``{"trainable", "frozen", "total"}``: numbers of parameters (a shared tensor counts once)."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return {"trainable": trainable, "frozen": total - trainable, "total": total}


# -- helpers --------------------------------------------------------------------------------


def _linear(module: nn.Module) -> bool:
    return isinstance(module, nn.Linear)


def _matching_linears(model: nn.Module, targets: Sequence[str] | None) -> list[str]:
    """Dotted names of the linear layers to wrap."""
    if targets is not None:
        targets = [checks.text(t, "target_modules entry", example="q_proj") for t in targets]
        return [
            name
            for name, module in model.named_modules()
            if _linear(module) and any(name == t or name.endswith("." + t) for t in targets)
        ]
    embeddings = {id(m.weight) for m in model.modules() if isinstance(m, nn.Embedding)}
    # transformers models name their head; ours call it lm_head.
    get_head = getattr(model, "get_output_embeddings", None)
    head = get_head() if callable(get_head) else None
    return [
        name
        for name, module in model.named_modules()
        if _linear(module)
        and module is not head
        and name.rsplit(".", 1)[-1] != "lm_head"
        and id(module.weight) not in embeddings
    ]
