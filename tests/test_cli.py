"""The `gentle-llm` command: doctor, assets, train and sample, and their error messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gentle_llm import assets, cli
from gentle_llm.checkpoint import model_from_checkpoint
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
