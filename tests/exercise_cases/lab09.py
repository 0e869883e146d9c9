"""Lab 9: answers each check must refuse (with a fragment of its message) or accept."""

from gentle_llm.deploy import DEVICES, PUBLISHED, kv_cache_bytes, weight_bytes


def conversations(name, tokens):
    s = PUBLISHED[name]
    free = DEVICES["24 GB GPU"] - weight_bytes(s.parameters, "int4")
    return int(free // kv_cache_bytes(s, tokens))


LLAMA3 = conversations("Llama 3 8B", 8192)
LLAMA2 = conversations("Llama 2 7B", 4096)
GROUPS = {128: (4.125, 1.8534), 64: (4.25, 1.8418), 32: (4.5, 1.8407), 16: (5.0, 1.8358)}

WRONG = [
    ("lab9.calibration", 8, "pass a pair"),
    ("lab9.calibration", (4, 4), "divide each review's"),
    ("lab9.calibration", (4, 3), "not multiply"),
    ("lab9.calibration", (4, 9), "from 0 to 8"),
    ("lab9.calibration", (0.5, 1.0), "not a share"),
    ("lab9.calibration", (4, 9), "whole number from 0 to 8"),
    ("lab9.cache-conversations", 18, "pass a pair"),
    ("lab9.cache-conversations", (LLAMA2, LLAMA3), "other way round"),
    ("lab9.cache-conversations", (LLAMA3 + 1, LLAMA2 + 1), "round down"),
    ("lab9.cache-conversations", (22, 11), "only what is left"),
    ("lab9.cache-conversations", (4, LLAMA2), "8 key/value heads"),
    ("lab9.cache-conversations", (9, 4), "2 bytes per number"),
    ("lab9.cache-conversations", (LLAMA3, 4), "2 bytes per number"),
    ("lab9.group-size", [4.125, 4.25, 4.5, 5.0], "keys 128, 64, 32 and 16"),
    ("lab9.group-size", {g: (4.0, loss) for g, (_, loss) in GROUPS.items()}, "scales take"),
    ("lab9.group-size", {g: (4 + 32 / g, loss) for g, (_, loss) in GROUPS.items()}, "not 32"),
    ("lab9.group-size", {g: (b, 1.8227) for g, (b, _) in GROUPS.items()}, "fresh copy"),
    (
        "lab9.group-size",
        {128: (4.125, 1.83), 64: (4.25, 1.84), 32: (4.5, 1.85), 16: (5.0, 1.86)},
        "more finely",
    ),
    ("lab9.group-size", {g: b for g, (b, _) in GROUPS.items()}, "pass a pair"),
    ("lab9.eval-unsafe", "a", "speed is not"),
    ("lab9.eval-unsafe", "c", "what else it runs"),
]

RIGHT = [
    ("lab9.calibration", (4, 8)),
    ("lab9.calibration", (4, 7)),
    ("lab9.cache-conversations", (LLAMA3, LLAMA2)),
    ("lab9.cache-conversations", (18, 9)),
    ("lab9.group-size", GROUPS),
    ("lab9.eval-unsafe", "b"),
]
