"""What a source module declares: its :class:`Source` (how to parse a payload, what to check
before landing it) and the :class:`RawTable` its rows go to. What a source *is* (description,
publisher, licence, URLs, cadence) is data, in ``sources.toml`` beside the modules, read by
:meth:`Source.declared`.

:func:`warehouse.ingest.land.land` is the one path that uses these to land a payload.
"""

from __future__ import annotations

import datetime as dt
import string
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from warehouse.ingest.parse import Parsed
from warehouse.ingest.plausibility import whole_file_rows

METADATA = files(__package__) / "sources.toml"
_TEXT_KEYS = ("description", "publisher", "licence", "live_url", "mirror_path")
_ENTRY_KEYS = frozenset({*_TEXT_KEYS, "daily", "freshness"})
_FRESHNESS_KEYS = frozenset({"allowed_lag_days", "why"})


@dataclass(frozen=True)
class Freshness:
    """How far behind today a source's newest date may be before it counts as stale: used by the
    freshness expectations (WARN) and the status page. ``None``: no fixed cadence (a closed
    vintage, irregular publications, a reference file), never stale."""

    allowed_lag_days: int | None
    why: str


@dataclass(frozen=True)
class RawTable:
    """A table in schema ``raw`` (created by the source's ``sql/<module>.sql``) and the columns of
    the rows its parser yields, in order: every column but ``version``, which landing adds. The rows of
    one payload are those of its version, narrowed by ``key_column`` (holds the payload key: a day,
    a snapshot id) and ``source_column`` (holds the source name, for a table several sources
    share). Table names come only from source modules: the whitelist SQL is built from."""

    name: str
    columns: tuple[str, ...]
    key_column: str | None = None
    source_column: str | None = None


class MetadataError(ValueError):
    """``sources.toml`` and the source modules disagree, or an entry is malformed: names the file
    and the source."""


@dataclass(frozen=True, eq=False)
class Source:
    name: str
    description: str
    publisher: str
    licence: str
    live_url: str  # may contain {yyyymmdd}
    mirror_path: str  # relative to a mirror base, may contain {yyyymmdd}
    freshness: Freshness
    daily: bool = False  # one file per day (else one file with the whole history)
    # Landing (warehouse.ingest.land): the raw table, or one per payload key ("*": every other key).
    table: RawTable | Mapping[str, RawTable] | None = None
    # (payload, key) → rows for the key's table; raises ParseError.
    parse: Callable[..., Parsed] | None = None
    # (con, source, key, payload, parsed, current version or None, today) → quirks; raises Implausible.
    check: Callable[..., list[str]] = whole_file_rows
    # True: a payload from another URI is a new version even with the same bytes (the URI names
    # the package version the bytes come from: settlements).
    uri_is_version: bool = False
    # The day a payload key stands for, when it is not an ISO date (a snapshot id): `reparse --since`.
    key_date: Callable[[str], dt.date | None] | None = None
    # Version of the rows ``parse`` makes of the same bytes: bump it with a parser fix that changes
    # rows, and the next run rebuilds the stored rows from their payloads (land.ensure_current_parser).
    parser_version: int = 1

    @classmethod
    def declared(cls, name: str, **code) -> Source:
        """The source ``name``: what it is from ``sources.toml``, what it does (``table``,
        ``parse``, ``check``, ``uri_is_version``, ``key_date``, ``parser_version``) from ``code``."""
        described = _shipped_metadata()
        if name not in described:
            raise MetadataError(f"{METADATA}: no [source.{name}] for the source {name!r} a module declares")
        return cls(name=name, **described[name], **code)

    def table_of(self, key: str) -> RawTable:
        if isinstance(self.table, RawTable):
            return self.table
        return self.table[key] if key in self.table else self.table["*"]

    def relative_path(self, day: dt.date | None = None) -> str:
        return self.mirror_path.format(yyyymmdd=day.strftime("%Y%m%d") if day else "")

    def file_name(self, day: dt.date | None = None) -> str:
        return self.relative_path(day).rsplit("/", 1)[-1]

    def url(self, base: str | None, day: dt.date | None = None) -> str:
        """The URI to fetch: the live URL, or the mirror path under ``base``."""
        if base is None:
            return self.live_url.format(yyyymmdd=day.strftime("%Y%m%d") if day else "")
        return base.rstrip("/") + "/" + self.relative_path(day)


