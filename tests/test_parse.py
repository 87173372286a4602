"""Real-shaped bad payloads: each gives an error naming the source, the file and the row."""

import datetime as dt
import json

import pytest

from tests.conftest import MIRROR, deepstate_file
from warehouse.ingest import parse
from warehouse.ingest.fetch import Payload
from warehouse.ingest.sources import deepstate_archive, general_staff, isw

NOW = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
DAY = dt.date(2024, 7, 8)


def payload(content: bytes, uri: str = "deepstate/deepstatemap_data_20240708.geojson") -> Payload:
    return Payload(uri, content, NOW)


def test_a_real_snapshot_parses_to_one_valid_multipolygon():
    import shapely

    wkb, repaired = deepstate_archive.deepstate_snapshot(payload(deepstate_file(DAY).read_bytes()))
    geom = shapely.from_wkb(wkb)
    assert geom.geom_type == "MultiPolygon" and geom.is_valid and not repaired


def test_truncated_geojson_names_the_line_and_column():
    content = deepstate_file(DAY).read_bytes()[:5000]
    with pytest.raises(parse.ParseError) as err:
        deepstate_archive.deepstate_snapshot(payload(content))
    # The cut is where the JSON ends: its last line, one column after that line's last character.
    line, column = content.count(b"\n") + 1, len(content.rsplit(b"\n", 1)[-1]) + 1
    assert (line, column) == (6, 4832)  # the geometry is one long line
    assert str(err.value) == (
        f"deepstate: deepstate/deepstatemap_data_20240708.geojson, line {line} column {column}:"
        " invalid JSON (truncated?): Expecting value"
    )
    assert (err.value.source, err.value.row) == ("deepstate", f"line {line} column {column}")


def test_feature_collection_without_features():
    content = b'{"type": "FeatureCollection", "name": "deepstatemap_data_20240708", "features": []}'
    with pytest.raises(parse.ParseError, match="has no features"):
        deepstate_archive.deepstate_snapshot(payload(content))


def test_html_error_page_is_not_geojson():
    content = b"<!DOCTYPE html><html><body><h1>Rate limit exceeded</h1></body></html>"
    with pytest.raises(parse.ParseError, match="HTML page"):
        deepstate_archive.deepstate_snapshot(payload(content))


def test_feature_with_a_point_is_refused_with_its_index():
    doc = json.loads(deepstate_file(DAY).read_bytes())
    doc["features"].append(
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [30, 50]}}
    )
    with pytest.raises(parse.ParseError) as err:
        deepstate_archive.deepstate_snapshot(payload(json.dumps(doc).encode()))
    assert err.value.row == "feature 1"


def _personnel(mutate) -> Payload:
    records = json.loads((MIRROR / "losses/russia_losses_personnel.json").read_bytes())
    mutate(records)
    return payload(json.dumps(records).encode(), "losses/russia_losses_personnel.json")


def test_non_numeric_loss_value_names_element_and_date():
    def corrupt(records):
        records[100]["personnel"] = "about 42,000"

    with pytest.raises(parse.ParseError) as err:
        general_staff.gs_personnel(_personnel(corrupt))
    assert err.value.row == "element 100 (date 2022-06-05)"
    assert "'personnel' is not an integer: 'about 42,000'" in str(err.value)


def test_duplicated_date_in_losses_is_an_error():
    with pytest.raises(parse.ParseError) as err:
        general_staff.gs_personnel(_personnel(lambda r: r.insert(1, dict(r[0]))))
    assert str(err.value) == (
        "gs_personnel: losses/russia_losses_personnel.json, element 1 (date 2022-02-25): date 2022-02-25 appears twice"
    )


def _isw_repeats(text: str) -> tuple[set[str], list[tuple[int, str]]]:
    """The distinct dates of the ISW CSV and (file line, date) of every repeated date, read here."""
    seen, repeats = set(), []
    for number, line in enumerate(text.splitlines()[1:], start=2):  # line 1 is the header
        day = line.split(",", 1)[0]
        if day in seen:
            repeats.append((number, day))
        seen.add(day)
    return seen, repeats


