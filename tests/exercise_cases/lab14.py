"""Lab 14: answers each check must refuse (with a fragment of its message) or accept."""

TIMED_OUT = "Error: calculate took longer than 1 s and was abandoned."

WRONG = [
    ("lab14.one-chunk", (19, 0), "hit.chunk.document"),
    ("lab14.one-chunk", (0, 40), "rag_prompts(semantic, k=1)"),
    ("lab14.one-chunk", (45, 40), "same retriever"),
    ("lab14.one-chunk", (0.4, 0.83), "not a share"),
    ("lab14.one-chunk", 19, "pass a pair"),
    ("lab14.slow-tool", ("4", 3.0), "timeout=1.0"),
    ("lab14.slow-tool", ("Error: calculate took longer than 5 s", 3.0), "gives up"),
    ("lab14.slow-tool", ("Error: calculate failed: bad expression", 0.01), "before the time"),
    ("lab14.slow-tool", (TIMED_OUT, 1002.0), "in seconds"),
    ("lab14.slow-tool", TIMED_OUT, "pass a pair"),
    ("lab14.judge-or-not", "a", "earns its place"),
    ("lab14.judge-or-not", "c", "politeness"),
]

RIGHT = [
    ("lab14.one-chunk", (19, 40)),
    ("lab14.slow-tool", (TIMED_OUT, 1.0)),
    ("lab14.slow-tool", (TIMED_OUT, 1.004)),
    ("lab14.judge-or-not", "b"),
]
