"""The pre-flight checks: the room checks of `gentle-llm doctor` and each lab's setup line."""

from __future__ import annotations

import sys
import types
from collections import namedtuple
from pathlib import Path

import pytest

from gentle_llm import assets, doctor, notebook


def test_quick_checks_pass_with_the_mirror_and_say_so_in_one_line() -> None:
    checks = doctor.quick_checks()
    assert all(c.ok for c in checks), [c.line() for c in checks if not c.ok]
    assert {f"asset {name}" for name in assets.REGISTRY} <= {c.name for c in checks}
    assert doctor.summary_line(checks).startswith("pre-flight: all quick checks pass")


def test_summary_line_names_every_failed_check() -> None:
    checks = [
        doctor.Check("python", True, "3.11"),
        doctor.Check("memory", False, "2.0 GB"),
        doctor.Check("asset tinyshakespeare", False, "missing"),
    ]
    line = doctor.summary_line(checks)
    assert line.startswith("pre-flight: 2 of 3 checks fail (memory, asset tinyshakespeare)")
    assert "gentle-llm doctor" in line


def test_available_needs_the_right_size_and_does_not_look_online(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mirror = tmp_path / "mirror"
    assets.export(mirror, ["r50k_base"])
    monkeypatch.setenv(assets.MIRROR_ENV, str(mirror))
    monkeypatch.setenv(assets.CACHE_ENV, str(tmp_path / "cache"))
    assert assets.available("r50k_base")
    assert not assets.available("tinyshakespeare")  # not in this mirror, and no download
    target = mirror / assets.REGISTRY["r50k_base"].files[0].path
    target.write_bytes(target.read_bytes()[:-1])
    assert not assets.available("r50k_base")
    assert not (tmp_path / "cache").exists()


def test_memory_check_fails_on_a_small_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doctor, "total_memory_gb", lambda: 2.0)
    check = doctor.check_memory()
    assert not check.ok and "2.0 GB" in check.detail and "Colab" in check.fix
    monkeypatch.setattr(doctor, "total_memory_gb", lambda: 16.0)
    assert doctor.check_memory().ok


def test_disk_check_fails_when_the_cache_disk_is_full(monkeypatch: pytest.MonkeyPatch) -> None:
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(doctor.shutil, "disk_usage", lambda _: usage(10e9, 9.5e9, 0.5e9))
    check = doctor.check_disk()
    assert not check.ok and "0.5 GB free" in check.detail
    assert assets.CACHE_ENV in check.fix


def test_jupyter_check_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    assert doctor.check_jupyter().ok  # the dev environment has JupyterLab and ipykernel
    monkeypatch.setattr(doctor, "_installed", lambda module: module == "jupyterlab")
    check = doctor.check_jupyter()
    assert not check.ok and "ipykernel missing" in check.detail


def test_doctor_runs_the_room_checks(capsys: pytest.CaptureFixture[str]) -> None:
    names = [c.name for c in doctor.run_doctor(load_model=False)]
    for name in ("python", "device", "widgets", "jupyter", "memory", "disk"):
        assert name in names


def test_setup_prints_the_preflight_line_and_turns_on_colab_widgets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    notebook.setup(seed=3)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("gentle_llm ready: device=") and lines[0].endswith("seed=3")
    assert lines[1].startswith("pre-flight: all quick checks pass")

    switched_on = []
    colab = types.ModuleType("google.colab")
    colab.output = types.SimpleNamespace(  # type: ignore[attr-defined]
        enable_custom_widget_manager=lambda: switched_on.append(True)
    )
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    assert doctor.in_colab() and doctor.check_widgets().ok
    notebook.setup(seed=0, verbose=False)
    assert switched_on == [True]


def test_near_book_passes_within_the_tolerance_and_says_what_to_do_outside(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(notebook, "QUICK", True)
    notebook.near_book("final loss", 1.84, 1.829, 0.03)
    message = r"final loss: this run gave 1\.9.*within 0\.03.*fresh"
    with pytest.raises(AssertionError, match=message):
        notebook.near_book("final loss", 1.9, 1.829, 0.03)
    with pytest.raises(AssertionError, match="nan"):
        notebook.near_book("final loss", float("nan"), 1.829, 0.03)
    # On a GPU the labs run other settings: nothing to compare with.
    monkeypatch.setattr(notebook, "QUICK", False)
    notebook.near_book("final loss", 9.0, 1.829, 0.03)


def _kit(folder: Path, decks: dict[str, str]) -> Path:
    """A small kit: two labs, a book, and the given slide decks (name -> HTML)."""
    (folder / "notebooks").mkdir(parents=True)
    for lab in ("01-first.ipynb", "02-second.ipynb"):
        (folder / "notebooks" / lab).write_text("{}")
    vendor = folder / "book" / "_static" / "vendor" / "reveal.js"
    vendor.mkdir(parents=True)
    (vendor / "reveal.js").write_text("")
    (folder / "book" / "index.html").write_text("<html></html>")
    (folder / "book" / "slides").mkdir()
    for name, page in decks.items():
        (folder / "book" / "slides" / name).write_text(page)
    return folder


DECK = '<script src="../_static/vendor/reveal.js/reveal.js"></script><a href="#/2">next</a>'


def test_kit_check_passes_a_complete_kit(tmp_path: Path) -> None:
    kit = _kit(tmp_path / "kit", {"01-first.html": DECK, "02-second.html": DECK})
    checks = doctor.run_doctor(load_model=False, kit=kit)
    assert [c.name for c in checks][-3:] == ["kit labs", "kit book", "kit slides"]
    assert all(c.ok for c in checks[-3:]), [c.line() for c in checks[-3:]]


def test_kit_check_names_a_missing_deck_and_a_file_a_deck_needs(tmp_path: Path) -> None:
    broken = DECK + '<img src="figures/attention.png"><a href="https://example.org/x.png">'
    kit = _kit(tmp_path / "kit", {"01-first.html": broken})
    slides = doctor.check_kit(kit)[-1]
    assert not slides.ok
    assert "no deck for Lab 2" in slides.detail
    assert "01-first.html needs figures/attention.png" in slides.detail
    assert "example.org" not in slides.detail  # links off the stick are not the kit's files
    assert "make book" in slides.fix


def test_kit_check_fails_on_a_folder_that_is_no_kit(tmp_path: Path) -> None:
    checks = doctor.check_kit(tmp_path)
    assert not any(c.ok for c in checks)
    assert "make kit" in checks[0].fix
