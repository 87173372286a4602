"""Load the `.sql` files that live beside the code, by name."""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def load(package: str, name: str) -> str:
    return (files(package) / "sql" / f"{name}.sql").read_text(encoding="utf-8")


def names(package: str) -> list[str]:
    """The names of every `.sql` file of a package, sorted."""
    return sorted(p.name.removesuffix(".sql") for p in (files(package) / "sql").iterdir() if p.name.endswith(".sql"))
