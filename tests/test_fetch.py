"""The fetcher against a real HTTP server on 127.0.0.1 and real files."""

import http.server

import pytest

from tests.conftest import MIRROR, free_port
from warehouse.ingest.fetch import FetchError, fetch

ISW = "isw/area_assessed_as_controlled_by_russia.csv"


class _Flaky(http.server.SimpleHTTPRequestHandler):
    """Fails the first request for each path with 503 (a CDN hiccup), then serves the file;
    /forbidden/* is always 403."""

    seen: set[str] = set()

    def do_GET(self):
        if self.path.startswith("/forbidden/"):
            self.send_error(403)
        elif self.path not in self.seen:
            self.seen.add(self.path)
            self.send_error(503)
        else:
            super().do_GET()

    def log_message(self, *args):
        pass


def test_http_retries_a_503_then_gets_the_bytes(http_mirror):
    base = http_mirror(MIRROR, _Flaky)
    payload = fetch(f"{base}/{ISW}")
    assert payload.content == (MIRROR / ISW).read_bytes()
    assert payload.uri == f"{base}/{ISW}" and len(payload.sha256) == 64


def test_http_404_means_not_published_yet(http_mirror):
    base = http_mirror(MIRROR)
    assert fetch(f"{base}/deepstate/deepstatemap_data_20990101.geojson") is None


def test_http_error_names_the_uri(http_mirror):
    base = http_mirror(MIRROR, _Flaky)
    with pytest.raises(FetchError, match=r"/forbidden/x\.csv: HTTP 403"):
        fetch(f"{base}/forbidden/x.csv")


def test_folder_and_file_url_read_the_same_bytes():
    expected = (MIRROR / ISW).read_bytes()
    assert fetch(str(MIRROR / ISW)).content == expected
    assert fetch((MIRROR / ISW).as_uri()).content == expected
    assert fetch(str(MIRROR / "isw/nope.csv")) is None


def test_unknown_scheme_is_refused():
    with pytest.raises(FetchError, match="unsupported scheme 'ftp'"):
        fetch("ftp://example.org/x.csv")


def test_an_unreachable_host_fails_the_step_once_with_the_reason(tmp_path):
    """No Dagster retries on top of the HTTP layer's own (an offline first run once waited ten
    minutes for 'Exceeded max_retries of 3'), and the summary says which host and why."""
    import dagster as dg

    from orchestration.raw_assets import whole_file_assets
    from orchestration.resources import WarehouseResource
    from orchestration.runner import _root_cause
    from warehouse.ingest import sources
    from warehouse.store.config import Settings

    base = f"http://127.0.0.1:{free_port()}"
    isw = next(a for a in whole_file_assets if a.key.path == ["raw", sources.ISW.name])
    settings = Settings(home=tmp_path, sources=base, http_interval_s=0)
    result = dg.materialize(
        [isw], resources={"warehouse": WarehouseResource.from_settings(settings)}, raise_on_error=False
    )
    kinds = [e.event_type_value for e in result.all_events]
    assert not result.success and kinds.count("STEP_FAILURE") == 1
    assert "STEP_UP_FOR_RETRY" not in kinds and "STEP_RESTARTED" not in kinds
    failure = next(e for e in result.all_events if e.is_step_failure).step_failure_data
    reason = failure.user_failure_data.description if failure.user_failure_data else _root_cause(failure.error)
    assert f"{base}/{ISW}: cannot reach {base[7:]} after 4 retries" in reason and "refused" in reason.lower()


class _Stalling(http.server.SimpleHTTPRequestHandler):
    """/slow answers after 1.5 s; /hangup closes the connection without answering (an overloaded
    origin or a proxy cutting idle connections)."""

    def do_GET(self):
        if self.path == "/slow":
            import time

            time.sleep(1.5)
            body = b"late"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.close_connection = True  # no status line at all

    def log_message(self, *args):
        pass


def test_a_host_that_answers_too_slowly_or_hangs_up_is_retried_not_called_unreachable(
    http_mirror, monkeypatch, tmp_path
):
    """requests reports a read timeout (and a dropped connection) that outlasted urllib3's retries
    as a ConnectionError: both were reported as "cannot reach" the host and failed the step at once,
    without the step retries the README promises for a timeout. Only a connection never made is."""
    from warehouse.ingest import fetch as fetch_module

    monkeypatch.setenv("FRONTLINE_HTTP_BACKOFF", "0")
    monkeypatch.setattr(fetch_module, "_SESSION", None)
    monkeypatch.setattr(fetch_module, "READ_TIMEOUT_S", 0.5)
    base = http_mirror(tmp_path, _Stalling)
    host = base[len("http://") :]
    with pytest.raises(FetchError) as err:
        fetch(f"{base}/slow")
    assert err.value.retryable
    assert str(err.value).startswith(f"{base}/slow: timed out after 4 retries: ") and "Read timed out" in str(err.value)
    with pytest.raises(FetchError) as err:
        fetch(f"{base}/hangup")
    assert err.value.retryable and "cannot reach" not in str(err.value)
    assert str(err.value).startswith(f"{base}/hangup: {host} failed after 4 retries: ")
    refused = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(FetchError, match=f"cannot reach {refused[7:]} after 4 retries") as err:
        fetch(f"{refused}/x.csv")
    assert not err.value.retryable


