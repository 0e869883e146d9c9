"""Fixtures shared by the unit tests: a tiny GPT, a tiny training recipe, the char data, SmolLM2.

The repository's own ``conftest.py`` (one folder up) sets the environment: offline, the asset
mirror, one thread per worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch

from gentle_llm.data import TokenData, load_tinyshakespeare
from gentle_llm.model import GPT, GPTConfig
from gentle_llm.tokenizers import CharTokenizer
from gentle_llm.train import TrainConfig, Trainer

TINY_GPT = GPTConfig(vocab_size=65, block_size=16, n_layer=2, n_head=2, n_embd=32)
TINY_TRAIN = TrainConfig(
    steps=10,
    batch_size=8,
    lr=3e-3,
    min_lr=3e-4,
    warmup_steps=2,
    eval_interval=5,
    device="cpu",
    progress=False,
    num_threads=1,
)


@pytest.fixture(scope="session")
def tiny_gpt_config() -> GPTConfig:
    """A 2-layer, 32-wide GPT over Tiny Shakespeare's 65 characters: trains in a blink."""
    return TINY_GPT


@pytest.fixture(scope="session")
def char_data() -> TokenData:
    """Character-level Tiny Shakespeare, cut to 30 000 characters to keep the tests fast.

    The vocabulary comes from the whole corpus, so the model shape matches the real one.
    """
    text = load_tinyshakespeare()
    tokenizer = CharTokenizer.from_text(text)
    train = torch.tensor(tokenizer.encode(text[:27_000]), dtype=torch.int64)
    val = torch.tensor(tokenizer.encode(text[27_000:30_000]), dtype=torch.int64)
    return TokenData(train=train, val=val, tokenizer=tokenizer)


@pytest.fixture(scope="session")
def train_config() -> Callable[..., TrainConfig]:
    """``train_config(**changes)``: the tiny training recipe with some fields changed."""
    return lambda **changes: replace(TINY_TRAIN, **changes)


@pytest.fixture(scope="session")
def make_trainer(char_data: TokenData) -> Callable[..., Trainer]:
    """``make_trainer(model_config=TINY_GPT, data=char_data, **changes)``, seeded."""

    def make(model_config: GPTConfig = TINY_GPT, data: Any = None, **changes: Any) -> Trainer:
        config = replace(TINY_TRAIN, **changes)
        torch.manual_seed(config.seed)
        return Trainer(GPT(model_config), char_data if data is None else data, config)

    return make


@pytest.fixture(scope="session")
def tiny_checkpoint(
    make_trainer: Callable[..., Trainer], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A checkpoint of the tiny GPT after 2 training steps, with its tokenizer."""
    trainer = make_trainer(steps=2)
    trainer.fit()
    return trainer.save(tmp_path_factory.mktemp("ckpt") / "ckpt.safetensors")


@pytest.fixture(scope="session")
def smollm2() -> tuple[Any, Any]:
    """SmolLM2-135M-Instruct ``(model, tokenizer)``, loaded once per test process."""
    from gentle_llm.pretrained import load_smollm2

    return load_smollm2()
