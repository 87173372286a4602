import json

from tests.conftest import MIRROR
from transforms.losses.loss_categories import CATEGORIES, FIELD_TO_CATEGORY, category_of
from warehouse.ingest.sources.general_staff import NON_COUNT_FIELDS


def test_every_upstream_field_in_the_whole_files_maps_to_exactly_one_category():
    fields = set()
    for name in (
        "russia_losses_equipment.json",
        "russia_losses_personnel.json",
        "russia_losses_equipment_correction.json",
    ):
        for record in json.loads((MIRROR / "losses" / name).read_text()):
            fields |= {
                k for k, v in record.items() if k not in NON_COUNT_FIELDS and k != "personnel*" and v is not None
            }
    assert fields == set(FIELD_TO_CATEGORY)
    claimed = [f for c in CATEGORIES for f in c.upstream_fields]
    assert len(claimed) == len(set(claimed))
    assert category_of("military auto") == category_of("fuel tank") == "vehicles_and_fuel_tanks"
    assert category_of("mobile SRBM system") == "cruise_missiles"
