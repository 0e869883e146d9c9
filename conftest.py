"""Shared test set-up: offline, pointed at the asset mirror, quiet progress bars.

At the repository root so it applies to the notebooks nbval collects as well as to tests/.

These variables are set before any notebook kernel starts, so nbval's kernels inherit them too.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent
_DEFAULT_MIRROR = REPO_ROOT.parent / "shared" / "assets"

if not os.environ.get("GENTLE_LLM_MIRROR") and _DEFAULT_MIRROR.is_dir():
    os.environ["GENTLE_LLM_MIRROR"] = str(_DEFAULT_MIRROR)
# Tests never touch the network: every asset must come from the cache or the mirror.
os.environ["GENTLE_LLM_OFFLINE"] = "1"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["TQDM_DISABLE"] = "1"
