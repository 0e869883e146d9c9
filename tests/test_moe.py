"""gentle_llm.moe: the top-k router, the MoE layer, the load-balancing loss, the MoE GPT."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from gentle_llm.generate import SamplingConfig, generate
from gentle_llm.model import GPT, MLP, GPTConfig
from gentle_llm.moe import (
    MoEGPT,
    MoEMLP,
    TopKRouter,
    active_parameters,
    expert_load,
    load_balancing_loss,
    tokens_per_expert,
)
from gentle_llm.train import Trainer

SMALL = GPTConfig(vocab_size=30, block_size=16, n_layer=2, n_head=2, n_embd=8)


def _bigger_weights(module: torch.nn.Module, scale: float = 0.5) -> torch.nn.Module:
    """Weights far from the small initialisation, so that routing and mistakes show."""
    with torch.no_grad():
        for param in module.parameters():
            param.add_(scale * torch.randn_like(param))
    return module


# -- the router -------------------------------------------------------------------------------


def test_router_shapes_top_k_and_renormalised_weights() -> None:
    torch.manual_seed(0)
    router = _bigger_weights(TopKRouter(n_embd=8, n_experts=5, top_k=2))
    x = torch.randn(3, 7, 8)
    routing = router(x)
    assert routing.probs.shape == (3, 7, 5)
    assert routing.experts.shape == routing.weights.shape == (3, 7, 2)
    probs = torch.softmax(x @ router.gate.weight.T, dim=-1)
    assert torch.allclose(routing.probs, probs)
    # The two experts are the two most likely, the most likely first.
    best = probs.argsort(dim=-1, descending=True)[..., :2]
    assert torch.equal(routing.experts, best)
    # Their weights are their probabilities, rescaled to sum to 1.
    chosen = probs.gather(-1, best)
    assert torch.allclose(routing.weights, chosen / chosen.sum(-1, keepdim=True))
    assert torch.allclose(routing.weights.sum(-1), torch.ones(3, 7))
    assert (routing.weights[..., 0] >= routing.weights[..., 1]).all()


def test_router_with_top_1_gives_weight_1() -> None:
    routing = TopKRouter(8, 4, 1)(torch.randn(10, 8))
    assert torch.equal(routing.weights, torch.ones(10, 1))
    assert torch.equal(routing.experts[:, 0], routing.probs.argmax(-1))


@pytest.mark.parametrize(("n_experts", "top_k"), [(4, 0), (4, 5), (0, 1), (4, 1.5)])
def test_router_refuses_impossible_choices(n_experts: int, top_k: float) -> None:
    with pytest.raises(ValueError, match="n_experts|top_k"):
        TopKRouter(8, n_experts, top_k)  # type: ignore[arg-type]


# -- the MoE layer ----------------------------------------------------------------------------


def _by_hand(layer: MoEMLP, x: torch.Tensor) -> torch.Tensor:
    """The MoE layer token by token: softmax, top-k, renormalise, weighted sum of experts."""
    out = torch.zeros_like(x)
    for b in range(x.shape[0]):
        for t in range(x.shape[1]):
            token = x[b, t]
            probs = torch.softmax(layer.router.gate.weight @ token, dim=-1)
            chosen = sorted(range(len(probs)), key=lambda e: -probs[e].item())
            chosen = chosen[: layer.router.top_k]
            total = sum(probs[e] for e in chosen)
            out[b, t] = sum(probs[e] / total * layer.experts[e](token) for e in chosen)
    return out


@pytest.mark.parametrize("top_k", [1, 2, 3])
def test_moe_layer_equals_a_hand_computation(top_k: int) -> None:
    torch.manual_seed(1)
    layer = _bigger_weights(MoEMLP(SMALL, n_experts=3, top_k=top_k)).eval()
    x = torch.randn(2, 5, 8)
    with torch.no_grad():
        out = layer(x)
        assert out.shape == x.shape
        assert torch.allclose(out, _by_hand(layer, x), atol=1e-6)
        if top_k == 3:  # every expert: the dense mixture sum_e p_e * expert_e(x)
            probs = torch.softmax(layer.router.gate(x), dim=-1)
            mixture = sum(probs[..., e : e + 1] * layer.experts[e](x) for e in range(3))
            assert torch.allclose(out, mixture, atol=1e-6)
    assert layer.last_routing is not None and layer.last_routing.experts.shape == (2, 5, top_k)


def test_one_expert_is_the_dense_mlp() -> None:
    torch.manual_seed(2)
    mlp = _bigger_weights(MLP(SMALL)).eval()
    layer = MoEMLP(SMALL, n_experts=1, top_k=1).eval()
    layer.experts[0].load_state_dict(mlp.state_dict())
    x = torch.randn(2, 4, 8)
    with torch.no_grad():
        assert torch.equal(layer(x), mlp(x))


def test_narrow_experts_cost_what_one_dense_mlp_costs() -> None:
    width = 2 * SMALL.n_embd
    layer = MoEMLP(SMALL, n_experts=4, top_k=2, expert_width=width)
    assert layer.experts[0].fc.weight.shape == (width, SMALL.n_embd)
    assert layer.experts[0].proj.weight.shape == (SMALL.n_embd, width)
    assert layer(torch.randn(2, 4, SMALL.n_embd)).shape == (2, 4, SMALL.n_embd)

    # Two experts half as wide hold as many weights as the dense MLP (4 * n_embd inside).
    def weights(mlp: torch.nn.Module) -> int:
        return mlp.fc.weight.numel() + mlp.proj.weight.numel()

    assert 2 * weights(layer.experts[0]) == weights(MLP(SMALL))
    moe = MoEGPT(SMALL, n_experts=4, top_k=2, expert_width=width)
    expert = sum(p.numel() for p in moe.blocks[0].mlp.experts[0].parameters())
    total = sum(p.numel() for p in moe.parameters())
    assert active_parameters(moe) == total - SMALL.n_layer * 2 * expert
    for bad in (0, -8, 2.5):
        with pytest.raises(ValueError, match="expert_width"):
            MoEMLP(SMALL, n_experts=4, top_k=2, expert_width=bad)


# -- the load-balancing loss ------------------------------------------------------------------


def test_load_balancing_loss_by_hand() -> None:
    # 4 tokens, 2 experts, top-1: expert 0 gets 3 tokens (f = 0.75, 0.25) and the mean router
    # probabilities are P = (0.65, 0.35): loss = 2 * (0.75 * 0.65 + 0.25 * 0.35) = 1.15.
    probs = torch.tensor([[0.9, 0.1], [0.8, 0.2], [0.6, 0.4], [0.3, 0.7]])
    experts = probs.argmax(-1, keepdim=True)
    assert tokens_per_expert(experts, 2).tolist() == [3, 1]
    assert load_balancing_loss(probs, experts).item() == pytest.approx(1.15)


def test_load_balancing_loss_against_mixtral_convention() -> None:
    # Hugging Face's Mixtral (load_balancing_loss_func) counts each of the top_k slots as a
    # whole token: its value is top_k times ours. Written here the way it computes it.
    torch.manual_seed(3)
    logits = torch.randn(50, 6)
    probs = torch.softmax(logits, dim=-1)
    experts = probs.topk(2, dim=-1).indices
    slot_fraction = F.one_hot(experts, 6).float().mean(dim=0)  # [top_k, n_experts]
    mixtral = (slot_fraction * probs.mean(dim=0)).sum() * 6
    assert load_balancing_loss(probs, experts).item() == pytest.approx(mixtral.item() / 2)


def test_load_balancing_loss_is_1_when_balanced_and_n_when_collapsed() -> None:
    n = 4
    uniform = torch.full((12, n), 1 / n)
    assert load_balancing_loss(uniform, torch.zeros(12, 1, dtype=torch.long)).item() == 1.0
    # Each expert certain for 3 of the 12 tokens: balanced, also 1.
    experts = torch.arange(12).remainder(n).unsqueeze(-1)
    one_hot = F.one_hot(experts[:, 0], n).float()
    assert load_balancing_loss(one_hot, experts).item() == pytest.approx(1.0)
    # Every token certain of expert 0: the worst case, n_experts.
    collapsed = F.one_hot(torch.zeros(12, dtype=torch.long), n).float()
    assert load_balancing_loss(collapsed, torch.zeros(12, 1, dtype=torch.long)).item() == n
    # A router that prefers one expert scores above 1, and its gradient pushes it back.
    logits = torch.tensor([[2.0, 0.0, 0.0, 0.0]]).repeat(12, 1).requires_grad_()
    probs = torch.softmax(logits, dim=-1)
    loss = load_balancing_loss(probs, probs.argmax(-1, keepdim=True))
    loss.backward()
    assert loss.item() > 1.0
    assert logits.grad is not None and (logits.grad[:, 0] > 0).all()  # descent lowers it


# -- the MoE GPT ------------------------------------------------------------------------------


def test_moe_gpt_counts_total_and_active_parameters() -> None:
    dense = GPT(SMALL)
    moe = MoEGPT(SMALL, n_experts=4, top_k=1)
    total = sum(p.numel() for p in moe.parameters())
    mlp = sum(p.numel() for p in dense.blocks[0].mlp.parameters())
    router = SMALL.n_embd * 4
    assert total == dense.num_parameters() + SMALL.n_layer * (3 * mlp + router)
    # One expert of four per token: the dense model's parameters, plus the routers.
    assert active_parameters(moe) == dense.num_parameters() + SMALL.n_layer * router
    assert active_parameters(moe) < total
    assert active_parameters(MoEGPT(SMALL, 4, 4)) == sum(p.numel() for p in moe.parameters())
    assert active_parameters(dense) == dense.num_parameters()
    with pytest.raises(TypeError, match="model must be"):
        active_parameters("GPT")  # type: ignore[arg-type]


def test_moe_gpt_adds_the_balancing_loss_in_training_only() -> None:
    torch.manual_seed(4)
    model = MoEGPT(SMALL, n_experts=4, top_k=2, aux_loss_coef=0.5)
    idx = torch.randint(0, SMALL.vocab_size, (3, 16))
    model.train()
    _, train_loss = model(idx, idx)
    aux = model.aux_loss
    model.eval()
    logits, eval_loss = model(idx, idx)
    cross_entropy = F.cross_entropy(logits.flatten(0, 1), idx.flatten())
    assert eval_loss is not None and torch.allclose(eval_loss, cross_entropy)
    assert train_loss is not None and aux is not None
    assert torch.allclose(train_loss, eval_loss + 0.5 * aux)
    # The aux loss is the mean of the layers' balancing losses.
    layers = [b.mlp.last_routing for b in model.blocks]
    per_layer = [load_balancing_loss(r.probs, r.experts) for r in layers]
    assert torch.allclose(model.aux_loss, torch.stack(per_layer).mean())
    load = expert_load(model)
    assert load.shape == (SMALL.n_layer, 4)
    assert load.sum(dim=1).tolist() == [3 * 16 * 2] * SMALL.n_layer  # tokens x top_k
    with pytest.raises(ValueError, match="MoE model"):
        expert_load(GPT(SMALL))
    with pytest.raises(ValueError, match="aux_loss_coef"):
        MoEGPT(SMALL, aux_loss_coef=-1)


def test_moe_gpt_trains(char_data, tiny_gpt_config, train_config) -> None:
    torch.manual_seed(0)
    model = MoEGPT(tiny_gpt_config, n_experts=4, top_k=2)
    history = Trainer(model, char_data, train_config(steps=10, eval_interval=10)).fit()
    assert history.train_loss[0] == pytest.approx(math.log(65), abs=0.2)
    assert history.train_loss[-1] < history.train_loss[0] - 0.3
    assert math.isfinite(history.val_loss[-1])
    # Every expert of every layer got some of the tokens.
    assert (expert_load(model) > 0).all()


def test_moe_gpt_generates_with_and_without_the_kv_cache() -> None:
    torch.manual_seed(5)
    model = _bigger_weights(MoEGPT(SMALL, n_experts=3, top_k=2), 0.3)
    config = SamplingConfig(max_new_tokens=10, temperature=0)
    cached = generate(model, [1, 2, 3], config)
    assert cached == generate(model, [1, 2, 3], config, use_cache=False)
    assert len(cached) == 10
