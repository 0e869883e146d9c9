"""Write the offline workshop kit: everything a room with no internet needs, on one USB stick.

    python scripts/make_kit.py /media/usb/gentle-llm-kit      # or: make kit KIT=/media/usb/...

The kit folder holds

- ``assets/``   the asset mirror (`gentle-llm assets export`): corpus, tokenizer tables, models;
- ``wheels/``   a wheelhouse: the gentle-llm package and every package it needs to run the labs
  in JupyterLab, PyTorch included, plus ``constraints.txt`` pinning the PyTorch it holds;
- ``notebooks/`` the lab notebooks with their stored outputs, ``book/`` the built HTML book
  with its slide decks (when ``_build/html`` exists; it opens from the stick, no server needed);
- ``install.sh`` and ``INSTALL.md``: the one-page recipe a participant follows.

Build it on a connected machine with the same operating system and Python as the laptops, or
name theirs with ``--platform`` and ``--python-version`` (pip then takes wheels only). PyTorch
comes from ``TORCH_INDEX_URL`` when set (e.g. the small CPU build), as in scripts/setup_env.sh.
``--no-wheels`` writes everything but the wheelhouse (no network needed), for a quick check.
CI builds a full kit and runs its ``install.sh`` with the package indexes switched off.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from gentle_llm import assets

ROOT = Path(__file__).resolve().parents[1]
TORCH_VERSION = os.environ.get("TORCH_VERSION", "2.13.0")
# What a participant installs from the stick: the package and a notebook front end.
REQUIREMENT = "gentle-llm[lab]"

INSTALL_SH = r"""#!/usr/bin/env bash
# Install the Gentle LLM course from this kit, with no internet:  bash install.sh [VENV]
# Creates the virtual environment VENV (default: ./gentle-llm-venv), installs from wheels/ only,
# points the course at assets/ and runs the pre-flight check (DOCTOR_ARGS=--load-model to also
# load SmolLM2).
set -euo pipefail
KIT="$(cd "$(dirname "$0")" && pwd)"
VENV="${1:-gentle-llm-venv}"
PYTHON="${PYTHON:-python3}"
"$PYTHON" -m venv "$VENV"
# Only the kit: no package index, and no pip settings from this machine that could add one.
export PIP_CONFIG_FILE=/dev/null
unset PIP_FIND_LINKS PIP_INDEX_URL PIP_EXTRA_INDEX_URL
"$VENV/bin/python" -m pip install --quiet --no-index --find-links "$KIT/wheels" \
  -c "$KIT/wheels/constraints.txt" "__REQUIREMENT__"
export GENTLE_LLM_MIRROR="$KIT/assets" GENTLE_LLM_OFFLINE=1 HF_HUB_OFFLINE=1
"$VENV/bin/gentle-llm" doctor --kit "$KIT" ${DOCTOR_ARGS:-}
echo
echo "Ready. Each time you open a terminal for the course:"
echo "  export GENTLE_LLM_MIRROR=\"$KIT/assets\""
echo "  $VENV/bin/jupyter lab \"$KIT/notebooks\""
"""

INSTALL_MD = """# Installing Gentle LLM from this stick (no internet needed)

You need Python __PYTHONS__ (the one this kit was built for: __BUILT_FOR__) and about 3 GB of
free disk. Copy the whole folder to your laptop first if the stick is slow.

**macOS and Linux**, in a terminal, from the folder this file is in:

```bash
bash install.sh ~/gentle-llm-venv        # about two minutes; ends with the pre-flight check
export GENTLE_LLM_MIRROR="$PWD/assets"
~/gentle-llm-venv/bin/jupyter lab notebooks
```

**Windows** (PowerShell), from this folder:

```powershell
py -m venv $HOME\\gentle-llm-venv
$HOME\\gentle-llm-venv\\Scripts\\pip install --no-index --find-links wheels `
    -c wheels\\constraints.txt "__REQUIREMENT__"
