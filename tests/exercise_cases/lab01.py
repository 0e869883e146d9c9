"""Lab 1: answers each check must refuse (with a fragment of its message) or accept."""

import random


def complete_as_list(prompt, temperature, seed):
    return [" Paris", "."]  # the tokens, not joined into one string


def complete_with_prompt(prompt, temperature, seed):
    return prompt + " Paris."


def complete_without_seed(prompt, temperature, seed):
    if temperature < 1:
        return " Paris."
    return " " + "".join(random.choice("abcdefghij") for _ in range(30))  # no seed passed on


def complete_greedy(prompt, temperature, seed):
    return " Paris. It is a city."  # temperature never reaches generation_trace


def complete_inverted(prompt, temperature, seed):
    return " salad" if temperature < 1 else " Paris."  # 1 / temperature: 0.1 becomes 10


def complete_broken(prompt, temperature, seed):
    return generation_trace(prompt)  # noqa: F821 (the name the learner forgot to import)


WRONG = [
    ("lab1.spread-prompt", "The capital of France is", "smallest share"),
    ("lab1.spread-prompt", "for i in", "very predictable"),
    ("lab1.spread-prompt", "Once upon a time", "one of the three prompts"),
    ("lab1.complete", complete_as_list, "one string"),
    ("lab1.complete", complete_with_prompt, "not the prompt"),
    ("lab1.complete", complete_without_seed, "same seed"),
    ("lab1.complete", complete_greedy, "still starts with the greedy choice"),
    ("lab1.complete", complete_inverted, "pass temperature=temperature on"),
    ("lab1.complete", complete_broken, "raised NameError"),
    ("lab1.complete", "complete", "the function, without calling it"),
    ("lab1.count-work", (12, 21), "not part of its input yet"),
    ("lab1.count-work", (11, 20), "the first one included"),
    ("lab1.count-work", (12, 12), "reads the prompt too"),
    ("lab1.count-work", 12, "pass a pair"),
]

RIGHT = [
    ("lab1.spread-prompt", "Once upon a"),
    ("lab1.count-work", (12, 20)),
]
