"""The `gentle-llm` command: doctor, assets, train and sample, and their error messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gentle_llm import assets, cli
from gentle_llm.checkpoint import model_from_checkpoint
from gentle_llm.common import human_bytes
from gentle_llm.data import TokenData
from gentle_llm.presets import PRESETS, Preset


def test_doctor_passes_with_the_mirror(capsys):
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "[PASS] python" in out
    assert "[PASS] asset smollm2-135m-instruct-gguf" in out
    assert "[PASS] tiktoken r50k_base" in out and "[PASS] tiktoken cl100k_base" in out
    assert "0 failed" in out


def test_doctor_names_each_missing_asset_and_its_fix(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(assets.MIRROR_ENV, str(tmp_path / "empty-mirror"))
    monkeypatch.setenv(assets.CACHE_ENV, str(tmp_path / "empty-cache"))
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "tiktoken"))
    monkeypatch.setattr(assets, "_verified", {})
    assert cli.main(["doctor"]) == 1
    out = capsys.readouterr().out
    for name in assets.REGISTRY:
        assert f"[FAIL] asset {name}" in out
    assert "fix: online: `gentle-llm assets pull tinyshakespeare`" in out
    assert "[FAIL] tiktoken r50k_base" in out and "[FAIL] tiktoken cl100k_base" in out


def test_assets_verify_and_list(capsys):
    assert cli.main(["assets", "verify", "tinyshakespeare", "r50k_base"]) == 0
    assert cli.main(["assets", "list"]) == 0
    out = capsys.readouterr().out
    assert "ok   tinyshakespeare: ok" in out
    assert "all-minilm-l6-v2" in out
    # Sizes as gentle_llm.common.human_bytes writes them everywhere else.
    name = "smollm2-135m-instruct-gguf"
    size = human_bytes(assets.REGISTRY[name].size)
    assert f"{name:28} {size:>9}  SmolLM2" in out and size.endswith(" MB")


def test_assets_export_makes_a_usb_kit(tmp_path, capsys):
    target = tmp_path / "usb"
    assert cli.main(["assets", "export", str(target), "tinyshakespeare", "cl100k_base"]) == 0
    assert (target / "corpora" / "tinyshakespeare.txt").stat().st_size == 1115394
    assert (target / "tiktoken" / "cl100k_base.tiktoken").exists()
    assert "MANIFEST.md" in {p.name for p in target.iterdir()}


def test_unknown_asset_is_a_clear_error(capsys):
    assert cli.main(["assets", "pull", "shakespeare"]) == 2
    err = capsys.readouterr().err
    assert "No asset named 'shakespeare'" in err and "tinyshakespeare" in err


def test_console_script_is_installed():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "gentle-llm"), "assets", "verify", "r50k_base"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "r50k_base: ok" in result.stdout


# -- train and sample ------------------------------------------------------------------------


@pytest.fixture
def tiny_cli(
    monkeypatch: pytest.MonkeyPatch, char_data: TokenData, tiny_gpt_config, train_config
) -> None:
    """Make `gentle-llm train --preset cpu-quick` train the tiny model on the small slice."""
    import gentle_llm.data

    preset = Preset(
        model=tiny_gpt_config, train=train_config(steps=4, eval_interval=2), description="tiny"
    )
    monkeypatch.setitem(PRESETS, "cpu-quick", preset)
    monkeypatch.setattr(gentle_llm.data, "char_dataset", lambda text=None: char_data)


def test_cli_train_resume_and_sample(
    tiny_cli: None, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "run"
    assert cli.main(["train", "--preset", "cpu-quick", "--out", str(out), "--no-progress"]) == 0
    assert "step 4: validation loss" in capsys.readouterr().out
    ckpt = out / "ckpt.safetensors"
    _, _, meta = model_from_checkpoint(ckpt)
    assert meta["step"] == 4

    # Starting again over an existing run is refused; --resume continues it.
    assert cli.main(["train", "--out", str(out)]) == 2
    assert "--resume" in capsys.readouterr().err
    assert cli.main(["train", "--out", str(out), "--resume", "--steps", "6"]) == 0
    assert "step 6: validation loss" in capsys.readouterr().out
    assert model_from_checkpoint(ckpt)[2]["step"] == 6

    args = ["sample", "--checkpoint", str(ckpt), "--prompt", "ROMEO:", "--max-new-tokens", "20"]
    assert cli.main([*args, "--seed", "1"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("ROMEO:") and len(text) == len("ROMEO:") + 20 + 1
    assert cli.main([*args, "--seed", "1"]) == 0
    assert capsys.readouterr().out == text


def test_cli_errors_are_clear(
    tiny_cli: None, tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert cli.main(["train", "--out", str(tmp_path / "x"), "--resume"]) == 2
    assert "no checkpoint" in capsys.readouterr().err
    assert cli.main(["sample", "--checkpoint", str(tmp_path / "missing.safetensors")]) == 2
    assert "No checkpoint" in capsys.readouterr().err
    assert cli.main(["sample", "--checkpoint", str(tiny_checkpoint), "--prompt", "日本"]) == 2
    assert "not in the vocabulary" in capsys.readouterr().err
    assert cli.main(["sample", "--checkpoint", str(tiny_checkpoint), "--temperature", "-1"]) == 2
    assert "temperature" in capsys.readouterr().err


# -- a careless learner at the command line (each failed before its fix) ----------------------


@pytest.fixture
def tiny_preset(monkeypatch: pytest.MonkeyPatch, char_data, tiny_gpt_config, train_config) -> None:
    import gentle_llm.data

    preset = Preset(tiny_gpt_config, train_config(steps=6, eval_interval=2), "tiny")
    monkeypatch.setitem(PRESETS, "cpu-quick", preset)
    monkeypatch.setattr(gentle_llm.data, "char_dataset", lambda text=None: char_data)


def test_ctrl_c_during_training_prints_how_to_resume(
    tiny_preset: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Before: a raw KeyboardInterrupt traceback."""
    from gentle_llm.train import Trainer

    original = Trainer.train_step

    def step_then_interrupt(self: Trainer) -> torch.Tensor:
        if self.step == 3:
            raise KeyboardInterrupt
        return original(self)

    monkeypatch.setattr(Trainer, "train_step", step_then_interrupt)
    out = tmp_path / "run"
    args = ["train", "--out", str(out), "--no-progress", "--checkpoint-interval", "2"]
    assert cli.main(args) == 130
    err = capsys.readouterr().err
    assert "interrupted at step 3" in err and "Traceback" not in err
    assert f"last checkpoint {out / 'ckpt.safetensors'} (step 2)" in err
    assert f"--out {out} --resume" in err
    monkeypatch.setattr(Trainer, "train_step", original)
    assert cli.main(["train", "--out", str(out), "--resume", "--no-progress"]) == 0


