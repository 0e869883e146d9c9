"""What a training run measured, and what stops it (Chapter 6).

:class:`History` keeps the loss of every step and of every evaluation, for the loss plots of
Chapter 6 and for checkpoints. A loss that becomes NaN or infinite means the weights are ruined;
:func:`diverged` builds the error that stops the run and says what to do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

__all__ = ["History", "TrainingDiverged", "diverged"]


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite: the weights are ruined, so the run stops."""


@dataclass
class History:
    """What a run measured. ``elapsed_s`` is training time, evaluation and checkpoints excluded."""

    step: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    eval_step: list[int] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    eval_train_loss: list[float] = field(default_factory=list)
    elapsed_s: list[float] = field(default_factory=list)

    def add_steps(self, first_step: int, losses: Sequence[float], lrs: Sequence[float]) -> None:
        """Record the training losses of steps ``first_step``, ``first_step + 1``, ..."""
        self.step.extend(range(first_step, first_step + len(losses)))
        self.train_loss.extend(losses)
        self.lr.extend(lrs)

    def add_eval(self, step: int, val_loss: float, train_loss: float, elapsed_s: float) -> None:
        """Record one evaluation: validation loss, mean training loss since the last one."""
        self.eval_step.append(step)
        self.val_loss.append(val_loss)
        self.eval_train_loss.append(train_loss)
        self.elapsed_s.append(elapsed_s)

    def to_dict(self) -> dict[str, list]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, list]) -> History:
        known = {f.name for f in fields(cls)}
        return cls(**{k: list(v) for k, v in data.items() if k in known})


def diverged(
    what: str, loss: float, step: int, last_checkpoint: tuple[Path, int] | None, lr: float
) -> TrainingDiverged:
    """The error for a loss that became NaN or infinite, naming the last good checkpoint."""
    saved = "no checkpoint was saved yet"
    if last_checkpoint is not None:
        saved = f"the last good checkpoint is {last_checkpoint[0]} (step {last_checkpoint[1]})"
    return TrainingDiverged(
        f"The {what} became {loss} at step {step}: training diverged, so it stopped; {saved}. "
        f"Lower the learning rate (lr={lr:g}) or switch gradient clipping on (grad_clip=1.0), "
        "then train again."
    )
