"""The trained tiny GPT the package ships (Chapter 6), which Labs 7-11 load instead of training.

It must be the model that runs in Chapter 6's page, and what the labs print from it must not
depend on the CPU's kernel path: a learner's laptop picks AVX-512, AVX2 or plain kernels.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gentle_llm.checkpoint import TINY_GPT_FILE, load_tiny_gpt
from gentle_llm.data import char_dataset, evaluate_full
from gentle_llm.explorers import gpt as ex
from gentle_llm.presets import PRESETS

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / "assets" / "extra" / "tiny-gpt" / "tiny-gpt-weights.js"

# What a lab prints from the shipped model: its validation loss to six places, a greedy text
# and a seeded sample. Run in a fresh process so ATEN_CPU_CAPABILITY takes effect.
_PRINT_OUTPUTS = """
import torch
from gentle_llm.checkpoint import load_tiny_gpt
from gentle_llm.data import char_dataset, evaluate_full
from gentle_llm.generate import SamplingConfig, generate
print(torch.backends.cpu.get_cpu_capability())
model, chars = load_tiny_gpt()
print(f"{evaluate_full(model, char_dataset().val, 64):.6f}")
start = chars.encode("ROMEO:\\n")
for knobs in (dict(temperature=0), dict(temperature=0.8, seed=0), dict(temperature=2.0, seed=0)):
    print(chars.decode(generate(model, start, SamplingConfig(max_new_tokens=200, **knobs))))
"""


def test_shipped_model_is_the_page_model() -> None:
    model, tokenizer = load_tiny_gpt()
    page_model, page_tokenizer = ex.model_from_weights_js(WEIGHTS.read_text("ascii"))
    assert tokenizer.chars == page_tokenizer.chars == char_dataset().tokenizer.chars
    assert ex.config_dict(model.config) == ex.config_dict(PRESETS["cpu-quick"].model)
    page_weights = page_model.state_dict()
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, page_weights[name]), name
    assert model.lm_head.weight is model.tok_emb.weight
    assert not model.training


def test_shipped_model_has_the_loss_the_page_states() -> None:
    model, _ = load_tiny_gpt()
    stated = ex.read_weights_js(WEIGHTS.read_text("ascii"))["about"]["val_loss"]
    assert round(float(evaluate_full(model, char_dataset().val, 64)), 4) == stated


def test_each_call_gives_a_fresh_copy() -> None:
    first, _ = load_tiny_gpt()
    with torch.no_grad():
        first.tok_emb.weight.zero_()
    second, _ = load_tiny_gpt()
    assert second.tok_emb.weight.abs().sum() > 0
    assert TINY_GPT_FILE.stat().st_size < 2_000_000


def _outputs(capability: str | None) -> list[str]:
    env = dict(os.environ)
    env.pop("ATEN_CPU_CAPABILITY", None)
    if capability is not None:
        env["ATEN_CPU_CAPABILITY"] = capability
    done = subprocess.run(
        [sys.executable, "-c", _PRINT_OUTPUTS], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.splitlines()


@pytest.mark.slow
def test_outputs_do_not_depend_on_the_cpu_kernel_path() -> None:
    native = _outputs(None)
    plain = _outputs("default")
    assert plain[0] == "DEFAULT" and native[0] != "DEFAULT", (native[0], plain[0])
    assert native[1:] == plain[1:]
    assert len(native) > 4
