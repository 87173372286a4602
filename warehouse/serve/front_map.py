"""The status page's map of the front (issue 11): server-side SVG from a published version's
extracts, no tiles, no scripts.

Layers, bottom to top: oblast outlines (dim_region), the occupied area on the latest DeepState day
(front_line_daily.occupied_area), the area gained (dark red) and lost (blue) by Russia over the
30 days before it (control_changes_daily, class occupied_total), the front line, and the largest
settlements within 20 km of the front that day (fact_settlement_control_daily + dim_settlement),
labelled. Coordinates: lon/lat scaled by cos(48.5°) (an equirectangular view of Ukraine).
"""

from __future__ import annotations

import datetime as dt
import math
from html import escape
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import shapely

WIDTH, HEIGHT, MARGIN = 760, 520, 10
SOURCE = "deepstate"
RECENT_DAYS = 30
NEAR_FRONT_KM = 20.0
LABELS = 12
_COS = math.cos(math.radians(48.5))
COLOURS = {"occupied": "#f1b7ae", "gained": "#8e1b10", "lost": "#2471a3", "front": "#1b1b1b", "oblast": "#8c8c8c"}


def _table(folder: Path, manifest: dict, name: str, columns: list[str]):
    entry = manifest["tables"].get(name)
    if entry is None or not set(columns) <= {c["name"] for c in entry["columns"]}:
        return None
    return pq.read_table(folder / entry["file"], columns=columns)


class _View:
    """lon/lat → SVG pixels for a bounding box, aspect kept."""

    def __init__(self, bounds: tuple[float, float, float, float]):
        x0, y0, x1, y1 = bounds
        self.x0, self.y1 = x0, y1
        self.scale = min((WIDTH - 2 * MARGIN) / ((x1 - x0) * _COS), (HEIGHT - 2 * MARGIN - 24) / (y1 - y0))

    def xy(self, coords: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [MARGIN + (coords[:, 0] - self.x0) * _COS * self.scale, MARGIN + 24 + (self.y1 - coords[:, 1]) * self.scale]
        )

    def path(self, geom: shapely.Geometry, close: bool) -> str:
        """SVG path data of every ring or line of ``geom`` (holes drawn with evenodd fill)."""
        parts = []
        for part in shapely.get_parts(geom):
            rings = shapely.get_rings(part) if part.geom_type == "Polygon" else [part]
            for ring in rings:
                xy = self.xy(shapely.get_coordinates(ring))
                if len(xy) < 2:
                    continue
                points = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
                parts.append(f"M{points}{'Z' if close else ''}")
        return " ".join(parts)


def _polygons(column) -> shapely.Geometry:
    geoms = [shapely.from_wkb(w) for w in column.to_pylist() if w is not None]
    return shapely.union_all(geoms) if geoms else shapely.Polygon()


def front_map(folder: Path, manifest: dict) -> str:
    title = "The front on the latest DeepState day"
    regions = _table(folder, manifest, "dim_region", ["region_kind", "geometry_wkb"])
    lines = _table(folder, manifest, "front_line_daily", ["source", "date", "geometry", "occupied_area"])
    if regions is None or lines is None:
        return _svg(title, ["<text x='20' y='60'>no front data in this version</text>"])
    oblasts = [
        shapely.from_wkb(w) for w in regions.filter(pc.field("region_kind") == "oblast")["geometry_wkb"].to_pylist()
    ]
    lines = lines.filter(pc.field("source") == SOURCE)
    if not oblasts or lines.num_rows == 0:
        return _svg(title, ["<text x='20' y='60'>no front data in this version</text>"])
    latest: dt.date = pc.max(lines["date"]).as_py()
    today = lines.filter(pc.field("date") == latest)
    view = _View(tuple(shapely.total_bounds(oblasts)))
    body = []
    for geom in oblasts:
        simple = shapely.simplify(geom, 0.01)
        body.append(
            f'<path d="{view.path(simple, True)}" fill="none" stroke="{COLOURS["oblast"]}" stroke-width="0.6"/>'
        )
    occupied = shapely.simplify(shapely.from_wkb(today["occupied_area"][0].as_py()), 0.005)
    body.append(
        f'<path class="occupied" d="{view.path(occupied, True)}" fill="{COLOURS["occupied"]}" fill-rule="evenodd" stroke="none"/>'
    )
    changes = _table(folder, manifest, "control_changes_daily", ["date", "source", "class", "change", "geometry"])
    if changes is not None:
        since = latest - dt.timedelta(days=RECENT_DAYS)
        recent = changes.filter(
            (pc.field("source") == SOURCE)
            & (pc.field("class") == "occupied_total")
            & (pc.field("date") > since)
            & (pc.field("date") <= latest)
        )
        for change in ("gained", "lost"):
            pieces = _polygons(recent.filter(pc.field("change") == change)["geometry"])
            if not pieces.is_empty:
                body.append(
                    f'<path class="{change}" d="{view.path(pieces, True)}" fill="{COLOURS[change]}" '
                    f'stroke="{COLOURS[change]}" stroke-width="2" fill-rule="evenodd"/>'
                )
    front = shapely.from_wkb(today["geometry"][0].as_py())
    body.append(
        f'<path class="front" d="{view.path(front, False)}" fill="none" stroke="{COLOURS["front"]}" stroke-width="1.1"/>'
    )
    body += _settlements(folder, manifest, latest, view)
    body.append(
        f'<text x="{WIDTH - 12}" y="{HEIGHT - 10}" text-anchor="end" class="legend">'
        f"{latest.isoformat()} · occupied (pink) · gained by Russia in {RECENT_DAYS} days (dark red) · "
        f"lost (blue) · front line (black) · towns within {NEAR_FRONT_KM:.0f} km</text>"
    )
    return _svg(f"{title}: {latest.isoformat()}", body)


def _settlements(folder: Path, manifest: dict, day: dt.date, view: _View) -> list[str]:
    daily = _table(
        folder, manifest, "fact_settlement_control_daily", ["source", "date", "settlement_id", "distance_to_front_km"]
    )
    places = _table(
        folder, manifest, "dim_settlement", ["settlement_id", "name_en", "population", "longitude", "latitude"]
    )
    if daily is None or places is None:
        return []
    near = daily.filter(
        (pc.field("source") == SOURCE)
        & (pc.field("date") == day)
        & (pc.abs(pc.field("distance_to_front_km")) <= NEAR_FRONT_KM)
    )
    wanted = set(near["settlement_id"].to_pylist())
    rows = [r for r in places.to_pylist() if r["settlement_id"] in wanted]
    rows.sort(key=lambda r: (-r["population"], r["settlement_id"]))
    out = []
    for r in rows[:LABELS]:
        x, y = view.xy(np.array([[r["longitude"], r["latitude"]]]))[0]
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.6" fill="#1b1b1b"/>')
        out.append(f'<text x="{x + 4:.1f}" y="{y - 3:.1f}" class="town">{escape(r["name_en"])}</text>')
    return out


def _svg(title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(title)}"><style>text{{font:12px sans-serif;fill:#222}}'
        ".town{font-size:11px;paint-order:stroke;stroke:#fff;stroke-width:3px}.legend{font-size:11px;fill:#555}</style>"
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>'
        f'<text x="{MARGIN}" y="18" font-weight="bold">{escape(title)}</text>' + "".join(body) + "</svg>"
    )
