"""`frontline serve` over real HTTP on 127.0.0.1: remote Parquet read lazily by pyarrow through
fsspec's HTTP filesystem, ETag/Range/HEAD semantics, content types, and traversal attempts."""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import json
import threading

import fsspec
import pyarrow.parquet as pq
import pytest

from warehouse.publish import publish
from warehouse.serve.serve import Handler, make_server, parse_range
from warehouse.store import catalog


class _Recording(Handler):
    """The real handler, plus a log of (method, path, Range header, status) per request."""

    log: list[tuple[str, str, str | None, int]]

    def send_response(self, code, message=None):
        self.log.append((self.command, self.path, self.headers.get("Range"), code))
        super().send_response(code, message)


@pytest.fixture(scope="module")
def server(published):
    srv = make_server(published["home"] / "published", port=0, today=lambda: dt.date(2026, 7, 1))
    srv.RequestHandlerClass = type("Rec", (_Recording,), {"log": [], "site": srv.RequestHandlerClass.site})
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _get(srv, path: str, headers: dict | None = None, method: str = "GET"):
    conn = http.client.HTTPConnection("127.0.0.1", srv.server_address[1], timeout=30)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def _chunk_span(meta, name: str) -> tuple[int, int]:
    """First and last byte of a column chunk in the only row group."""
    group = meta.row_group(0)
    chunk = next(group.column(i) for i in range(group.num_columns) if group.column(i).path_in_schema == name)
    first = chunk.dictionary_page_offset if chunk.has_dictionary_page else chunk.data_page_offset
    return first, first + chunk.total_compressed_size - 1


def test_pyarrow_reads_remote_parquet_lazily_and_gets_the_local_rows(server, published):
    local = published["dir"] / "fact_losses_daily.parquet"
    size = local.stat().st_size
    url = f"http://127.0.0.1:{server.server_address[1]}/extracts/latest/fact_losses_daily.parquet"
    fs = fsspec.filesystem("http")

    # Whole table: the same rows as the local file.
    with fs.open(url, "rb", cache_type="none") as remote:
        assert pq.read_table(remote).equals(pq.read_table(local))

    # Two columns, filtered: pyarrow reads the footer, then only those column chunks.
    server.RequestHandlerClass.log.clear()
    columns, where = ["category", "cumulative"], [("category", "=", "tanks")]
    with fs.open(url, "rb", cache_type="none") as remote:
        part = pq.read_table(remote, columns=columns, filters=where, pre_buffer=False)
    assert part.equals(pq.read_table(local, columns=columns, filters=where))
    assert part.num_rows > 1000
    gets = [(r, code) for m, p, r, code in server.RequestHandlerClass.log if m == "GET"]
    assert gets and all(r is not None and code == 206 for r, code in gets), gets
    spans = []
    for header, _ in gets:
        first, last = header.removeprefix("bytes=").split("-")
        spans.append((int(first), min(int(last), size - 1)))
    meta = pq.ParquetFile(local).metadata
    date_first, date_last = _chunk_span(meta, "date")  # a column that was not asked for
    assert date_first < 100, "the date chunk comes first in the file"
    assert all(last < date_first or first > date_last for first, last in spans), spans
    for name in columns:  # each requested chunk was fetched as a whole
        first, last = _chunk_span(meta, name)
        assert any(a <= first and last <= b for a, b in spans), (name, spans)
    fetched = set().union(*(range(a, b + 1) for a, b in spans))
    assert len(fetched) < size - (date_last - date_first)


