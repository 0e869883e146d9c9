"""Mixture of experts: many feed-forward layers, and a router that sends each token to a few.

Chapter 5's section "Mixture of experts" explains the idea behind Mixtral, DeepSeek-V3, Qwen3's
"A3B" models and gpt-oss: a block keeps one attention, but replaces its single MLP by
``n_experts`` MLPs, and a small linear **router** picks the ``top_k`` of them for each token.
The model holds every expert (memory grows with the *total* parameters) but each token runs
through only ``top_k`` (compute grows with the *active* parameters).

* :class:`TopKRouter`: a linear gate scores the experts, a softmax turns the scores into
  probabilities, the ``top_k`` largest are kept and renormalised to sum to 1 (as Mixtral does).
* :class:`MoEMLP`: the experts, each shaped like the tiny GPT's :class:`~gentle_llm.model.MLP`
  (or narrower inside, ``expert_width``, as in Qwen3 and DeepSeek-V3, whose many experts are
  much narrower than a dense model's MLP); each token's output is the weighted sum of its
  chosen experts' outputs.
* :func:`load_balancing_loss`: the Switch Transformer's auxiliary loss (Fedus et al. 2021), which
  keeps the router from sending every token to the same few experts.
* :class:`MoEGPT`: the tiny GPT of :mod:`gentle_llm.model` with every MLP swapped for an
  :class:`MoEMLP`; it adds the load-balancing loss to its training loss.
* :func:`expert_load` (tokens per expert, per layer) and :func:`active_parameters`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from gentle_llm import checks
from gentle_llm.model import GPT, MLP, GPTConfig, KVCache

__all__ = [
    "MoEGPT",
    "MoEMLP",
    "Routing",
    "TopKRouter",
    "active_parameters",
    "expert_load",
    "expert_mlp",
    "load_balancing_loss",
    "tokens_per_expert",
]


@dataclass(frozen=True)
class Routing:
    """What a :class:`TopKRouter` decided for each token (``...`` = the token dimensions).

    ``probs`` ``[..., n_experts]``: the softmax over every expert; ``experts`` ``[..., top_k]``:
    the chosen experts, most likely first; ``weights`` ``[..., top_k]``: their probabilities,
    renormalised to sum to 1.
    """

    probs: Tensor
    experts: Tensor
    weights: Tensor


class TopKRouter(nn.Module):
    """Chapter 5's router: score every expert, keep the ``top_k`` best, share 1 among them."""

    def __init__(self, n_embd: int, n_experts: int, top_k: int) -> None:
        super().__init__()
        checks.whole_number(n_experts, "n_experts")
        checks.whole_number(top_k, "top_k", 1, n_experts, hint="(a token picks among n_experts)")
        self.top_k = top_k
        # No bias, as in Switch and Mixtral: the router only compares the experts.
        self.gate = nn.Linear(n_embd, n_experts, bias=False)

    def forward(self, x: Tensor) -> Routing:
        probs = torch.softmax(self.gate(x), dim=-1)
        weights, experts = torch.topk(probs, self.top_k, dim=-1)
        # Renormalised, the chosen experts' weights sum to 1 whatever the others had.
        return Routing(probs, experts, weights / weights.sum(dim=-1, keepdim=True))


def expert_mlp(config: GPTConfig, width: int | None = None) -> MLP:
    """One expert: the block's :class:`~gentle_llm.model.MLP`, ``width`` numbers wide inside.

    ``None`` keeps the MLP's own ``4 * n_embd``. Narrower experts let a layer run ``top_k`` of
    them per token for the arithmetic of one dense MLP: two experts of ``2 * n_embd`` cost what
    one MLP of ``4 * n_embd`` costs.
    """
    mlp = MLP(config)
    if width is not None:
        checks.whole_number(width, "expert_width", hint="(the MLP's own is 4 * n_embd)")
        mlp.fc = nn.Linear(config.n_embd, width, bias=config.bias)
        mlp.proj = nn.Linear(width, config.n_embd, bias=config.bias)
    return mlp


