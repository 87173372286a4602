"""General Staff losses and casualty reports: the raw Mediazona vintages and official estimates,
and the tables of the model registry's losses and casualties domains (the category map, daily and
monthly losses, the bitemporal layer and its revisions, named deaths, estimates, cost of advance).
The General Staff raw files are fetched with the other whole-history files (raw_assets.py)."""

from orchestration.model_assets import assets_of
from orchestration.raw_assets import _whole_file_asset
from warehouse.ingest import sources

casualty_raw_assets = [_whole_file_asset(s) for s in sources.CASUALTY_SOURCES]
casualty_assets = [*casualty_raw_assets, *assets_of("transforms.losses"), *assets_of("transforms.casualties")]
