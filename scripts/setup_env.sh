#!/usr/bin/env bash
# Create (once) and update (only when the lock file changed) the project's virtual environment.
# Used by `make book`, `make test` and `make lab`; safe to run again and again.
#
# Every package comes from requirements/lock.txt (exact versions, each file's SHA-256 checked),
# so a new upstream release never changes what a fresh clone installs; `make lock` moves the
# pins. PyTorch is the exception: its build depends on the machine (CPU-only or CUDA), so it is
# installed on its own, at TORCH_VERSION.
#
#   TORCH_VERSION      the PyTorch release to install first (default below; empty = newest)
#   TORCH_INDEX_URL    where to get it, e.g. https://download.pytorch.org/whl/cpu for the small
#                      CPU-only build on a Linux machine without an NVIDIA GPU
#   PYTHON             the interpreter that creates the environment (default: python3)
#   VENV               the environment folder (default: .venv)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
TORCH_VERSION=${TORCH_VERSION-2.13.0}
TORCH_INDEX_URL=${TORCH_INDEX_URL:-}

if [ ! -x "$VENV/bin/python" ]; then
  echo "Creating the virtual environment $VENV with $($PYTHON --version)"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
fi

stamp="$VENV/.gentle-llm-installed"
wanted="$(cat pyproject.toml requirements/lock.txt scripts/setup_env.sh | sha256sum | cut -c1-16) torch=${TORCH_VERSION} ${TORCH_INDEX_URL}"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  echo "Environment $VENV is up to date."
  exit 0
fi

echo "Installing the locked versions of every package (requirements/lock.txt)"
"$VENV/bin/python" -m pip install --quiet --require-hashes --no-deps -r requirements/lock.txt

# PyTorch on its own, pinned: left to the resolver, a plain `torch` can pull a multi-GB CUDA
# build onto a machine that has no GPU.
if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  torch_req="torch${TORCH_VERSION:+==$TORCH_VERSION}"
  echo "Installing $torch_req ${TORCH_INDEX_URL:+from $TORCH_INDEX_URL}"
  if [ -n "$TORCH_INDEX_URL" ]; then
    "$VENV/bin/python" -m pip install --quiet --index-url "$TORCH_INDEX_URL" "$torch_req"
  else
    "$VENV/bin/python" -m pip install --quiet "$torch_req"
  fi
fi

echo "Installing gentle_llm itself"
"$VENV/bin/python" -m pip install --quiet --no-deps -e .
"$VENV/bin/python" -m pip check
echo "$wanted" > "$stamp"
echo "Environment $VENV is ready."
