"""The offline workshop kit (scripts/make_kit.py), without its wheelhouse.

CI builds the full kit, wheels included, and runs its install.sh with every package index
switched off (.ci/run); these tests check, offline, what the kit writes around the wheels.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("make_kit", ROOT / "scripts" / "make_kit.py")
assert spec is not None and spec.loader is not None
make_kit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_kit)


def test_kit_holds_assets_labs_and_a_recipe_that_installs_from_the_kit_only(
    tmp_path: Path,
) -> None:
    kit = make_kit.make_kit(tmp_path / "kit", wheels=False, asset_names=["r50k_base"])
    assert (kit / "assets" / "MANIFEST.md").exists()
    assert (kit / "assets" / "tiktoken" / "r50k_base.tiktoken").exists()
    labs = sorted(p.name for p in (kit / "notebooks").glob("*.ipynb"))
    assert labs == sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    stored = json.loads((kit / "notebooks" / labs[0]).read_text())
    assert any(cell.get("outputs") for cell in stored["cells"])  # with their outputs

    script = (kit / "install.sh").read_text()
    assert "--no-index" in script and "PIP_CONFIG_FILE=/dev/null" in script
    assert '"gentle-llm[lab]"' in script and "constraints.txt" in script
    assert subprocess.run(["bash", "-n", str(kit / "install.sh")]).returncode == 0
    recipe = (kit / "INSTALL.md").read_text()
    assert "bash install.sh" in recipe and "--no-index" in recipe and "doctor" in recipe
    assert "__" not in recipe  # every placeholder filled


def test_the_lab_extra_names_a_notebook_front_end() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    lab = text.split("lab = [", 1)[1].split("]", 1)[0]
    assert "jupyterlab" in lab and "ipykernel" in lab
