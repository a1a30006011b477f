"""Forecast rain per area for the next 3 and 6 hours, from the latest forecast issued by the hour.

Causal: the hour ending at t uses the newest forecast with ``issued_at ≤ t`` (and not
older than ``MAX_AGE_H``). Point forecasts are spread to areas with the same
inverse-distance weights as the gauges (:func:`disaster.risk.areal_rain.idw_weights`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import text

from disaster.risk.areal_rain import idw_weights

MAX_AGE_H = 12


def points(conn) -> pd.DataFrame:
    return pd.read_sql(text(
        """SELECT point_id AS station_id, ST_X(ST_Transform(geom, 5247)) AS x, ST_Y(ST_Transform(geom, 5247)) AS y
           FROM hazard.forecast_points ORDER BY point_id"""), conn)


def forecast_accumulations(conn, area_pts: pd.DataFrame, hours: pd.DatetimeIndex, area_ids) -> dict[int, pd.DataFrame]:
    """{3: frame, 6: frame}: forecast mm in (t, t+h] per hour t (rows) and area (columns); NaN without forecast."""
    empty = {h: pd.DataFrame(np.nan, index=hours, columns=area_ids) for h in (3, 6)}
    pts = points(conn)
    if pts.empty or len(hours) == 0:
        return empty
    fc = pd.read_sql(text(
        """SELECT point_id, issued_at, valid_ts, rain_mm FROM hazard.rain_forecasts
           WHERE issued_at > :a AND issued_at <= :b AND lead_h <= 6 + :age"""),
        conn, params={"a": (hours[0] - pd.Timedelta(hours=MAX_AGE_H)).to_pydatetime(),
                      "b": hours[-1].to_pydatetime(), "age": MAX_AGE_H})
    if fc.empty:
        return empty
    fc["issued_at"] = pd.to_datetime(fc["issued_at"], utc=True)
    fc["valid_ts"] = pd.to_datetime(fc["valid_ts"], utc=True)
    w = idw_weights(area_pts, pts).reindex(area_ids)
    issues = pd.DatetimeIndex(sorted(fc["issued_at"].unique()))
    out = {h: np.full((len(hours), len(area_ids)), np.nan) for h in (3, 6)}
    by_issue = {i: g.pivot(index="valid_ts", columns="point_id", values="rain_mm") for i, g in fc.groupby("issued_at")}
    for k, t in enumerate(hours):
        i = issues.searchsorted(t, side="right") - 1
        if i < 0 or t - issues[i] > pd.Timedelta(hours=MAX_AGE_H):
            continue
        table = by_issue[issues[i]]
        cols = [c for c in w.columns if c in table.columns]
        for h in (3, 6):
            ahead = table[(table.index > t) & (table.index <= t + pd.Timedelta(hours=h))].reindex(columns=cols)
            if len(ahead) < h:           # the forecast does not reach that far
                continue
            wc = w[cols].to_numpy()
            out[h][k] = ahead.sum().to_numpy() @ (wc / wc.sum(axis=1, keepdims=True)).T
    return {h: pd.DataFrame(out[h], index=hours, columns=area_ids) for h in (3, 6)}
