"""The warehouse as a Dagster resource: the process's Settings in, connections out.

The resource's fields are generated from `Settings`' (one for one, same names): Dagster config
holds plain values, so a `Path` travels as a string and a date as its ISO text; `.settings` gives
the same Settings back, whichever process the run's steps execute in. A field added to Settings
reaches every asset without touching this file.
"""

import datetime as dt
import functools
import typing
from contextlib import contextmanager
from dataclasses import MISSING, fields
from pathlib import Path

import dagster as dg

from warehouse.store import db
from warehouse.store.config import Settings, env_variables, secret_fields
from warehouse.store.writer_lock import exclusive_writer

_HINTS = typing.get_type_hints(Settings)


def _config_type(hint):
    """The Dagster config type that carries a Settings field's value."""
    if hint is Path:
        return str
    if hint == dt.date | None:
        return str | None
    return hint


def _to_config(value):
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _from_config(hint, value):
    if hint is Path:
        return Path(value)
    if hint == dt.date | None:
        return dt.date.fromisoformat(value) if value else None
    return value


@functools.lru_cache(maxsize=16)
def _settings(items: tuple) -> Settings:
    """One Settings per configuration (resources are rebuilt per step; Settings is immutable)."""
    return Settings(**{name: _from_config(_HINTS[name], value) for name, value in items})


class _Warehouse(dg.ConfigurableResource):
    @property
    def settings(self) -> Settings:
        return _settings(tuple((f.name, getattr(self, f.name)) for f in fields(Settings)))

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext):
        """A run holds the warehouse's writer lock from its first step to its last, however it
        was started (CLI, schedule, UI): overlapping runs would collide step by step."""
        with exclusive_writer(self.settings.home):
            yield self

    @contextmanager
    def connect(self):
        with db.session(self.settings.warehouse_path) as con:
            yield con

    @classmethod
    def from_settings(cls, settings: Settings, secrets_by_name: bool = False) -> "WarehouseResource":
        """Every field of `settings`. With ``secrets_by_name`` (the code location the UI loads),
        secret fields that are set are bound as ``dg.EnvVar``: Dagster resolves them when a run
        starts and the UI shows the variable's name, not the value."""
        secret, variable = secret_fields(), env_variables()
        values = {}
        for f in fields(Settings):
            value = getattr(settings, f.name)
            values[f.name] = dg.EnvVar(variable[f.name]) if secrets_by_name and f.name in secret and value else value
        return cls(**{name: v if isinstance(v, dg.EnvVar) else _to_config(v) for name, v in values.items()})


def _resource_fields() -> dict:
    annotations, defaults = {}, {}
    for f in fields(Settings):
        annotations[f.name] = _config_type(_HINTS[f.name])
        if f.default is not MISSING:
            defaults[f.name] = _to_config(f.default)
        elif f.name == "sources":
            defaults[f.name] = None
    return {"__annotations__": annotations, **defaults}


WarehouseResource = type(
    "WarehouseResource",
    (_Warehouse,),
    {
        "__module__": __name__,
        "__qualname__": "WarehouseResource",
        "__doc__": "Where the warehouse lives, where sources are fetched from, and every other setting "
        "(warehouse.store.config.Settings, field for field).",
        **_resource_fields(),
    },
)
