"""Areal rainfall per area and hour from the rain grid: area-weighted cell fractions (zonal statistics).

Each area's overlap with each cell (fraction of the area's surface, computed in degrees²,
which at 4–5° N distorts fractions by < 1 % within one area) is computed once in PostGIS
and kept in ``hazard.area_grid_weights``; it is computed again only for areas whose
outline changed (a trigger forgets them) or when new cells arrive. The areal value of
an hour is the fraction-weighted mean of the cells that have a complete hour; an area
less than half covered by such cells has no grid value that hour.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import text

from disaster.risk.areal_rain import weighted_area_mean

MIN_COVER = 0.5


def ensure_area_weights(conn) -> int:
    """Compute the cell fractions of every area that has none yet; returns the number of areas done."""
    todo = conn.execute(text(
        """SELECT a.id FROM hazard.admin_areas a
           WHERE NOT EXISTS (SELECT 1 FROM hazard.area_grid_weights_done d WHERE d.area_id = a.id)""")).scalars().all()
    if not todo:
        return 0
    conn.execute(text("DELETE FROM hazard.area_grid_weights WHERE area_id = ANY(:a)"), {"a": todo})
    conn.execute(text(
        """INSERT INTO hazard.area_grid_weights (area_id, cell_id, fraction)
           SELECT area_id, cell_id, LEAST(f, 1.0) FROM (
               SELECT a.id AS area_id, c.cell_id,
                      CASE WHEN ST_Within(a.geom, c.geom) THEN 1.0
                           ELSE ST_Area(ST_Intersection(a.geom, c.geom)) / NULLIF(ST_Area(a.geom), 0) END AS f
               FROM hazard.admin_areas a JOIN hazard.rain_grid_cells c ON ST_Intersects(a.geom, c.geom)
               WHERE a.id = ANY(:a)) x
           WHERE f > 1e-9"""), {"a": todo})
    conn.execute(text("INSERT INTO hazard.area_grid_weights_done SELECT unnest(CAST(:a AS int[])) "
                      "ON CONFLICT DO NOTHING"), {"a": todo})
    return len(todo)


def hourly_cell_rain(conn, start_utc: pd.Timestamp, end_utc: pd.Timestamp) -> pd.DataFrame:
    """Rain (mm) per hour ending at the index (UTC) and cell; NaN where a cell's hour is incomplete.

    Half-hourly values add up to the hour; when two products overlap (more than an hour of
    periods in one hour) they are averaged rather than added.
    """
    cells = pd.read_sql(text(
        """SELECT cell_id, date_trunc('hour', ts - interval '1 microsecond') + interval '1 hour' AS hour,
                  sum(rain_mm) AS mm, sum(period_s) AS secs
           FROM hazard.rain_grid_values WHERE ts > :a AND ts <= :b GROUP BY 1, 2"""),
        conn, params={"a": start_utc.to_pydatetime(), "b": end_utc.to_pydatetime()})
    hours = pd.date_range(start_utc + pd.Timedelta(hours=1), end_utc, freq="1h")
    if cells.empty:
        return pd.DataFrame(index=hours)
    cells["hour"] = pd.to_datetime(cells["hour"], utc=True)
    cells["mm"] = np.where(cells["secs"] >= 3600, cells["mm"] * np.minimum(1.0, 3600.0 / cells["secs"]), np.nan)
    return cells.pivot(index="hour", columns="cell_id", values="mm").reindex(hours)


def area_cell_weights(conn, area_ids) -> pd.DataFrame:
    """Fractions as a dense frame (rows: area_id in the given order, columns: cell_id)."""
    w = pd.read_sql(text("SELECT area_id, cell_id, fraction FROM hazard.area_grid_weights"), conn)
    if w.empty:
        return pd.DataFrame(index=pd.Index(area_ids, name="area_id"))
    return w.pivot(index="area_id", columns="cell_id", values="fraction").reindex(area_ids).fillna(0.0)


def areal_grid_rain(cells: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """Areal rain (mm) per hour (rows) and area (columns); NaN where the grid covers under half the area."""
    if cells.shape[1] == 0 or weights.shape[1] == 0:
        return pd.DataFrame(np.nan, index=cells.index, columns=weights.index)
    return weighted_area_mean(cells, weights, MIN_COVER)
