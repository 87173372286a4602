"""Stable snake_case names for the General Staff loss categories.

Upstream renamed and merged fields over time; every upstream field name maps to exactly one
stable category, and a category's cumulative total is the sum of the fields mapped to it on a
date. ``dim_loss_category`` publishes this table so every figure can be traced back.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    name: str
    upstream_fields: tuple[str, ...]
    file: str
    description: str


CATEGORIES: tuple[Category, ...] = (
    Category(
        "personnel",
        ("personnel",),
        "russia_losses_personnel.json",
        "Personnel killed, wounded or captured, as claimed ('about'/'more' in qualifier).",
    ),
    Category("pow", ("POW",), "russia_losses_personnel.json", "Prisoners of war; reported only in 2022."),
    Category("aircraft", ("aircraft",), "russia_losses_equipment.json", "Fixed-wing aircraft."),
    Category("helicopters", ("helicopter",), "russia_losses_equipment.json", "Helicopters."),
    Category("tanks", ("tank",), "russia_losses_equipment.json", "Tanks."),
    Category(
        "armoured_combat_vehicles",
        ("APC",),
        "russia_losses_equipment.json",
        "Armoured combat vehicles (upstream 'APC').",
    ),
    Category("artillery_systems", ("field artillery",), "russia_losses_equipment.json", "Artillery systems."),
    Category("multiple_rocket_launchers", ("MRL",), "russia_losses_equipment.json", "Multiple rocket launchers."),
    Category(
        "air_defence_systems",
        ("anti-aircraft warfare",),
        "russia_losses_equipment.json",
        "Anti-aircraft warfare systems.",
    ),
    Category("drones", ("drone",), "russia_losses_equipment.json", "Operational-tactical UAVs."),
    Category("naval_ships", ("naval ship",), "russia_losses_equipment.json", "Warships and boats."),
    Category("submarines", ("submarines",), "russia_losses_equipment.json", "Submarines; reported from 2023-09-14."),
    Category(
        "vehicles_and_fuel_tanks",
        ("vehicles and fuel tanks", "military auto", "fuel tank"),
        "russia_losses_equipment.json",
        "Vehicles and fuel tanks; before 2022-05-01 upstream reported 'military auto' and 'fuel tank' separately, summed here.",
    ),
    Category(
        "cruise_missiles",
        ("cruise missiles", "mobile SRBM system"),
        "russia_losses_equipment.json",
        "Cruise missiles; 'mobile SRBM system' (2022-03-26 … 2022-04-30) was folded into this category upstream.",
    ),
    Category(
        "special_equipment",
        ("special equipment",),
        "russia_losses_equipment.json",
        "Special equipment; reported from 2022-03-16.",
    ),
    Category(
        "ground_robotic_systems",
        ("ground robotic systems",),
        "russia_losses_equipment.json",
        "Ground robotic systems; reported from 2026-05-03.",
    ),
)

FIELD_TO_CATEGORY: dict[str, str] = {f: c.name for c in CATEGORIES for f in c.upstream_fields}


def category_of(upstream_field: str) -> str:
    try:
        return FIELD_TO_CATEGORY[upstream_field]
    except KeyError:
        raise KeyError(
            f"unknown General Staff field {upstream_field!r}: map it in transforms/losses/loss_categories.py"
        ) from None
