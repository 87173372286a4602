"""Fetch one upstream file from a folder, a ``file://`` URL or ``http(s)://``.

Returns ``None`` when the file is not there (HTTP 404 / no such file): for a daily source that
means "not published yet", which is not a failure. Everything else that goes wrong raises
:class:`FetchError` naming the URI.

HTTP requests to one host are spaced by ``interval_s`` (``FRONTLINE_HTTP_INTERVAL``): a first run
backfills ~2,500 files from volunteer-run servers, and should not arrive as a burst.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

if TYPE_CHECKING:  # imported for the first HTTP request: a folder or file:// mirror needs neither
    import requests

CONNECT_TIMEOUT_S = 10
READ_TIMEOUT_S = 120
# A whole transfer's limit: the read timeout bounds each wait for bytes, so a server trickling a
# byte just inside it would otherwise hold the run (and writer.lock) for ever.
TRANSFER_DEADLINE_S = 600
HTTP_RETRIES = 4  # urllib3's, with backoff 0, 2, 4, 8 s; 429/5xx honour Retry-After
# FRONTLINE_HTTP_BACKOFF scales those waits (0 = retry at once: tests against a closed port).
RETRY_AFTER_MAX_S = 120  # the longest Retry-After honoured (urllib3's own cap on backoff waits)
HTTP_BACKOFF_ENV = "FRONTLINE_HTTP_BACKOFF"
USER_AGENT = "frontline (+https://github.com/frontline-warehouse/frontline)"


class FetchError(RuntimeError):
    """`retryable` is False when the host could not be reached at all (no such name, connection
    refused) even after the HTTP retries: trying the same step again minutes later rarely helps
    and only delays the report (an offline first run waited ten minutes for it)."""

    def __init__(self, message: str, retryable: bool = True):
        super().__init__(message)
        self.retryable = retryable


def _reason(exc: requests.RequestException) -> str:
    """The innermost cause of a requests error, not its wrapper's repr."""
    reason = exc.args[0] if exc.args else exc
    return str(getattr(reason, "reason", reason))


def _cause(exc: requests.RequestException):
    reason = exc.args[0] if exc.args else exc
    return getattr(reason, "reason", reason)


def _timed_out(exc: requests.RequestException) -> bool:
    from urllib3.exceptions import ReadTimeoutError

    return isinstance(_cause(exc), ReadTimeoutError)


def _unreachable(exc: requests.RequestException) -> bool:
    """No connection could be made at all (no such name, connection refused; urllib3's
    NewConnectionError, which it also counts as a timeout): not a host that answered slowly or
    broke off its answer, which the step's retries are for."""
    from urllib3.exceptions import NewConnectionError

    return isinstance(_cause(exc), NewConnectionError)


@dataclass(frozen=True)
class Payload:
    """Bytes as received, with where and when they came from."""

    uri: str
    content: bytes
    fetched_at: dt.datetime

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def _session() -> requests.Session:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    class CappedRetry(Retry):
        """urllib3 sleeps whatever Retry-After says, unbounded: a maintenance page answering 503
        with `Retry-After: 86400` held the run (and writer.lock) a day per retry, and the daily
        schedule skipped its ticks meanwhile. Waits longer than RETRY_AFTER_MAX_S (scaled like
        the backoff by FRONTLINE_HTTP_BACKOFF) are cut to it; the step's own retries come after."""

        def get_retry_after(self, response):
            after = super().get_retry_after(response)
            return None if after is None else min(after, RETRY_AFTER_MAX_S * self.backoff_factor)

    retry = CappedRetry(
        total=HTTP_RETRIES,
        backoff_factor=float(os.environ.get(HTTP_BACKOFF_ENV, "1")),
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=("GET",),
        raise_on_status=False,
    )
    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    session.headers["User-Agent"] = USER_AGENT
    return session


_SESSION: requests.Session | None = None
_next_request_at: dict[str, float] = {}  # host -> monotonic time its next request may start
_pace_lock = threading.Lock()


def _pace(host: str, interval_s: float) -> None:
    """Wait until `interval_s` has passed since the previous request to `host` started."""
    if interval_s <= 0:
        return
    with _pace_lock:
        now = time.monotonic()
        start = max(now, _next_request_at.get(host, now))
        _next_request_at[host] = start + interval_s
    time.sleep(start - now)


