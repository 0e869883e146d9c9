"""Looking inside a pretrained LLM: what it is made of, what it predicts, how it generates.

Chapter 1 explains the ideas these helpers make visible:

* :func:`model_facts` reads a model's vital statistics from its configuration (vocabulary,
  layers, attention heads, context window, parameter count, bytes in memory and on disk);
* :func:`next_token_table` asks the model for its probability of every possible next token and
  returns the most likely ones;
* :func:`generation_trace` generates text the plainest possible way, one forward pass and one
  pick per new token, and records every choice with the probability the model gave it.

They work with any ``transformers`` causal language model and its tokenizer; the labs use
SmolLM2-135M-Instruct from :func:`gentle_llm.pretrained.load_smollm2`.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

import torch

from gentle_llm import checks
from gentle_llm.common import human_bytes, logits_of, model_device

__all__ = [
    "TokenProbability",
    "model_facts",
    "facts_table",
    "human_bytes",
    "next_token_table",
    "generation_trace",
]


class TokenProbability(NamedTuple):
    """One token with the probability the model gave it.

    ``token`` is the token decoded on its own, so a leading space shows as ``" make"``.
    """

    token: str
    token_id: int
    probability: float


def model_facts(
    model: Any, tokenizer: Any, *, weights_file: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
    """A model's vital statistics, read from its configuration and its weights.

    Chapter 1 explains each one. The keys, in order:

    ``architecture``, ``vocab_size`` (rows of the embedding table), ``layers``,
    ``attention_heads``, ``kv_heads`` (fewer than ``attention_heads`` when heads share keys and
    values), ``hidden_size`` (numbers per token inside the model), ``context_length`` (the
    most tokens it can look at), ``parameters`` (shared weights counted once), ``dtype``,
    ``bytes_in_memory`` (the weights as loaded), and ``bytes_on_disk`` (the size of
    ``weights_file``, only when one is given — e.g. the 4-bit GGUF file the weights came from).
    """
    _check_pair(model, tokenizer)
    config = model.config
    # model.parameters() already lists a tied weight (shared embedding and output layer) once.
    params = list(model.parameters())
    facts: dict[str, Any] = {
        "architecture": type(model).__name__,
        "vocab_size": int(config.vocab_size),
        "layers": int(config.num_hidden_layers),
        "attention_heads": int(config.num_attention_heads),
        # Older architectures (GPT-2) have no separate key/value heads: every head has its own.
        "kv_heads": int(getattr(config, "num_key_value_heads", None) or config.num_attention_heads),
        "hidden_size": int(config.hidden_size),
        "context_length": int(config.max_position_embeddings),
        "parameters": sum(p.numel() for p in params),
        "dtype": str(params[0].dtype).removeprefix("torch."),
        "bytes_in_memory": sum(p.numel() * p.element_size() for p in params),
    }
    if weights_file is not None:
        path = os.fspath(weights_file)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"weights_file {path!r} is not a file: pass e.g. "
                "gentle_llm.assets.fetch('smollm2-135m-instruct-gguf'), or leave it out."
            )
        facts["bytes_on_disk"] = os.path.getsize(path)
    return facts


_FACT_LABELS = {
    "architecture": "Architecture",
    "vocab_size": "Vocabulary size (tokens)",
    "layers": "Layers (transformer blocks)",
    "attention_heads": "Attention heads per layer",
    "kv_heads": "Key/value heads per layer",
    "hidden_size": "Hidden size (numbers per token)",
    "context_length": "Context window (tokens)",
    "parameters": "Parameters",
    "dtype": "Number format in memory",
    "bytes_in_memory": "Weights in memory",
    "bytes_on_disk": "Weights file on disk",
}


def facts_table(facts: dict[str, Any]) -> str:
    """The facts from :func:`model_facts` as a two-column Markdown table with plain labels.

    Counts get thousands separators (parameters also in millions), sizes get MB or GB.
    Keys this function does not know are shown as they are.
    """
    rows = ["| Fact | Value |", "| --- | --- |"]
    for key, value in facts.items():
        if key.startswith("bytes_"):
            shown = human_bytes(value)
        elif key == "parameters":
            shown = f"{value:,} ({value / 1e6:.1f} million)"
        elif isinstance(value, int):
            shown = f"{value:,}"
        else:
            shown = str(value)
        rows.append(f"| {_FACT_LABELS.get(key, key)} | {shown} |")
    return "\n".join(rows)


@torch.inference_mode()
def next_token_table(
    model: Any, tokenizer: Any, prompt: str, k: int = 10
) -> list[TokenProbability]:
    """The ``k`` most likely next tokens after ``prompt``, most likely first.

    One forward pass gives a score (logit) for every token of the vocabulary; softmax turns the
    scores into probabilities that add up to 1. Chapter 1 explains why this one distribution is
    all an LLM ever produces.
    """
    checks.whole_number(k, "k", hint="(k is how many tokens to list.)")
    _check_pair(model, tokenizer)
    ids = _encode_prompt(model, tokenizer, prompt)
    probs = torch.softmax(_next_token_logits(model, ids), dim=-1)
    top = torch.topk(probs, min(k, probs.numel()))
    return [
        TokenProbability(tokenizer.decode([i]), i, p)
        for p, i in zip(top.values.tolist(), top.indices.tolist(), strict=True)
    ]


@torch.inference_mode()
def generation_trace(
    model: Any,
    tokenizer: Any,
    prompt: str,
    steps: int,
    *,
    temperature: float = 0.0,
    seed: int | None = None,
    stop_at_end: bool = True,
) -> list[TokenProbability]:
    """Generate up to ``steps`` tokens after ``prompt``, one forward pass and one pick each.

    ``temperature=0`` is greedy decoding: always take the most likely token. A temperature
    above 0 samples from the probabilities sharpened (< 1) or flattened (> 1) by it; the same
    ``seed`` gives the same picks. Each returned step holds the chosen token and the
    probability the model itself gave it (before any temperature), so greedy and sampled runs
    can be compared. With ``stop_at_end`` the trace ends after the model picks its
    end-of-text token (it is included as the last step).

    Every step runs the model over the whole text so far: slow but plain. Chapter 1 shows
    this loop; Chapter 7 makes it fast with a key/value cache (``gentle_llm.generate``).
    """
    checks.whole_number(steps, "steps", minimum=0, hint="(steps is how many tokens to add.)")
    checks.number(
        temperature, "temperature", low=0, hint="0 means greedy, 1 the model's own probabilities."
    )
    if seed is not None:
        checks.whole_number(seed, "seed", minimum=0, hint="(or None for no fixed seed)")
    _check_pair(model, tokenizer)
    ids = _encode_prompt(model, tokenizer, prompt)
    context = int(model.config.max_position_embeddings)
    if ids.numel() + steps > context:
        raise ValueError(
            f"the prompt ({ids.numel()} tokens) plus {steps} new tokens would not fit in the "
            f"model's context window of {context} tokens: ask for fewer steps or a shorter prompt."
        )
    # With no seed, draw from torch's global random numbers (which the notebook setup seeds).
    generator = None
    if seed is not None:
        generator = torch.Generator(device=ids.device).manual_seed(seed)
    end_id = tokenizer.eos_token_id

    trace: list[TokenProbability] = []
    for _ in range(steps):
        logits = _next_token_logits(model, ids)  # one forward pass over the whole text
        probs = torch.softmax(logits, dim=-1)
        if temperature == 0:
            choice = int(torch.argmax(probs))
        else:
            reshaped = torch.softmax(logits / temperature, dim=-1)
            choice = int(torch.multinomial(reshaped, 1, generator=generator))
        trace.append(TokenProbability(tokenizer.decode([choice]), choice, float(probs[choice])))
        ids = torch.cat([ids, ids.new_tensor([choice])])  # the pick becomes part of the input
        if stop_at_end and choice == end_id:
            break
    return trace


def _check_pair(model: Any, tokenizer: Any) -> None:
    """Refuse a tokenizer that can produce token ids the model has no embedding for."""
    if not hasattr(model, "config") or not hasattr(tokenizer, "decode"):
        raise TypeError(
            "expected a transformers model and its tokenizer, e.g. "
            "model, tokenizer = gentle_llm.pretrained.load_smollm2()."
        )
    vocab_size = model.config.vocab_size
    if len(tokenizer) > vocab_size:
        raise ValueError(
            f"this tokenizer knows {len(tokenizer)} tokens but the model only has {vocab_size}: "
            "they do not belong together. Load the tokenizer that was saved with the model."
        )


def _encode_prompt(model: Any, tokenizer: Any, prompt: str) -> torch.Tensor:
    """The prompt as a 1-D tensor of token ids on the model's device."""
    checks.text(prompt, "prompt", example="The best thing about AI is its ability to")
    ids = tokenizer(prompt, return_tensors="pt")["input_ids"][0]
    if ids.numel() == 0:
        raise ValueError(f"the tokenizer turned {prompt!r} into no tokens at all; pass some text.")
    context = int(model.config.max_position_embeddings)
    if ids.numel() > context:
        raise ValueError(
            f"the prompt is {ids.numel()} tokens long but the model can only look at "
            f"{context}. Shorten the prompt."
        )
    return ids.to(model_device(model))


def _next_token_logits(model: Any, ids: torch.Tensor) -> torch.Tensor:
    """The model's score (float32) for every vocabulary token coming after ``ids``."""
    return logits_of(model, ids.unsqueeze(0))[0, -1].float()
