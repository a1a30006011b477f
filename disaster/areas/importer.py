"""Import official boundaries (GeoJSON, Shapefile, GeoPackage) for one level into PostGIS.

Real boundary files carry invalid rings and mixed geometry types; they are repaired
(``make_valid``, polygonal parts kept). The parent (kampong → mukim → district) comes
from the file's ``mukim``/``district`` properties when present, otherwise from the area
containing the child's representative point. Importing the same file again changes nothing.
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
from sqlalchemy import text

from disaster.areas.store import LEVELS, PARENT_LEVEL, area_code, polygonal, upsert_areas
from disaster.errors import FeedFileError
from platform_core.db import get_engine

NAME_FIELDS = {"district": ("district", "name"), "mukim": ("mukim", "name"), "kampong": ("kampong", "village", "name")}


def _field(frame, candidates) -> str | None:
    lower = {c.lower(): c for c in frame.columns}
    return next((lower[c] for c in candidates if c in lower), None)


def import_areas(path: str | Path, level: str, engine=None) -> dict:
    """Import the areas of ``level`` from ``path``; returns counts and how many geometries were repaired."""
    path = Path(path)
    if level not in LEVELS:
        raise FeedFileError(path, None, f"--level must be one of {', '.join(LEVELS)}")
    try:
        frame = gpd.read_file(path)
    except Exception as exc:
        raise FeedFileError(path, None, f"cannot read boundaries: {exc}") from None
    if frame.crs is None:
        frame = frame.set_crs(4326)
    frame = frame.to_crs(4326)
    name_col = _field(frame, NAME_FIELDS[level])
    if name_col is None:
        raise FeedFileError(path, None, f"no name field for level {level} (looked for {', '.join(NAME_FIELDS[level])})")
    district_col = _field(frame, ("district",))
    mukim_col = _field(frame, ("mukim",))
    repaired = int((~frame.geometry.is_valid).sum())
    frame["geometry"] = frame.geometry.apply(polygonal)
    dropped = int(frame.geometry.isna().sum())
    frame = frame[frame.geometry.notna()].copy()
    engine = engine or get_engine()
    with engine.begin() as conn:
        parents = _parents(conn, frame, level, district_col, mukim_col)
        district = frame[district_col].astype(str) if district_col else parents["district"]
        out = gpd.GeoDataFrame({
            "level": level,
            "code": [area_code(level, d, n) for d, n in zip(district, frame[name_col].astype(str))],
            "name": frame[name_col].astype(str).to_numpy(), "district": district.to_numpy(),
            "parent_code": parents["parent_code"].to_numpy(), "is_approximation": False,
            "source": f"file: {path.name}"}, geometry=frame.geometry.to_numpy(), crs=4326)
        dup = out.duplicated("code", keep=False)
        if dup.any():
            # Two villages of one name in one district: keep them apart by their parent.
            out.loc[dup, "code"] = out.loc[dup, "code"] + ":" + out.loc[dup, "parent_code"].fillna("").map(
                lambda c: c.rsplit(":", 1)[-1])
            out = out.drop_duplicates("code")
        counts = upsert_areas(conn, out)
    return {**counts, "repaired": repaired, "dropped_empty": dropped, "level": level}


def _parents(conn, frame, level, district_col, mukim_col):
    import pandas as pd

    parent_level = PARENT_LEVEL.get(level)
    result = pd.DataFrame({"parent_code": [None] * len(frame), "district": [None] * len(frame)}, index=frame.index)
    if parent_level is None:
        return result
    name_col = {"district": district_col, "mukim": mukim_col}[parent_level]
    for idx, row in frame.iterrows():
        code, district = None, row[district_col] if district_col else None
        if name_col and district_col:
            code = area_code(parent_level, row[district_col], row[name_col])
            if not conn.execute(text("SELECT 1 FROM hazard.admin_areas WHERE code = :c"), {"c": code}).first():
                code = None
        if code is None:
            # The containing parent; failing that (coastal slivers, slightly different survey
            # lines) the nearest one within ~5 km.
            hit = conn.execute(text(
                """WITH p AS (SELECT ST_PointOnSurface(ST_GeomFromText(:w, 4326)) AS g)
                   SELECT code, district FROM hazard.admin_areas, p WHERE level = :l AND ST_DWithin(geom, p.g, 0.05)
                   ORDER BY ST_Contains(geom, p.g) DESC, is_approximation, geom <-> p.g LIMIT 1"""),
                {"l": parent_level, "w": row.geometry.wkt}).first()
            if hit:
                code, district = hit.code, district or hit.district
        result.loc[idx] = (code, district)
    return result
