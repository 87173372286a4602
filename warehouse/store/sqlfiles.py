"""Load the `.sql` files that live beside the code, by name."""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def load(package: str, name: str) -> str:
    return (files(package) / "sql" / f"{name}.sql").read_text(encoding="utf-8")
