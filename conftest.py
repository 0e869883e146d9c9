"""Shared test set-up: offline, pointed at the asset mirror, quiet progress bars.

At the repository root so it applies to the notebooks nbval collects as well as to tests/.

These variables are set before any notebook kernel starts, so nbval's kernels inherit them too.
"""

from __future__ import annotations

import os
from pathlib import Path

from gentle_llm.assets import use_mirror_by_default

REPO_ROOT = Path(__file__).resolve().parent
use_mirror_by_default(REPO_ROOT.parent / "shared" / "assets")
# Tests never touch the network: every asset must come from the cache or the mirror.
os.environ["GENTLE_LLM_OFFLINE"] = "1"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["TQDM_DISABLE"] = "1"
# Two test workers (and their notebook kernels) share 2 cores: one thread each avoids the
# oversubscription that made steps up to 10x slower, and keeps float sums in the same order
# when scripts/run_notebook.py stores outputs and when nbval re-runs them.
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"
