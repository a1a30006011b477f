"""River level against each station's published thresholds, per area and hour.

The stations inside an area serve it; an area with none inside is served by the nearest
station within ``RIVER_KM`` of its outline (we have no river network yet to follow flow
downstream; see docs/risk.md). The worst serving station speaks for the area.
The level of an hour is the highest reading in that hour; without one, the latest in
the ``STALE_H`` hours before; older readings are not used. The level class follows the
station owner's thresholds: ≥ danger → red, ≥ warning → orange, ≥ alert → yellow.
"% of danger" is the reading divided by the danger level (both on the station datum).
A station without thresholds is reported ("no thresholds") but cannot raise a level.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import text

RIVER_KM = 10.0
# Planar degrees at 4-5° N: 1 km ≈ 0.009° both ways (error < 1 %), and the spatial index is used;
# a geography distance to detailed kampong outlines costs seconds per run.
KM_DEG = 0.009
STALE_H = 3


def stations(conn) -> pd.DataFrame:
    return pd.read_sql(text(
        """SELECT station_id, coalesce(name, station_id) AS name, river, alert_m, warning_m, danger_m
           FROM hazard.river_stations ORDER BY station_id"""), conn)


def area_stations(conn, area_ids, station_ids) -> np.ndarray:
    """Boolean (areas × stations): the station serves the area (inside it, else the nearest within RIVER_KM)."""
    pairs = conn.execute(text(
        """SELECT a.id, s.station_id, ST_Intersects(a.geom, s.geom) AS inside, ST_Distance(a.geom, s.geom) AS d
           FROM hazard.admin_areas a JOIN hazard.river_stations s ON ST_DWithin(a.geom, s.geom, :deg)
           ORDER BY a.id, inside DESC, d, s.station_id"""), {"deg": RIVER_KM * KM_DEG}).all()
    ai = {a: i for i, a in enumerate(area_ids)}
    si = {s: j for j, s in enumerate(station_ids)}
    out = np.zeros((len(area_ids), len(station_ids)), bool)
    for a, s, inside, _ in pairs:
        if a not in ai or s not in si:
            continue
        row = out[ai[a]]
        if inside or not row.any():        # rows come inside-first, then by distance
            row[si[s]] = True
    return out


def hourly_levels(conn, start_utc: pd.Timestamp, end_utc: pd.Timestamp, station_ids) -> pd.DataFrame:
    """Level (m) per hour ending at the index and station; NaN when no reading in the last STALE_H hours."""
    obs = pd.read_sql(text(
        """SELECT station_id, date_trunc('hour', ts - interval '1 microsecond') + interval '1 hour' AS hour,
                  max(level_m) AS level_m
           FROM hazard.river_levels WHERE ts > :a AND ts <= :b GROUP BY 1, 2"""),
        conn, params={"a": (start_utc - pd.Timedelta(hours=STALE_H)).to_pydatetime(), "b": end_utc.to_pydatetime()})
    hours = pd.date_range(start_utc + pd.Timedelta(hours=1), end_utc, freq="1h")
    if obs.empty:
        return pd.DataFrame(np.nan, index=hours, columns=list(station_ids))
    obs["hour"] = pd.to_datetime(obs["hour"], utc=True)
    full = pd.date_range(start_utc - pd.Timedelta(hours=STALE_H - 1), end_utc, freq="1h")
    table = obs.pivot(index="hour", columns="station_id", values="level_m").reindex(full)
    return table.ffill(limit=STALE_H - 1).reindex(hours).reindex(columns=list(station_ids))


def classify(level: np.ndarray, st: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Level index (0 green … 3 red) and % of danger per station; NaN/0 where no data or no thresholds."""
    alert, warning, danger = (st[c].to_numpy(dtype=float) for c in ("alert_m", "warning_m", "danger_m"))
    with np.errstate(invalid="ignore"):
        cls = np.select([level >= danger, level >= warning, level >= alert], [3, 2, 1], default=0)
        pct = np.where(danger > 0, 100.0 * level / danger, np.nan)
    cls = np.where(np.isnan(level), 0, cls)
    return cls, pct


def describe(st_row: dict, level: float, pct: float, cls: int) -> str:
    """'Sungai Tutong at Pekan Tutong: 92 % of danger level (2.76 m; warning ≥ 2.60 m)'."""
    if st_row["danger_m"] is None or np.isnan(st_row["danger_m"]):
        return f"{st_row['name']}: {level:.2f} m (no thresholds)"
    name = ("alert", "warning", "danger")[cls - 1] if cls else None
    th = st_row[f"{name}_m"] if cls else None
    return f"{st_row['name']}: {pct:.0f} % of danger level ({level:.2f} m" + (
        f"; {name} ≥ {th:.2f} m)" if name else ")")
