"""Area outlines as CAP 1.2 polygons: closed rings of "lat,lon" pairs, at most 100 vertices each.

CAP polygons have no holes and receivers handle long rings badly, so each part of an area
is reduced to its outer ring and simplified (Douglas-Peucker, doubling the tolerance) until
the ring, rounded to 5 decimals (about 1 m), has at most ``MAX_VERTICES`` points and is
still a valid polygon. Dropping holes makes an area slightly larger, never smaller: a
warning must not leave anyone out.
"""
from __future__ import annotations

import numpy as np
import shapely
from shapely import make_valid
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

MAX_VERTICES = 100          # including the closing point
MAX_PARTS = 10              # largest parts kept per area (islands beyond that are tiny)
DECIMALS = 5


def _rounded_ring(poly: Polygon) -> Polygon:
    xy = np.round(shapely.get_coordinates(poly.exterior), DECIMALS)
    if len(xy) == 0:
        return Polygon()
    xy = xy[np.r_[True, np.any(np.diff(xy, axis=0) != 0, axis=1)]]     # rounding can merge neighbours
    if not np.array_equal(xy[0], xy[-1]):
        xy = np.vstack([xy, xy[:1]])
    return Polygon(xy) if len(xy) >= 4 else Polygon()


def simplified_ring(part: Polygon, max_vertices: int = MAX_VERTICES) -> Polygon:
    """The outer ring of ``part``, simplified until it has at most ``max_vertices`` points.

    Parameters
    ----------
    part : shapely.geometry.Polygon
        One polygon in EPSG:4326 (lon, lat).
    max_vertices : int
        Limit on the ring's points, the closing point included.

    Returns
    -------
    shapely.geometry.Polygon
        A valid polygon without holes; the part's minimum rotated rectangle if no
        simplification works (degenerate input).
    """
    shell = Polygon(part.exterior)
    candidate = _rounded_ring(shell)
    # Start from a tolerance of 1/5000 of the part's extent (a few metres for a mukim) and double it.
    minx, miny, maxx, maxy = shell.bounds
    tolerance = max(maxx - minx, maxy - miny, 1e-5) / 5000
    while len(candidate.exterior.coords) > max_vertices or not candidate.is_valid or candidate.is_empty:
        if tolerance > 1.0:
            return _rounded_ring(shell.minimum_rotated_rectangle)
        candidate = _rounded_ring(shell.simplify(tolerance, preserve_topology=True))
        tolerance *= 2
    return candidate


def cap_polygons(geom: BaseGeometry, max_vertices: int = MAX_VERTICES) -> list[str]:
    """CAP ``polygon`` strings for an area, largest part first.

    Parameters
    ----------
    geom : shapely geometry
        The area in EPSG:4326; invalid geometry is repaired, non-polygonal pieces ignored.
    max_vertices : int
        Limit on each ring's points.

    Returns
    -------
    list of str
        Each "lat,lon lat,lon ..." with the first pair repeated at the end.
    """
    if geom is None or geom.is_empty:
        return []
    geom = geom if geom.is_valid else make_valid(geom)
    parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, (Polygon, MultiPolygon))]
    polys = [p for g in parts for p in (g.geoms if isinstance(g, MultiPolygon) else [g]) if p.area > 0]
    polys.sort(key=lambda p: p.area, reverse=True)
    out = []
    for poly in polys[:MAX_PARTS]:
        ring = simplified_ring(poly, max_vertices)
        if not ring.is_empty:
            out.append(" ".join(f"{y:.{DECIMALS}f},{x:.{DECIMALS}f}" for x, y in ring.exterior.coords))
    return out


def parse_cap_polygon(value: str) -> Polygon:
    """The shapely polygon (lon, lat) of a CAP polygon string; used to check what was written."""
    pairs = [tuple(float(v) for v in pair.split(",")) for pair in value.split()]
    return Polygon([(lon, lat) for lat, lon in pairs])
