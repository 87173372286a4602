"""What a source is lives in ``warehouse/ingest/sources/sources.toml``, what it does in its module:
the two must name the same sources, and a malformed entry fails naming the file and the source."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path

import pytest

from tests.conftest import MIRROR
from warehouse.ingest import sources
from warehouse.ingest.sources import base, isw

SHIPPED = Path(base.__file__).with_name("sources.toml")
ECONOMIST = (
    "https://raw.githubusercontent.com/TheEconomist/the-economist-ukraine-war-dead-and-wounded-estimates/main/"
    "source-data/deaths-and-casualties-data"
)


def test_the_file_describes_exactly_the_sources_the_modules_declare():
    doc = tomllib.loads(SHIPPED.read_text(encoding="utf-8"))
    assert set(doc["source"]) == set(sources.BY_NAME)
    assert len(sources.ALL) == len(sources.BY_NAME) == 12
    for source in sources.ALL:
        entry = doc["source"][source.name]
        assert (source.description, source.publisher, source.licence, source.mirror_path, source.daily) == (
            entry["description"],
            entry["publisher"],
            entry["licence"],
            entry["mirror_path"],
            entry["daily"],
        )
        assert source.freshness == base.Freshness(entry["freshness"].get("allowed_lag_days"), entry["freshness"]["why"])


def test_prefixes_and_day_placeholders_give_the_upstream_urls():
    assert sources.ISW.live_url == f"{ECONOMIST}/area_assessed_as_controlled_by_russia.csv"
    assert sources.MEDIAZONA_2026.url(None) == f"{ECONOMIST}/meduza_2026_weekly.csv"
    assert sources.GS_PERSONNEL.url(None) == (
        "https://raw.githubusercontent.com/PetroIvaniuk/2022-Ukraine-Russia-War-Dataset/main/data/"
        "russia_losses_personnel.json"
    )
    assert sources.DEEPSTATE.url(None, dt.date(2025, 1, 2)) == (
        "https://raw.githubusercontent.com/cyterat/deepstate-map-data/main/data/deepstatemap_data_20250102.geojson"
    )
    assert sources.DEEPSTATE.url("/m/", dt.date(2025, 1, 2)) == "/m/deepstate/deepstatemap_data_20250102.geojson"
    assert sources.GS_PERSONNEL.freshness.allowed_lag_days == 3
    assert sources.MEDIAZONA_2024.freshness.allowed_lag_days is None  # key left out: never stale


def test_every_mirrored_source_path_is_a_file_of_the_mirror():
    for source in sources.ALL:
        if source is sources.SETTLEMENTS:  # read from the installed package, not a mirror
            continue
        day = dt.date(2025, 1, 2) if source.daily else None
        assert (MIRROR / source.relative_path(day)).is_file(), source.name


def test_a_module_declaring_a_source_the_file_lacks_fails():
    with pytest.raises(base.MetadataError) as caught:
        base.Source.declared("isw_v2", table=isw.TABLE, parse=isw.isw_area)
    assert str(base.METADATA) in str(caught.value)
    assert "[source.isw_v2]" in str(caught.value)


def test_an_entry_no_module_declares_fails(tmp_path):
    base.require_described_only(sources.BY_NAME)  # the shipped file: every entry is declared
    text = SHIPPED.read_text(encoding="utf-8")
    isw_entry = text[text.index("[source.isw]") : text.index("[source.gs_personnel]")]
    extra = tmp_path / "sources.toml"
    extra.write_text(text + "\n" + isw_entry.replace("source.isw", "source.isw_archive"), encoding="utf-8")
    with pytest.raises(base.MetadataError) as caught:
        base.require_described_only(sources.BY_NAME, extra)
    assert str(caught.value) == f"{extra}: sources no module declares: isw_archive"


ISW_LICENCE = 'licence = "MIT (compilation); data by ISW/CTP"\n'


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (ISW_LICENCE, "", "unknown keys [], missing keys ['licence']"),
        (ISW_LICENCE, ISW_LICENCE + 'homepage = "https://isw.pub"\n', "unknown keys ['homepage'], missing keys []"),
        ('licence = "MIT (compilation); data by ISW/CTP"', 'licence = ""', "licence must be non-empty text, got ''"),
        (
            "daily = false\n\n[source.isw.freshness]",
            'daily = "no"\n\n[source.isw.freshness]',
            "daily must be true or false",
        ),
        (
            "allowed_lag_days = 7",
            "allowed_lag_days = -1",
            "freshness.allowed_lag_days must be a whole number of days >= 0, got -1",
        ),
        ("allowed_lag_days = 7", "allowed_lag_days = 7\nlag = 8", "freshness needs 'why'"),
        (
            '"{economist}/area_assessed',
            '"{economists}/area_assessed',
            "live_url has unknown placeholders ['economists'] (prefixes: ['economist', 'petroivaniuk'])",
        ),
        (
            'mirror_path = "isw/area_assessed_as_controlled_by_russia.csv"',
            'mirror_path = "isw/area_{yyyymmdd}.csv"',
            "a daily source names the day in mirror_path",
        ),
    ],
)
def test_a_malformed_entry_fails_naming_file_source_and_value(tmp_path, old, new, problem):
    text = SHIPPED.read_text(encoding="utf-8")
    start = text.index("[source.isw]")
    end = text.index("[source.gs_personnel]")
    assert text[start:end].count(old) == 1
    bad = tmp_path / "sources.toml"
    bad.write_text(text[:start] + text[start:end].replace(old, new) + text[end:], encoding="utf-8")
    with pytest.raises(base.MetadataError) as caught:
        base.read_metadata(bad)
    assert str(caught.value).startswith(f"{bad}: [source.isw] {problem}")


def test_an_unreadable_file_fails_naming_it(tmp_path):
    bad = tmp_path / "sources.toml"
    bad.write_text('[source.isw]\ndescription = "unterminated\n', encoding="utf-8")
    with pytest.raises(base.MetadataError, match="^" + re.escape(f"{bad}: unreadable: ")):
        base.read_metadata(bad)
