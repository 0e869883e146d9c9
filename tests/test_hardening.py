"""A careless learner's inputs, each met by one clear error (or handled), and nothing trained lost.

Each test here failed before its fix: the probe it reproduces is named in its docstring. The
probes of the command line (Ctrl-C, --out, --device, doctor) are in test_cli.py.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from gentle_llm import assets, checkpoint
from gentle_llm.checkpoint import CheckpointError, load_checkpoint, model_from_checkpoint
from gentle_llm.generate import SamplingConfig, generate, next_token_distribution
from gentle_llm.model import GPT
from gentle_llm.tokenizers import BPETokenizer, CharTokenizer, HFTokenizer, TiktokenTokenizer
from gentle_llm.train import TrainConfig, TrainingDiverged

SURROGATE_TEXT = "a\ud800b"


# -- text a tokenizer cannot represent ----------------------------------------------------------


@pytest.mark.parametrize("name", ["r50k_base", "cl100k_base"])
def test_tiktoken_refuses_a_lone_surrogate_with_its_position(name: str) -> None:
    """Before: encoded silently, and decoding gave back 'a\ufffdb'."""
    with pytest.raises(ValueError, match="lone surrogate.*position 1"):
        TiktokenTokenizer(name).encode(SURROGATE_TEXT)


def test_bpe_refuses_a_lone_surrogate_with_its_position_in_the_text() -> None:
    """Before: a raw UnicodeEncodeError with a position inside the chunk, not the text."""
    tokenizer = BPETokenizer.train("hello world, hello there " * 20, 270)
    with pytest.raises(ValueError, match="lone surrogate.*position 7"):
        tokenizer.encode("hello w\ud800rld")


def test_hugging_face_wrapper_refuses_a_lone_surrogate(smollm2) -> None:
    """Before: TypeError 'TextInputSequence must be str' from the tokenizers library."""
    tokenizer = HFTokenizer(smollm2[1])
    for call in (tokenizer.encode, tokenizer.pieces):
        with pytest.raises(ValueError, match="lone surrogate.*position 1"):
            call(SURROGATE_TEXT)


def test_char_tokenizer_names_the_surrogate() -> None:
    with pytest.raises(ValueError, match="not in the vocabulary"):
        CharTokenizer.from_text("ab").encode(SURROGATE_TEXT)


# -- sampling settings that make no sense, and models that produce garbage ---------------------


def test_infinite_temperature_is_refused() -> None:
    """Before: accepted, and it silently ignored top_k."""
    with pytest.raises(ValueError, match="temperature must be a number >= 0"):
        SamplingConfig(temperature=math.inf)
    with pytest.raises(ValueError, match="temperature"):
        SamplingConfig(temperature=math.nan)


def test_a_tiny_temperature_is_the_greedy_limit() -> None:
    """Before: NaN probabilities and torch's 'probability tensor contains inf, nan' error."""
    logits = torch.tensor([1.0, 3.0, 2.0, 3.0 - 1e-3])
    probs = next_token_distribution(logits, SamplingConfig(temperature=1e-40))
    assert torch.isfinite(probs).all()
    assert probs.tolist() == [0.0, 1.0, 0.0, 0.0]


class _BrokenModel(torch.nn.Module):
    """Logits full of NaN, as a model whose training diverged produces."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        return torch.full((*idx.shape, 8), math.nan)


@pytest.mark.parametrize("temperature", [0.0, 1.0])
def test_non_finite_logits_are_named(temperature: float) -> None:
    """Before: torch's sampling error at T=1, and a silent token 0 at T=0."""
    config = SamplingConfig(max_new_tokens=3, temperature=temperature, seed=0)
    with pytest.raises(ValueError, match="non-finite logits"):
        generate(_BrokenModel(), [1, 2], config)


# -- checkpoints that do not belong to the model, or were damaged ---------------------------------


def test_a_checkpoint_of_another_config_is_refused_even_when_shapes_match(
    tiny_checkpoint: Path, tiny_gpt_config
) -> None:
    """Before: n_head 2 vs 4 loaded silently (same shapes) and logits differed by up to 0.74."""
    other = GPT(replace(tiny_gpt_config, n_head=4))
    with pytest.raises(CheckpointError, match=r"n_head \(checkpoint 2, model 4\)"):
        load_checkpoint(tiny_checkpoint, other)


def test_dropout_may_differ_when_loading(tiny_checkpoint: Path, tiny_gpt_config) -> None:
    """Dropout does not change what the weights compute, so it is not a mismatch."""
    load_checkpoint(tiny_checkpoint, GPT(replace(tiny_gpt_config, dropout=0.2)))


def test_a_flipped_byte_in_the_tensor_data_is_caught(tiny_checkpoint: Path, tmp_path: Path) -> None:
    """Before: the damaged weights loaded silently."""
    raw = bytearray(tiny_checkpoint.read_bytes())
    raw[-1000] ^= 0x01  # well inside the tensor data, past the header
    damaged = tmp_path / "damaged.safetensors"
    damaged.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="damaged.*checksum"):
        model_from_checkpoint(damaged)