class MoEMLP(nn.Module):
    """A drop-in replacement for a block's MLP: ``n_experts`` MLPs, ``top_k`` per token.

    Each expert is an :class:`~gentle_llm.model.MLP`, ``expert_width`` numbers wide inside
    (default: the MLP's own ``4 * n_embd``). ``last_routing`` keeps the router's decision of
    the latest call, for the load-balancing loss and for :func:`expert_load`.
    """

    def __init__(
        self,
        config: GPTConfig,
        n_experts: int = 4,
        top_k: int = 1,
        expert_width: int | None = None,
    ) -> None:
        super().__init__()
        self.router = TopKRouter(config.n_embd, n_experts, top_k)
        self.experts = nn.ModuleList(expert_mlp(config, expert_width) for _ in range(n_experts))
        self.last_routing: Routing | None = None

    @property
    def n_experts(self) -> int:
        return len(self.experts)

    def forward(self, x: Tensor) -> Tensor:
        tokens = x.reshape(-1, x.shape[-1])  # the batch and time dimensions, as one list
        routing = self.router(tokens)
        out = torch.zeros_like(tokens)
        for e, expert in enumerate(self.experts):
            # Which tokens chose expert e, and in which of their top_k slots. An expert nobody
            # chose runs on no tokens: almost free, and its weights still get a (zero)
            # gradient, which training on several GPUs (DDP) expects of every weight.
            token, slot = torch.where(routing.experts == e)
            weight = routing.weights[token, slot].unsqueeze(-1)
            contribution = weight * expert(tokens[token])
            # (Under mixed precision the expert answers in 16 bits; the sum keeps x's type.)
            out = out.index_add(0, token, contribution.to(out.dtype))
        shape = x.shape[:-1]
        self.last_routing = Routing(
            routing.probs.reshape(*shape, -1),
            routing.experts.reshape(*shape, -1),
            routing.weights.reshape(*shape, -1),
        )
        return out.reshape(x.shape)


def tokens_per_expert(experts: Tensor, n_experts: int) -> Tensor:
    """How many tokens chose each expert: ``experts`` are a router's choices ``[..., top_k]``.

    A token with ``top_k = 2`` counts once for each of its two experts.
    """
    return torch.bincount(experts.flatten(), minlength=n_experts)


def load_balancing_loss(probs: Tensor, experts: Tensor) -> Tensor:
    """The Switch Transformer's load-balancing loss: ``n_experts * sum_i f_i * P_i`` (Chapter 5).

    ``f_i`` is the fraction of the routing choices that went to expert ``i`` (with ``top_k``
    choices per token, each counts ``1 / (tokens * top_k)``) and ``P_i`` the mean router
    probability of expert ``i`` over the tokens (``probs`` ``[..., n_experts]``, ``experts``
    ``[..., top_k]``, as in a :class:`Routing`). It is 1 for a balanced router (uniform
    probabilities, or every expert chosen equally often with matching probabilities) and
    ``n_experts`` when every token goes to one expert with certainty. Only ``P`` carries a
    gradient: the choices themselves cannot be differentiated. Hugging Face's Mixtral counts
    each of the ``top_k`` slots as a whole token, so its value is ``top_k`` times this one.
    """
    n_experts = probs.shape[-1]
    f = tokens_per_expert(experts, n_experts).to(probs.dtype) / experts.numel()
    p = probs.reshape(-1, n_experts).mean(dim=0)
    return n_experts * (f * p).sum()


