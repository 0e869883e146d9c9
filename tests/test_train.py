"""Tests of gentle_llm.train: schedule, optimizer, loop, exact resume, checkpoints, CLI."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from gentle_llm.checkpoint import (
    CheckpointError,
    load_checkpoint,
    model_from_checkpoint,
    save_checkpoint,
)
from gentle_llm.data import TokenData
from gentle_llm.model import GPT
from gentle_llm.presets import PRESETS
from gentle_llm.train import TrainConfig, lr_at, make_optimizer

# -- schedule and optimizer -------------------------------------------------------------------


def test_lr_warms_up_linearly_then_decays_along_a_cosine() -> None:
    cfg = TrainConfig(steps=110, lr=1e-3, min_lr=1e-4, warmup_steps=10)
    assert math.isclose(lr_at(0, cfg), 1e-4)
    assert math.isclose(lr_at(9, cfg), 1e-3)
    assert math.isclose(lr_at(10, cfg), 1e-3)
    assert math.isclose(lr_at(60, cfg), 0.55e-3)  # half-way down the cosine
    assert math.isclose(lr_at(110, cfg), 1e-4)
    assert math.isclose(lr_at(500, cfg), 1e-4)
    decay = [lr_at(s, cfg) for s in range(10, 111)]
    assert all(a >= b for a, b in zip(decay, decay[1:], strict=False))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"batch_size": 6, "grad_accum": 4}, "multiple of grad_accum"),
        ({"lr": 0.0}, "lr > 0"),
        ({"min_lr": 1.0}, "min_lr <= lr"),
        ({"steps": 0}, "steps must be"),
        ({"dtype": "float8"}, "dtype must be"),
        ({"grad_clip": 0.0}, "grad_clip"),
        ({"eval_batches": 0}, "eval_batches"),
        ({"optimizer": "sgd"}, "optimizer must be one of 'adamw', 'muon'"),
        ({"muon_lr": 0.0}, "muon_lr"),
    ],
)
def test_train_config_rejects_bad_values(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TrainConfig(**changes)


def test_weight_decay_only_on_matrices(tiny_gpt_config) -> None:
    model = GPT(tiny_gpt_config)
    optimizer = make_optimizer(model, TrainConfig(weight_decay=0.1), torch.device("cpu"))
    decay, no_decay = optimizer.param_groups
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    assert all(p.dim() == 2 for p in decay["params"])
    assert all(p.dim() == 1 for p in no_decay["params"])
    assert sum(p.numel() for g in (decay, no_decay) for p in g["params"]) == (
        model.num_parameters()
    )
    assert decay["fused"] is True  # torch >= 2.4 has a fused AdamW for CPU


def test_presets_are_complete() -> None:
    assert set(PRESETS) == {"cpu-quick", "cpu-sprint", "cpu-speedrun", "gpu"}
    for preset in PRESETS.values():
        assert preset.model.vocab_size == 65
        assert preset.train.batch_size % preset.train.grad_accum == 0
    assert PRESETS["cpu-quick"].train.device == "cpu"


# -- the loop ---------------------------------------------------------------------------------


def test_training_lowers_the_loss_and_reports_to_callbacks(make_trainer) -> None:
    trainer = make_trainer(steps=30, eval_interval=10)
    seen = []
    history = trainer.fit(on_eval=lambda *event: seen.append(event))
    assert [event[0] for event in seen] == [0, 10, 20, 30]
    assert history.eval_step == [0, 10, 20, 30]
    assert history.step == list(range(1, 31)) and len(history.train_loss) == 30
    assert math.isnan(seen[0][1]) and not math.isnan(seen[1][1])
    assert seen[0][2] > 4.0  # about ln(65) before training
    assert history.val_loss[-1] < history.val_loss[0] - 0.6
    assert history.elapsed_s == sorted(history.elapsed_s)
    assert history.lr[0] == lr_at(0, trainer.config)


def test_gradient_accumulation_matches_one_big_batch(make_trainer) -> None:
    one = make_trainer(steps=6, grad_clip=None)
    split = make_trainer(steps=6, grad_clip=None, grad_accum=4)
    h1, h2 = one.fit(), split.fit()
    # Same global batch; only the summation order differs (float32 round-off).
    for a, b in zip(h1.train_loss, h2.train_loss, strict=True):
        assert math.isclose(a, b, rel_tol=1e-5)
    for p1, p2 in zip(one.model.parameters(), split.model.parameters(), strict=True):
        torch.testing.assert_close(p1, p2, rtol=1e-4, atol=1e-5)


def test_random_batch_evaluation_is_repeatable(make_trainer) -> None:
    trainer = make_trainer(eval_batches=3, eval_batch_size=4)
    assert trainer.evaluate() == trainer.evaluate()


def test_half_precision_on_cpu_warns_and_uses_float32(make_trainer) -> None:
    with pytest.warns(UserWarning, match="only used on CUDA"):
        trainer = make_trainer(dtype="bfloat16")
    assert trainer.dtype == torch.float32


def test_token_ids_beyond_the_vocabulary_are_refused(tiny_gpt_config, make_trainer) -> None:
    small = replace(tiny_gpt_config, vocab_size=10)
    with pytest.raises(ValueError, match="vocab_size"):
        make_trainer(small)


def test_fit_cannot_run_past_the_schedule(make_trainer) -> None:
    with pytest.raises(ValueError, match="raise TrainConfig.steps"):
        make_trainer().fit(11)


# -- exact resume -----------------------------------------------------------------------------


@pytest.mark.parametrize("optimizer", ["adamw", "muon"])
def test_resume_is_bitwise_identical_to_an_uninterrupted_run(
    tiny_gpt_config, make_trainer, tmp_path: Path, optimizer: str
) -> None:
    """Stop after 4 of 10 steps, rebuild everything from scratch, load, finish: same bits."""
    dropout = replace(
        tiny_gpt_config, dropout=0.1
    )  # dropout draws from the global RNG: it must resume too
    straight = make_trainer(dropout, grad_accum=2, optimizer=optimizer)
    straight.fit()

    first = make_trainer(dropout, grad_accum=2, optimizer=optimizer)
    first.fit(4)
    path = first.save(tmp_path / "ckpt.safetensors")
    torch.manual_seed(12345)  # disturb every random stream before resuming
    torch.rand(100)
    resumed = make_trainer(dropout, grad_accum=2, optimizer=optimizer)
    resumed.load(path)
    assert resumed.step == 4
    resumed.fit()

    for (name, a), b in zip(
        straight.model.state_dict().items(), resumed.model.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b), name
    for p_a, p_b in zip(straight.model.parameters(), resumed.model.parameters(), strict=True):
        state_a, state_b = straight.optimizer.state[p_a], resumed.optimizer.state[p_b]
        assert state_a.keys() == state_b.keys()
        for key in state_a:
            assert torch.equal(state_a[key], state_b[key]), key
    assert resumed.history.train_loss == straight.history.train_loss


# -- checkpoints ------------------------------------------------------------------------------


def test_model_from_checkpoint_rebuilds_model_and_tokenizer(
    tiny_gpt_config, char_data: TokenData, tiny_checkpoint: Path
) -> None:
    model, tokenizer, meta = model_from_checkpoint(tiny_checkpoint)
    assert meta["step"] == 2 and meta["model_config"]["n_embd"] == 32
    assert tokenizer.encode("ROMEO:") == char_data.tokenizer.encode("ROMEO:")
    assert not model.training
    reference = GPT(tiny_gpt_config)
    load_checkpoint(tiny_checkpoint, reference, restore_rng=False)
    x = torch.tensor([tokenizer.encode("To be, or not")])
    assert torch.equal(model(x)[0], reference.eval()(x)[0])


def test_checkpoint_of_another_shape_names_the_parameter(
    tiny_gpt_config, tiny_checkpoint: Path
) -> None:
    other = GPT(replace(tiny_gpt_config, n_embd=48))
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(tiny_checkpoint, other)
    message = str(error.value)
    assert "tok_emb.weight" in message and "(65, 32)" in message and "(65, 48)" in message
    assert "n_embd (checkpoint 32, model 48)" in message
    assert "model_from_checkpoint" in message


def test_checkpoint_with_other_layer_count_lists_the_keys(
    tiny_gpt_config, tiny_checkpoint: Path
) -> None:
    with pytest.raises(CheckpointError, match="unexpected parameters.*n_layer"):
        load_checkpoint(tiny_checkpoint, GPT(replace(tiny_gpt_config, n_layer=1)))


def test_missing_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="gentle-llm train"):
        model_from_checkpoint(tmp_path / "nope.safetensors")


def test_folder_instead_of_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="is a folder"):
        model_from_checkpoint(tmp_path)


def test_truncated_checkpoint(tiny_checkpoint: Path, tmp_path: Path) -> None:
    raw = tiny_checkpoint.read_bytes()
    for keep in (len(raw) - 100, 200):
        cut = tmp_path / f"cut{keep}.safetensors"
        cut.write_bytes(raw[:keep])
        with pytest.raises(CheckpointError, match="truncated"):
            model_from_checkpoint(cut)


def test_corrupt_header(tiny_checkpoint: Path, tmp_path: Path) -> None:
    raw = bytearray(tiny_checkpoint.read_bytes())
    raw[10:20] = b"\xff" * 10
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="not valid JSON"):
        model_from_checkpoint(bad)


def test_file_that_is_not_safetensors(tmp_path: Path) -> None:
    pickle_like = tmp_path / "model.pt"
    pickle_like.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    with pytest.raises(CheckpointError, match="not a safetensors checkpoint"):
        model_from_checkpoint(pickle_like)
    tiny = tmp_path / "tiny.safetensors"
    tiny.write_bytes(b"abc")
    with pytest.raises(CheckpointError, match="only 3 bytes"):
        model_from_checkpoint(tiny)


def test_safetensors_file_that_is_not_a_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "weights.safetensors"
    save_file({"w": torch.zeros(2)}, str(path))
    with pytest.raises(CheckpointError, match="not a gentle_llm checkpoint"):
        model_from_checkpoint(path)


def test_resume_needs_optimizer_state(tiny_gpt_config, make_trainer, tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "weights-only.safetensors", GPT(tiny_gpt_config))
    trainer = make_trainer()
    with pytest.raises(CheckpointError, match="no optimizer state"):
        trainer.load(path)


def test_checkpoint_metadata_is_plain_json(tiny_checkpoint: Path) -> None:
    header_len = int.from_bytes(tiny_checkpoint.read_bytes()[:8], "little")
    header = json.loads(tiny_checkpoint.read_bytes()[8 : 8 + header_len])
    meta = json.loads(header["__metadata__"]["gentle_llm"])
    assert meta["train_config"]["batch_size"] == 8
    assert meta["tokenizer"]["class"] == "CharTokenizer"
    assert "rng/torch_cpu" in header and "rng/sampler" in header
    assert any(key.startswith("optim/") for key in header)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_mixed_precision_path_runs_and_checkpoints_the_scaler(
    make_trainer, tmp_path: Path, dtype: torch.dtype
) -> None:
    """The CUDA-only autocast + GradScaler code, forced on CPU so it runs without a GPU."""
    trainer = make_trainer(steps=4, eval_interval=2)
    trainer.dtype = dtype
    trainer.scaler = torch.amp.GradScaler("cpu", enabled=dtype == torch.float16, init_scale=1024)
    history = trainer.fit()
    assert all(math.isfinite(v) for v in history.train_loss + history.val_loss)
    assert history.val_loss[-1] < history.val_loss[0]
    path = trainer.save(tmp_path / "amp.safetensors")
    resumed = make_trainer(steps=4, eval_interval=2)
    resumed.scaler = torch.amp.GradScaler("cpu", enabled=dtype == torch.float16)
    resumed.load(path)
    assert resumed.scaler.get_scale() == trainer.scaler.get_scale()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.compile's own imports
def test_compile_flag_wraps_the_model_lazily(make_trainer) -> None:
    trainer = make_trainer(compile=True)
    assert type(trainer.forward_model).__name__ == "OptimizedModule"
    assert trainer.forward_model._orig_mod is trainer.model  # checkpoints use the plain model


@pytest.mark.parametrize("disabled", ["1", None])
def test_progress_bar_honours_tqdm_disable(
    make_trainer, monkeypatch: pytest.MonkeyPatch, disabled: str | None
) -> None:
    """Stored notebooks must not keep a frozen bar: TQDM_DISABLE=1 silences it everywhere."""
    import tqdm.auto

    if disabled is None:
        monkeypatch.delenv("TQDM_DISABLE", raising=False)
    else:
        monkeypatch.setenv("TQDM_DISABLE", disabled)
    seen: list[dict] = []

    def recording_tqdm(*args, **kwargs):
        seen.append(kwargs)
        return tqdm.std.tqdm(*args, **{**kwargs, "disable": True})

    monkeypatch.setattr(tqdm.auto, "tqdm", recording_tqdm)
    make_trainer(steps=2, eval_interval=2, progress=True).fit()
    assert [kwargs.get("disable", False) for kwargs in seen] == [disabled == "1"]