def test_range_etag_head_and_content_types(server, published):
    name = "fact_control_daily.parquet"
    data = (published["dir"] / name).read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    version = publish.latest_version(published["home"] / "published")

    status, headers, body = _get(server, f"/extracts/latest/{name}")
    assert status == 200 and body == data
    assert headers["Content-Type"] == "application/vnd.apache.parquet"
    assert headers["ETag"] == f'"{sha}"' and headers["Accept-Ranges"] == "bytes"
    assert headers["Cache-Control"] == "no-cache"

    status, headers, body = _get(server, f"/extracts/{version}/{name}", {"Range": "bytes=4-11"})
    assert (status, body) == (206, data[4:12])
    assert headers["Content-Range"] == f"bytes 4-11/{len(data)}"
    assert "immutable" in headers["Cache-Control"]
    assert _get(server, f"/extracts/latest/{name}", {"Range": "bytes=-8"})[2] == data[-8:]  # footer
    assert _get(server, f"/extracts/latest/{name}", {"Range": f"bytes={len(data) - 3}-"})[2] == data[-3:]
    status, headers, _ = _get(server, f"/extracts/latest/{name}", {"Range": f"bytes={len(data)}-"})
    assert status == 416 and headers["Content-Range"] == f"bytes */{len(data)}"
    # If-Range with another version's ETag: the whole (current) file instead of a wrong slice.
    status, _, body = _get(server, f"/extracts/latest/{name}", {"Range": "bytes=0-3", "If-Range": '"old"'})
    assert (status, body) == (200, data)
    status, _, body = _get(server, f"/extracts/latest/{name}", {"If-None-Match": f'"{sha}"'})
    assert (status, body) == (304, b"")
    status, headers, body = _get(server, f"/extracts/latest/{name}", method="HEAD")
    assert (status, body, headers["Content-Length"]) == (200, b"", str(len(data)))

    status, headers, body = _get(server, "/manifest.json")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert json.loads(body)["version"] == version
    snapshot = published["dir"] / publish.SNAPSHOT
    status, headers, body = _get(server, f"/extracts/latest/{publish.SNAPSHOT}", {"Range": "bytes=0-15"})
    assert status == 206 and body == snapshot.read_bytes()[:16]
    status, headers, body = _get(server, "/report/")
    assert status == 302 and headers["Location"] == f"/versions/{version}/report/index.html"
    status, headers, body = _get(server, headers["Location"])
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert body == (published["dir"] / "report" / "index.html").read_bytes()
    status, headers, body = _get(server, "/charts/area.svg")
    assert status == 200 and headers["Content-Type"] == "image/svg+xml" and body.startswith(b"<svg")
    assert json.loads(_get(server, "/versions.json")[2]) == [version]
    for table in catalog.PUBLISHED:
        assert _get(server, f"/extracts/latest/{table.name}.parquet", method="HEAD")[0] == 200


@pytest.mark.parametrize(
    "path",
    [
        "/../etc/passwd",
        "/extracts/latest/../../../../etc/passwd",
        "/extracts/latest/..%2F..%2F..%2Fetc%2Fpasswd",
        "/extracts/latest/%2e%2e/%2e%2e/etc/passwd",
        "/extracts/%2e%2e/LATEST",
        "/extracts/latest/%252e%252e%252fLATEST",
        "/extracts/latest/..%5c..%5cLATEST",
        "/versions/x/../../LATEST",
        "/versions/latest/../LATEST",
        "/extracts/latest/%00fact_control_daily.parquet",
        "/extracts/latest//etc/passwd",
        "/extracts/latest/report%2Findex.html",
        "/extracts/latest/nope.parquet",
        "/extracts/19990101T000000Z-00000000/fact_control_daily.parquet",
        "/LATEST",
        "/versions/%ff/manifest.json",
        "//etc/passwd",
    ],
)
def test_traversal_and_unknown_paths_get_404(server, path):
    status, _, body = _get(server, path)
    assert status == 404, (path, body[:200])
    assert b"root:" not in body


def test_parse_range():
    assert parse_range(None, 10) is None
    assert parse_range("bytes=0-0", 10) == (0, 0)
    assert parse_range("bytes=5-100", 10) == (5, 9)
    assert parse_range("bytes=-3", 10) == (7, 9)
    assert parse_range("bytes=-30", 10) == (0, 9)
    assert parse_range("bytes=10-", 10) == "unsatisfiable"
    assert parse_range("bytes=4-2", 10) == "unsatisfiable"
    assert parse_range("bytes=0-1,4-5", 10) is None  # several ranges: the whole file
    assert parse_range("items=0-1", 10) is None


