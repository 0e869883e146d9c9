"""Write the course's trained tiny GPT: the page's weights file and the package's checkpoint.

By default it trains the ``cpu-quick`` preset (seeded; about a minute on a laptop CPU), rounds
the weights to float16, and writes both

- ``assets/extra/tiny-gpt/tiny-gpt-weights.js``, the model that runs in Chapter 6's page, and
- ``src/gentle_llm/weights/tiny-gpt.safetensors``, the same rounded weights as a checkpoint,
  which Labs 7 to 11 load with ``gentle_llm.checkpoint.load_tiny_gpt()``.

A training run's last bits depend on the CPU's kernels, so a new run gives slightly different
weights; that is why the result is committed and the labs load it instead of retraining.
``--checkpoint PATH`` exports a checkpoint written by ``gentle-llm train`` instead of training;
``--from-page`` rewrites only the package's checkpoint from the committed weights file. Both
outputs are deterministic: the same model gives the same weights and metadata.

Usage: python scripts/export_browser_gpt.py [--checkpoint PATH | --from-page] [--dtype float16]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from gentle_llm.checkpoint import TINY_GPT_FILE, model_from_checkpoint, save_checkpoint
from gentle_llm.data import char_dataset, evaluate_full
from gentle_llm.explorers.gpt import export_weights_js, model_from_weights_js, read_weights_js
from gentle_llm.presets import PRESETS, trainer_from_preset
from gentle_llm.tokenizers import CharTokenizer

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "assets" / "extra" / "tiny-gpt" / "tiny-gpt-weights.js"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--checkpoint", type=Path, help="export this checkpoint, do not train")
    source.add_argument(
        "--from-page", action="store_true", help="rewrite the checkpoint from the weights file"
    )
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--checkpoint-out", type=Path, default=TINY_GPT_FILE)
    parser.add_argument("--dtype", choices=("float16", "float32"), default="float16")
    args = parser.parse_args(argv)

    data = char_dataset()
    train_config = PRESETS["cpu-quick"].train
    if args.from_page:
        text = args.out.read_text("ascii")
    else:
        if args.checkpoint is not None:
            model, tokenizer, _meta = model_from_checkpoint(args.checkpoint)
            about = {"source": f"checkpoint {args.checkpoint.name}"}
            train_config = None
        else:
            trainer = trainer_from_preset("cpu-quick", progress=False)
            trainer.fit()
            model, tokenizer = trainer.model.eval(), data.tokenizer
            about = {"source": "trainer_from_preset('cpu-quick').fit()"}
        if not isinstance(tokenizer, CharTokenizer):
            raise SystemExit("The browser demo needs a character-level model (a CharTokenizer).")
        text = export_weights_js(model, tokenizer, dtype=args.dtype, about=about)
        rounded, _ = model_from_weights_js(text)
        rounded_loss = evaluate_full(rounded, data.val, rounded.config.block_size)
        about["val_loss"] = round(float(rounded_loss), 4)
        text = export_weights_js(model, tokenizer, dtype=args.dtype, about=about)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_bytes(text.encode("ascii"))
        print(f"wrote {args.out} ({len(text):,} bytes, {args.dtype})")

    rounded, tokenizer = model_from_weights_js(text)
    val_loss = evaluate_full(rounded, data.val, rounded.config.block_size)
    steps = train_config.steps if train_config is not None else 0
    torch.manual_seed(0)  # the checkpoint stores the generators' state: the same bytes each time
    save_checkpoint(
        args.checkpoint_out, rounded, step=steps, train_config=train_config, tokenizer=tokenizer
    )
    print(
        f"wrote {args.checkpoint_out} ({args.checkpoint_out.stat().st_size:,} bytes); "
        f"validation loss {val_loss:.4f} (the weights file says "
        f"{read_weights_js(text)['about'].get('val_loss')})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
