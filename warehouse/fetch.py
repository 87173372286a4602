"""Fetch one upstream file from a folder, a ``file://`` URL or ``http(s)://``.

Returns ``None`` when the file is not there (HTTP 404 / no such file): for a daily source that
means "not published yet", which is not a failure. Everything else that goes wrong raises
:class:`FetchError` naming the URI.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

CONNECT_TIMEOUT_S = 10
READ_TIMEOUT_S = 120
USER_AGENT = "frontline (+https://github.com/frontline-warehouse/frontline)"


class FetchError(RuntimeError):
    pass


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
    retry = Retry(
        total=4,
        backoff_factor=1.0,
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


def fetch(uri: str) -> Payload | None:
    scheme = urlparse(uri).scheme
    now = dt.datetime.now(dt.UTC)
    if scheme in ("http", "https"):
        global _SESSION
        _SESSION = _SESSION or _session()
        try:
            response = _SESSION.get(uri, timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S))
        except requests.RequestException as exc:
            raise FetchError(f"{uri}: {exc}") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise FetchError(f"{uri}: HTTP {response.status_code}")
        return Payload(uri, response.content, now)
    path = Path(unquote(urlparse(uri).path)) if scheme == "file" else Path(uri)
    if scheme not in ("file", "") and len(scheme) > 1:
        raise FetchError(f"{uri}: unsupported scheme {scheme!r} (use a folder, file:// or http(s)://)")
    try:
        return Payload(uri, path.read_bytes(), now)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise FetchError(f"{uri}: {exc}") from exc