def test_isw_duplicate_date_with_same_area_is_the_documented_quirk():
    content = (MIRROR / "isw/area_assessed_as_controlled_by_russia.csv").read_bytes()
    parsed = isw.isw_area(payload(content, "isw/area_assessed_as_controlled_by_russia.csv"))
    dates = [r[1] for r in parsed.rows]
    distinct, repeats = _isw_repeats(content.decode())
    assert repeats == [(1505, "2026-04-04")]  # the one repeat ../shared/NOTES.md lists
    assert len(dates) == len(set(dates)) == len(distinct) == 1590
    assert sorted(d.isoformat() for d in dates) == sorted(distinct)
    assert parsed.quirks == ["line 1505: date 2026-04-04 repeated with the same area; kept the first"]


def test_isw_duplicate_date_with_a_different_area_is_an_error():
    text = (MIRROR / "isw/area_assessed_as_controlled_by_russia.csv").read_text()
    lines = text.splitlines()
    lines[1504] = lines[1504].replace("120949026340.61954", "120949999999.0", 1)
    with pytest.raises(parse.ParseError, match="repeated with a different area") as err:
        isw.isw_area(payload("\n".join(lines).encode(), "isw/area_assessed_as_controlled_by_russia.csv"))
    assert err.value.row == "line 1505"


def test_isw_non_numeric_area():
    text = (MIRROR / "isw/area_assessed_as_controlled_by_russia.csv").read_text().replace("43679052552.25393", "n/a", 1)
    with pytest.raises(parse.ParseError, match="non-numeric area 'n/a'") as err:
        isw.isw_area(payload(text.encode(), "isw/area_assessed_as_controlled_by_russia.csv"))
    assert err.value.row == "line 2"


# --- CSV files read wrong at the byte or line level: always a ParseError naming the line --------

CSV_FILES = {
    "isw": "isw/area_assessed_as_controlled_by_russia.csv",
    "mediazona_2024": "mediazona/meduza_2024.csv",
    "mediazona_2025": "mediazona/meduza_2025_weekly.csv",
    "mediazona_2026": "mediazona/meduza_2026_weekly.csv",
    "official_estimates": "estimates/official_estimates.csv",
}


def _csv_source(name):
    from warehouse.ingest import sources

    return sources.BY_NAME[name]


def _parse_csv(name, content: bytes):
    return _csv_source(name).parse(payload(content, CSV_FILES[name]), "all")


def _lines(name) -> tuple[bytes, list[bytes]]:
    """The file's BOM (if any) and its lines, as bytes, read here without the csv module."""
    content = (MIRROR / CSV_FILES[name]).read_bytes()
    bom = b"\xef\xbb\xbf" if content.startswith(b"\xef\xbb\xbf") else b""
    return bom, content[len(bom) :].splitlines()


@pytest.mark.parametrize("name", list(CSV_FILES))
def test_a_csv_line_cut_off_or_with_extra_fields_is_refused_with_its_line(name):
    """A line with fewer fields than the header (a download cut mid-line) would be read with its
    missing cells empty, one with more would have its extra cells ignored: both refused."""
    bom, lines = _lines(name)
    width = lines[0].count(b",") + 1 - sum(h.count(b",") for h in lines[0].split(b'"')[1::2])
    number = 3  # a data line with no quoted field in any of the five files
    assert b'"' not in lines[number - 1] and lines[number - 1].count(b",") + 1 == width
    first_two = b",".join(lines[number - 1].split(b",")[:2])
    cut = [*lines[: number - 1], first_two, *lines[number:]]
    with pytest.raises(parse.ParseError) as err:
        _parse_csv(name, bom + b"\n".join(cut) + b"\n")
    assert err.value.row == f"line {number}" and err.value.source == name
    assert err.value.message == f"2 fields where the header has {width} (a line cut off or split?)"
    extra = [*lines[: number - 1], lines[number - 1] + b",1,2", *lines[number:]]
    with pytest.raises(parse.ParseError) as err:
        _parse_csv(name, bom + b"\n".join(extra) + b"\n")
    assert err.value.row == f"line {number}"
    assert err.value.message == f"{width + 2} fields where the header has {width} (a line cut off or split?)"


