"""Publishing to object storage: a real S3-compatible server (moto's, started here on 127.0.0.1)
and a file:// folder receive each version; readers (pyarrow's S3 filesystem, fsspec) open the
latest extract there and get the local content; an upload cut off half-way leaves the remote
LATEST on the previous version; mirroring twice uploads nothing new."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import fsspec
import obstore
import pyarrow.fs
import pyarrow.parquet as pq
import pytest
import requests

from orchestration.serving_assets import ObjectStoreTarget, object_storage
from tests.conftest import add_cut_version, free_port
from warehouse.publish import publish
from warehouse.publish.remote import IMMUTABLE, NO_CACHE, MirrorError, mirror, open_store

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "frontline", "AWS_SECRET_ACCESS_KEY": "frontline", "AWS_REGION": "us-east-1"}
FAST_FAILURE = {"max_retries": 1, "backoff": {"init_backoff": dt.timedelta(milliseconds=100)}}


@pytest.fixture(scope="module")
def s3_server():
    """moto's S3 server on loopback with one bucket; yields its endpoint."""
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(endpoint, timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and server.poll() is None, "moto_server did not start"
                time.sleep(0.2)
        assert requests.put(f"{endpoint}/frontline-test", timeout=10).status_code == 200
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=30)


class Cuttable:
    """A TCP forwarder on 127.0.0.1 in front of a server; ``cut()`` drops every connection and
    refuses new ones, as a network failing half-way through an upload does."""

    def __init__(self, target_port: int):
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self):
        self.listener.close()
        with self.lock:
            for s in self.sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()


@pytest.fixture
def s3_env(s3_server, monkeypatch):
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ALLOW_HTTP", "true")

    def point_at(endpoint: str):
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)

    point_at(s3_server)
    return point_at


def s3_reader(endpoint: str) -> pyarrow.fs.S3FileSystem:
    return pyarrow.fs.S3FileSystem(
        access_key=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        secret_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region=CREDENTIALS["AWS_REGION"],
        endpoint_override=endpoint.removeprefix("http://"),
        scheme="http",
    )


def version_files(folder: Path, version: str) -> dict[str, bytes]:
    root = publish.versions_dir(folder) / version
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_s3_mirror_reader_cache_headers_failure_and_idempotence(published, tmp_path, s3_server, s3_env):
    folder, old, new, _, _ = add_cut_version(published["home"], tmp_path)
    url = "s3://frontline-test/frontline"
    first = mirror(folder, url)
    expected_keys = [f"versions/{old}/{name}" for name in version_files(folder, old)]
    assert sorted(first.uploaded[:-2]) == sorted(expected_keys) and first.latest_moved
    assert first.uploaded[-3:] == [f"versions/{old}/manifest.json", "manifest.json", "LATEST"]  # pointers last

    # a reader that knows only the bucket: LATEST, then the extract, equal to the local one
    fs = s3_reader(s3_server)
    with fs.open_input_stream("frontline-test/frontline/LATEST") as f:
        latest = f.read().decode().strip()
    assert latest == old
    remote = pq.read_table(f"frontline-test/frontline/versions/{latest}/fact_control_daily.parquet", filesystem=fs)
    assert remote.equals(pq.read_table(publish.version_path(folder, old) / "fact_control_daily.parquet"))
    for key, cache in ((f"versions/{old}/fact_control_daily.parquet", IMMUTABLE), ("LATEST", NO_CACHE)):
        attributes = obstore.get(open_store(url), key).attributes
        assert attributes["Cache-Control"] == cache, key
    assert obstore.get(open_store(url), "manifest.json").attributes["Content-Type"] == "application/json"

    # the second version, with the network cut after its third object
    proxy = Cuttable(int(s3_server.rsplit(":", 1)[1]))
    s3_env(f"http://127.0.0.1:{proxy.port}")
    sent = []

    def cut_after_three(key):
        sent.append(key)
        if len(sent) == 3:
            proxy.cut()

    (folder / publish.LATEST).write_text(new + "\n")
    with pytest.raises(MirrorError, match="LATEST there was not moved"):
        mirror(folder, url, on_upload=cut_after_three, retry_config=FAST_FAILURE)
    s3_env(s3_server)
    with fs.open_input_stream("frontline-test/frontline/LATEST") as f:
        assert f.read().decode().strip() == old
    with fs.open_input_stream("frontline-test/frontline/manifest.json") as f:
        assert json.loads(f.read())["version"] == old
    assert len(sent) == 3 and all(k.startswith(f"versions/{new}/") for k in sent)

    # the next run completes it: only what is missing is sent, then the pointers
    second = mirror(folder, url)
    assert not set(second.uploaded) & set(sent)
    assert len(second.uploaded) == len(version_files(folder, new)) - 3 + 2
    with fs.open_input_stream("frontline-test/frontline/LATEST") as f:
        assert f.read().decode().strip() == new
    remote = pq.read_table(f"frontline-test/frontline/versions/{new}/fact_losses_daily.parquet", filesystem=fs)
    assert remote.equals(pq.read_table(publish.version_path(folder, new) / "fact_losses_daily.parquet"))
    assert max(remote.column("date").to_pylist()) == dt.date(2026, 5, 31)

    # publishing the same version again uploads nothing
    again = mirror(folder, url)
    assert again.uploaded == [] and not again.latest_moved


def test_dagster_asset_mirrors_to_a_file_url_readable_with_fsspec(published, tmp_path):
    folder, old, *_ = add_cut_version(published["home"], tmp_path)
    remote_root = tmp_path / "bucket"
    url = f"file://{remote_root}/frontline"
    resources = {"object_store": ObjectStoreTarget(url=url, published_dir=str(folder))}
    result = dg.materialize([object_storage], resources=resources)
    meta = result.asset_materializations_for_node("published__object_storage")[0].metadata
    assert meta["version"].value == old and meta["latest_moved"].value is True
    assert meta["objects_uploaded"].value == len(version_files(folder, old)) + 2

    fs = fsspec.filesystem("file")
    base = f"{remote_root}/frontline"
    latest = fs.cat(f"{base}/LATEST").decode().strip()
    assert latest == old
    with fs.open(f"{base}/versions/{latest}/fact_control_daily.parquet") as f:
        assert pq.read_table(f).equals(pq.read_table(publish.version_path(folder, old) / "fact_control_daily.parquet"))
    remote_files = {
        p.relative_to(remote_root / "frontline" / "versions" / old).as_posix(): p.read_bytes()
        for p in (remote_root / "frontline" / "versions" / old).rglob("*")
        if p.is_file()
    }
    assert remote_files == version_files(folder, old)  # byte-identical, nothing more

    again = dg.materialize([object_storage], resources=resources)
    assert again.asset_materializations_for_node("published__object_storage")[0].metadata["objects_uploaded"].value == 0


def test_the_asset_skips_without_a_url(tmp_path):
    result = dg.materialize(
        [object_storage], resources={"object_store": ObjectStoreTarget(url=None, published_dir=str(tmp_path))}
    )
    assert result.asset_materializations_for_node("published__object_storage")[0].metadata["skipped"].value
    assert not list(tmp_path.iterdir())
