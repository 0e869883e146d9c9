#!/usr/bin/env bash
# Write requirements/lock.txt: every package `make book` and `make test` install, pinned, with
# the SHA-256 of each release file, for Python 3.10 to 3.13 on Linux, macOS and Windows.
# Run by `make lock`; commit the result and run `make test` before you do.
#
# uv resolves (one universal resolution, with markers where Python versions need different
# releases); pip installs (scripts/setup_env.sh), so a CPU-only PyTorch wheel, from the PyTorch
# index or already on the machine, is used as it is. PyTorch and its CUDA runtime stay out of
# the lock: setup_env.sh installs the one TORCH_VERSION names, a CPU build where it can.
# The pins already in the lock are kept where they still fit (uv prefers them); pass
# --upgrade to move every package to its newest release.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${LOCK_VENV:-.venv-lock}  # holds uv only
UV_VERSION=0.13.9
TORCH_VERSION=${TORCH_VERSION-2.13.0}
LOCK=requirements/lock.txt

if [ ! -x "$VENV/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$VENV"
fi
if [ ! -x "$VENV/bin/uv" ] || [ "$("$VENV/bin/uv" --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  "$VENV/bin/python" -m pip install --quiet "uv==$UV_VERSION"
fi
torch_pin="$(mktemp)"
trap 'rm -f "$torch_pin"' EXIT
echo "torch==$TORCH_VERSION" > "$torch_pin"
compile=("$VENV/bin/uv" pip compile pyproject.toml --extra book --extra dev --extra reference --universal
  --custom-compile-command "make lock"
  --python-version 3.10 --constraint "$torch_pin" --quiet "$@")

# PyTorch's GPU runtime (nvidia-*, cuda-*, triton) comes with PyTorch itself, so it is left out
# with it; everything else PyTorch needs (sympy, networkx, ...) is locked like the rest.
gpu_runtime=$("${compile[@]}" --no-annotate --no-header \
  | sed -nE 's/^((nvidia|cuda)-[a-z0-9-]+|triton)==.*/\1/p' | sort -u)
skip=(--no-emit-package torch)
for name in $gpu_runtime; do skip+=(--no-emit-package "$name"); done
"${compile[@]}" --generate-hashes "${skip[@]}" --output-file "$LOCK"
echo "Wrote $LOCK: $(grep -c '==' "$LOCK") pinned packages (without torch and its GPU runtime)."
