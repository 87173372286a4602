"""Keep payloads that failed parsing or validation, with a JSON sidecar saying why.

Files are named by source, key and content hash, so the same bad payload fetched twice is kept
once; a corrected upstream payload has another hash and is simply ingested by the next run.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from warehouse.ingest.fetch import Payload


def put(
    quarantine_dir: Path,
    source: str,
    key: str,
    payload: Payload,
    error: Exception,
    rows: list | None = None,
    date: str | None = None,
) -> Path:
    """Keep the payload and its sidecar; ``error.quarantined`` is set to the kept file's path (the
    run summary says where it is)."""
    folder = quarantine_dir / source
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(payload.uri).suffix or ".bin"
    stem = f"{key}-{payload.sha256[:16]}"
    data_path = folder / f"{stem}{suffix}"
    if not data_path.exists():
        tmp = data_path.with_suffix(".tmp")
        tmp.write_bytes(payload.content)
        tmp.replace(data_path)
    sidecar = {
        "source": source,
        "key": key,
        "uri": payload.uri,
        "sha256": payload.sha256,
        "fetched_at": payload.fetched_at.isoformat(),
        "n_bytes": len(payload.content),
        "error": str(error),
        "row": getattr(error, "row", None),
        "message": getattr(error, "message", str(error)),
        "offending_rows": rows or [],
        "file": data_path.name,
    }
    if date:
        sidecar["date"] = date  # the fact day a bound refused (a snapshot's key is its id)
    sidecar_path = folder / f"{stem}.error.json"
    sidecar_path.write_text(json.dumps(sidecar, indent=2, default=str) + "\n", encoding="utf-8")
    with contextlib.suppress(AttributeError):  # (an exception type with __slots__)
        error.quarantined = data_path
    return sidecar_path


def entries(quarantine_dir: Path) -> list[dict]:
    """Every quarantined payload's sidecar, oldest first."""
    found = [
        json.loads(p.read_text(encoding="utf-8")) | {"sidecar": str(p)} for p in quarantine_dir.glob("*/*.error.json")
    ]
    return sorted(found, key=lambda e: e["fetched_at"])
