"""Lab 10: answers each check must refuse (with a fragment of its message) or accept."""

import math

ATLAS_SHARE = 1 / (1 + 10 ** (-191.6 / 400))  # predicted from the fitted ratings
OBSERVED = 116 / (116 + 32)

WRONG = [
    ("lab10.questions-needed", 323, "wilson_interval"),
    ("lab10.questions-needed", 80, "at most 0.10"),
    ("lab10.questions-needed", 1290, "not a half-width"),
    ("lab10.questions-needed", 330, "too high"),
    ("lab10.atlas-vs-gale", ATLAS_SHARE, "pass a pair"),
    ("lab10.atlas-vs-gale", (OBSERVED, ATLAS_SHARE), "swapped"),
    ("lab10.atlas-vs-gale", (1 - ATLAS_SHARE, OBSERVED), "Gale's share"),
    ("lab10.atlas-vs-gale", (1 / (1 + 10 ** (-210 / 400)), OBSERVED), "true ratings"),
    ("lab10.atlas-vs-gale", (1 / (1 + math.exp(-191.6 / 400)), OBSERVED), "powers of 10"),
    ("lab10.atlas-vs-gale", (100 * ATLAS_SHARE, 100 * OBSERVED), "not percentages"),
    ("lab10.atlas-vs-gale", (ATLAS_SHARE, 0.668), "only the votes between"),
    ("lab10.contamination-sign", "b", "Section 3"),
    ("lab10.contamination-sign", "c", "how precise"),
    ("lab10.contamination-sign", "e", "one letter"),
]

RIGHT = [
    ("lab10.questions-needed", 320),
    ("lab10.atlas-vs-gale", (ATLAS_SHARE, OBSERVED)),
    ("lab10.atlas-vs-gale", (0.754, 0.784)),  # the MM fit without a prior, rounded votes
    ("lab10.contamination-sign", "a"),
    ("lab10.contamination-sign", "(A)"),
]
