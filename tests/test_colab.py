"""Colab: every lab installs the package from the repository _config.yml names, and links there.

The repository's address lives in one place (_config.yml); scripts/sync_notebooks.py writes it
into each lab's setup cell and Colab link, and this test fails when a lab has drifted. The
built pages' launch buttons are checked in test_book.py.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("sync", ROOT / "scripts" / "sync_notebooks.py")
assert spec is not None and spec.loader is not None
sync = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sync)
LABS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.stem)
def test_lab_setup_cell_and_colab_link_come_from_the_config(lab: Path) -> None:
    data = json.loads(lab.read_text(encoding="utf-8"))
    code = next(c for c in data["cells"] if c["cell_type"] == "code")
    assert "".join(code["source"]) == sync.setup_cell_source(), (
        f"{lab.name}: setup cell differs; run scripts/sync_notebooks.py"
    )
    intro = "".join(next(c for c in data["cells"] if c["cell_type"] == "markdown")["source"])
    url, branch, _ = sync.repository()
    link = f"/github/{url.removeprefix('https://github.com/')}/blob/{branch}/notebooks/{lab.name})"
    assert sync.colab_line(lab) in intro and link in intro


def test_sync_repairs_a_drifted_lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lab = tmp_path / "99-x.ipynb"
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Lab 99\n", "\n", "Text."]},
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": ["%pip install -q git+https://example.org/old\n"],
        },
    ]
    lab.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    fixed = sync.synced(lab)
    assert "".join(fixed["cells"][1]["source"]) == sync.setup_cell_source()
    intro = "".join(fixed["cells"][0]["source"])
    assert intro.startswith("# Lab 99\n\nText.\n\n**Run it:**") and "99-x.ipynb" in intro
    lab.write_text(json.dumps(fixed))
    assert sync.synced(lab) == fixed  # a second run changes nothing