def test_an_unwritable_out_folder_is_refused_before_training(
    tiny_preset: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Before: trained first, then failed at the first save with a safetensors traceback."""
    import gentle_llm.presets

    def must_not_train(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(gentle_llm.presets, "trainer_from_preset", must_not_train)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert cli.main(["train", "--out", str(blocker / "run")]) == 2
    assert "error: cannot write checkpoints to --out" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("device", "message"),
    [("tpu", "device must be one of 'auto', 'cpu', 'cuda', 'mps'"), ("cuda", "no GPU is visible")],
)
def test_an_unavailable_device_is_one_error_line(
    tiny_preset: None, tmp_path: Path, capsys, device: str, message: str
) -> None:
    """Before: full tracebacks for --device tpu and for --device cuda without CUDA."""
    if device == "cuda" and torch.cuda.is_available():
        pytest.skip("this machine has CUDA, so --device cuda is not an error here")
    assert cli.main(["train", "--out", str(tmp_path / "run"), "--device", device]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err
    assert cli.main(["--debug", "train", "--out", str(tmp_path / "r2"), "--device", device]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_doctor_says_damaged_not_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Before: a mirror file with a wrong checksum was reported as 'missing'."""
    mirror = tmp_path / "mirror"
    assets.export(mirror, ["r50k_base", "cl100k_base"])
    damaged = mirror / assets.REGISTRY["r50k_base"].files[0].path
    data = bytearray(damaged.read_bytes())
    data[100] ^= 0x01
    damaged.write_bytes(bytes(data))
    monkeypatch.setenv(assets.MIRROR_ENV, str(mirror))
    monkeypatch.setenv(assets.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "tiktoken"))
    monkeypatch.setattr(assets, "_verified", {})
    cli.main(["doctor"])
    out = capsys.readouterr().out
    assert "[FAIL] asset r50k_base: damaged (checksum mismatch)" in out
    assert "delete the damaged file" in out
    assert "[FAIL] tiktoken r50k_base" in out