@cache
def _shipped_metadata() -> dict[str, dict]:
    return read_metadata(METADATA)


def read_metadata(path) -> dict[str, dict]:
    """Every ``[source.<name>]`` of the TOML file ``path`` as :class:`Source` keyword arguments
    (``{prefix}`` of ``live_url`` replaced, ``freshness`` a :class:`Freshness`). Raises
    :class:`MetadataError` on a missing or unknown key or a value of the wrong kind."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise MetadataError(f"{path}: unreadable: {exc}") from exc
    if set(doc) - {"prefixes", "source"}:
        raise MetadataError(f"{path}: unknown top-level keys {sorted(set(doc) - {'prefixes', 'source'})}")
    prefixes = doc.get("prefixes", {})
    return {name: _entry(path, name, entry, prefixes) for name, entry in doc.get("source", {}).items()}


def _entry(path, name: str, entry, prefixes: dict[str, str]) -> dict:
    def fail(problem: str) -> MetadataError:
        return MetadataError(f"{path}: [source.{name}] {problem}")

    if not isinstance(entry, dict):
        raise fail("is not a table")
    if set(entry) != _ENTRY_KEYS:
        unknown, missing = sorted(set(entry) - _ENTRY_KEYS), sorted(_ENTRY_KEYS - set(entry))
        raise fail(f"unknown keys {unknown}, missing keys {missing}")
    for key in _TEXT_KEYS:
        if not isinstance(entry[key], str) or not entry[key].strip():
            raise fail(f"{key} must be non-empty text, got {entry[key]!r}")
    if not isinstance(entry["daily"], bool):
        raise fail(f"daily must be true or false, got {entry['daily']!r}")
    fresh = entry["freshness"]
    if not isinstance(fresh, dict) or "why" not in fresh or set(fresh) - _FRESHNESS_KEYS:
        raise fail(f"freshness needs 'why' and at most 'allowed_lag_days', got {fresh!r}")
    lag = fresh.get("allowed_lag_days")
    if lag is not None and (isinstance(lag, bool) or not isinstance(lag, int) or lag < 0):
        raise fail(f"freshness.allowed_lag_days must be a whole number of days >= 0, got {lag!r}")
    live_url = entry["live_url"]
    for prefix, text in prefixes.items():
        live_url = live_url.replace("{" + prefix + "}", text)
    for key, value in (("live_url", live_url), ("mirror_path", entry["mirror_path"])):
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(value) if f is not None}
        except ValueError as exc:
            raise fail(f"{key} {value!r}: {exc}") from exc
        if fields - {"yyyymmdd"}:
            raise fail(f"{key} has unknown placeholders {sorted(fields - {'yyyymmdd'})} (prefixes: {sorted(prefixes)})")
    if entry["daily"] != ("{yyyymmdd}" in entry["mirror_path"]):
        raise fail("a daily source names the day in mirror_path ({yyyymmdd}); only a daily one does")
    return {
        "description": entry["description"],
        "publisher": entry["publisher"],
        "licence": entry["licence"],
        "live_url": live_url,
        "mirror_path": entry["mirror_path"],
        "daily": entry["daily"],
        "freshness": Freshness(lag, fresh["why"]),
    }


def require_described_only(declared: Iterable[str], path=None) -> None:
    """Every ``[source.<name>]`` of ``path`` (default: the shipped ``sources.toml``) is a source
    some module declares, so no entry describes a source nothing lands."""
    path = path or METADATA
    stale = sorted(set(read_metadata(path)) - set(declared))
    if stale:
        raise MetadataError(f"{path}: sources no module declares: {', '.join(stale)}")
