"""The pre-flight checks behind ``gentle-llm doctor`` and each lab's setup line (Appendix A).

An instructor runs ``gentle-llm doctor`` on every laptop before a workshop: one PASS/FAIL line
per check, and for each FAIL the command that fixes it. Each lab's setup cell runs the quick
subset (:func:`quick_checks`: no hashing, no model loading) and prints one line about it.
``gentle-llm doctor --kit DIR`` also checks an offline kit (:func:`check_kit`): its labs, its
book, and a slide deck per lab whose every file is on the stick.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.requirements import Requirement
from packaging.version import InvalidVersion, Version

from gentle_llm import assets

# What one laptop needs for the labs, measured on the labs themselves: the largest peaks at
# about 2.7 GB of memory, and the model and data caches take about 1 GB of disk.
MIN_MEMORY_GB = 4.0
MIN_FREE_DISK_GB = 2.0


@dataclass
class Check:
    """One line of the doctor's report."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        status = "PASS" if self.ok else "FAIL"
        text = f"[{status}] {self.name}: {self.detail}"
        if not self.ok and self.fix:
            text += f"\n       fix: {self.fix}"
        return text


def declared_requirements() -> list[tuple[str, str]]:
    """``(package, minimum version)`` for every dependency ``pyproject.toml`` declares.

    Read from the installed package's metadata, so the doctor and the project can never
    disagree about what the course needs. Extras (``book``, ``dev``) are left out.
    """
    found = []
    for line in metadata.requires("gentle-llm") or []:
        requirement = Requirement(line)
        if requirement.marker is None:  # a marker ("; extra == 'dev'") belongs to an extra
            lower = [s.version for s in requirement.specifier if s.operator == ">="]
            found.append((requirement.name, lower[0] if lower else "0"))
    return found


def check_python() -> Check:
    version = sys.version_info
    ok = (3, 10) <= version[:2] <= (3, 13)
    return Check(
        "python",
        ok,
        f"{version.major}.{version.minor}.{version.micro}",
        "install Python 3.10 to 3.13 (the README's set-up command makes a virtual environment)",
    )


def check_package(name: str, minimum: str) -> Check:
    try:
        version = metadata.version(name)
    except metadata.PackageNotFoundError:
        return Check(name, False, "not installed", f"pip install '{name}>={minimum}'")
    ok = _at_least(version, minimum)
    return Check(name, ok, version, f"upgrade: pip install -U '{name}>={minimum}'")


def _at_least(version: str, minimum: str) -> bool:
    try:
        return Version(version) >= Version(minimum)
    except InvalidVersion:  # a home-built package may carry any string: let it pass
        return True


def check_device() -> Check:
    import torch

    if torch.cuda.is_available():
        detail = f"CUDA ({torch.cuda.get_device_name(0)})"
    elif getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        detail = "Apple MPS"
    else:
        detail = "CPU only (every lab runs on a CPU; a GPU only makes the FULL settings faster)"
    return Check("device", True, detail)


def in_colab() -> bool:
    """True inside Google Colab, whose notebook front end has its own widget manager."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def check_widgets() -> Check:
    if in_colab():
        return Check("widgets", True, "Colab: the setup cell turns on Colab's widget manager")
    try:
        import ipywidgets  # noqa: F401
        import jupyterlab_widgets  # noqa: F401
    except ImportError:
        return Check(
            "widgets",
            False,
            "jupyterlab_widgets is missing, so sliders won't show in JupyterLab",
            "pip install 'ipywidgets>=8' jupyterlab_widgets",
        )
    return Check("widgets", True, "ipywidgets and the JupyterLab widget manager are installed")


def check_asset(name: str) -> Check:
    ok, detail = assets.status(name)
    fix = (
        f"online: `gentle-llm assets pull {name}`; offline: set {assets.MIRROR_ENV} to a "
        "folder made by `gentle-llm assets export DIR`"
    )
    if detail.startswith("damaged"):
        fix = f"delete the damaged file named above, then {fix}"
    return Check(f"asset {name}", ok, detail, fix)


def check_tiktoken(name: str) -> Check:
    try:
        from gentle_llm.tokenizers import TiktokenTokenizer

        count = len(TiktokenTokenizer(name).encode("hello world"))
    except Exception as error:  # any failure here means this GPT tokenizer won't load
        return Check(
            f"tiktoken {name}",
            False,
            f"cannot load offline ({str(error).splitlines()[0]})",
            f"`gentle-llm assets pull {name}`",
        )
    return Check(f"tiktoken {name}", True, f"loads ({count} tokens for 'hello world')")


def check_model() -> Check:
    from gentle_llm.pretrained import load_smollm2

    try:
        model, _ = load_smollm2()
    except Exception as error:  # report, don't crash: this is a diagnosis tool
        return Check(
            "SmolLM2 model",
            False,
            f"does not load ({error})",
            "`gentle-llm assets pull smollm2-135m-instruct-gguf`",
        )
    millions = sum(p.numel() for p in model.parameters()) / 1e6
    return Check("SmolLM2 model", True, f"loads, {millions:.1f} M parameters")


def check_jupyter() -> Check:
    front_ends = [name for name in ("jupyterlab", "notebook") if _installed(name)]
    ok = bool(front_ends) and _installed("ipykernel")
    detail = f"{' and '.join(front_ends) or 'no notebook front end'}" + (
        ", with ipykernel" if _installed("ipykernel") else ", ipykernel missing"
    )
    return Check("jupyter", ok, detail, "pip install jupyterlab ipykernel (then `make lab`)")


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def total_memory_gb() -> float | None:
    """Physical memory of this machine in GB, or None where the OS does not say (Windows)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    except (AttributeError, ValueError, OSError):
        return None