def test_frontline_serve_command_binds_loopback_and_serves(published):
    """The real command in its own process: binds 127.0.0.1 by default and answers."""
    import os
    import re
    import select
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "FRONTLINE_HOME": str(published["home"]), "FRONTLINE_TODAY": "2026-07-01"}
    code = "import sys; from orchestration.cli import main; sys.exit(main(sys.argv[1:]))"
    process = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--port", "0"],
        cwd=root,
        env=env,
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready, _, _ = select.select([process.stderr], [], [], 60)  # a server that never says where it listens fails
        assert ready, "frontline serve printed nothing for 60 s"
        line = process.stderr.readline()
        match = re.search(r"on http://(127\.0\.0\.1):(\d+)/", line)
        assert match, line
        conn = http.client.HTTPConnection("127.0.0.1", int(match[2]), timeout=30)
        conn.request("GET", "/")
        response = conn.getresponse()
        page = response.read().decode()
        conn.close()
        assert response.status == 200 and "published data status" in page
        assert publish.latest_version(published["home"] / "published") in page
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_status_page_reports_each_sources_newest_day_from_the_mirror(server, published):
    """Newest day and age per source, against the raw mirror files (not the tables)."""
    import csv

    from tests.conftest import MIRROR, PIPELINE_DAYS

    with (MIRROR / "isw/area_assessed_as_controlled_by_russia.csv").open() as f:
        isw = max(dt.date.fromisoformat(r["date"]) for r in csv.DictReader(f))
    personnel = json.loads((MIRROR / "losses/russia_losses_personnel.json").read_text())
    gs = max(dt.date.fromisoformat(r["date"]) for r in personnel)
    today = dt.date(2026, 7, 1)
    status, headers, body = _get(server, "/")
    page = body.decode()
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    with (MIRROR / "mediazona/meduza_2024.csv").open(encoding="utf-8-sig") as f:
        mediazona_2024 = max(dt.date.fromisoformat(r["Date"]) for r in csv.DictReader(f))  # closed vintage
    for source, newest, verdict in (
        ("deepstate", max(PIPELINE_DAYS), "stale"),  # the slice stops in 2024: past the 3 days allowed
        ("isw", isw, "ok"),  # allowed 7 days
        ("gs_personnel", gs, "ok"),  # allowed 3 days
        ("mediazona_2024", mediazona_2024, "no fixed cadence"),
    ):
        age = (today - newest).days
        unit = "day" if age == 1 else "days"
        row = f'<tr><td>{source}</td><td class="d">{newest.isoformat()}</td><td class="n'
        assert row in page, source
        cells = page.split(row, 1)[1].split("</tr>", 1)[0]
        assert f">{age} {unit}</td>" in cells, source
        if verdict == "no fixed cadence":
            assert "no fixed cadence" in cells and "stale" not in cells and " ok" not in cells, source
        else:
            assert cells.startswith(f' {verdict}"'), (source, cells)
    # Download links with the manifest's sizes and checksums.
    manifest = json.loads(_get(server, "/manifest.json")[2])
    for entry in manifest["tables"].values():
        assert f'href="extracts/latest/{entry["file"]}"' in page
        assert entry["sha256"] in page


def test_serve_refuses_a_port_out_of_range_and_names_a_port_in_use(published, monkeypatch, capsys):
    """A bad --port is a usage error (exit 2) and a port another process holds is a one-line error
    naming the address, not a traceback."""
    import socket

    from orchestration.cli import main

    monkeypatch.setenv("FRONTLINE_HOME", str(published["home"]))
    for port in ("70000", "-1", "http"):
        with pytest.raises(SystemExit) as exit_:
            main(["serve", "--port", port])
        err = capsys.readouterr().err
        assert exit_.value.code == 2 and "--port" in err and port in err and "Traceback" not in err, err
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        assert main(["serve", "--port", str(taken)]) == 2
    err = capsys.readouterr().err
    assert f"127.0.0.1:{taken}" in err and "in use" in err and "Traceback" not in err, err


def test_a_connection_that_sends_nothing_is_closed_after_the_idle_timeout(published):
    """Each connection holds a server thread: one that never sends a request (or stops halfway)
    is closed, so silent clients cannot pile up threads; a request in time is still answered."""
    import socket

    from warehouse.serve import serve

    assert 0 < serve.IDLE_TIMEOUT <= 300
    srv = make_server(published["home"] / "published", port=0, today=lambda: dt.date(2026, 7, 1), idle_timeout=1)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        for sent in (b"", b"GET / HTTP/1.1\r\nHost: x\r\n"):  # silent; a request line and no end of headers
            with socket.create_connection(srv.server_address[:2], timeout=30) as client:
                client.sendall(sent)
                assert client.recv(1024) == b""  # closed by the server (our 30 s timeout would raise)
        assert _get(srv, "/versions.json")[0] == 200
    finally:
        srv.shutdown()
        srv.server_close()


def test_serve_listens_on_an_ipv6_address(published):
    """``--host ::1`` (the server's own list of loopback names has it) binds an IPv6 socket instead
    of failing with "address family not supported"."""
    import socket

    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    srv = make_server(published["home"] / "published", host="::1", port=0, today=lambda: dt.date(2026, 7, 1))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        conn = http.client.HTTPConnection("::1", srv.server_address[1], timeout=30)
        conn.request("GET", "/versions.json")
        response = conn.getresponse()
        body = json.loads(response.read())
        conn.close()
        assert response.status == 200 and body == publish.list_versions(published["home"] / "published")
    finally:
        srv.shutdown()
        srv.server_close()
