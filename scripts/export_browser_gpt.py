"""Write the weights file that Chapter 6's page runs in the browser.

By default it trains the ``cpu-quick`` preset (seeded, so the same weights every run on the
same machine, thread count and library versions; about a minute on a laptop CPU), then writes
``assets/extra/tiny-gpt/tiny-gpt-weights.js``. ``--checkpoint PATH`` exports a checkpoint
written by ``gentle-llm train`` instead. The file is deterministic: the same model gives the
same bytes.

Usage: python scripts/export_browser_gpt.py [--checkpoint PATH] [--out PATH] [--dtype float16]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gentle_llm.checkpoint import model_from_checkpoint
from gentle_llm.data import char_dataset, evaluate_full
from gentle_llm.explorers.gpt import export_weights_js, model_from_weights_js
from gentle_llm.presets import trainer_from_preset
from gentle_llm.tokenizers import CharTokenizer

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "assets" / "extra" / "tiny-gpt" / "tiny-gpt-weights.js"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, help="export this checkpoint, do not train")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--dtype", choices=("float16", "float32"), default="float16")
    args = parser.parse_args(argv)

    data = char_dataset()
    if args.checkpoint is not None:
        model, tokenizer, _meta = model_from_checkpoint(args.checkpoint)
        about = {"source": f"checkpoint {args.checkpoint.name}"}
    else:
        trainer = trainer_from_preset("cpu-quick", progress=False)
        trainer.fit()
        model, tokenizer = trainer.model.eval(), data.tokenizer
        about = {"source": "trainer_from_preset('cpu-quick').fit()"}
    if not isinstance(tokenizer, CharTokenizer):
        raise SystemExit("The browser demo needs a character-level model (a CharTokenizer).")

    val_loss = evaluate_full(model, data.val, model.config.block_size)
    text = export_weights_js(model, tokenizer, dtype=args.dtype, about=about)
    rounded, _ = model_from_weights_js(text)
    rounded_loss = evaluate_full(rounded, data.val, model.config.block_size)
    about["val_loss"] = round(float(rounded_loss), 4)
    text = export_weights_js(model, tokenizer, dtype=args.dtype, about=about)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(text.encode("ascii"))
    print(
        f"wrote {args.out} ({len(text.encode('ascii')):,} bytes, {args.dtype}); "
        f"validation loss {val_loss:.4f} before rounding, {rounded_loss:.4f} as stored"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