@pytest.mark.parametrize("name", list(CSV_FILES))
def test_a_csv_that_the_csv_module_cannot_read_is_a_parse_error(name):
    """Old-Mac line endings (CR only) and a repeated header column are named, not a traceback
    (csv.Error) or a column silently overwritten by its namesake."""
    bom, lines = _lines(name)
    with pytest.raises(parse.ParseError, match="unreadable CSV: new-line character") as err:
        _parse_csv(name, bom + b"\r".join(lines) + b"\r")
    assert err.value.row == "line 1" and CSV_FILES[name] in str(err.value)
    header = lines[0].split(b",")
    repeated = [header[0], header[0], *header[2:]]
    with pytest.raises(parse.ParseError) as err:
        _parse_csv(name, bom + b"\n".join([b",".join(repeated), *lines[1:]]) + b"\n")
    assert err.value.row == "line 1"
    assert err.value.message == f"columns [{header[0].decode()!r}] appear more than once"


def test_isw_not_utf8_is_a_parse_error_not_a_traceback():
    """ISW read its bytes itself and raised UnicodeDecodeError: no quarantine, and Dagster retried
    the step three times for a file that would never decode."""
    content = (MIRROR / CSV_FILES["isw"]).read_bytes().replace(b"date,", b"d\xe9te,", 1)
    with pytest.raises(parse.ParseError, match=r"not UTF-8: 'utf-8' codec can't decode byte 0xe9 in position 1"):
        _parse_csv("isw", content)
    with pytest.raises(parse.ParseError, match="empty payload"):
        _parse_csv("isw", b"")


# --- GeoJSON whose members have the wrong JSON type, or a NaN GEOS refuses first ----------------

API_SNAPSHOT = 1720385367


def _geojson_doc(name) -> dict:
    import gzip

    if name == "deepstate":
        return json.loads(deepstate_file(DAY).read_bytes())
    if name == "deepstate_api":
        return json.loads(gzip.decompress((MIRROR / f"deepstate_api/{API_SNAPSHOT}.geojson.gz").read_bytes()))
    return json.loads((MIRROR / "boundaries/ukraine_oblasts.geojson").read_bytes())


def _parse_geojson(name, doc: dict):
    from warehouse.ingest.sources import boundaries, deepstate_api

    content = json.dumps(doc).encode()  # NaN written as NaN, as a sloppy exporter does
    if name == "deepstate":
        return deepstate_archive.deepstate_snapshot(payload(content))
    if name == "deepstate_api":
        return deepstate_api.parse_snapshot(payload(content, f"deepstate_api/{API_SNAPSHOT}.geojson.gz"), API_SNAPSHOT)
    return boundaries.parse(payload(content, "boundaries/ukraine_oblasts.geojson"))


def _first_polygon(doc) -> int:
    return next(i for i, f in enumerate(doc["features"]) if f["geometry"]["type"] in ("Polygon", "MultiPolygon"))


def _nan_first_vertex(feature):
    ring = feature["geometry"]["coordinates"][0]
    ring = ring[0] if feature["geometry"]["type"] == "MultiPolygon" else ring
    ring[0] = [float("nan"), ring[0][1]]  # the ring no longer closes: GEOS refused it before the NaN check


@pytest.mark.parametrize("name", ["deepstate", "deepstate_api", "oblast_boundaries"])
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda doc, i: doc["features"].__setitem__(i, "feature"), "a feature must be a JSON object, got str"),
        (lambda doc, i: doc["features"][i].__setitem__("geometry", "POLYGON"), "'geometry' must be a JSON object"),
        (lambda doc, i: doc["features"][i].__setitem__("properties", ["x"]), "'properties' must be a JSON object"),
        (lambda doc, i: _nan_first_vertex(doc["features"][i]), "a coordinate is not a finite number (NaN or infinite)"),
    ],
    ids=["feature-a-string", "geometry-a-string", "properties-a-list", "nan-first-vertex"],
)
def test_geojson_of_the_wrong_shape_names_the_feature(name, change, message):
    """An AttributeError or GEOSException escaped before: no quarantine, and Dagster retried."""
    doc = _geojson_doc(name)
    index = _first_polygon(doc)
    change(doc, index)
    if message.startswith("'properties'") and name == "deepstate":
        _parse_geojson(name, doc)  # the archive reads no properties: a list there changes nothing
        return
    with pytest.raises(parse.ParseError) as err:
        _parse_geojson(name, doc)
    assert err.value.source == name and err.value.row == f"feature {index}"
    assert err.value.message.startswith(message), err.value.message


