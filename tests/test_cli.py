"""The `gentle-llm` command: doctor, assets list / verify / export, and its error messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gentle_llm import assets, cli


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
