"""Lab 12: answers each check must refuse (with a fragment of its message) or accept."""

GEMINI, CLAUDE = "Gemini Pro 1.5", "Claude 3 Sonnet"
USABLE = {"later": 2, "april": 0, "ranks_16_25": 7, "ranks_34_49": 12}

WRONG = [
    ("lab12.interval-widths", ("Qwen1.5-7B-Chat", "Mixtral-8x7b-Instruct-v0.1"), "plus + minus"),
    (
        "lab12.interval-widths",
        ("SOLAR-10.7B-Instruct-v1.0", "Mixtral-8x7b-Instruct-v0.1"),
        "largest plus + minus",
    ),
    ("lab12.interval-widths", ("MPT-30B-chat", "Gemini_Pro"), "both 0"),
    ("lab12.interval-widths", "MPT-30B-chat", "pass a pair"),
    ("lab12.llama3-wins", {GEMINI: (3, 3), CLAUDE: (5, 3)}, "carries a note"),
    ("lab12.llama3-wins", {GEMINI: (3, 2), CLAUDE: (5, 5)}, "carries a note"),
    ("lab12.llama3-wins", {GEMINI: (5, 2), CLAUDE: (5, 3)}, "too high"),
    ("lab12.llama3-wins", {GEMINI: 3, CLAUDE: 5}, "pass a pair"),
    ("lab12.llama3-wins", (3, 2, 5, 3), "pass a dict"),
    ("lab12.cross-table", "a", "how the two numbers were obtained"),
    ("lab12.cross-table", "c", "measure it the same way"),
    (
        "lab12.commercial-open",
        {"later": 3, "april": 1, "ranks_16_25": 7, "ranks_34_49": 14},
        "non-commercial",
    ),
    (
        "lab12.commercial-open",
        {"later": 0, "april": 0, "ranks_16_25": 2, "ranks_34_49": 4},
        "own licences",
    ),
    ("lab12.commercial-open", {**USABLE, "ranks_34_49": 11}, "too low"),
    ("lab12.commercial-open", {"later": 2}, "one entry per table"),
]

RIGHT = [
    ("lab12.interval-widths", ("MPT-30B-chat", "Mixtral-8x7b-Instruct-v0.1")),
    ("lab12.interval-widths", [{"model": "MPT-30B-chat"}, " mixtral-8x7b-instruct-v0.1"]),
    ("lab12.llama3-wins", {GEMINI: (3, 2), CLAUDE: (5, 3)}),
    ("lab12.llama3-wins", {"gemini": [3, 2], "claude": [5, 3]}),
    ("lab12.cross-table", "b"),
    ("lab12.commercial-open", USABLE),
    ("lab12.commercial-open", {**USABLE, "later": ["Meta-Llama-3.1-405b", "Meta-Llama-3.1-70b"]}),
]