def test_an_interrupted_save_leaves_no_partial_file(
    tiny_checkpoint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: Ctrl-C during a save left a .partial file behind in 3 of 12 tries."""
    model, _, _ = model_from_checkpoint(tiny_checkpoint)

    def interrupted(tensors, filename, metadata=None):
        save_file(tensors, filename, metadata=metadata)
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint, "save_file", interrupted)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save_checkpoint(tmp_path / "ckpt.safetensors", model)
    assert list(tmp_path.iterdir()) == []


# -- training settings that cannot work, and runs that blow up --------------------------------


@pytest.mark.parametrize("lr", [math.inf, math.nan, -1.0])
def test_non_finite_learning_rates_are_refused(lr: float) -> None:
    """Before: lr=inf trained to NaN with no word."""
    with pytest.raises(ValueError, match="TrainConfig.lr must be"):
        TrainConfig(lr=lr)


def test_a_diverging_run_stops_and_keeps_its_last_good_checkpoint(
    make_trainer, tmp_path: Path
) -> None:
    """Before: lr=1e6 trained on to NaN, saving NaN weights over the good checkpoint."""
    trainer = make_trainer(
        steps=40, lr=1e6, min_lr=1e6, warmup_steps=0, grad_clip=None, eval_interval=40
    )
    trainer.config.checkpoint_dir = str(tmp_path)
    trainer.config.checkpoint_interval = 1
    with pytest.raises(TrainingDiverged, match="became nan.*last good checkpoint"):
        trainer.fit()
    model, _, meta = model_from_checkpoint(tmp_path / "ckpt.safetensors")
    assert 0 < meta["step"] < 40
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_the_trainer_accepts_lists_of_token_ids(make_trainer, char_data) -> None:
    """Before: AttributeError: 'list' object has no attribute 'long'."""
    pair = (char_data.train.tolist(), char_data.val.tolist())
    history = make_trainer(data=pair, steps=2, eval_interval=2).fit()
    assert len(history.val_loss) == 2
    with pytest.raises(TypeError, match="list of int token ids"):
        make_trainer(data=(["a", "b"], [1.5]))
    with pytest.raises(TypeError, match="TokenData or a \\(train, val\\) pair"):
        make_trainer(data="not data")


# -- offline assets ------------------------------------------------------------------------------


def test_a_damaged_r50k_table_does_not_stop_cl100k(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: seeding tiktoken's cache copied both tables, so one bad file broke both."""
    mirror = tmp_path / "mirror"
    assets.export(mirror, ["r50k_base", "cl100k_base"])
    damaged = mirror / assets.REGISTRY["r50k_base"].files[0].path
    damaged.write_bytes(damaged.read_bytes()[:-10])
    monkeypatch.setenv(assets.MIRROR_ENV, str(mirror))
    monkeypatch.setenv(assets.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "tiktoken"))
    monkeypatch.setattr(assets, "_verified", {})
    assert TiktokenTokenizer("cl100k_base").encode("hello world") == [15339, 1917]
    with pytest.raises(assets.ChecksumError):
        TiktokenTokenizer("r50k_base")


# -- numbers that escaped as raw exceptions or silent NaN ---------------------------------------


@pytest.mark.parametrize("expression", ["1e-100 ** -100", "(1e-5) ** (-99)", "5e-324 ** -2"])
def test_a_tool_call_cannot_overflow_the_calculator(expression: str) -> None:
    """Before: OverflowError (34, 'Numerical result out of range') escaped from calculate, so
    a model's tool call could crash the loop instead of reading "RESULT: error: ..."."""
    from gentle_llm.tools import calculate, tool_reply

    with pytest.raises(ValueError, match="too large"):
        calculate(expression)
    assert tool_reply(f"CALC: {expression}").startswith("RESULT: error:")
    assert calculate("0.1 ** -100") == pytest.approx(1e100)  # the limit itself still works


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_the_quantiser_refuses_broken_weights(bad: float) -> None:
    """Before: NaN made its whole group's scale NaN and came back as a row of NaN."""
    from gentle_llm.quantize import quantize, quantize_model

    weight = torch.randn(4, 8)
    weight[1, 2] = bad
    with pytest.raises(ValueError, match="weight holds 1 NaN or infinite value.*diverged"):
        quantize(weight)
    model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Linear(8, 4))
    first = model[0].weight.detach().clone()
    with torch.no_grad():
        model[1].weight.copy_(weight)
    with pytest.raises(ValueError, match=r"^1\.weight holds 1 NaN"):
        quantize_model(model)
    assert torch.equal(model[0].weight, first)  # refused before any layer was changed


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_the_rating_fit_refuses_non_finite_counts(bad: float) -> None:
    """Before: NaN passed the "< 0" check and every rating came back NaN."""
    import numpy as np

    from gentle_llm.ratings import fit_bradley_terry

    with pytest.raises(ValueError, match="no NaN or infinity"):
        fit_bradley_terry(np.array([[0.0, 3.0], [bad, 0.0]]))
