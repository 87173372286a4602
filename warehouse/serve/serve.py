"""`frontline serve`: the published versions over HTTP, for people and for remote Parquet readers.

Routes (GET and HEAD):

* ``/`` — the status page (`warehouse.serve.status`); ``/charts/<name>.svg`` — its charts;
* ``/manifest.json`` — the latest version's manifest; ``/versions.json`` — every version;
* ``/extracts/latest/<file>`` and ``/extracts/<version>/<file>`` — a Parquet extract or the DuckDB
  snapshot (any top-level file of the version's manifest);
* ``/versions/<version>/<path>`` — any file the version's manifest lists (e.g. the validation
  report under ``report/``) and its ``manifest.json``; ``/report/`` redirects to the latest report.

Only names listed in a manifest are served: a request path is decoded once, split into segments
and looked up in that list, so ``..``, encoded slashes and absolute paths can never reach a file
outside the version (they get 404). Files carry a strong ETag (their sha256 from the manifest),
``Accept-Ranges: bytes`` and answer single ``Range`` requests with 206, so pyarrow/fsspec and
DuckDB's httpfs read remote Parquet lazily (footer first, then only the needed row groups).
Per-version URLs are immutable and cached for a year; ``latest`` URLs must be revalidated.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.server
import json
import mimetypes
import re
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from warehouse.publish import publish
from warehouse.serve import status

CONTENT_TYPES = {
    ".parquet": "application/vnd.apache.parquet",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".duckdb": "application/octet-stream",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}
# Seconds a connection may send nothing (an idle keep-alive, a request trickled in) or accept no
# bytes before it is closed: each connection holds a thread, so without it a client that opens
# connections and never speaks would pile up threads on a server reachable from the network.
IDLE_TIMEOUT = 60.0
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
CHUNK = 1 << 16
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def content_type(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def parse_range(header: str | None, size: int) -> tuple[int, int] | None | str:
    """(first, last) byte of a single satisfiable range; None to send the whole file (no header,
    several ranges or a malformed one: RFC 9110 lets a server ignore Range); "unsatisfiable"."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last N bytes
        n = int(last)
        if n == 0:
            return "unsatisfiable"
        return (max(size - n, 0), size - 1) if size else "unsatisfiable"
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        return "unsatisfiable"
    return start, end


class Site:
    """Resolves request paths against the published versions; caches what a version renders
    (versions never change once published)."""

    def __init__(self, published_dir: Path, today: Callable[[], dt.date]):
        self.published_dir = published_dir
        self.today = today
        self._charts: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def version(self, name: str) -> str | None:
        if name == "latest":
            return publish.latest_version(self.published_dir)
        return name if name in publish.list_versions(self.published_dir) else None

    def file(self, version: str, relative: str) -> tuple[Path, str] | None:
        """The file and its sha256 if the version's manifest lists it (the only whitelist)."""
        manifest = publish.read_manifest(self.published_dir, version)
        folder = publish.version_path(self.published_dir, version)
        if relative == publish.MANIFEST:
            path = folder / publish.MANIFEST
            return path, hashlib.sha256(path.read_bytes()).hexdigest()
        sha = manifest.get("files", {}).get(relative)
        if sha is None:
            tables = {t["file"]: t["sha256"] for t in manifest["tables"].values()}
            snapshot = manifest.get("snapshot") or {}
            tables[snapshot.get("file")] = snapshot.get("sha256")
            sha = tables.get(relative)
        return (folder / relative, sha) if sha else None

    def charts(self, version: str) -> dict[str, str]:
        with self._lock:
            if version not in self._charts:
                folder = publish.version_path(self.published_dir, version)
                manifest = publish.read_manifest(self.published_dir, version)
                self._charts = {version: {name: draw(folder, manifest) for name, draw in status.CHARTS.items()}}
            return self._charts[version]


