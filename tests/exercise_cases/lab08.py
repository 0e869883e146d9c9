"""Lab 8: answers each check must refuse (with a fragment of its message) or accept."""

QV = 30 * 8 * ((576 + 576) + (576 + 192))
SEVEN = 30 * 8 * (2 * (576 + 576) + 2 * (576 + 192) + 3 * (576 + 1536))

WRONG = [
    ("lab8.lora-count", QV, "pass a pair"),
    ("lab8.lora-count", (QV // 30, SEVEN // 30), "one layer"),
    ("lab8.lora-count", (2 * QV, 2 * SEVEN), "do not double"),
    ("lab8.lora-count", (30 * 8 * 4 * 576, SEVEN), "grouped-query attention"),
    ("lab8.lora-count", (30 * (576 * 576 + 576 * 192), SEVEN), "frozen matrices"),
    ("lab8.lora-count", (QV, SEVEN // 30), "one layer"),
    ("lab8.prompt-loss", 9.83, "pass a pair"),
    ("lab8.prompt-loss", (9.83, 2.60), "other way round"),
    ("lab8.prompt-loss", (2.60, 0.58), "answer tokens"),
    ("lab8.prompt-loss", (9.83, 9.83), "base model's logits"),
    ("lab8.prompt-loss", (-2.60, -9.83), "above 0"),
    ("lab8.dpo-reference", "a", "only the difference"),
    ("lab8.dpo-reference", "c", "what the reference terms"),
    ("lab8.no-mask", "b", "labels cover the prompt"),
    ("lab8.no-mask", "c", "one template"),
    ("lab8.no-mask", 0.31, "letter"),
]

RIGHT = [
    ("lab8.lora-count", (460_800, 2_442_240)),
    ("lab8.lora-count", (QV, SEVEN)),
    ("lab8.prompt-loss", (2.60, 9.83)),
    ("lab8.prompt-loss", (3.5, 5.0)),
    ("lab8.dpo-reference", "b"),
    ("lab8.no-mask", "a"),
]