def test_an_api_snapshot_cut_off_in_its_gzip_stream_is_a_parse_error():
    """EOFError and zlib.error escaped from gzip.decompress before; a UTF-8 BOM, as every other
    JSON reader allows, is read."""
    import gzip

    from warehouse.ingest.sources import deepstate_api

    uri = f"deepstate_api/{API_SNAPSHOT}.geojson.gz"
    content = (MIRROR / uri).read_bytes()
    for broken, reason in (
        (content[: len(content) // 2], "Compressed file ended"),
        (content[:30] + content[60:], "Error -3"),
    ):
        with pytest.raises(parse.ParseError, match=f"not a readable gzip file \\(cut off\\?\\): {reason}") as err:
            deepstate_api.parse_snapshot(payload(broken, uri), API_SNAPSHOT)
        assert err.value.source == "deepstate_api" and err.value.uri == uri
    listing = (MIRROR / "deepstate_api/index.json").read_bytes()
    ids = [i for i, _ in deepstate_api.parse_index(payload(b"\xef\xbb\xbf" + listing, "deepstate_api/index.json"))]
    assert ids == sorted(e["id"] for e in json.loads(listing))
    with pytest.raises(parse.ParseError, match="not a readable gzip file"):
        deepstate_api.parse_index(payload(gzip.compress(listing)[:100], "deepstate_api/index.json"))


def test_an_archive_file_that_names_another_day_is_refused():
    """Yesterday's file served under today's name (a stale CDN copy, a script that re-uploaded
    the old file) parsed, landed and was published as today's map."""
    day, previous = dt.date(2024, 7, 10), dt.date(2024, 7, 9)
    uri = f"deepstate/deepstatemap_data_{day:%Y%m%d}.geojson"
    stale = deepstate_file(previous).read_bytes()
    assert json.loads(stale)["name"] == "deepstatemap_data_20240709"
    with pytest.raises(parse.ParseError) as err:
        deepstate_archive.DEEPSTATE.parse(payload(stale, uri), day.isoformat())
    assert err.value.source == "deepstate" and err.value.uri == uri
    assert err.value.message == (
        "the file names itself 'deepstatemap_data_20240709', not the day 2024-07-10 it was fetched for "
        "(a stale or misplaced copy?)"
    )
    own = deepstate_archive.DEEPSTATE.parse(payload(deepstate_file(day).read_bytes(), uri), day.isoformat())
    assert own.rows[0][0] == day
    unnamed = json.loads(stale)
    del unnamed["name"]  # a file without the name is read by its URL's day, as before
    assert (
        deepstate_archive.DEEPSTATE.parse(payload(json.dumps(unnamed).encode(), uri), day.isoformat()).rows[0][0] == day
    )


# --- a column or field upstream adds is refused, not dropped --------------------------------------


@pytest.mark.parametrize("name", list(CSV_FILES))
def test_a_new_csv_column_is_refused_not_dropped(name):
    """Every column of each CSV was either read or not looked at: a column upstream adds (here
    `EDMedian`, with a value on every line) vanished from the warehouse without a word."""
    bom, lines = _lines(name)
    widened = [lines[0] + b",EDMedian", *(line + b",123" for line in lines[1:])]
    with pytest.raises(parse.ParseError) as err:
        _parse_csv(name, bom + b"\n".join(widened) + b"\n")
    assert err.value.row == "line 1" and err.value.source == name
    assert err.value.message.startswith("unknown columns ['EDMedian']: nothing reads them")
    # The columns the file has today are all read or deliberately ignored: it still parses.
    assert _parse_csv(name, bom + b"\n".join(lines) + b"\n").rows


def test_a_new_vintage_column_of_the_2026_file_is_read_not_refused():
    """`Bmz<year>` columns are the 2026 layout's vintages: a new year's is expected, and read."""
    bom, lines = _lines("mediazona_2026")
    widened = [lines[0] + b",Bmz2026", *(line + b",7" for line in lines[1:])]
    rows = _parse_csv("mediazona_2026", bom + b"\n".join(widened) + b"\n").rows
    bmz2026 = [r for r in rows if r[3] == "meduza_2026_weekly.csv:Bmz2026"]
    assert len(bmz2026) == len(lines) - 1 and {r[6] for r in bmz2026} == {7.0}
    assert {r[2] for r in bmz2026} == {dt.date(2026, 12, 31)}


def test_a_new_personnel_field_is_refused_not_dropped():
    """The equipment files refused an unknown field; the personnel file ignored one."""
    records = json.loads((MIRROR / "losses/russia_losses_personnel.json").read_text())
    records[-1]["personnel_wounded"] = 4210
    with pytest.raises(parse.ParseError) as err:
        general_staff.gs_personnel(payload(json.dumps(records).encode(), "losses/russia_losses_personnel.json"))
    assert err.value.row == f"element {len(records) - 1} (date {records[-1]['date']})"
    assert err.value.message == "unknown fields ['personnel_wounded']: nothing reads them (new upstream?)"


def test_an_estimate_with_a_european_thousands_separator_is_refused():
    """'390.580' (390,580 written the European way) was read as 390.58 people: inside the
    physical range (0 … 5,000,000), so it landed 1,000 times too small."""
    from warehouse.ingest.sources import estimates

    bom, lines = _lines("official_estimates")
    assert b",390580," in lines[1]  # line 2: the Armed Forces of Ukraine's claim of 16/01/2024
    parsed = estimates.official_estimates(payload(bom + b"\n".join(lines) + b"\n", CSV_FILES["official_estimates"]))
    assert parsed.rows[0][4] == 390580.0
    lines[1] = lines[1].replace(b",390580,", b",390.580,")
    with pytest.raises(parse.ParseError) as err:
        estimates.official_estimates(payload(bom + b"\n".join(lines) + b"\n", CSV_FILES["official_estimates"]))
    assert err.value.row == "line 2"
    assert err.value.message == "'estimate' is not a whole number of people: '390.580' (a thousands separator?)"


def test_an_estimate_date_valid_both_ways_follows_the_documented_dd_mm_never_a_guess():
    """SOURCES.md documents the estimates as DD/MM/YYYY; 55 of the mirror's 124 dates would also
    read as MM/DD (both fields ≤ 12), and none of the 69 others has a second field above 12. The
    parser reads the documented format only: an ambiguous date is DD/MM, a date valid only as
    MM/DD is refused naming the line, value and expected format (no second format is tried)."""
    from warehouse.ingest.sources import estimates

    bom, lines = _lines("official_estimates")
    assert lines[3].startswith(b"01/04/2022,")  # line 4: UK MoD, read as 1 April 2022
    lines[1] = b"04/12/2024," + lines[1].split(b",", 1)[1]
    parsed = estimates.official_estimates(payload(bom + b"\n".join(lines) + b"\n", CSV_FILES["official_estimates"]))
    assert [r[1] for r in parsed.rows[:3]] == [dt.date(2024, 12, 4), dt.date(2023, 12, 19), dt.date(2022, 4, 1)]
    lines[1] = b"12/25/2024," + lines[1].split(b",", 1)[1]
    with pytest.raises(parse.ParseError) as err:
        estimates.official_estimates(payload(bom + b"\n".join(lines) + b"\n", CSV_FILES["official_estimates"]))
    assert err.value.row == "line 2" and err.value.message == "bad date '12/25/2024' (expected DD/MM/YYYY)"


def test_an_api_listing_with_a_snapshot_twice_is_a_parse_error():
    """The listing's raw table keys on (version, snapshot id): a repeated id failed the insert
    with a DuckDB constraint error (no quarantine, the file not named)."""
    from warehouse.ingest.sources import deepstate_api

    listing = json.loads((MIRROR / "deepstate_api/index.json").read_text())
    doubled = [*listing, dict(listing[10])]
    with pytest.raises(parse.ParseError) as err:
        deepstate_api.parse_index(payload(json.dumps(doubled).encode(), "deepstate_api/index.json"))
    assert err.value.row == f"element {len(listing)}"
    assert err.value.message == f"snapshot {listing[10]['id']} is listed twice (first at element 10)"


def _landed_gs(source_name: str, records: list, tmp_path):
    """Land a General Staff file in a fresh warehouse (parse, then every plausibility rule)."""
    from warehouse.ingest import land, sources
    from warehouse.store.config import Settings
    from warehouse.store.db import connect

    settings = Settings(home=tmp_path / "home", sources=str(MIRROR), today_override=dt.date(2026, 7, 1))
    con = connect(settings.warehouse_path)
    try:
        source = sources.BY_NAME[source_name]
        content = payload(json.dumps(records).encode(), source.relative_path())
        return land.land(con, settings, source, "all", content)
    finally:
        con.close()


def test_a_general_staff_field_missing_on_one_day_is_refused(tmp_path):
    """`tank` left out of the 2026-06-29 record: tanks had no row that day and 06-30's daily
    (12,067 − 12,063 = 4) silently covered two days (a run published exactly that)."""
    from warehouse.ingest.plausibility import Implausible

    records = json.loads((MIRROR / "losses/russia_losses_equipment.json").read_text())
    element = next(i for i, r in enumerate(records) if r["date"] == "2026-06-29")
    del records[element]["tank"]
    with pytest.raises(Implausible) as err:
        _landed_gs("gs_equipment", records, tmp_path / "a")
    assert err.value.row == f"element {element} (date 2026-06-29)"
    assert err.value.message == (
        "'tank' has no value on 1 report date(s) between 2022-02-25 and 2026-06-30, first 2026-06-29 "
        "(a field dropped from a record?)"
    )
    assert (tmp_path / "a/home/quarantine/gs_equipment").is_dir()


def test_a_general_staff_report_date_missing_is_refused(tmp_path):
    """The claims are daily (1,587 dates, none missing): a date left out made the next day's
    difference cover two days, unflagged."""
    from warehouse.ingest.plausibility import Implausible

    records = json.loads((MIRROR / "losses/russia_losses_personnel.json").read_text())
    dropped = next(i for i, r in enumerate(records) if r["date"] == "2026-06-29")
    del records[dropped]
    with pytest.raises(Implausible) as err:
        _landed_gs("gs_personnel", records, tmp_path / "b")
    assert err.value.row == f"element {dropped} (date 2026-06-30)"
    assert err.value.message.startswith("1 report date(s) missing between 2026-06-28 and 2026-06-30")
    # the real files, whole, land
    real = json.loads((MIRROR / "losses/russia_losses_equipment.json").read_text())
    assert _landed_gs("gs_equipment", real, tmp_path / "c").status == "new"


def test_an_archive_day_with_several_self_intersecting_features_is_repaired_not_a_traceback():
    """Two extra bow-tie features (1°×1° squares drawn as a figure eight, west of the front): GEOS
    refused to union them (TopologyException, a traceback, no quarantine). Each is repaired first:
    a bow-tie's valid area is its two triangles, half its square, so 1 deg² is added in all."""
    import shapely

    doc = json.loads(deepstate_file(DAY).read_bytes())
    original = shapely.from_wkb(deepstate_archive.deepstate_snapshot(payload(json.dumps(doc).encode()))[0])
    for lon in (24.0, 25.5):  # Lviv and Ternopil oblasts: far from the occupied area
        bowtie = [[lon, 49.0], [lon + 1, 50.0], [lon + 1, 49.0], [lon, 50.0], [lon, 49.0]]
        doc["features"].append(
            {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [bowtie]}}
        )
    wkb, repaired = deepstate_archive.deepstate_snapshot(payload(json.dumps(doc).encode()))
    geom = shapely.from_wkb(wkb)
    assert repaired and geom.is_valid and geom.geom_type == "MultiPolygon"
    assert geom.area - original.area == pytest.approx(1.0, abs=1e-9)


def test_an_archive_polygon_that_collapses_when_repaired_is_refused():
    """A ring with every vertex on one line has no area: make_valid made it a LineString, which
    landed as the day's 'occupied territory'."""
    ring = [[35.0, 48.0], [36.0, 48.0], [37.0, 48.0], [35.0, 48.0]]
    doc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}}],
    }
    with pytest.raises(parse.ParseError, match="the polygon collapses to a LineString when repaired") as err:
        deepstate_archive.deepstate_snapshot(payload(json.dumps(doc).encode()))
    assert err.value.source == "deepstate"


