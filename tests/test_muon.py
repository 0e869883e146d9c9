"""Tests of the Muon optimizer (gentle_llm.muon) and the trainer's use of it."""

from __future__ import annotations

import pytest
import torch

from gentle_llm.model import GPT
from gentle_llm.muon import Muon, orthogonalize
from gentle_llm.train import TrainConfig, make_optimizer


@pytest.mark.parametrize("shape", [(48, 16), (16, 48), (32, 32)])
def test_orthogonalize_keeps_the_directions_and_evens_the_singular_values(shape) -> None:
    generator = torch.Generator().manual_seed(0)
    # Singular values spread over two orders of magnitude.
    u, _ = torch.linalg.qr(torch.randn(shape[0], min(shape), generator=generator))
    v, _ = torch.linalg.qr(torch.randn(shape[1], min(shape), generator=generator))
    sigma = torch.logspace(0, -2, min(shape))
    matrix = u @ torch.diag(sigma) @ v.T
    result = orthogonalize(matrix)
    assert result.shape == matrix.shape
    inner = u.T @ result @ v  # in the matrix's own singular basis
    values = torch.diagonal(inner)
    assert values.min() > 0.6 and values.max() < 1.25, values  # all close to 1 now
    off_diagonal = inner - torch.diag(values)
    assert off_diagonal.abs().max() < 1e-4  # ... along the same directions as before


def test_orthogonalize_treats_each_matrix_of_a_batch_alone() -> None:
    batch = torch.randn(3, 20, 12, generator=torch.Generator().manual_seed(1))
    together = orthogonalize(batch)
    for matrix, result in zip(batch, together, strict=True):
        assert torch.allclose(orthogonalize(matrix), result, atol=1e-5)


def test_the_adamw_groups_match_torch_adamw() -> None:
    torch.manual_seed(0)
    ours_params = [torch.randn(5, 3, requires_grad=True), torch.randn(4, requires_grad=True)]
    torch_params = [p.detach().clone().requires_grad_() for p in ours_params]
    settings = {"lr": 0.01, "betas": (0.9, 0.95), "eps": 1e-8, "weight_decay": 0.1}
    ours = Muon([{"params": ours_params, "muon": False}], **settings)
    reference = torch.optim.AdamW(torch_params, **settings)
    for _ in range(5):
        grads = [torch.randn_like(p) for p in ours_params]
        for params in (ours_params, torch_params):
            for param, grad in zip(params, grads, strict=True):
                param.grad = grad.clone()
        ours.step()
        reference.step()
    for a, b in zip(ours_params, torch_params, strict=True):
        assert torch.allclose(a, b, atol=1e-6), (a - b).abs().max()


def test_a_muon_step_moves_a_matrix_by_an_orthogonal_update() -> None:
    weight = torch.zeros(8, 4, requires_grad=True)
    weight.grad = torch.randn(8, 4, generator=torch.Generator().manual_seed(2))
    Muon([weight], lr=0.1, momentum=0.0).step()
    update = -weight.detach() / (0.1 * 2**0.5)  # scaled by sqrt(rows / columns) = sqrt(2)
    singular_values = torch.linalg.svdvals(update)
    assert singular_values.min() > 0.6 and singular_values.max() < 1.25


def test_muon_refuses_what_is_not_a_matrix() -> None:
    with pytest.raises(ValueError, match="only 2-D parameters"):
        Muon([torch.zeros(3, requires_grad=True)])


def test_the_trainer_gives_muon_the_block_matrices_only(tiny_gpt_config) -> None:
    model = GPT(tiny_gpt_config)
    config = TrainConfig(optimizer="muon", lr=1e-2, muon_lr=0.04)
    optimizer = make_optimizer(model, config, torch.device("cpu"))
    assert isinstance(optimizer, Muon)
    muon, decay, no_decay = optimizer.param_groups
    block_matrices = {id(p) for p in model.blocks.parameters() if p.dim() == 2}
    assert {id(p) for p in muon["params"]} == block_matrices
    assert muon["muon"] and not decay["muon"] and not no_decay["muon"]
    embeddings = {id(model.tok_emb.weight), id(model.pos_emb.weight)}
    assert embeddings <= {id(p) for p in decay["params"]}
    assert sum(p.numel() for g in optimizer.param_groups for p in g["params"]) == (
        model.num_parameters()
    )


def test_the_schedule_scales_both_learning_rates(make_trainer) -> None:
    trainer = make_trainer(optimizer="muon", lr=1e-2, min_lr=1e-3, muon_lr=0.04, warmup_steps=4)
    trainer.train_step()  # step 0 of the warm-up: a quarter of each peak rate
    muon, decay, _ = trainer.optimizer.param_groups
    assert muon["lr"] == pytest.approx(0.01) and decay["lr"] == pytest.approx(0.0025)


def test_muon_training_lowers_the_loss(make_trainer) -> None:
    trainer = make_trainer(optimizer="muon", steps=30, eval_interval=30)
    history = trainer.fit()
    assert history.val_loss[-1] < history.val_loss[0] - 0.5
