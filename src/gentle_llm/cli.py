"""The ``gentle-llm`` command: ``doctor``, ``assets``, ``train`` and ``sample``.

``gentle-llm doctor`` is the pre-flight check an instructor runs on every laptop before a
workshop; ``gentle-llm assets export DIR`` writes the offline kit for a USB stick.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from gentle_llm import assets, cli_train
from gentle_llm.doctor import run_doctor


def _cmd_doctor(args: argparse.Namespace) -> int:
    checks = run_doctor(load_model=args.load_model, kit=args.kit)
    for check in checks:
        print(check.line())
    failed = sum(not c.ok for c in checks)
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


def _cmd_assets_list(args: argparse.Namespace) -> int:
    from gentle_llm.common import human_bytes  # imports torch: only for this command

    for asset in assets.REGISTRY.values():
        ok, where = assets.status(asset.name)
        state = where if ok else "not available offline"
        print(f"{asset.name:28} {human_bytes(asset.size):>9}  {asset.description}\n{'':28} {state}")
    return 0


def _cmd_assets_pull(args: argparse.Namespace) -> int:
    for path in assets.pull(args.names or None):
        print(f"ok  {path}")
    return 0


def _cmd_assets_verify(args: argparse.Namespace) -> int:
    results = assets.verify(args.names or None)
    for name, result in results.items():
        print(f"{'ok  ' if result == 'ok' else 'FAIL'} {name}: {result}")
    return 0 if all(r == "ok" for r in results.values()) else 1


def _cmd_assets_export(args: argparse.Namespace) -> int:
    folder = assets.export(Path(args.directory), args.names or None)
    print(f"Mirror written to {folder}. On each laptop: export {assets.MIRROR_ENV}={folder}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gentle-llm", description="Tools for the Gentle LLM course."
    )
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback when a command fails"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    doctor = commands.add_parser("doctor", help="check this machine is ready for the course")
    doctor.add_argument(
        "--load-model", action="store_true", help="also load SmolLM2 (converts it once, ~30 s)"
    )
    doctor.add_argument(
        "--kit", type=Path, metavar="DIR", help="also check an offline kit: labs, book, slides"
    )
    doctor.set_defaults(handler=_cmd_doctor)

    assets_parser = commands.add_parser("assets", help="list, fetch, check or export assets")
    asset_commands = assets_parser.add_subparsers(dest="asset_command", required=True)
    names_help = f"asset names (default: all of {', '.join(assets.REGISTRY)})"
    handlers: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
        "list": (_cmd_assets_list, "show every asset and where it is found"),
        "pull": (_cmd_assets_pull, "copy from the mirror or download into the cache"),
        "verify": (_cmd_assets_verify, "check the SHA-256 of every available asset"),
    }
    for name, (handler, help_text) in handlers.items():
        sub = asset_commands.add_parser(name, help=help_text)
        if name != "list":
            sub.add_argument("names", nargs="*", help=names_help)
        sub.set_defaults(handler=handler)
    export = asset_commands.add_parser("export", help="write an offline mirror folder (USB kit)")
    export.add_argument("directory", help="folder to write, e.g. /media/usb/gentle-llm-assets")
    export.add_argument("names", nargs="*", help=names_help)
    export.set_defaults(handler=_cmd_assets_export)

    cli_train.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; a learner's mistake is one ``error:`` line and exit status 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (assets.AssetError, KeyError, ValueError, TypeError, RuntimeError, OSError) as error:
        if args.debug:
            traceback.print_exc()
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"error: {message}", file=sys.stderr)
        if not args.debug:
            print("(run again with --debug to see the full traceback)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
