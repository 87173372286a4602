"""The layer classifier against every polygon feature of all 175 API snapshots in the mirror.

The class comes from the layer *name*; the test checks it independently against the layer's
*fill colour* (DeepStateMap draws occupied red, pre-2022 occupation dark red/black, grey zone grey,
liberated blue/green, other countries' occupied territories light red). The few layers whose
colour and name disagree are listed, with the reason the name wins.
"""

import collections
import gzip
import json

import pytest

from tests.conftest import MIRROR
from transforms.territory.layers import CLASSES, UnknownLayer, classify, classify_or_raise, normalize

COLOUR_CLASS = {
    "#a52714": "occupied_after_2022",
    "#880e4f": "occupied_before_2022",
    "#000000": "occupied_before_2022",
    "#bcaaa4": "grey_zone",
    "#bdbdbd": "grey_zone",
    "#757575": "grey_zone",
    "#0288d1": "liberated",
    "#0f9d58": "liberated",
    "#01579b": "liberated",  # the Kursk salient, 2024-08 … 2025-03
    "#ff5252": "other",
}
# (head of the name, fill) where the name wins over the colour.
NAME_WINS = {
    ("придністров'я", "#880e4f"),  # Transnistria: not Ukraine, whatever its colour
    ("зміїний", "#a52714"),  # Snake Island layer: drawn in the colour of its current status
    ("зміїний", "#bcaaa4"),
    ("зміїний", "#0288d1"),
    ("зміїний", "#0f9d58"),
    ("сєвєродонецьк. території, що окуповано.", "#bcaaa4"),  # 1 of 3 drawings; text says occupied
    ("ворога відкинуто", "#bcaaa4"),  # "the enemy was pushed back"
    ("звільнено", "#bcaaa4"),  # 2 features of the liberated layer drawn grey
}

# Polygon features per class over the 175 snapshots: the count by fill colour (COLOUR_CLASS), with
# the few NAME_WINS features moved to their name's class; test_counts_per_class_follow_the_colours
# re-derives them from the files.
EXPECTED_FEATURES_PER_CLASS = {
    "liberated": 9961,
    "grey_zone": 2402,
    "other": 1947,
    "occupied_after_2022": 1426,
    "occupied_before_2022": 523,
}


@pytest.fixture(scope="module")
def polygon_features():
    out = []
    files = sorted((MIRROR / "deepstate_api").glob("*.geojson.gz"))
    assert len(files) == 175
    for path in files:
        for feature in json.loads(gzip.decompress(path.read_bytes()))["features"]:
            if feature["geometry"]["type"] != "Point":
                out.append((path.name, feature["properties"]["name"], feature["properties"].get("fill")))
    return out


def test_every_polygon_feature_of_every_snapshot_gets_a_class(polygon_features):
    names = collections.Counter(name for _, name, _ in polygon_features)
    listing = {name: classify(name) for name in names}
    unknown = [name for name, cls in listing.items() if cls is None]
    assert unknown == []
    assert len(listing) == 246  # distinct raw names, typos and whitespace variants included
    per_class = collections.Counter(listing[name] for _, name, _ in polygon_features)
    assert dict(per_class) == EXPECTED_FEATURES_PER_CLASS
    assert set(per_class) == set(CLASSES)


def _head(name: str) -> str:
    return normalize(name).split("///")[0].strip()


def test_counts_per_class_follow_the_colours(polygon_features):
    by_colour = collections.Counter(COLOUR_CLASS[fill] for _, _, fill in polygon_features)
    moved = collections.Counter()
    for _, name, fill in polygon_features:
        head = _head(name)
        key = (head.split(" ")[0] if head.startswith("зміїний") else head[:40].rstrip(), fill)
        if key in NAME_WINS and classify(name) != COLOUR_CLASS[fill]:
            moved[COLOUR_CLASS[fill]] -= 1
            moved[classify(name)] += 1
    expected = {k: by_colour[k] + moved[k] for k in by_colour | moved}
    assert expected == EXPECTED_FEATURES_PER_CLASS
    assert sum(by_colour.values()) == sum(EXPECTED_FEATURES_PER_CLASS.values()) == len(polygon_features)


def test_class_agrees_with_the_layer_colour(polygon_features):
    disagree = collections.Counter()
    for _, name, fill in polygon_features:
        head = normalize(name).split("///")[0].strip()
        if COLOUR_CLASS[fill] != classify(name):
            disagree[(head.split(" ")[0] if head.startswith("зміїний") else head[:40].rstrip(), fill)] += 1
    unexplained = {k: v for k, v in disagree.items() if (k[0].split(" ///")[0].strip(), k[1]) not in NAME_WINS}
    assert unexplained == {}
    assert sum(disagree.values()) < 0.02 * len(polygon_features)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Окуповано /// Occupied\xa0/// geoJSON.status.occupied\n", "occupied_after_2022"),
        ("Звільнено /// Liberated /// geoJSON.status.dismissed_at {{at:19.09}}\n", "liberated"),
        ("Статус невідомий /// Unknown status\xa0/// geoJSON.status.unknown\n", "grey_zone"),
        ("ОРДЛО /// CADR and CALR\xa0/// geoJSON.territories.ordlo", "occupied_before_2022"),
        ("Окупований Крим", "occupied_before_2022"),
        (
            "Тимчасово окупована східна Пруссія.\n///\nEast Prussia is temporarily occupied.",
            "other",
        ),
        ("Окуповані у ��стонії території.\n///\noccupied Estonia territories.", "other"),
        ("Звіль��ено /// Liberated\xa0/// geoJSON.status.dismissed", "liberated"),
        ("��куповано /// Occupied /// geoJSON.status.occupied\n", "occupied_after_2022"),
        ("Під питанням /// Contenesed\n", "grey_zone"),
        ("Багатокутник 21", "occupied_after_2022"),
        ("Зміїний ///\xa0Snake Island", "other"),
    ],
)
def test_naming_formats_typos_and_damage(name, expected):
    assert classify(name) == expected


def test_unknown_name_is_reported_not_guessed():
    with pytest.raises(UnknownLayer, match=r"deepstate_api: snapshot 123: unknown layer name 'Нова зона'"):
        classify_or_raise("Нова зона", "deepstate_api", "123")
    assert classify("Багатокутник 99") is None
