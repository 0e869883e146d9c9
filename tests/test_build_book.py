"""The book's browser files come from the npm registry without Node.js, checked and unpacked safely.

These test the pieces of scripts/build_book.py on tarballs made here (no network); the book
build itself, which downloads the real three packages once, is tested in test_book.py.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import tarfile
from pathlib import Path

import pytest

BUILD_SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "build_book.py"


@pytest.fixture(scope="module")
def build_book():
    spec = importlib.util.spec_from_file_location("build_book", BUILD_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tarball(members: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            archive.addfile(info)
    return buffer.getvalue()


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def test_integrity_accepts_the_locked_bytes_and_refuses_others(build_book) -> None:
    data = _tarball({"package/a.js": b"console.log(1)"})
    build_book.check_integrity(data, _integrity(data), "pkg 1.0")
    with pytest.raises(build_book.BuildError, match="does not match package-lock.json"):
        build_book.check_integrity(data + b"x", _integrity(data), "pkg 1.0")
    with pytest.raises(build_book.BuildError, match="not supported"):
        build_book.check_integrity(data, "md5-abc", "pkg 1.0")


def test_tarball_unpacks_its_package_folder(build_book, tmp_path: Path) -> None:
    data = _tarball({"package/a.js": b"A", "package/dist/b.woff2": b"B"})
    build_book.unpack_npm_tarball(data, tmp_path / "pkg")
    assert (tmp_path / "pkg" / "a.js").read_bytes() == b"A"
    assert (tmp_path / "pkg" / "dist" / "b.woff2").read_bytes() == b"B"


def test_tarball_paths_outside_the_package_are_refused(build_book, tmp_path: Path) -> None:
    for bad in ("package/../../evil.js", "/etc/evil", "other/a.js"):
        with pytest.raises(build_book.BuildError, match="unexpected path"):
            build_book.unpack_npm_tarball(_tarball({bad: b"x"}), tmp_path / "pkg")
    assert not (tmp_path / "evil.js").exists()


def test_links_in_a_tarball_are_not_followed(build_book, tmp_path: Path) -> None:
    data = _tarball({"package/a.js": b"A"}, links={"package/link": "/etc/passwd"})
    build_book.unpack_npm_tarball(data, tmp_path / "pkg")
    assert sorted(p.name for p in (tmp_path / "pkg").iterdir()) == ["a.js"]


def test_the_lock_file_names_each_package_with_its_hash(build_book) -> None:
    entries = build_book._lock_entries()
    assert [name for name, _, _ in entries] == [
        "@jupyter-widgets/html-manager",
        "mathjax",
        "requirejs",
        "reveal.js",
    ]
    assert all(integrity.startswith("sha512-") for _, _, integrity in entries)
