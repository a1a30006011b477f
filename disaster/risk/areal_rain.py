"""Areal rainfall per area and hour from rain gauges, by inverse-distance weighting.

Each area is represented by a handful of points inside it (its point-on-surface plus
random points, seeded so runs repeat); a gauge's weight for the area is the mean over
those points of 1/d² (distances in metres, EPSG:5247). In an hour where a gauge has no
report, the weights of the others are renormalised, so a silent gauge never counts as
zero rain.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import text

SAMPLE_POINTS = 8
MIN_DISTANCE_M = 500.0          # a gauge inside a small area should not get infinite weight


def area_points(conn) -> pd.DataFrame:
    return pd.read_sql(text(
        f"""SELECT a.id AS area_id, ST_X(ST_Transform(p.geom, 5247)) AS x, ST_Y(ST_Transform(p.geom, 5247)) AS y
            FROM hazard.admin_areas a,
                 LATERAL (SELECT ST_PointOnSurface(a.geom) AS geom
                          UNION ALL
                          SELECT (ST_Dump(ST_GeneratePoints(a.geom, {SAMPLE_POINTS}, a.id))).geom) p
            ORDER BY a.id"""), conn)


def stations(conn) -> pd.DataFrame:
    return pd.read_sql(text(
        """SELECT station_id, name, ST_X(geom) AS lon, ST_Y(geom) AS lat,
                  ST_X(ST_Transform(geom, 5247)) AS x, ST_Y(ST_Transform(geom, 5247)) AS y
           FROM hazard.rain_stations ORDER BY station_id"""), conn)


def idw_weights(points: pd.DataFrame, sites: pd.DataFrame, power: float = 2.0) -> pd.DataFrame:
    """Weights (rows: area_id, columns: station_id), each row summing to 1."""
    dx = points["x"].to_numpy()[:, None] - sites["x"].to_numpy()[None, :]
    dy = points["y"].to_numpy()[:, None] - sites["y"].to_numpy()[None, :]
    w = 1.0 / np.maximum(np.hypot(dx, dy), MIN_DISTANCE_M) ** power
    w = w / w.sum(axis=1, keepdims=True)
    frame = pd.DataFrame(w, columns=sites["station_id"].to_numpy())
    frame["area_id"] = points["area_id"].to_numpy()
    return frame.groupby("area_id").mean()


def hourly_gauge_rain(conn, start_utc: pd.Timestamp, end_utc: pd.Timestamp) -> pd.DataFrame:
    """Rain (mm) per hour ending at the index (UTC) and station; NaN where a gauge did not report."""
    obs = pd.read_sql(text(
        """SELECT station_id, ts, rain_mm FROM hazard.rainfall_obs WHERE ts > :a AND ts <= :b AND quality = 0"""),
        conn, params={"a": start_utc.to_pydatetime(), "b": end_utc.to_pydatetime()})
    hours = pd.date_range(start_utc + pd.Timedelta(hours=1), end_utc, freq="1h")
    if obs.empty:
        return pd.DataFrame(index=hours)
    obs["hour"] = pd.to_datetime(obs["ts"], utc=True).dt.ceil("1h")
    table = obs.pivot_table(index="hour", columns="station_id", values="rain_mm", aggfunc="sum")
    return table.reindex(hours)


def weighted_area_mean(values: pd.DataFrame, weights: pd.DataFrame, min_weight: float = 0.0) -> pd.DataFrame:
    """Mean of ``values`` (rows hour, columns source: gauge or grid cell) per area, with ``weights``
    (rows area, columns source) renormalised over the sources that reported; NaN where the
    reporting weight is not above ``min_weight``."""
    cols = [c for c in weights.columns if c in values.columns]
    v = values.reindex(columns=cols).to_numpy()
    w = weights[cols].to_numpy()                       # areas × sources
    have = ~np.isnan(v)
    num = np.nan_to_num(v) @ w.T
    den = have.astype(float) @ w.T
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where((den > 0) & (den >= min_weight), num / den, np.nan)
    return pd.DataFrame(out, index=values.index, columns=weights.index)


def areal_rain(gauges: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """Areal rain (mm) per hour (rows) and area (columns); NaN where no gauge reported at all."""
    return weighted_area_mean(gauges, weights)