def test_a_personnel_qualifier_that_is_not_text_is_refused():
    """`"personnel*": 5` (text everywhere else) failed the insert with ArrowTypeError: no quarantine."""
    records = json.loads((MIRROR / "losses/russia_losses_personnel.json").read_text())
    assert {r.get("personnel*") for r in records} <= {"about", "more", None}
    records[-1]["personnel*"] = 5
    with pytest.raises(parse.ParseError) as err:
        general_staff.gs_personnel(payload(json.dumps(records).encode(), "losses/russia_losses_personnel.json"))
    assert err.value.row == f"element {len(records) - 1} (date {records[-1]['date']})"
    assert err.value.message == "'personnel*' must be text or null, got 5"


def test_bytes_no_parser_rule_names_are_still_quarantined_with_the_file(tmp_path):
    """The landing path's last line of defence: a region's `name:en` given as a number (text in
    every other feature) passed the boundaries parser, then Arrow could not put text and a number
    in one column (ArrowTypeError: a traceback, no quarantine, three Dagster retries). Now any
    error a parser or the row conversion did not foresee is a ParseError naming source and file,
    and the payload is kept in quarantine."""
    from warehouse.ingest import land, quarantine, sources
    from warehouse.store.config import Settings
    from warehouse.store.db import connect

    uri = "boundaries/ukraine_oblasts.geojson"
    doc = json.loads((MIRROR / uri).read_bytes())
    doc["features"][3]["properties"]["name:en"] = 1991
    bad = payload(json.dumps(doc).encode(), uri)
    settings = Settings(home=tmp_path / "home", sources=str(MIRROR), today_override=dt.date(2026, 7, 1))
    con = connect(settings.warehouse_path)
    try:
        with pytest.raises(parse.ParseError) as err:
            land.land(con, settings, sources.OBLAST_BOUNDARIES, "all", bad)
        assert con.execute("SELECT count(*) FROM raw.payloads").fetchone() == (0,)
    finally:
        con.close()
    assert err.value.source == "oblast_boundaries" and err.value.uri == uri
    assert err.value.message.startswith("unreadable (ArrowTypeError: ")
    (entry,) = quarantine.entries(settings.quarantine_dir)
    assert entry["sha256"] == bad.sha256 and entry["error"] == str(err.value)
    assert (settings.quarantine_dir / "oblast_boundaries" / entry["file"]).read_bytes() == bad.content


