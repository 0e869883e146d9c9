"""Lab 13: answers each check must refuse (with a fragment of its message) or accept."""

WRONG = [
    ("lab13.kl-penalty", {0.0: (227, 136), 0.5: (227, 136)}, "GRPOConfig(beta=beta)"),
    ("lab13.kl-penalty", {0.0: (130, 50), 0.5: (126, 47)}, "before training"),
    ("lab13.kl-penalty", {0.0: (0.76, 0.45), 0.5: (0.85, 0.35)}, "not a share"),
    ("lab13.kl-penalty", {0.0: 136, 0.5: 104}, "pass a pair"),
    ("lab13.kl-penalty", [136, 104], "keys 0.0 and 0.5"),
    ("lab13.patched-reward", (7.9, 3), "still pads"),
    ("lab13.patched-reward", (2.7, 5), "loophole"),
    ("lab13.patched-reward", (2.7, 0.34), "not a share"),
    ("lab13.new-ability", "a", "greedy accuracy"),
    ("lab13.new-ability", "c", "the reward"),
]

RIGHT = [
    ("lab13.kl-penalty", {0.0: (227, 136), 0.5: (254, 104)}),
    ("lab13.kl-penalty", {0: [220, 114], 0.5: [253, 111]}),
    ("lab13.patched-reward", (2.7, 102)),
    ("lab13.patched-reward", (2.63, 78)),
    ("lab13.new-ability", "b"),
]
