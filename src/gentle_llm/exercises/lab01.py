"""Checks for the exercises of Lab 1 (Chapter 1)."""

from __future__ import annotations

from typing import Any

from gentle_llm.exercises.core import NotYet, exercise, learner_call, pair, whole

THREE_PROMPTS = ("The capital of France is", "for i in", "Once upon a")
FRANCE = "The capital of France is"


@exercise("lab1.spread-prompt", "the prompt whose top token gets the smallest probability, a str")
def spread_prompt(answer: Any) -> None:
    if not isinstance(answer, str) or answer.strip() not in THREE_PROMPTS:
        raise NotYet(
            "pass one of the three prompts of the cell as a string, exactly as it is written"
            ' there (for example "for i in").'
        )
    hints = {
        "The capital of France is": "after this prompt one token takes most of the probability:"
        " a confident answer. Look for the prompt whose top token gets the smallest share.",
        "for i in": "a line of Python is very predictable: its top token takes most of the"
        " probability. Look for the prompt whose top token gets the smallest share.",
    }
    if answer.strip() in hints:
        raise NotYet(hints[answer.strip()])


@exercise("lab1.complete", "your function complete(prompt, temperature, seed)")
def complete_function(answer: Any) -> None:
    # Two calls of 15 tokens each, a few seconds on a laptop CPU: the same seed, a high temperature.
    what = "function complete(prompt, temperature, seed)"
    hot = learner_call(answer, what, FRANCE, 3.0, 0)
    if not isinstance(hot, str):
        raise NotYet(
            f"complete should return the generated text as one string, not a"
            f' {type(hot).__name__}: join the tokens of the trace with "".join(...).'
        )
    if hot.startswith(FRANCE):
        raise NotYet("complete should return only the new tokens, not the prompt in front of them.")
    if hot.startswith(" Paris"):
        raise NotYet(
            'at temperature 3.0 the text after "The capital of France is" still starts with the'
            " greedy choice: pass temperature=temperature on to generation_trace, unchanged"
            " (T = 3.0 flattens the probabilities; without it the trace is greedy)."
        )
    again = learner_call(answer, what, FRANCE, 3.0, 0)
    if hot != again:
        raise NotYet(
            "two calls with the same seed gave different texts: pass seed=seed on to"
            " generation_trace, so that the same seed gives the same draws (section 7)."
        )


@exercise("lab1.count-work", "a pair: (forward passes, tokens in the last forward pass)")
def count_work(answer: Any) -> None:
    passes, last = pair(
        answer, "pass a pair: (how many forward passes, how many tokens the last one processed)."
    )
    whole(
        passes,
        12,
        "the number of forward passes",
        hints={
            11: "every generated token needs its own forward pass, the first one included.",
            13: "the loop runs once per generated token, and no pass runs after the last pick.",
        },
    )
    whole(
        last,
        20,
        "the number of tokens in the last forward pass",
        hints={
            21: "the last pass runs before the 12th token is picked: that token is not part"
            " of its input yet.",
            12: "each pass reads the prompt too, not only the generated tokens.",
            11: "each pass reads the prompt too, not only the generated tokens.",
            9: "the prompt has grown by the time of the last pass: each pass appends its token.",
            1: "this loop has no key/value cache: each pass reads the whole text so far.",
        },
    )
