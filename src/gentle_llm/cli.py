"""The ``gentle-llm`` command: ``doctor``, ``assets``, ``train`` and ``sample``.

``gentle-llm doctor`` is the pre-flight check an instructor runs on every laptop before a
workshop; ``gentle-llm assets export DIR`` writes the offline kit for a USB stick.
"""

from __future__ import annotations

import argparse
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from gentle_llm import assets, cli_train


@dataclass
class Check:
    """One line of the doctor's report."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        status = "PASS" if self.ok else "FAIL"
        text = f"[{status}] {self.name}: {self.detail}"
        if not self.ok and self.fix:
            text += f"\n       fix: {self.fix}"
        return text


def declared_requirements() -> list[tuple[str, str]]:
    """``(package, minimum version)`` for every dependency ``pyproject.toml`` declares.

    Read from the installed package's metadata, so the doctor and the project can never
    disagree about what the course needs. Extras (``book``, ``dev``) are left out.
    """
    found = []
    for line in metadata.requires("gentle-llm") or []:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(?:>=\s*([^,;\s]+))?[^;]*", line)
        if match:  # lines with a marker (";") are extras and do not match
            found.append((match.group(1), match.group(2) or "0"))
    return found


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split("+")[0].split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def check_python() -> Check:
    version = sys.version_info
    ok = (3, 10) <= version[:2] <= (3, 13)
    return Check(
        "python",
        ok,
        f"{version.major}.{version.minor}.{version.micro}",
        "install Python 3.10 to 3.13 (the README's set-up command makes a virtual environment)",
    )


def check_package(name: str, minimum: str) -> Check:
    try:
        version = metadata.version(name)
    except metadata.PackageNotFoundError:
        return Check(name, False, "not installed", f"pip install '{name}>={minimum}'")
    ok = _version_tuple(version) >= _version_tuple(minimum)
    return Check(name, ok, version, f"upgrade: pip install -U '{name}>={minimum}'")


def check_device() -> Check:
    import torch

    if torch.cuda.is_available():
        detail = f"CUDA ({torch.cuda.get_device_name(0)})"
    elif getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        detail = "Apple MPS"
    else:
        detail = "CPU only (every lab runs on a CPU; a GPU only makes the FULL settings faster)"
    return Check("device", True, detail)


def check_widgets() -> Check:
    try:
        import ipywidgets  # noqa: F401
        import jupyterlab_widgets  # noqa: F401
    except ImportError:
        return Check(
            "widgets",
            False,
            "jupyterlab_widgets is missing, so sliders won't show in JupyterLab",
            "pip install 'ipywidgets>=8' jupyterlab_widgets",
        )
    return Check("widgets", True, "ipywidgets and the JupyterLab widget manager are installed")


def check_asset(name: str) -> Check:
    ok, detail = assets.status(name)
    fix = (
        f"online: `gentle-llm assets pull {name}`; offline: set {assets.MIRROR_ENV} to a "
        "folder made by `gentle-llm assets export DIR`"
    )
    if detail.startswith("damaged"):
        fix = f"delete the damaged file named above, then {fix}"
    return Check(f"asset {name}", ok, detail, fix)


def check_tiktoken(name: str) -> Check:
    try:
        from gentle_llm.tokenizers import TiktokenTokenizer

        count = len(TiktokenTokenizer(name).encode("hello world"))
    except Exception as error:  # any failure here means this GPT tokenizer won't load
        return Check(
            f"tiktoken {name}",
            False,
            f"cannot load offline ({str(error).splitlines()[0]})",
            f"`gentle-llm assets pull {name}`",
        )
    return Check(f"tiktoken {name}", True, f"loads ({count} tokens for 'hello world')")


def check_model() -> Check:
    from gentle_llm.pretrained import load_smollm2

    try:
        model, _ = load_smollm2()
    except Exception as error:  # report, don't crash: this is a diagnosis tool
        return Check(
            "SmolLM2 model",
            False,
            f"does not load ({error})",
            "`gentle-llm assets pull smollm2-135m-instruct-gguf`",
        )
    millions = sum(p.numel() for p in model.parameters()) / 1e6
    return Check("SmolLM2 model", True, f"loads, {millions:.1f} M parameters")


def run_doctor(load_model: bool) -> list[Check]:
    checks = [check_python()]
    checks += [check_package(name, minimum) for name, minimum in declared_requirements()]
    checks += [check_device(), check_widgets()]
    checks += [check_asset(name) for name in assets.REGISTRY]
    checks += [check_tiktoken(name) for name in ("r50k_base", "cl100k_base")]
    if load_model:
        checks.append(check_model())
    return checks


def _cmd_doctor(args: argparse.Namespace) -> int:
    checks = run_doctor(load_model=args.load_model)
    for check in checks:
        print(check.line())
    failed = sum(not c.ok for c in checks)
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


def _human_size(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def _cmd_assets_list(args: argparse.Namespace) -> int:
    for asset in assets.REGISTRY.values():
        ok, where = assets.status(asset.name)
        state = where if ok else "not available offline"
        print(f"{asset.name:28} {_human_size(asset.size):>9}  {asset.description}\n{'':28} {state}")
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