class MoEGPT(GPT):
    """The tiny GPT of Chapter 5 with a mixture of experts in every block (Chapter 5).

    Every block's MLP becomes an :class:`MoEMLP` of ``n_experts`` experts, ``top_k`` per token;
    everything else is :class:`~gentle_llm.model.GPT`'s, so the trainer, the KV cache and
    :func:`gentle_llm.generate.generate` work unchanged. In training mode the loss is the
    cross-entropy plus ``aux_loss_coef`` times the load-balancing loss (the mean over layers,
    kept in ``aux_loss``); in eval mode it is the cross-entropy alone, comparable to a dense
    GPT's. ``aux_loss_coef=0.01`` is the Switch Transformer's; 0 trains without balancing.
    ``expert_width`` narrows every expert (see :class:`MoEMLP`).
    """

    def __init__(
        self,
        config: GPTConfig,
        n_experts: int = 4,
        top_k: int = 1,
        aux_loss_coef: float = 0.01,
        expert_width: int | None = None,
    ) -> None:
        checks.number(aux_loss_coef, "aux_loss_coef", low=0, hint="(0 switches balancing off).")
        super().__init__(config)
        for block in self.blocks:
            block.mlp = MoEMLP(config, n_experts, top_k, expert_width)
        self.aux_loss_coef = aux_loss_coef
        self.aux_loss: Tensor | None = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """GPT-2's initialisation, as :meth:`GPT.reset_parameters`, each expert like an MLP."""
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)
            if isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
        residual_std = 0.02 / math.sqrt(2 * self.config.n_layer)
        for block in self.blocks:
            nn.init.normal_(block.attn.proj.weight, mean=0.0, std=residual_std)
            # GPT.__init__ calls this before the experts replace the MLPs: damp either kind.
            mlps = block.mlp.experts if isinstance(block.mlp, MoEMLP) else [block.mlp]
            for mlp in mlps:
                nn.init.normal_(mlp.proj.weight, mean=0.0, std=residual_std)

    def forward(
        self,
        idx: Tensor,
        targets: Tensor | None = None,
        *,
        kv_cache: KVCache | None = None,
    ) -> tuple[Tensor, Tensor | None]:
        """As :meth:`GPT.forward`; in training mode the loss includes the balancing loss."""
        logits, loss = super().forward(idx, targets, kv_cache=kv_cache)
        routings = [block.mlp.last_routing for block in self.blocks]
        losses = [load_balancing_loss(r.probs, r.experts) for r in routings if r is not None]
        self.aux_loss = torch.stack(losses).mean()
        if loss is not None and self.training and self.aux_loss_coef > 0:
            loss = loss + self.aux_loss_coef * self.aux_loss
        return logits, loss


def expert_load(model: nn.Module) -> Tensor:
    """Tokens per expert in each MoE layer during the model's latest forward pass.

    Returns ``[layers, n_experts]`` counts (a token counts once per chosen expert), the numbers
    behind Lab 5's plot of how tokens spread over the experts.
    """
    routed = [(m.last_routing, m.n_experts) for m in model.modules() if isinstance(m, MoEMLP)]
    routed = [(routing, n) for routing, n in routed if routing is not None]
    fix = "give an MoE model (e.g. an MoEGPT) and run it on some tokens first: model(idx)."
    checks.not_empty(routed, "The list of routed layers", fix)
    return torch.stack([tokens_per_expert(routing.experts, n) for routing, n in routed])


def active_parameters(model: nn.Module) -> int:
    """Parameters one token goes through: all of them, less the experts it does not use.

    The router runs for every token, so it counts; of each :class:`MoEMLP`'s experts only
    ``top_k`` do. A dense model's active parameters are its total
    (``sum(p.numel() for p in model.parameters())``). The embedding counts whole, as Mixtral's
    and Qwen's published counts do (DeepSeek's and gpt-oss's leave the input embedding out).
    """
    checks.instance(model, "model", nn.Module, "a torch.nn.Module, e.g. an MoEGPT")
    total = sum(p.numel() for p in model.parameters())
    for layer in model.modules():
        if isinstance(layer, MoEMLP):
            per_expert = sum(p.numel() for p in layer.experts[0].parameters())
            total -= (layer.n_experts - layer.router.top_k) * per_expert
    return total
