"""Which rain estimate each area uses each hour — gauges or the satellite grid — and why, in words.

An area's *own* gauges are those inside it or within ``NEAR_KM`` of its outline.
For each hour (causal: only that hour's reports and the last report before it):

1. gauges (inverse-distance weighting, renormalised over the gauges that reported), when
   at least one own gauge reported and the reporting gauges carry at least half of the
   area's weight (``MIN_GAUGE_WEIGHT``); own gauges that are silent are named;
2. otherwise the grid, when it covers the area that hour; the drivers say why
   ("gauge RG-12 silent since 14:00; using satellite grid");
3. otherwise gauges further away (the first version's behaviour), said so;
4. otherwise no data: rain counts as 0 and the drivers say "no rain data".
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import text

NEAR_KM = 10.0
# Planar degrees at 4-5° N: 1 km ≈ 0.009° both ways (error < 1 %), and the spatial index is used;
# a geography distance to detailed kampong outlines costs seconds per run.
KM_DEG = 0.009
MIN_GAUGE_WEIGHT = 0.5
SOURCES = ("gauges", "grid", "distant gauges", "none")


def near_gauges(conn, area_ids, station_ids) -> np.ndarray:
    """Boolean matrix (areas × stations): station inside the area or within NEAR_KM of it."""
    pairs = conn.execute(text(
        """SELECT a.id, s.station_id FROM hazard.admin_areas a JOIN hazard.rain_stations s
             ON ST_DWithin(a.geom, s.geom, :deg)"""), {"deg": NEAR_KM * KM_DEG}).all()
    ai = {a: i for i, a in enumerate(area_ids)}
    si = {s: j for j, s in enumerate(station_ids)}
    near = np.zeros((len(area_ids), len(station_ids)), bool)
    for a, s in pairs:
        if a in ai and s in si:
            near[ai[a], si[s]] = True
    return near


def last_reports(conn, gauges: pd.DataFrame, before_utc: pd.Timestamp) -> pd.DataFrame:
    """Hour of each station's last report at or before each hour (NaT if none), from the window and before it."""
    prior = dict(conn.execute(text(
        "SELECT station_id, max(ts) FROM hazard.rainfall_obs WHERE ts <= :t AND quality = 0 GROUP BY station_id"),
        {"t": before_utc.to_pydatetime()}).all())
    stamp = gauges.index.as_unit("ns").asi8
    hours = pd.DataFrame({c: np.where(gauges[c].notna(), stamp, np.nan) for c in gauges.columns},
                         index=gauges.index).ffill()
    for c in hours.columns:
        if c in prior:
            hours[c] = hours[c].fillna(float(pd.Timestamp(prior[c]).ceil("1h").value))
    return hours


def choose(gauge_rain: np.ndarray, reporting: np.ndarray, weights: np.ndarray, near: np.ndarray,
           grid_rain: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For one hour: areal rain (mm) and source index (into SOURCES) per area.

    Parameters
    ----------
    gauge_rain : (areas,) IDW estimate over reporting gauges, NaN if none reported
    reporting : (stations,) bool
    weights : (areas, stations) IDW weights, rows summing to 1
    near : (areas, stations) own gauges
    grid_rain : (areas,) grid estimate, NaN where not covered
    """
    has_near = near.any(axis=1)
    near_reporting = (near & reporting[None, :]).any(axis=1)
    weight_ok = (weights * reporting[None, :]).sum(axis=1) >= MIN_GAUGE_WEIGHT
    gauges_ok = has_near & near_reporting & weight_ok & ~np.isnan(gauge_rain)
    grid_ok = ~np.isnan(grid_rain)
    far_ok = ~np.isnan(gauge_rain)
    source = np.select([gauges_ok, grid_ok, far_ok], [0, 1, 2], default=3)
    rain = np.select([source == 0, source == 1, source == 2], [gauge_rain, grid_rain, gauge_rain], default=0.0)
    return rain, source


def explain(source: int, silent_near: list[tuple[str, str | None]]) -> list[str]:
    """Drivers about the rain source of one area-hour. ``silent_near``: (station, local 'HH:MM' or None)."""
    silent = "; ".join(f"gauge {s} silent since {t}" if t else f"gauge {s} silent (no report on record)"
                       for s, t in silent_near[:3]) + (f" and {len(silent_near) - 3} more" if len(silent_near) > 3 else "")
    if source == 0:
        return [f"{silent} (rain from the other gauges)"] if silent else []
    if source == 1:
        return [f"{silent}; using satellite grid" if silent else "no gauge within 10 km; using satellite grid"]
    if source == 2:
        return [(f"{silent}; " if silent else "") + "no gauge within 10 km and no grid; rain interpolated from distant gauges"]
    return [(f"{silent}; " if silent else "") + "no rain data this hour (counted as 0 mm)"]
