"""The asset registry: lookup order, checksums, offline errors, export and tiktoken seeding."""

from __future__ import annotations

import hashlib
import http.server
import threading

import pytest

from gentle_llm import assets

CONTENT = b"To be, or not to be, that is the question.\n"


def _asset_file(
    path: str, content: bytes, url: str = "http://127.0.0.1:9/none"
) -> assets.AssetFile:
    return assets.AssetFile(path, url, hashlib.sha256(content).hexdigest(), len(content))


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """An empty cache, an empty mirror and a registry of one small text asset."""
    cache, mirror = tmp_path / "cache", tmp_path / "mirror"
    mirror.mkdir()
    monkeypatch.setenv(assets.CACHE_ENV, str(cache))
    monkeypatch.setenv(assets.MIRROR_ENV, str(mirror))
    monkeypatch.setenv(assets.OFFLINE_ENV, "1")
    asset = assets.Asset(
        "poem", "a tiny test text", (_asset_file("texts/poem.txt", CONTENT),), "CC0"
    )
    monkeypatch.setattr(assets, "REGISTRY", {"poem": asset})
    monkeypatch.setattr(assets, "_verified", {})
    return cache, mirror


def test_mirror_file_is_used_in_place(sandbox):
    _, mirror = sandbox
    (mirror / "texts").mkdir()
    (mirror / "texts" / "poem.txt").write_bytes(CONTENT)
    assert assets.fetch("poem") == mirror / "texts" / "poem.txt"


def test_pull_copies_mirror_into_cache_and_cache_wins(sandbox):
    cache, mirror = sandbox
    (mirror / "texts").mkdir()
    (mirror / "texts" / "poem.txt").write_bytes(CONTENT)
    [pulled] = assets.pull(["poem"])
    assert pulled == cache / "assets" / "texts" / "poem.txt"
    assert pulled.read_bytes() == CONTENT
    (mirror / "texts" / "poem.txt").unlink()
    assert assets.fetch("poem") == pulled


def test_checksum_mismatch_in_mirror_is_refused(sandbox):
    _, mirror = sandbox
    (mirror / "texts").mkdir()
    damaged = CONTENT.replace(b"be", b"BE")
    (mirror / "texts" / "poem.txt").write_bytes(damaged)
    with pytest.raises(assets.ChecksumError, match="SHA-256"):
        assets.fetch("poem")


def test_truncated_file_is_refused_and_not_copied(sandbox):
    cache, mirror = sandbox
    (mirror / "texts").mkdir()
    (mirror / "texts" / "poem.txt").write_bytes(CONTENT[:10])
    with pytest.raises(assets.ChecksumError, match="truncated"):
        assets.pull(["poem"])
    assert not (cache / "assets" / "texts" / "poem.txt").exists()


def test_missing_offline_names_asset_places_and_fix(sandbox):
    with pytest.raises(assets.AssetNotFoundError) as info:
        assets.fetch("poem")
    message = str(info.value)
    assert "'poem'" in message
    assert "cache" in message and "mirror" in message and "offline mode" in message
    assert "gentle-llm assets pull poem" in message


def test_unknown_asset_lists_known_names(sandbox):
    with pytest.raises(KeyError, match="Known assets: poem"):
        assets.fetch("peom")


@pytest.fixture
def http_root(tmp_path):
    """A loopback HTTP server standing in for the public source."""
    root = tmp_path / "www"
    root.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):  # keep test output clean
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _online_registry(monkeypatch, url: str) -> None:
    asset = assets.Asset(
        "poem", "a tiny test text", (_asset_file("texts/poem.txt", CONTENT, url),), "CC0"
    )
    monkeypatch.setattr(assets, "REGISTRY", {"poem": asset})
    monkeypatch.delenv(assets.OFFLINE_ENV)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)


def test_download_from_public_source_is_verified_and_cached(sandbox, http_root, monkeypatch):
    cache, _ = sandbox
    root, base = http_root
    (root / "poem.txt").write_bytes(CONTENT)
    _online_registry(monkeypatch, f"{base}/poem.txt")
    path = assets.fetch("poem")
    assert path == cache / "assets" / "texts" / "poem.txt"
    assert path.read_bytes() == CONTENT


def test_corrupt_download_leaves_nothing_behind(sandbox, http_root, monkeypatch):
    cache, _ = sandbox
    root, base = http_root
    (root / "poem.txt").write_bytes(CONTENT.upper())
    _online_registry(monkeypatch, f"{base}/poem.txt")
    with pytest.raises(assets.ChecksumError):
        assets.fetch("poem")
    assert not (cache / "assets" / "texts" / "poem.txt").exists()


def test_failed_download_reports_the_url(sandbox, http_root, monkeypatch):
    _, base = http_root
    _online_registry(monkeypatch, f"{base}/missing.txt")
    with pytest.raises(assets.AssetNotFoundError, match="missing.txt"):
        assets.fetch("poem")


def test_export_writes_a_mirror_that_works(sandbox, tmp_path, monkeypatch):
    _, mirror = sandbox
    (mirror / "texts").mkdir()
    (mirror / "texts" / "poem.txt").write_bytes(CONTENT)
    usb = assets.export(tmp_path / "usb")
    assert (usb / "texts" / "poem.txt").read_bytes() == CONTENT
    assert "texts/poem.txt" in (usb / "MANIFEST.md").read_text()
    monkeypatch.setenv(assets.MIRROR_ENV, str(usb))
    assert assets.fetch("poem") == usb / "texts" / "poem.txt"


def test_folder_asset_returns_its_folder(sandbox, monkeypatch):
    _, mirror = sandbox
    files = (_asset_file("model/config.json", b"{}"), _asset_file("model/sub/x.txt", b"x"))
    asset = assets.Asset("model", "a folder", files, "CC0", folder="model")
    monkeypatch.setattr(assets, "REGISTRY", {"model": asset})
    (mirror / "model" / "sub").mkdir(parents=True)
    (mirror / "model" / "config.json").write_bytes(b"{}")
    (mirror / "model" / "sub" / "x.txt").write_bytes(b"x")
    assert assets.fetch("model") == mirror / "model"


def test_real_registry_matches_the_mirror():
    """Every registered file is in the course mirror with the registered size and SHA-256."""
    results = assets.verify()
    assert results == {name: "ok" for name in assets.REGISTRY}


def test_tiktoken_works_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "tiktoken"))
    assets.ensure_tiktoken_cache()
    import tiktoken

    assert tiktoken.get_encoding("r50k_base").encode("hello world") == [31373, 995]
    assert tiktoken.get_encoding("cl100k_base").encode("hello world") == [15339, 1917]
