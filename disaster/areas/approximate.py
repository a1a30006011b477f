"""Approximate mukim and district polygons for when real boundaries are not available.

Built only from public facts kept in ``disaster/data/brunei_admin_facts.csv`` (names,
districts, centroids, bounding boxes and areas): each district is approximated by its
bounding box, and each mukim by the Voronoi cell of its centroid among the mukims of its
district, clipped to that box. Every area is stored with ``is_approximation = true``
and says so on maps and bulletins. Replace them with ``disaster areas import`` of the
official boundaries when you have them.
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely import voronoi_polygons
from shapely.geometry import MultiPoint, Point, box
from shapely.ops import unary_union

from disaster.areas.store import area_code, polygonal

FACTS = Path(__file__).resolve().parents[1] / "data" / "brunei_admin_facts.csv"
SOURCE = "approximation: Voronoi cells of mukim centroids within district bounding boxes (public facts)"


def approximate_areas(facts: Path = FACTS) -> gpd.GeoDataFrame:
    """Districts and mukims as approximate polygons (EPSG:4326), districts first."""
    table = pd.read_csv(facts)
    districts = table[table["level"] == "district"].set_index("district")
    mukims = table[table["level"] == "mukim"]
    rows = []
    # Boxes of neighbouring districts overlap; give each overlap to the district whose
    # centroid is nearer, so the approximate districts tile the country without overlaps.
    boxes = {d: box(r.west, r.south, r.east, r.north) for d, r in districts.iterrows()}
    centres = {d: Point(r.lon, r.lat) for d, r in districts.iterrows()}
    shapes = {}
    for d, b in boxes.items():
        shape = b
        for other, ob in boxes.items():
            if other == d or not b.intersects(ob):
                continue
            overlap = b.intersection(ob)
            cells = voronoi_polygons(MultiPoint([centres[d], centres[other]]), extend_to=overlap.buffer(1))
            theirs = next(c for c in cells.geoms if c.contains(centres[other]))
            shape = shape.difference(overlap.intersection(theirs))
        shapes[d] = shape
    for d, r in districts.iterrows():
        members = mukims[mukims["district"] == d]
        points = [Point(m.lon, m.lat) for m in members.itertuples()]
        cells = voronoi_polygons(MultiPoint(points), extend_to=shapes[d].buffer(0.5)) if len(points) > 1 else None
        pieces = []
        for m, p in zip(members.itertuples(), points):
            cell = next((c for c in cells.geoms if c.contains(p)), shapes[d]) if cells is not None else shapes[d]
            geom = polygonal(cell.intersection(shapes[d]))
            pieces.append(geom)
            rows.append({"level": "mukim", "code": area_code("mukim", d, m.name), "name": m.name, "district": d,
                         "parent_code": area_code("district", d, d), "geometry": geom})
        rows.insert(0, {"level": "district", "code": area_code("district", d, d), "name": d, "district": d,
                        "parent_code": None, "geometry": polygonal(unary_union(pieces))})
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    frame["is_approximation"] = True
    frame["source"] = SOURCE
    order = frame["level"].map({"district": 0, "mukim": 1})
    return frame.assign(_o=order).sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)