def check_memory() -> Check:
    memory = total_memory_gb()
    if memory is None:
        return Check("memory", True, "unknown on this system (the largest lab needs about 2.7 GB)")
    return Check(
        "memory",
        memory >= MIN_MEMORY_GB,
        f"{memory:.1f} GB (the largest lab peaks at about 2.7 GB)",
        f"use a machine with at least {MIN_MEMORY_GB:.0f} GB, or Google Colab",
    )


def check_disk() -> Check:
    folder = assets.cache_dir()
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    free = shutil.disk_usage(existing).free / 1e9
    return Check(
        "disk",
        free >= MIN_FREE_DISK_GB,
        f"{free:.1f} GB free for the cache {folder}",
        f"free {MIN_FREE_DISK_GB:.0f} GB, or point {assets.CACHE_ENV} at a roomier folder",
    )


def check_asset_present(name: str) -> Check:
    """Like :func:`check_asset` without hashing: is every file there, at its size?"""
    ok = assets.available(name)
    detail = "available offline" if ok else "not here yet (downloads on first use if online)"
    return Check(f"asset {name}", ok, detail, f"`gentle-llm assets pull {name}`")


class _LocalFiles(HTMLParser):
    """The files a page loads or links to on the same disk (``src`` and ``href``)."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                url = urlsplit(value)
                if not url.scheme and not url.netloc and url.path:
                    self.paths.add(unquote(url.path))


def _missing_files(page: Path) -> list[str]:
    parser = _LocalFiles()
    parser.feed(page.read_text("utf-8"))
    return sorted(p for p in parser.paths if not (page.parent / p).exists())


def check_kit(kit: Path) -> list[Check]:
    """An offline kit, as ``scripts/make_kit.py`` writes it: labs, book, and a deck per lab."""
    rebuild = "on the connected machine: `make book`, then `make kit KIT=...` again"
    labs = sorted((kit / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    checks = [Check("kit labs", bool(labs), f"{len(labs)} lab notebooks in {kit}", rebuild)]
    book = kit / "book" / "index.html"
    checks.append(
        Check(
            "kit book", book.exists(), "the built book" if book.exists() else f"no {book}", rebuild
        )
    )
    slides = kit / "book" / "slides"
    problems = []
    for lab in labs:
        decks = sorted(slides.glob(f"{lab.name[:2]}-*.html"))
        if not decks:
            problems.append(f"no deck for Lab {int(lab.name[:2])}")
        for deck in decks:
            problems += [f"{deck.name} needs {path}" for path in _missing_files(deck)]
    detail = (
        f"a deck per lab, every file they load is on the stick ({slides})"
        if labs and not problems
        else "; ".join(problems[:3])
        + (f" and {len(problems) - 3} more" if len(problems) > 3 else "")
    )
    checks.append(Check("kit slides", bool(labs) and not problems, detail or "no labs", rebuild))
    return checks


def run_doctor(load_model: bool, kit: Path | None = None) -> list[Check]:
    """Every check, for ``gentle-llm doctor``; ``load_model`` also loads SmolLM2 (slow once).

    ``kit``: the folder of an offline kit to check as well (see :func:`check_kit`).
    """
    checks = [check_python()]
    checks += [check_package(name, minimum) for name, minimum in declared_requirements()]
    checks += [check_device(), check_widgets(), check_jupyter(), check_memory(), check_disk()]
    checks += [check_asset(name) for name in assets.REGISTRY]
    checks += [check_tiktoken(name) for name in ("r50k_base", "cl100k_base")]
    if load_model:
        checks.append(check_model())
    if kit is not None:
        checks += check_kit(kit)
    return checks


def quick_checks() -> list[Check]:
    """The checks a lab's setup cell runs: well under a second, nothing hashed or loaded."""
    checks = [check_python()]
    checks += [check_package(name, minimum) for name, minimum in declared_requirements()]
    checks += [check_widgets(), check_memory(), check_disk()]
    checks += [check_asset_present(name) for name in assets.REGISTRY]
    return checks


def summary_line(checks: list[Check]) -> str:
    """One line for a lab's output: how many checks pass, and the names of any that fail."""
    failed = [c.name for c in checks if not c.ok]
    if not failed:
        # No count here: a stored lab output must not change when a dependency is added.
        return "pre-flight: all quick checks pass (`gentle-llm doctor` runs every check)"
    return (
        f"pre-flight: {len(failed)} of {len(checks)} checks fail ({', '.join(failed)}); "
        "run `gentle-llm doctor` in a terminal for the fixes"
    )