@pytest.mark.parametrize("name", ["deepstate", "deepstate_api", "oblast_boundaries"])
def test_an_unclosed_ring_is_refused_naming_feature_and_ring_not_closed_silently(name):
    """RFC 7946 §3.1.6: a ring's last position is its first. shapely closed such a ring without a
    word (an edge no one drew); no file of the mirror has one (24,778 rings of archive and API)."""
    doc = _geojson_doc(name)
    index = _first_polygon(doc)
    geometry = doc["features"][index]["geometry"]
    ring = geometry["coordinates"][0][0] if geometry["type"] == "MultiPolygon" else geometry["coordinates"][0]
    first, dropped = ring[0], ring.pop()
    assert dropped == first and ring[-1] != first
    with pytest.raises(parse.ParseError) as err:
        _parse_geojson(name, doc)
    where = "polygon 0 ring 0" if geometry["type"] == "MultiPolygon" else "ring 0"
    assert err.value.source == name and err.value.row == f"feature {index}"
    assert err.value.message.startswith(
        f"{where} is not closed: its last position {ring[-1]} differs from its first {first}"
    )


def test_an_unclosed_ring_inside_an_api_geometry_collection_is_named():
    from warehouse.ingest.sources import deepstate_api

    doc = _geojson_doc("deepstate_api")
    index = _first_polygon(doc)
    closed = {"type": "Polygon", "coordinates": [[[37.0, 48.0], [37.1, 48.0], [37.1, 48.1], [37.0, 48.0]]]}
    unclosed = {"type": "Polygon", "coordinates": [[[37.2, 48.0], [37.3, 48.0], [37.3, 48.1], [37.2, 48.1]]]}
    doc["features"][index]["geometry"] = {"type": "GeometryCollection", "geometries": [closed, unclosed]}
    content = json.dumps(doc).encode()
    with pytest.raises(parse.ParseError, match=r"geometry 1 ring 0 is not closed: its last position \[37.2, 48.1\]"):
        deepstate_api.parse_snapshot(payload(content, "x.geojson"), API_SNAPSHOT)
