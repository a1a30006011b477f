"""Write administrative areas to ``hazard.admin_areas``: repaired geometry, parents, idempotent upsert."""
from __future__ import annotations

import re
import unicodedata

import geopandas as gpd
from shapely import make_valid
from shapely.geometry import MultiPolygon, Polygon
from sqlalchemy import text
from sqlalchemy.engine import Connection

LEVELS = ("district", "mukim", "kampong")
PARENT_LEVEL = {"mukim": "district", "kampong": "mukim"}
BRUNEI_GRID = 5247   # GDBD2009 / Brunei BRSO, metres


def slug(name: str) -> str:
    text_ = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text_.lower()).strip("-")


def area_code(level: str, district: str, name: str) -> str:
    return f"{level}:{slug(district)}:{slug(name)}"


def polygonal(geom) -> MultiPolygon | None:
    """A valid MultiPolygon from any geometry (invalid rings repaired, lines and points dropped)."""
    if geom is None or geom.is_empty:
        return None
    geom = make_valid(geom) if not geom.is_valid else geom
    parts = []
    for g in getattr(geom, "geoms", [geom]):
        if isinstance(g, Polygon):
            parts.append(g)
        elif isinstance(g, MultiPolygon):
            parts.extend(g.geoms)
        elif hasattr(g, "geoms"):
            parts.extend(p for p in g.geoms if isinstance(p, Polygon))
    parts = [p for p in parts if not p.is_empty and p.area > 0]
    return MultiPolygon(parts) if parts else None


def upsert_areas(conn: Connection, areas: gpd.GeoDataFrame) -> dict[str, int]:
    """Upsert areas (columns level, code, name, district, parent_code, is_approximation, source, geometry).

    Geometries must be EPSG:4326. Returns counts of inserted/updated/unchanged rows.
    """
    areas = areas.to_crs(4326)
    km2 = areas.to_crs(BRUNEI_GRID).area / 1e6
    counts = {"inserted": 0, "updated": 0, "unchanged": 0}
    for (_, row), a_km2 in zip(areas.iterrows(), km2):
        parent = None
        if isinstance(row.get("parent_code"), str) and row["parent_code"]:
            parent = conn.execute(text("SELECT id FROM hazard.admin_areas WHERE code = :c"),
                                  {"c": row["parent_code"]}).scalar()
        res = conn.execute(text(
            """INSERT INTO hazard.admin_areas (level, code, name, parent_id, district, area_km2, is_approximation,
                                               source, geom)
               VALUES (:level, :code, :name, :parent, :district, :km2, :approx, :source,
                       ST_Multi(ST_GeomFromText(:wkt, 4326)))
               ON CONFLICT (level, code) DO UPDATE SET name = EXCLUDED.name, parent_id = EXCLUDED.parent_id,
                   district = EXCLUDED.district, area_km2 = EXCLUDED.area_km2,
                   is_approximation = EXCLUDED.is_approximation, source = EXCLUDED.source, geom = EXCLUDED.geom
               WHERE (admin_areas.name, admin_areas.parent_id, admin_areas.is_approximation, admin_areas.source)
                     IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.parent_id, EXCLUDED.is_approximation, EXCLUDED.source)
                  OR NOT ST_Equals(admin_areas.geom, EXCLUDED.geom)
               RETURNING (xmax = 0) AS inserted"""),
            {"level": row["level"], "code": row["code"], "name": row["name"], "parent": parent,
             "district": row.get("district") if isinstance(row.get("district"), str) else None, "km2": round(float(a_km2), 3),
             "approx": bool(row.get("is_approximation", False)), "source": row.get("source"),
             "wkt": row.geometry.wkt}).first()
        if res is None:
            counts["unchanged"] += 1
        else:
            counts["inserted" if res.inserted else "updated"] += 1
    return counts
