"""Which class a raw DeepStateMap layer belongs to, from its free-text ``name``.

The history API tells its polygon layers apart only by name, written three ways over the years —
Ukrainian only (2022), ``UA /// EN``, and ``UA /// EN /// geoJSON.<key>`` — with typos, trailing
newlines, non-breaking spaces and, in a few snapshots, UTF-8 damage (``Звільнен��``). The stable
``geoJSON.<key>`` is used when present; otherwise the Ukrainian head of the name is matched
against known stems, a damaged character matching any one letter. Four names say nothing about
their status ("24.03", "Багатокутник 21" = "Polygon 21", …); their class is fixed by hand from the
layer's fill colour in the snapshot (red = occupied, blue/green = liberated) and listed in
``BY_EXACT_NAME``. A name that matches nothing raises :class:`UnknownLayer` — never guessed.

Classes:
- ``occupied_after_2022``  occupied since 2022-02-24 (status.occupied)
- ``occupied_before_2022`` Crimea, Tuzla, ORDLO (held since 2014)
- ``grey_zone``            unknown / contested status
- ``liberated``            taken back by Ukraine (inside Russia: the Kursk salient, 2024–25)
- ``other``                editorial layers outside Ukraine (Transnistria, Abkhazia, Karelia …)
                           and Zmiinyi island
"""

from __future__ import annotations

import re
import unicodedata

CLASSES = ("occupied_after_2022", "occupied_before_2022", "grey_zone", "liberated", "other")
OCCUPIED = ("occupied_after_2022", "occupied_before_2022")

# geoJSON.<key> → class; "territories.*" not listed here are editorial layers outside Ukraine.
BY_KEY = {
    "status.occupied": "occupied_after_2022",
    "status.dismissed": "liberated",
    "status.dismissed_at": "liberated",
    "status.unknown": "grey_zone",
    "territories.crimea": "occupied_before_2022",
    "territories.tuzla": "occupied_before_2022",
    "territories.ordlo": "occupied_before_2022",
    "zmiinyi_island": "other",
}

# Ukrainian stems (lower case, single spaces). Tried longest first, so "окупований крим" wins
# over "окуповано"-like stems and "26.05 звільнено" needs no special order.
STEMS: tuple[tuple[str, str], ...] = (
    ("придністров'я", "other"),
    ("зміїний", "other"),
    ("окупована абхазія", "other"),
    ("окупована область", "other"),  # Petsamo, Salla
    ("окупований печорський", "other"),
    ("окупований цхінвальський", "other"),
    ("окуповані південні курильські", "other"),
    ("окуповані території латвії", "other"),
    ("окуповані у естонії", "other"),
    ("аннексовані", "other"),  # Latvia, Estonia
    ("тимчасово окупована", "other"),  # East Prussia, Karelia, Ichkeria
    ("окупований крим", "occupied_before_2022"),
    ("крим", "occupied_before_2022"),
    ("острів тузла", "occupied_before_2022"),
    ("ордло", "occupied_before_2022"),
    ("окуповано", "occupied_after_2022"),
    ("окуповані циркуни", "occupied_after_2022"),
    ("захоплено", "occupied_after_2022"),
    ("ізюм. окуповано", "occupied_after_2022"),
    ("рубіжне. території зайняті ворогом", "occupied_after_2022"),
    ("сєвєродонецьк. території, що окуповано", "occupied_after_2022"),
    ("сєвєродонецьк. території, які окуповано", "occupied_after_2022"),
    ("сєвєродонецьк. території, відбиті", "liberated"),
    ("звільнено", "liberated"),
    ("26.05 звільнено", "liberated"),
    ("ворога відкинуто", "liberated"),
    ("під контролем зсу", "liberated"),
    ("орки відсутні", "liberated"),
    ("дорога тростянець-суми", "liberated"),  # drawn in the liberated colour, 2022-03/04
    ("під питанням", "grey_zone"),
    ("28.05 під питанням", "grey_zone"),
    ("статус невідомий", "grey_zone"),
    ("ситуація невідома", "grey_zone"),
    ("сіра зона", "grey_zone"),
    ("нам достеменно невідомо", "grey_zone"),
    ("невідомо точно", "grey_zone"),
    # "controlled by the enemy, but no information that he is there": drawn grey (2022-06)
    ("фактично контролюється ворогом", "grey_zone"),
)

# Names that carry no status word; class read from the layer's fill colour in the snapshots.
BY_EXACT_NAME = {
    "24.03": "liberated",  # #0f9d58 / #0288d1
    "багатокутник 21": "occupied_after_2022",  # #a52714
    "багатокутник 47": "liberated",  # #0288d1
    "багатокутник 69": "liberated",  # #0288d1
}

_STEMS_LONGEST_FIRST = sorted(STEMS, key=lambda s: -len(s[0]))
_KEY = re.compile(r"geojson\.([a-z0-9_.\-]+)")
_DAMAGED = "\ufffd"


class UnknownLayer(ValueError):
    """A polygon layer whose name matches no rule: (source, snapshot id, name) for the operator."""

    def __init__(self, source: str, snapshot: str, name: str):
        self.source, self.snapshot, self.name = source, snapshot, name
        super().__init__(
            f"{source}: snapshot {snapshot}: unknown layer name {name!r}; add it to transforms/territory/layers.py"
        )


def normalize(name: str) -> str:
    """Lower case, NFC, every run of whitespace (newlines, NBSP) one space, trimmed."""
    text = unicodedata.normalize("NFC", name or "").replace("\xa0", " ").lower()
    return re.sub(r"\s+", " ", text).strip()


def _head(text: str) -> str:
    return text.split("///", 1)[0].strip()


def _units(head: str) -> list[str | None]:
    """The head's characters, each run of damaged characters collapsed to one wildcard (None)."""
    out: list[str | None] = []
    for part in re.split(f"({_DAMAGED}+)", head):
        if part.startswith(_DAMAGED):
            out.append(None)
        else:
            out.extend(part)
    return out


def _matches(head: str, stem: str) -> bool:
    """``head`` starts with ``stem``; a run of damaged characters stands for any one letter."""
    if _DAMAGED not in head:
        return head.startswith(stem)
    units = _units(head)
    return len(units) >= len(stem) and all(u is None or u == c for u, c in zip(units, stem, strict=False))


def classify(name: str) -> str | None:
    """The class of a layer name, or None when no rule claims it."""
    text = normalize(name)
    key = _KEY.search(text)
    if key:
        k = key.group(1).rstrip(".")
        if k in BY_KEY:
            return BY_KEY[k]
        if k.startswith("territories."):
            return "other"
    head = _head(text)
    if head in BY_EXACT_NAME:
        return BY_EXACT_NAME[head]
    for stem, cls in _STEMS_LONGEST_FIRST:
        if _matches(head, stem):
            return cls
    return None


def classify_or_raise(name: str, source: str, snapshot: str) -> str:
    cls = classify(name)
    if cls is None:
        raise UnknownLayer(source, snapshot, name)
    return cls
