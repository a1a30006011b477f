"""Hourly risk per area: accumulations, level with hold-down, drivers; stored idempotently.

Causal: the level for the hour ending at t uses gauge reports up to t, and the hold-down
state of the hour before (read back from ``hazard.risk_scores``), so scoring hour by hour
and scoring a whole period at once give the same rows.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
from sqlalchemy import text

from disaster.risk import levels
from disaster.risk.areal_rain import area_points, areal_rain, hourly_gauge_rain, idw_weights, stations
from platform_core.db import get_engine

LOOKBACK_H = 24


def _hour(ts) -> pd.Timestamp:
    t = pd.Timestamp(ts)
    t = t.tz_localize("Asia/Brunei") if t.tzinfo is None else t
    return t.tz_convert("UTC").floor("1h")


def _previous_state(conn, hour: pd.Timestamp) -> dict[int, tuple[str, int]]:
    rows = conn.execute(text("SELECT area_id, level, inputs FROM hazard.risk_scores WHERE ts = :t"),
                        {"t": hour.to_pydatetime()}).all()
    return {r.area_id: (r.level, int((r.inputs or {}).get("calm_hours", 0))) for r in rows}


def _run_length(series: pd.Series) -> pd.Series:
    """Consecutive wet hours (≥ WET_HOUR_MM) up to and including each hour."""
    wet = (series >= levels.WET_HOUR_MM).astype(int)
    return wet.groupby((wet == 0).cumsum()).cumsum()


def score_period(start, end, engine=None) -> dict:
    """Score every area for each hour ending in (start, end]; returns a summary."""
    start, end = _hour(start), _hour(end)
    engine = engine or get_engine()
    with engine.connect() as conn:
        areas = pd.read_sql(text("SELECT id, level, name FROM hazard.admin_areas ORDER BY id"), conn).set_index("id")
        sites = stations(conn)
        if areas.empty or sites.empty:
            return {"hours": 0, "areas": len(areas), "note": "no areas or no rain stations"}
        weights = idw_weights(area_points(conn), sites)
        gauges = hourly_gauge_rain(conn, start - pd.Timedelta(hours=LOOKBACK_H), end)
        state = _previous_state(conn, start)
    rain = areal_rain(gauges, weights).reindex(columns=areas.index)
    filled = rain.fillna(0.0)
    acc = {h: filled.rolling(h, min_periods=1).sum() for h in (1, 3, 6, 24)}
    wet_run = filled.apply(_run_length)
    reporting = gauges.notna().sum(axis=1)
    hours = [t for t in rain.index if t > start]
    rows = []
    for t in hours:
        for area_id in areas.index:
            r1, r3, r6, r24 = (float(acc[h].at[t, area_id]) for h in (1, 3, 6, 24))
            raw, why = levels.raw_level(r1, r3, r6, r24, int(wet_run.at[t, area_id]))
            prev, calm = state.get(area_id, (None, 0))
            level, calm = levels.held_level(raw, prev, calm)
            if level != raw:
                why = [f"held at {level} (rain now at {raw} level, {calm} h of {levels.HOLD_HOURS} h hold-down)"] + why
            if reporting.at[t] < len(sites):
                why.append(f"{len(sites) - int(reporting.at[t])} of {len(sites)} gauges silent this hour")
            state[area_id] = (level, calm)
            rows.append({"area_id": int(area_id), "ts": t.to_pydatetime(), "score": levels.score(r1, r3, r6, r24),
                         "level": level, "rain_1h_mm": round(r1, 1), "rain_3h_mm": round(r3, 1),
                         "rain_6h_mm": round(r6, 1), "rain_24h_mm": round(r24, 1),
                         "drivers": "; ".join(why) if why else "no significant rain",
                         "inputs": json.dumps({"raw_level": raw, "calm_hours": calm,
                                               "gauges_reporting": int(reporting.at[t])})})
    with engine.begin() as conn:
        if rows:
            conn.execute(text(
                """INSERT INTO hazard.risk_scores (area_id, ts, score, level, rain_1h_mm, rain_3h_mm, rain_6h_mm,
                                                   rain_24h_mm, drivers, inputs)
                   VALUES (:area_id, :ts, :score, :level, :rain_1h_mm, :rain_3h_mm, :rain_6h_mm, :rain_24h_mm,
                           :drivers, CAST(:inputs AS jsonb))
                   ON CONFLICT (area_id, ts) DO UPDATE SET score = EXCLUDED.score, level = EXCLUDED.level,
                       rain_1h_mm = EXCLUDED.rain_1h_mm, rain_3h_mm = EXCLUDED.rain_3h_mm,
                       rain_6h_mm = EXCLUDED.rain_6h_mm, rain_24h_mm = EXCLUDED.rain_24h_mm,
                       drivers = EXCLUDED.drivers, inputs = EXCLUDED.inputs"""), rows)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return {"hours": 0, "areas": len(areas)}
    rank = frame["level"].map(levels.LEVELS.index)
    peak = frame.loc[rank.idxmax()] if len(frame) else None
    worst = frame[rank == rank.max()].merge(areas, left_on="area_id", right_index=True)
    return {"hours": len(hours), "areas": len(areas),
            "area_hours_by_level": frame["level"].value_counts().reindex(levels.LEVELS, fill_value=0).to_dict(),
            "peak_level": peak["level"], "peak_hour": pd.Timestamp(peak["ts"]).isoformat(),
            "worst_areas": sorted(set(worst["name"]))[:10]}
