"""The fetcher against a real HTTP server on 127.0.0.1 and real files."""

import http.server

import pytest

from tests.conftest import MIRROR
from warehouse.fetch import FetchError, fetch

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
