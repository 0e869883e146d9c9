"""``gentle-llm train`` and ``gentle-llm sample``: Chapter 6's training loop on the command line.

Train the small character-level model on Tiny Shakespeare, then sample from its checkpoint::

    gentle-llm train --preset cpu-quick --out runs/quick
    gentle-llm sample --checkpoint runs/quick/ckpt.safetensors --prompt "ROMEO:"

On several GPUs, start the same command with ``torchrun``::

    torchrun --nproc_per_node 4 -m gentle_llm.cli train --preset gpu --out runs/gpu
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train`` and ``sample`` subcommands to the ``gentle-llm`` parser."""
    from gentle_llm.presets import PRESETS

    train = subparsers.add_parser(
        "train",
        help="train the tiny GPT on character-level Tiny Shakespeare",
        description="Train the tiny GPT of Chapter 5 with the loop of Chapter 6. Presets: "
        + "; ".join(f"{name}: {p.description}" for name, p in PRESETS.items())
        + ".",
    )
    train.add_argument("--preset", choices=sorted(PRESETS), default="cpu-quick")
    train.add_argument("--steps", type=int, help="optimizer steps (default: the preset's)")
    train.add_argument(
        "--out", type=Path, help="folder for ckpt.safetensors (default: runs/<preset>)"
    )
    train.add_argument(
        "--resume",
        action="store_true",
        help="continue exactly from OUT/ckpt.safetensors (same preset and options)",
    )
    train.add_argument("--device", help="cpu, cuda, mps or auto (default: the preset's)")
    train.add_argument("--eval-interval", type=int, help="steps between validation passes")
    train.add_argument("--checkpoint-interval", type=int, help="steps between checkpoints")
    train.add_argument("--seed", type=int, help="random seed (default: the preset's)")
    train.add_argument("--compile", action="store_true", help="use torch.compile")
    train.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    train.set_defaults(handler=run_train)

    sample = subparsers.add_parser(
        "sample",
        help="generate text from a checkpoint written by `gentle-llm train`",
        description="Generate text from a trained checkpoint (Chapter 7 explains the options).",
    )
    sample.add_argument("--checkpoint", type=Path, required=True, help="a ckpt.safetensors file")
    sample.add_argument("--prompt", default="\n", help="text to continue (default: a new line)")
    sample.add_argument("--max-new-tokens", type=int, default=500)
    sample.add_argument("--temperature", type=float, default=0.8, help="0 means greedy")
    sample.add_argument("--top-k", type=int, default=None)
    sample.add_argument("--top-p", type=float, default=None)
    sample.add_argument("--seed", type=int, default=None, help="same seed, same text")
    sample.add_argument("--device", default="cpu")
    sample.set_defaults(handler=run_sample)