def _failed_at(uri: str, exc: requests.RequestException) -> tuple[str, str]:
    """``(where, host)`` of the request that failed: ``uri`` and its host, or — when a redirect led
    elsewhere — the URL that failed, said to be reached by redirect from ``uri``, and its host.
    (Naming the first host for a redirect target that could not be reached sent the operator to
    the wrong server.)"""
    import requests

    failed = getattr(getattr(exc, "request", None), "url", None)
    if failed and failed != requests.Request("GET", uri).prepare().url:
        return f"{failed} (reached by redirect from {uri})", urlparse(failed).netloc
    return uri, urlparse(uri).netloc


def _answered_at(uri: str, response: requests.Response) -> str:
    """``uri``, or the URL that answered after redirects, said to be reached from ``uri``."""
    return f"{response.url} (reached by redirect from {uri})" if response.history else uri


def _body(uri: str, response: requests.Response) -> bytes:
    """The response's bytes (decoded as its Content-Encoding says), read within
    :data:`TRANSFER_DEADLINE_S`. Read with ``read1``, which returns what has arrived: a sized
    read waits until it has all it asked for, so a trickle would never reach the check."""
    from urllib3.exceptions import HTTPError, ReadTimeoutError

    host = urlparse(response.url if response.history else uri).netloc
    uri = _answered_at(uri, response)
    deadline = time.monotonic() + TRANSFER_DEADLINE_S
    chunks = []
    try:
        while chunk := response.raw.read1(1 << 16, decode_content=True):
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise FetchError(f"{uri}: the transfer took longer than {TRANSFER_DEADLINE_S} s (a stalled server?)")
    except ReadTimeoutError as exc:
        raise FetchError(f"{uri}: timed out reading the answer: {exc}") from exc
    except HTTPError as exc:  # cut off before its Content-Length, a broken gzip stream...
        raise FetchError(f"{uri}: {host} broke off the answer: {exc}") from exc
    finally:
        response.close()
    return b"".join(chunks)


def fetch(uri: str, *, interval_s: float = 0.0) -> Payload | None:
    scheme = urlparse(uri).scheme
    if scheme in ("http", "https"):
        import requests

        global _SESSION
        _SESSION = _SESSION or _session()
        _pace(urlparse(uri).netloc, interval_s)
        now = dt.datetime.now(dt.UTC)
        try:
            response = _SESSION.get(uri, timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S), stream=True)
            content = _body(uri, response) if response.status_code == 200 else b""
        except requests.Timeout as exc:
            where, _ = _failed_at(uri, exc)
            raise FetchError(f"{where}: timed out after {HTTP_RETRIES} retries: {_reason(exc)}") from exc
        except requests.ConnectionError as exc:
            where, host = _failed_at(uri, exc)
            if _unreachable(exc):
                raise FetchError(
                    f"{where}: cannot reach {host} after {HTTP_RETRIES} retries: {_reason(exc)}", retryable=False
                ) from exc
            if _timed_out(exc):  # requests reports a read timeout that outlasted the retries this way
                raise FetchError(f"{where}: timed out after {HTTP_RETRIES} retries: {_reason(exc)}") from exc
            # reached, but the answer broke off: may well work later
            raise FetchError(f"{where}: {host} failed after {HTTP_RETRIES} retries: {_reason(exc)}") from exc
        except requests.RequestException as exc:
            raise FetchError(f"{_failed_at(uri, exc)[0]}: {_reason(exc)}") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise FetchError(f"{_answered_at(uri, response)}: HTTP {response.status_code}")
        return Payload(uri, content, now)
    now = dt.datetime.now(dt.UTC)
    path = Path(unquote(urlparse(uri).path)) if scheme == "file" else Path(uri)
    if scheme not in ("file", "") and len(scheme) > 1:
        raise FetchError(f"{uri}: unsupported scheme {scheme!r} (use a folder, file:// or http(s)://)")
    try:
        return Payload(uri, path.read_bytes(), now)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise FetchError(f"{uri}: {exc}") from exc