class _Maintenance(http.server.SimpleHTTPRequestHandler):
    """The first request gets 503 with `Retry-After: 86400` (a maintenance page), later ones the file."""

    hits = 0

    def do_GET(self):
        type(self).hits += 1
        if type(self).hits == 1:
            self.send_response(503)
            self.send_header("Retry-After", "86400")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            super().do_GET()

    def log_message(self, *args):
        pass


def test_a_retry_after_of_a_day_is_cut_to_the_cap(http_mirror, monkeypatch):
    """urllib3 slept whatever Retry-After said: this fetch would have waited 24 hours (holding the
    run and writer.lock). With the backoff scale at 0 the cap is 0 s, so it retries at once and
    gets the file on the second request (the thread is given 10 minutes, not a day)."""
    import threading

    from warehouse.ingest import fetch as fetch_module

    monkeypatch.setenv("FRONTLINE_HTTP_BACKOFF", "0")
    monkeypatch.setattr(fetch_module, "_SESSION", None)
    base = http_mirror(MIRROR, _Maintenance)
    got = []
    worker = threading.Thread(target=lambda: got.append(fetch(f"{base}/{ISW}")), daemon=True)
    worker.start()
    worker.join(timeout=600)
    assert not worker.is_alive(), "still sleeping on Retry-After: 86400"
    assert got[0].content == (MIRROR / ISW).read_bytes() and _Maintenance.hits == 2


class _Trickling(http.server.SimpleHTTPRequestHandler):
    """/slow.csv announces 1,000 bytes and sends one every 0.1 s: each wait is far inside the
    read timeout. /cut.csv announces 1,000 bytes, sends 10 and hangs up."""

    def do_GET(self):
        import time

        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        if self.path == "/cut.csv":
            self.wfile.write(b"x" * 10)
            self.close_connection = True
            return
        try:
            for _ in range(1000):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should

    def log_message(self, *args):
        pass


def test_a_server_trickling_bytes_is_cut_off_at_the_transfer_deadline(http_mirror, monkeypatch, tmp_path):
    """The read timeout bounds each wait for bytes, not the transfer: a server sending a byte
    just inside it held the run for ever. The transfer has a deadline; past it the fetch fails,
    retryably, naming the URI."""
    from warehouse.ingest import fetch as fetch_module

    monkeypatch.setattr(fetch_module, "_SESSION", None)
    monkeypatch.setattr(fetch_module, "TRANSFER_DEADLINE_S", 1)
    base = http_mirror(tmp_path, _Trickling)
    with pytest.raises(FetchError, match=r"took longer than 1 s") as err:
        fetch(f"{base}/slow.csv")
    assert err.value.retryable and str(err.value).startswith(f"{base}/slow.csv: ")
    with pytest.raises(FetchError, match="broke off the answer") as err:
        fetch(f"{base}/cut.csv")  # fewer bytes than announced: an error, never a short payload
    assert err.value.retryable and str(err.value).startswith(f"{base}/cut.csv: ")


def _redirecting_to(targets: dict[str, str]):
    class _Redirecting(http.server.BaseHTTPRequestHandler):
        """Answers each path in ``targets`` with a 302 to its URL (a mirror moved to a CDN)."""

        def __init__(self, *args, directory=None, **kwargs):
            super().__init__(*args, **kwargs)

        def do_GET(self):
            self.send_response(302)
            self.send_header("Location", targets[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    return _Redirecting


def test_a_redirect_target_that_cannot_be_reached_is_named_not_the_first_host(http_mirror, monkeypatch, tmp_path):
    """The first server answers with redirects: to a second, real server (a file there; a 403
    there) and to a port nothing listens on. Each error names the URL that failed and the first
    one it was reached from; before, an unreachable target was reported as 'cannot reach' the
    first host, which had answered."""
    from warehouse.ingest import fetch as fetch_module

    monkeypatch.setenv("FRONTLINE_HTTP_BACKOFF", "0")
    monkeypatch.setattr(fetch_module, "_SESSION", None)
    second = http_mirror(MIRROR, _Flaky)
    closed_host = f"127.0.0.1:{free_port()}"
    closed = f"http://{closed_host}/moved/x.csv"
    first = http_mirror(
        tmp_path,
        _redirecting_to(
            {"/isw.csv": f"{second}/{ISW}", "/forbidden.csv": f"{second}/forbidden/x.csv", "/gone.csv": closed}
        ),
    )
    payload = fetch(f"{second}/{ISW}")  # (served once: _Flaky's 503 is spent)
    assert fetch(f"{first}/isw.csv").content == payload.content == (MIRROR / ISW).read_bytes()
    with pytest.raises(FetchError) as err:
        fetch(f"{first}/gone.csv")
    message = str(err.value)
    assert message.startswith(f"{closed} (reached by redirect from {first}/gone.csv): cannot reach {closed_host} ")
    assert f"cannot reach {first[7:]}" not in message and "refused" in message.lower() and not err.value.retryable
    with pytest.raises(FetchError) as err:
        fetch(f"{first}/forbidden.csv")
    assert str(err.value) == f"{second}/forbidden/x.csv (reached by redirect from {first}/forbidden.csv): HTTP 403"