$env:GENTLE_LLM_MIRROR = "$PWD\\assets"
$HOME\\gentle-llm-venv\\Scripts\\gentle-llm doctor
$HOME\\gentle-llm-venv\\Scripts\\jupyter lab notebooks
```

(The wheels only fit the system they were built for; the instructor builds one kit per kind of
laptop in the room.)

`gentle-llm doctor` prints one PASS/FAIL line per check and, for each FAIL, the command that
fixes it. Every lab's first cell prints the same verdict in one line. The book itself is in
`book/index.html` (open it in a browser; no server needed), each chapter's slides in
`book/slides/` (arrow keys move, S opens the speaker notes), and the labs are in `notebooks/`.
"""


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True)


def locked_pins(lock: Path = ROOT / "requirements" / "lock.txt") -> list[str]:
    """The lock file's ``name==version ; markers`` lines without their hashes (a constraint)."""
    return [
        line.removesuffix("\\").strip()
        for line in lock.read_text("utf-8").splitlines()
        if line and not line[0].isspace() and not line.startswith("#")
    ]


def build_wheelhouse(wheels: Path, platform: str | None, python_version: str | None) -> None:
    """The package's wheel, PyTorch (pinned), then everything the package and JupyterLab need."""
    wheels.mkdir(parents=True, exist_ok=True)
    _pip("wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels), str(ROOT))
    target = []
    if platform or python_version:
        target = ["--only-binary=:all:"]
        target += ["--platform", platform] if platform else []
        target += ["--python-version", python_version] if python_version else []
    torch_index = os.environ.get("TORCH_INDEX_URL", "")
    index = ["--index-url", torch_index] if torch_index else []
    _pip(
        "download",
        "--quiet",
        "--no-deps",
        "-d",
        str(wheels),
        *index,
        *target,
        f"torch=={TORCH_VERSION}",
    )
    # Pin the PyTorch now in the wheelhouse, so the resolver neither downloads another here nor
    # looks for another on the laptop; everything else at the versions of requirements/lock.txt,
    # the ones the book's outputs were made and tested with.
    pins = [f"torch=={TORCH_VERSION}", *locked_pins()]
    (wheels / "constraints.txt").write_text("\n".join(pins) + "\n")
    _pip(
        "download",
        "--quiet",
        "-d",
        str(wheels),
        "--find-links",
        str(wheels),
        *target,
        "-c",
        str(wheels / "constraints.txt"),
        REQUIREMENT,
    )


def make_kit(
    kit: Path,
    *,
    wheels: bool = True,
    asset_names: list[str] | None = None,
    platform: str | None = None,
    python_version: str | None = None,
) -> Path:
    kit.mkdir(parents=True, exist_ok=True)
    assets.export(kit / "assets", asset_names)
    shutil.copytree(
        ROOT / "notebooks",
        kit / "notebooks",
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(".ipynb_checkpoints"),
    )
    book = ROOT / "_build" / "html"
    if (book / "index.html").exists():
        shutil.copytree(book, kit / "book", dirs_exist_ok=True)
    else:  # the participants' pre-flight (doctor --kit) will say so too
        print("warning: no built book, so the kit has no book and no slides: run `make book` first")
    if wheels:
        build_wheelhouse(kit / "wheels", platform, python_version)
    built_for = python_version or f"{sys.version_info.major}.{sys.version_info.minor}"
    install_sh = kit / "install.sh"
    install_sh.write_text(INSTALL_SH.replace("__REQUIREMENT__", REQUIREMENT))
    install_sh.chmod(0o755)
    (kit / "INSTALL.md").write_text(
        INSTALL_MD.replace("__REQUIREMENT__", REQUIREMENT)
        .replace("__PYTHONS__", "3.10 to 3.13")
        .replace("__BUILT_FOR__", f"Python {built_for}, {platform or sys.platform}")
    )
    return kit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kit", type=Path, help="folder to write, e.g. /media/usb/gentle-llm-kit")
    parser.add_argument("--no-wheels", action="store_true", help="skip the wheelhouse")
    parser.add_argument("--assets", nargs="*", help="asset names (default: all)")
    parser.add_argument(
        "--platform", help="pip platform tag of the laptops, e.g. macosx_11_0_arm64"
    )
    parser.add_argument("--python-version", help="the laptops' Python, e.g. 3.12")
    args = parser.parse_args()
    kit = make_kit(
        args.kit,
        wheels=not args.no_wheels,
        asset_names=args.assets,
        platform=args.platform,
        python_version=args.python_version,
    )
    size = sum(p.stat().st_size for p in kit.rglob("*") if p.is_file())
    print(f"Kit written to {kit} ({size / 1e6:.0f} MB). Participants follow {kit}/INSTALL.md.")


if __name__ == "__main__":
    main()
