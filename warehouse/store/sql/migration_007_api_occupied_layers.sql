-- Migration 7: each API snapshot's occupied layers as the per-region step unites them
-- (transforms.territory.region_step.api_classes), so that the settlement step reads them instead
-- of uniting the same features a second time.
CREATE TABLE IF NOT EXISTS core.api_occupied_layers (
    snapshot_id           BIGINT NOT NULL,
    sha256                VARCHAR NOT NULL,   -- the snapshot payload's (raw.current_payloads)
    method                VARCHAR NOT NULL,   -- transforms.territory.region_step.METHOD
    occupied_after_2022   BLOB NOT NULL,      -- WKB, lon/lat
    occupied_before_2022  BLOB NOT NULL,
    occupied_total        BLOB NOT NULL,      -- the union of the two
    PRIMARY KEY (snapshot_id)
);