class Handler(http.server.BaseHTTPRequestHandler):
    site: Site
    server_version = "frontline"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's signature
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    def do_GET(self) -> None:
        self._dispatch(head=False)

    # -- routing ---------------------------------------------------------------------------

    def _dispatch(self, head: bool) -> None:
        try:
            segments = _segments(self.path)
            if segments is None:
                return self._error(404, "not found")
            self._route(segments, head)
        except FileNotFoundError:
            self._error(404, "not found")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _route(self, s: list[str], head: bool) -> None:
        site = self.site
        latest = publish.latest_version(site.published_dir)
        if s in ([], ["index.html"]):
            charts = site.charts(latest) if latest else {}
            html = status.page(site.published_dir, site.today(), charts)
            return self._bytes(html.encode(), "text/html; charset=utf-8", head, REVALIDATE)
        if s == ["versions.json"]:
            body = json.dumps(publish.list_versions(site.published_dir)).encode()
            return self._bytes(body, "application/json", head, REVALIDATE)
        if latest is None:
            return self._error(404, "nothing published yet")
        if s == ["manifest.json"]:
            return self._file(*site.file(latest, publish.MANIFEST), head, REVALIDATE)
        if s in (["report"], ["report", ""], ["report", "index.html"]):
            report = publish.read_manifest(site.published_dir, latest).get("report")
            if not report:
                return self._error(404, "no validation report in the latest version")
            return self._redirect(f"/versions/{latest}/{report}")
        if len(s) == 2 and s[0] == "charts" and s[1].endswith(".svg"):
            svg = site.charts(latest).get(s[1][: -len(".svg")])
            if svg is None:
                return self._error(404, "no such chart")
            return self._bytes(svg.encode(), "image/svg+xml", head, REVALIDATE)
        if len(s) == 3 and s[0] == "extracts":
            return self._versioned(s[1], s[2], head)
        if len(s) >= 3 and s[0] == "versions" and s[1] != "latest":
            return self._versioned(s[1], "/".join(s[2:]), head)
        return self._error(404, "not found")

    def _versioned(self, version_name: str, relative: str, head: bool) -> None:
        version = self.site.version(version_name)
        found = self.site.file(version, relative) if version else None
        if found is None:
            return self._error(404, "not found")
        cache = REVALIDATE if version_name == "latest" else IMMUTABLE
        self._file(*found, head, cache)

    # -- responses -------------------------------------------------------------------------

    def _error(self, code: int, message: str) -> None:
        body = (message + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _bytes(self, body: bytes, ctype: str, head: bool, cache: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _file(self, path: Path, sha256: str, head: bool, cache: str) -> None:
        etag = f'"{sha256}"'
        size = path.stat().st_size
        common = {
            "ETag": etag,
            "Accept-Ranges": "bytes",
            "Cache-Control": cache,
            "Last-Modified": self.date_time_string(int(path.stat().st_mtime)),
        }
        if _etag_matches(self.headers.get("If-None-Match"), etag):
            self.send_response(304)
            for k, v in common.items():
                self.send_header(k, v)
            self.end_headers()
            return
        wanted = parse_range(self.headers.get("Range"), size)
        if_range = self.headers.get("If-Range")
        if if_range is not None and if_range.strip() != etag:
            wanted = None  # the client's copy is another version: send the whole file
        if wanted == "unsatisfiable":
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            for k, v in common.items():
                self.send_header(k, v)
            self.end_headers()
            return
        first, last = wanted if wanted else (0, size - 1)
        length = last - first + 1 if size else 0
        self.send_response(206 if wanted else 200)
        self.send_header("Content-Type", content_type(path.name))
        self.send_header("Content-Length", str(length))
        if wanted:
            self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        for k, v in common.items():
            self.send_header(k, v)
        self.end_headers()
        if head:
            return
        with path.open("rb") as f:
            f.seek(first)
            left = length
            while left > 0:
                block = f.read(min(CHUNK, left))
                if not block:
                    break
                self.wfile.write(block)
                left -= len(block)


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


def _segments(raw_path: str) -> list[str] | None:
    """Path segments of a request, percent-decoded once; None if any segment could leave the
    folder it names (``.``/``..``, a slash or backslash after decoding, NUL, drive letters)."""
    path = urlsplit(raw_path).path
    if not path.startswith("/"):
        return None
    parts = path[1:].split("/")
    decoded = []
    for i, part in enumerate(parts):
        try:
            text = unquote(part, errors="strict") if "%" in part else part
        except UnicodeDecodeError:
            return None
        if text in (".", "..") or any(c in text for c in ("/", "\\", "\x00", ":")):
            return None
        if text == "" and i != len(parts) - 1:
            return None  # "//" inside a path
        decoded.append(text)
    if decoded == [""]:
        return []
    return decoded


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    verbose = False


def make_server(
    published_dir: Path,
    host: str = "127.0.0.1",
    port: int = 8080,
    today: Callable[[], dt.date] | None = None,
    idle_timeout: float = IDLE_TIMEOUT,
) -> Server:
    """A server bound to host:port (port 0 = any free port) serving `published_dir`; a connection
    silent for `idle_timeout` seconds is closed."""
    site = Site(published_dir, today or (lambda: dt.datetime.now(dt.UTC).date()))
    handler = type("FrontlineHandler", (Handler,), {"site": site, "timeout": idle_timeout})
    server = Server if ":" not in host else type("Server6", (Server,), {"address_family": socket.AF_INET6})
    return server((host, port), handler)


def serve(published_dir: Path, host: str, port: int, today: Callable[[], dt.date], verbose: bool = False) -> None:
    server = make_server(published_dir, host, port, today)
    server.verbose = verbose
    bound_host, bound_port = server.server_address[:2]
    bound_host = f"[{bound_host}]" if ":" in bound_host else bound_host  # an IPv6 address in a URL
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: listening on {host}, reachable from other machines", file=sys.stderr)
    print(
        f"serving {published_dir} on http://{bound_host}:{bound_port}/ (Ctrl-C stops)",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
