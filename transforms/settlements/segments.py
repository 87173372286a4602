"""Boundary segments as rows of exact coordinates, and which rows two days share: what lets a
process computing days in a row keep the answers of the segments the day before also had."""

from __future__ import annotations

import numpy as np

_KEY_MULTIPLIERS = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93], np.uint64)
MAX_CHANGED_SHARE = 0.25  # beyond this share of changed segments, a day is computed afresh


class Rows:
    """Rows of exact coordinates (segments), with a 64-bit hash of each and the hashes' order,
    to find which rows two sets share (matches are then checked exactly)."""

    def __init__(self, rows: np.ndarray):
        self.rows = np.ascontiguousarray(rows, dtype=float)
        bits = self.rows.view(np.uint64)
        self._keyed((bits * _KEY_MULTIPLIERS[: self.rows.shape[1]]).sum(axis=1, dtype=np.uint64))

    def _keyed(self, keys: np.ndarray) -> None:
        self.keys = keys
        self.order = np.argsort(self.keys)
        self.sorted_keys = self.keys[self.order]

    def subset(self, mask: np.ndarray) -> Rows:
        """The rows where ``mask`` holds (their hashes taken over, not recomputed)."""
        out = Rows.__new__(Rows)
        out.rows = self.rows[mask]
        out._keyed(self.keys[mask])
        return out

    def __len__(self) -> int:
        return len(self.rows)


def match(these: Rows, other: Rows) -> tuple[np.ndarray, np.ndarray]:
    """(found, index): whether each of ``these`` rows is among ``other``'s (exactly) and where."""
    if len(other) == 0 or len(these) == 0:
        return np.zeros(len(these), dtype=bool), np.zeros(len(these), dtype=np.int64)
    # Sorted needles into sorted keys: the same positions as searching ``these.keys`` with
    # ``sorter=other.order``, several times faster (memory is walked in order).
    pos = np.empty(len(these), dtype=np.intp)
    pos[these.order] = np.searchsorted(other.sorted_keys, these.sorted_keys)
    j = other.order[np.minimum(pos, len(other) - 1)]
    return (other.keys[j] == these.keys) & np.all(other.rows[j] == these.rows, axis=1), j
