"""Self-checks for every lab's exercises (``check_exercise``); see ``exercises.core``.

The checks of Lab N are in ``exercises.labNN``; importing this package registers them all.
"""

from gentle_llm.exercises import (  # noqa: F401 (each module registers its lab's checks)
    lab01,
    lab02,
    lab03,
    lab04,
    lab05,
    lab06,
    lab07,
    lab08,
    lab09,
    lab10,
    lab11,
    lab12,
    lab13,
    lab14,
)
from gentle_llm.exercises.core import NotYet, check_exercise, exercise_names, verdict

__all__ = ["NotYet", "check_exercise", "exercise_names", "verdict"]
