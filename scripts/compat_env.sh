#!/usr/bin/env bash
# The compatibility environments, beside the same CPU PyTorch as the main environment:
#
#   compat_env.sh oldest   the OLDEST transformers, tokenizers and tiktoken that pyproject.toml
#                          allows (`make test-oldest`), so a lower bound that no longer works is
#                          seen in CI, not by a learner whose Colab has that version; peft, the
#                          test reference, is held at its lower bound too, because its newer
#                          releases drop the old transformers (peft 0.22 warns on import);
#   compat_env.sh newest   the NEWEST release of every package pyproject.toml allows, what a
#                          fresh Colab runtime installs (`make test-newest`), so a new upstream
#                          release shows up as one failing run with its cause, while `make test`
#                          keeps the locked versions.
#
# The oldest one is created once and updated only when pyproject.toml changes; the newest one
# asks the package index for upgrades every time. Safe to run again and again.
#
#   VENV           the environment folder (default: .venv-oldest or .venv-newest)
#   PYTHON         the interpreter that creates it (default: python3; needs 3.11+ for tomllib)
#   TORCH_VERSION  the PyTorch release to install first (default: the main environment's)
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${1:-oldest}
case "$MODE" in
  oldest | newest) ;;
  *) echo "usage: $0 oldest|newest" >&2; exit 2 ;;
esac
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv-$MODE}
TORCH_VERSION=${TORCH_VERSION:-2.13.0}
# The packages held at their lower bound. The rest resolve as usual (to what these allow).
OLDEST="transformers tokenizers tiktoken peft"

if [ ! -x "$VENV/bin/python" ]; then
  echo "Creating the compatibility environment $VENV with $($PYTHON --version)"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
fi

# PyTorch first, on its own and pinned: left to the resolver, a plain `torch` can pull a
# multi-GB CUDA build onto a machine that has no GPU.
if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  echo "Installing torch==$TORCH_VERSION"
  "$VENV/bin/python" -m pip install --quiet "torch==$TORCH_VERSION"
fi

if [ "$MODE" = newest ]; then
  echo "Upgrading gentle_llm's dependencies to their newest releases (torch stays $TORCH_VERSION)"
  echo "torch==$TORCH_VERSION" > "$VENV/torch-pin.txt"
  "$VENV/bin/python" -m pip install --quiet --upgrade --upgrade-strategy eager \
    --constraint "$VENV/torch-pin.txt" -e ".[dev,reference]"
  "$VENV/bin/python" -m pip check
  "$VENV/bin/python" -m pip list --format=freeze 2>/dev/null \
    | grep -iE '^(transformers|tokenizers|tiktoken|safetensors|gguf|accelerate|numpy|peft)==' \
    | tr '\n' ' '
  echo
  echo "Environment $VENV is ready."
  exit 0
fi

stamp="$VENV/.gentle-llm-oldest-installed"
wanted="$(cat pyproject.toml scripts/compat_env.sh | sha256sum | cut -c1-16) torch=${TORCH_VERSION}"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  echo "Environment $VENV is up to date."
  exit 0
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
    project = tomllib.load(f)["project"]
# The installed extra (dev) names its own bounds, peft's among them.
deps = project["dependencies"] + project["optional-dependencies"]["dev"]
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

# Wheels only for the packages with a compiled core: a version without a wheel for this Python
# would need a Rust or C toolchain to build, and no learner gets it that way either.
echo "Installing gentle_llm with the development extras against the oldest versions"
"$VENV/bin/python" -m pip install --quiet --constraint "$constraints" \
  --only-binary=tokenizers,tiktoken,safetensors,numpy,regex,torch -e ".[dev]"
"$VENV/bin/python" -m pip check
echo "$wanted" > "$stamp"
echo "Environment $VENV is ready."