def _check_writable(folder: Path) -> None:
    """Fail before training, not at the first save, if checkpoints cannot be written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
            pass
    except OSError as error:
        raise ValueError(
            f"cannot write checkpoints to --out {str(folder)!r} ({error.strerror or error}): "
            "choose a folder you can write to, on a disk with free space."
        ) from None


def _config_overrides(args: argparse.Namespace, out: Path) -> dict:
    """The TrainConfig fields that the command-line options change."""
    from gentle_llm.presets import PRESETS

    overrides: dict = {"checkpoint_dir": str(out), "progress": not args.no_progress}
    for name in ("steps", "device", "eval_interval", "checkpoint_interval", "seed"):
        if getattr(args, name) is not None:
            overrides[name] = getattr(args, name)
    if args.compile:
        overrides["compile"] = True
    if args.checkpoint_interval is None:
        # A checkpoint every few evaluations keeps an interrupted run cheap to resume.
        interval = overrides.get("eval_interval", PRESETS[args.preset].train.eval_interval)
        overrides["checkpoint_interval"] = interval
    return overrides


def _resume_overrides(checkpoint: Path, overrides: dict) -> dict:
    """Resume with the recipe stored in the checkpoint, so the schedule continues exactly."""
    from gentle_llm.checkpoint import read_checkpoint
    from gentle_llm.train import TrainConfig

    if not checkpoint.exists():
        raise FileNotFoundError(
            f"--resume found no checkpoint at {checkpoint}; run without --resume to start "
            "a new run, or pass the --out folder of the run to continue."
        )
    _, meta = read_checkpoint(checkpoint)
    stored = TrainConfig.from_dict(meta["train_config"])
    keep = {k: v for k, v in overrides.items() if k in ("progress", "checkpoint_dir", "steps")}
    return {**stored.to_dict(), **keep}


def run_train(args: argparse.Namespace) -> int:
    """Handle ``gentle-llm train``; returns the exit status (130 after Ctrl-C)."""
    from gentle_llm import checks
    from gentle_llm.checkpoint import CHECKPOINT_NAME
    from gentle_llm.data import char_dataset
    from gentle_llm.devices import cleanup_distributed, init_distributed, resolve_device
    from gentle_llm.presets import PRESETS, trainer_from_preset

    if args.steps is not None:
        checks.whole_number(args.steps, "--steps")
    out = args.out or Path("runs") / args.preset
    checkpoint = out / CHECKPOINT_NAME
    overrides = _config_overrides(args, out)
    if args.resume:
        overrides = _resume_overrides(checkpoint, overrides)
    elif checkpoint.exists():
        raise ValueError(
            f"{checkpoint} already exists: pass --resume to continue that run, or choose "
            "another --out folder."
        )
    # Refuse bad options, a missing GPU and an unwritable folder now, not after training.
    config = replace(PRESETS[args.preset].train, **overrides)
    resolve_device(config.device)
    _check_writable(out)

    init_distributed(config.device)
    trainer = trainer_from_preset(args.preset, char_dataset(), **overrides)
    if args.resume:
        trainer.load(checkpoint)
        if trainer.step >= trainer.config.steps:
            print(f"{checkpoint} is already at step {trainer.step}; nothing to do.")
            return 0
    if trainer.rank == 0:
        print(
            f"preset {args.preset}: {trainer.model.num_parameters():,} parameters, "
            f"context {trainer.model.config.block_size}, {trainer.config.steps} steps of "
            f"{trainer.config.batch_size} windows on {trainer.device}"
            + (f" x {trainer.world_size} processes" if trainer.world_size > 1 else "")
        )
    try:
        history = trainer.fit()
    except KeyboardInterrupt:
        saved = "no checkpoint was saved yet"
        if trainer.last_checkpoint is not None:
            path, step = trainer.last_checkpoint
            saved = f"last checkpoint {path} (step {step})"
        resume = f"gentle-llm train --preset {args.preset} --out {out} --resume"
        print(
            f"\ninterrupted at step {trainer.step}; {saved}. "
            + (f"Resume with: {resume}" if trainer.last_checkpoint else "Start again to train."),
            file=sys.stderr,
        )
        return 130
    finally:
        cleanup_distributed()
    if trainer.rank == 0:
        print(
            f"step {trainer.step}: validation loss {history.val_loss[-1]:.4f} "
            f"after {trainer.elapsed_s:.1f} s of training; checkpoint {checkpoint}"
        )
        print(
            f"sample with: gentle-llm sample --checkpoint {checkpoint} --prompt 'ROMEO:' --seed 0"
        )
    return 0


def run_sample(args: argparse.Namespace) -> int:
    """Handle ``gentle-llm sample``; prints the prompt followed by the generated text."""
    from gentle_llm.checkpoint import model_from_checkpoint
    from gentle_llm.generate import SamplingConfig, stream

    sampling = SamplingConfig(
        max_new_tokens=args.max_new_tokens,
        temperature=args.temperature,
        top_k=args.top_k,
        top_p=args.top_p,
        seed=args.seed,
    )
    model, tokenizer, _ = model_from_checkpoint(args.checkpoint, device=args.device)
    if tokenizer is None:
        raise ValueError(
            f"{args.checkpoint} stores no tokenizer, so its ids cannot be turned into text; "
            "use a checkpoint written by `gentle-llm train`."
        )
    if not args.prompt:
        raise ValueError("--prompt is empty: give some text to continue, e.g. --prompt 'ROMEO:'.")
    prompt_ids = tokenizer.encode(args.prompt)
    sys.stdout.write(args.prompt)
    new_ids: list[int] = []
    shown = 0
    for token in stream(model, prompt_ids, sampling):
        new_ids.append(token)
        # A BPE token can end in the middle of a UTF-8 character: hold such a tail back until
        # the next token completes it.
        text = tokenizer.decode(new_ids).rstrip("\ufffd")
        sys.stdout.write(text[shown:])
        sys.stdout.flush()
        shown = max(shown, len(text))
    sys.stdout.write(tokenizer.decode(new_ids)[shown:] + "\n")
    return 0
