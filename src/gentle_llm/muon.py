"""Muon: orthogonalised momentum for the weight matrices (Chapter 6's CPU speedrun).

AdamW gives every single weight its own step size, from that weight's gradient history. Muon
(Keller Jordan, 2024, "Muon: An optimizer for hidden layers in neural networks") looks at a
weight matrix as a whole. It keeps a momentum of the gradient, as SGD with momentum does, and
then replaces that matrix by the nearest orthogonal one: the same directions, with every
singular value pushed to about 1. No direction of the update can then dominate the others. A
few Newton-Schulz iterations compute it with matrix products only (:func:`orthogonalize`).

Muon is meant for the matrices inside the transformer blocks. Embeddings, the output head,
biases and norms are not linear maps of the hidden state in the same way, so :class:`Muon`
gives them AdamW's update (written out in :meth:`Muon._adamw`), all in one optimizer so that a
checkpoint holds one state.

Recent PyTorch versions ship ``torch.optim.Muon``; it runs the iterations in bfloat16, which is
quick on a GPU but many times slower on a CPU without bfloat16 arithmetic. This one stays in
float32 and orthogonalises matrices of the same shape in one batched product.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor

__all__ = ["NEWTON_SCHULZ", "Muon", "orthogonalize"]

# The quintic iteration's coefficients from the Muon write-up. They trade exactness for speed:
# five steps take singular values between 0.01 and 1 to between about 0.6 and 1.25
# (tests/test_muon.py checks it), which trains as well as exactly 1.
NEWTON_SCHULZ = (3.4445, -4.7750, 2.0315)


def orthogonalize(matrices: Tensor, steps: int = 5) -> Tensor:
    """Nearly the nearest orthogonal matrix to each of ``matrices`` (shape ``[..., m, n]``).

    Each step maps ``X`` to ``a X + (b A + c A^2) X`` with ``A = X X^T``, which moves every
    singular value of ``X`` towards 1 and leaves its singular vectors alone.
    """
    a, b, c = NEWTON_SCHULZ
    wide = matrices.shape[-2] <= matrices.shape[-1]
    x = matrices if wide else matrices.mT  # A = X X^T is then the smaller square
    # Scaled so that no singular value exceeds 1, where the iteration converges.
    x = x / (x.norm(dim=(-2, -1), keepdim=True) + 1e-7)
    for _ in range(steps):
        gram = x @ x.mT
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x if wide else x.mT


class Muon(torch.optim.Optimizer):
    """Muon for parameter groups with ``muon=True``, AdamW for the others.

    ``lr``, ``momentum``, ``weight_decay`` and ``ns_steps`` are Muon's defaults; ``betas`` and
    ``eps`` are AdamW's. Each group may set its own ``lr`` and ``weight_decay``. A Muon update
    of an ``m x n`` matrix is scaled by ``sqrt(max(1, m / n))`` so that tall and wide matrices
    move by similar amounts. Weight decay is decoupled, as in AdamW.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 0.02,
        momentum: float = 0.95,
        weight_decay: float = 0.0,
        ns_steps: int = 5,
        betas: tuple[float, float] = (0.9, 0.99),
        eps: float = 1e-8,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "weight_decay": weight_decay,
            "ns_steps": ns_steps,
            "betas": betas,
            "eps": eps,
            "muon": True,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            if group["muon"] and any(p.dim() != 2 for p in group["params"]):
                raise ValueError(
                    "Muon orthogonalises matrices: a group with muon=True may hold only 2-D "
                    "parameters. Put embeddings' rows, biases and norms in a muon=False group."
                )

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        """One update of every parameter that has a gradient (torch's Optimizer.step)."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if group["muon"]:
                self._muon(group, params)
            else:
                self._adamw(group, params)
        return loss

    def _muon(self, group: dict[str, Any], params: list[Tensor]) -> None:
        lr, mu, decay = group["lr"], group["momentum"], group["weight_decay"]
        by_shape: dict[torch.Size, list[tuple[Tensor, Tensor]]] = defaultdict(list)
        for p in params:
            state = self.state[p]
            if "momentum" not in state:
                state["momentum"] = torch.zeros_like(p)
            buffer = state["momentum"]
            buffer.lerp_(p.grad, 1 - mu)
            # Nesterov: step along the gradient as the momentum is about to make it.
            by_shape[p.shape].append((p, p.grad.lerp(buffer, mu)))
        for shape, items in by_shape.items():
            updates = orthogonalize(torch.stack([u for _, u in items]), group["ns_steps"])
            scale = max(1.0, shape[0] / shape[1]) ** 0.5
            for (p, _), update in zip(items, updates, strict=True):
                p.mul_(1 - lr * decay)
                p.add_(update.to(p.dtype), alpha=-lr * scale)

    def _adamw(self, group: dict[str, Any], params: list[Tensor]) -> None:
        """AdamW's update (Loshchilov and Hutter), the same numbers as torch.optim.AdamW."""
        lr, decay, eps = group["lr"], group["weight_decay"], group["eps"]
        beta1, beta2 = group["betas"]
        for p in params:
            state = self.state[p]
            if "step" not in state:
                state["step"] = torch.zeros((), dtype=torch.float32)
                state["exp_avg"] = torch.zeros_like(p)
                state["exp_avg_sq"] = torch.zeros_like(p)
            state["step"] += 1
            step = float(state["step"])
            mean, square = state["exp_avg"], state["exp_avg_sq"]
            mean.lerp_(p.grad, 1 - beta1)  # running average of the gradient
            square.mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)  # ... of its square
            p.mul_(1 - lr * decay)
            # Both averages start at 0; dividing by 1 - beta^step undoes that early bias.
            denominator = (square / (1 - beta2**step)).sqrt_().add_(eps)
            p.addcdiv_(mean, denominator, value=-lr / (1 - beta1**step))
