#!/usr/bin/env bash
# Create (once) and update (only when pyproject.toml changed) a second virtual environment that
# holds the OLDEST transformers, tokenizers and tiktoken that pyproject.toml allows, beside the
# same CPU PyTorch as the main environment. `make test-oldest` runs the unit tests in it, so a
# lower bound that no longer works is seen in CI, not by a learner whose Colab has that version.
# Safe to run again and again.
#
#   VENV           the environment folder (default: .venv-oldest)
#   PYTHON         the interpreter that creates it (default: python3; needs 3.11+ for tomllib)
#   TORCH_VERSION  the PyTorch release to install first (default: the main environment's)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv-oldest}
TORCH_VERSION=${TORCH_VERSION:-2.13.0}
# The packages held at their lower bound. The rest resolve as usual (to what these allow).
OLDEST="transformers tokenizers tiktoken"

stamp="$VENV/.gentle-llm-oldest-installed"
wanted="$(cat pyproject.toml scripts/compat_env.sh | sha256sum | cut -c1-16) torch=${TORCH_VERSION}"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  echo "Environment $VENV is up to date."
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "Creating the compatibility environment $VENV with $($PYTHON --version)"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
fi

# Pin each package named in OLDEST to the version its `>=` bound in pyproject.toml names, so
# raising a bound there moves this environment with it.
constraints="$VENV/oldest-constraints.txt"
"$VENV/bin/python" - "$constraints" $OLDEST <<'EOF'
import re
import sys
import tomllib

out, names = sys.argv[1], sys.argv[2:]
with open("pyproject.toml", "rb") as f:
    deps = tomllib.load(f)["project"]["dependencies"]
pins = {}
for dep in deps:
    match = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*>=\s*([0-9][0-9A-Za-z.]*)\s*(?:,.*)?", dep)
    if match and match[1].lower() in names:
        pins[match[1].lower()] = match[2]
missing = sorted(set(names) - set(pins))
if missing:
    sys.exit(f"pyproject.toml has no '>=' lower bound for: {', '.join(missing)}")
with open(out, "w", encoding="utf-8") as f:
    f.writelines(f"{name}=={version}\n" for name, version in sorted(pins.items()))
EOF
echo "Oldest versions: $(tr '\n' ' ' < "$constraints")"

# PyTorch first, on its own and pinned: left to the resolver, a plain `torch` can pull a
# multi-GB CUDA build onto a machine that has no GPU.
if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  echo "Installing torch==$TORCH_VERSION"
  "$VENV/bin/python" -m pip install --quiet "torch==$TORCH_VERSION"
fi

# Wheels only for the packages with a compiled core: a version without a wheel for this Python
# would need a Rust or C toolchain to build, and no learner gets it that way either.
echo "Installing gentle_llm with the development extras against the oldest versions"
"$VENV/bin/python" -m pip install --quiet --constraint "$constraints" \
  --only-binary=tokenizers,tiktoken,safetensors,numpy,regex,torch -e ".[dev]"
"$VENV/bin/python" -m pip check
echo "$wanted" > "$stamp"
echo "Environment $VENV is ready."
