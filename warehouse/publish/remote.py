"""Mirror published versions to object storage (FRONTLINE_PUBLISH_URL: s3://, gs://, az://, file://).

The remote keeps the local layout: ``versions/<id>/…`` (every file of a version, its
``manifest.json`` last), then ``manifest.json`` (the latest version's) and ``LATEST`` at the
root, in that order. ``LATEST`` is the commit point: an upload that fails part-way leaves it on
the previous version, and readers that follow it never see a half-uploaded version. A version's
files never change once written (its name carries the content's fingerprint), so they are served
``immutable``; the two pointers are ``no-cache``.

Mirroring is idempotent: a version whose ``manifest.json`` is already there with the same size is
complete (it is uploaded last) and nothing is sent again; files of a half-uploaded version that
are there with their size are kept, the rest are sent.

Uploads go through obstore (Rust object_store); credentials and endpoints come from each
provider's usual environment variables (``AWS_ACCESS_KEY_ID``, ``AWS_ENDPOINT_URL``,
``GOOGLE_SERVICE_ACCOUNT``, ``AZURE_STORAGE_ACCOUNT_KEY``, …).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from warehouse.publish import publish

IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"
CONTENT_TYPES = {
    ".parquet": "application/vnd.apache.parquet",
    ".duckdb": "application/octet-stream",
    ".json": "application/json",
    "": "text/plain; charset=utf-8",
}


class MirrorError(RuntimeError):
    """An upload failed; the remote LATEST was not moved."""


@dataclass
class Mirrored:
    url: str
    version: str
    uploaded: list[str] = field(default_factory=list)  # object keys sent by this call
    latest_moved: bool = False


def open_store(url: str, retry_config: dict | None = None):
    from obstore.store import LocalStore, from_url

    if url.startswith("file://"):
        return from_url(url, mkdir=True)
    store = from_url(url, retry_config=retry_config) if retry_config else from_url(url)
    assert not isinstance(store, LocalStore)
    return store


def _content_type(path: str) -> str:
    suffix = Path(path).suffix
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"


def _size(store, key: str) -> int | None:
    import obstore

    try:
        return obstore.head(store, key)["size"]
    except FileNotFoundError:
        return None


def _read(store, key: str) -> bytes | None:
    import obstore

    try:
        return bytes(obstore.get(store, key).bytes())
    except FileNotFoundError:
        return None


def mirror(
    published_dir: Path,
    url: str,
    version: str | None = None,
    *,
    on_upload: Callable[[str], None] | None = None,
    retry_config: dict | None = None,
) -> Mirrored:
    """Upload ``version`` (default: the local latest) to ``url`` and point the remote LATEST at
    it. ``on_upload(key)`` is called after each object is stored. Raises MirrorError."""
    import obstore
    from obstore.store import LocalStore

    version = version or publish.latest_version(published_dir)
    folder = publish.version_path(published_dir, version)
    store = open_store(url, retry_config)
    local = isinstance(store, LocalStore)  # a file system has no per-object headers
    result = Mirrored(url, version)

    def put(key: str, data: Path | bytes, cache_control: str) -> None:
        attributes = None if local else {"Cache-Control": cache_control, "Content-Type": _content_type(key)}
        try:
            obstore.put(store, key, data, attributes=attributes)
        except Exception as exc:
            raise MirrorError(
                f"upload of {key} to {url} failed ({type(exc).__name__}: {str(exc).splitlines()[0]}); "
                f"LATEST there was not moved"
            ) from exc
        result.uploaded.append(key)
        if on_upload:
            on_upload(key)

    try:
        prefix = f"versions/{version}"
        manifest = folder / publish.MANIFEST
        if _size(store, f"{prefix}/{publish.MANIFEST}") != manifest.stat().st_size:
            files = sorted(p for p in folder.rglob("*") if p.is_file() and p != manifest)
            for path in [*files, manifest]:  # the version's manifest last: its presence means complete
                key = f"{prefix}/{path.relative_to(folder).as_posix()}"
                if path == manifest or _size(store, key) != path.stat().st_size:
                    put(key, path, IMMUTABLE)
        pointer = (version + "\n").encode()
        if _read(store, publish.LATEST) != pointer or _read(store, publish.MANIFEST) != manifest.read_bytes():
            put(publish.MANIFEST, manifest.read_bytes(), NO_CACHE)
            put(publish.LATEST, pointer, NO_CACHE)
            result.latest_moved = True
    except MirrorError:
        raise
    except Exception as exc:  # a failed HEAD/GET: the remote is unreachable or refuses us
        raise MirrorError(
            f"{url}: {type(exc).__name__}: {str(exc).splitlines()[0]}; LATEST there was not moved"
        ) from exc
    return result
