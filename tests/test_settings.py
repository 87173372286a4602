"""One Settings object, built once from the environment and handed to the Dagster resource whole:
every field survives the round trip (through Dagster's own config processing too), and one
function computes the default day range."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import dagster as dg
import pytest

from orchestration.partitions import default_range
from orchestration.resources import WarehouseResource
from warehouse.ingest.sources import DEEPSTATE_FIRST_DAY
from warehouse.store.config import Settings, env_variables

# A value for every field, none of them its default (a dropped field comes back as the default).
EVERYTHING = {
    "home": "/srv/frontline-home",
    "sources": "http://127.0.0.1:9/mirror",
    "keep_versions": "4",
    "recheck_days": "6",
    "gap_recheck_days": "12",
    "http_interval_s": "0.25",
    "today_override": "2026-07-01",
    "postgres_dsn": "postgresql://loader:pw@127.0.0.1:5432/frontline",
    "postgres_reader": "bi_reader",
    "postgres_reader_password": "reader-pw",
    "dagster_pg_url": "postgresql://dagster:pw@127.0.0.1:5432/dagster",
    "schedule_cron": "15 6 * * *",
    "alert_webhook": "http://127.0.0.1:9/hook/token",
    "ui_url": "http://dagster.example:3000",
    "publish_url": "file:///srv/mirror",
}


@pytest.fixture
def settings(monkeypatch) -> Settings:
    assert set(EVERYTHING) == {f.name for f in dataclasses.fields(Settings)}, "a new field needs a value here"
    for name, variable in env_variables().items():
        monkeypatch.setenv(variable, EVERYTHING[name])
    return Settings.from_env()


def test_every_field_is_read_from_its_variable(settings):
    defaults = Settings(home=Path("/"), sources=None)
    for f in dataclasses.fields(Settings):
        assert getattr(settings, f.name) != getattr(defaults, f.name), f.name
    assert settings.today == dt.date(2026, 7, 1) and settings.http_interval_s == 0.25
    assert settings.home == Path("/srv/frontline-home") and settings.keep_versions == 4


def test_every_field_survives_the_resource(settings):
    resource = WarehouseResource.from_settings(settings)
    assert {f.name for f in dataclasses.fields(Settings)} <= set(type(resource).model_fields)
    assert resource.settings == settings
    assert resource.settings is resource.settings  # built once, not on every access


def test_every_field_reaches_an_asset_through_a_dagster_run(settings, tmp_path):
    settings = dataclasses.replace(settings, home=tmp_path)  # the run takes the writer lock there
    seen = []

    @dg.asset
    def probe(warehouse: WarehouseResource) -> None:
        seen.append(warehouse.settings)

    result = dg.materialize([probe], resources={"warehouse": WarehouseResource.from_settings(settings)})
    assert result.success and seen == [settings]


def test_secrets_are_bound_by_variable_name_for_the_ui(settings):
    shown = WarehouseResource.from_settings(settings, secrets_by_name=True)
    for name in ("postgres_dsn", "postgres_reader_password", "dagster_pg_url", "alert_webhook"):
        assert isinstance(getattr(shown, name), dg.EnvVar) and getattr(shown, name) == env_variables()[name]
    assert shown.publish_url == "file:///srv/mirror" and shown.sources == "http://127.0.0.1:9/mirror"


def test_the_default_range_rechecks_the_newest_days_held():
    settings = Settings(home=Path("/"), sources=None, recheck_days=3, today_override=dt.date(2025, 3, 10))
    assert default_range(settings, None) == (DEEPSTATE_FIRST_DAY, dt.date(2025, 3, 10))  # first run: everything
    assert default_range(settings, dt.date(2025, 3, 9)) == (dt.date(2025, 3, 6), dt.date(2025, 3, 10))
    assert default_range(settings, dt.date(2024, 7, 9)) == (DEEPSTATE_FIRST_DAY, dt.date(2025, 3, 10))
    assert default_range(settings, dt.date(2025, 1, 1), today=dt.date(2025, 1, 1)) == (
        dt.date(2024, 12, 29),
        dt.date(2025, 1, 1),
    )


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("FRONTLINE_KEEP_VERSIONS", "ten", "a whole number"),
        ("FRONTLINE_RECHECK_DAYS", "3.5", "a whole number"),
        ("FRONTLINE_HTTP_INTERVAL", "1s", "a number"),
        ("FRONTLINE_HTTP_INTERVAL", "nan", "a number ≥ 0"),
        ("FRONTLINE_HTTP_INTERVAL", "inf", "a number ≥ 0"),
        ("FRONTLINE_GAP_RECHECK_DAYS", "-30", "a whole number ≥ 0"),
        ("FRONTLINE_RECHECK_DAYS", "-1", "a whole number ≥ 0"),
        ("FRONTLINE_TODAY", "2026-13-01", "a date (YYYY-MM-DD)"),
    ],
)
def test_a_malformed_variable_is_named_with_its_value_not_a_traceback(monkeypatch, capsys, variable, value, expected):
    """An operator's typo in the environment: every command says which variable, what it holds and
    what it should hold, and exits 2 (usage), instead of Python's "invalid literal for int()"."""
    from orchestration.cli import main

    monkeypatch.setenv(variable, value)
    assert main(["versions"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("frontline: ") and f"{variable}={value!r}" in err and expected in err, err
    assert "Traceback" not in err


def test_versions_says_when_nothing_is_published(monkeypatch, tmp_path, capsys):
    """An empty home: `frontline versions` says there is nothing yet and where it looked, rather
    than printing nothing."""
    from orchestration.cli import main

    monkeypatch.setenv("FRONTLINE_HOME", str(tmp_path))
    assert main(["versions"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "no published version in" in captured.err and str(tmp_path) in captured.err
