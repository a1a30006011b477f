"""Hourly risk per area: rain (gauges or grid), antecedent rain, rivers, forecast → level, drivers.

Causal: the level for the hour ending at t uses observations up to t, the newest
forecast issued by t, and the hold-down state of the hour before (read back from
``hazard.risk_scores``), so scoring hour by hour and scoring a whole period at once give
the same rows. Hours changed by late data (``hazard.rescore_hours``) are scored again by
:func:`rescore_marked`, from the first changed hour on (the hold-down carries forward).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import text

from disaster.risk import exposure, fusion, levels, rain_source, rivers
from disaster.risk.areal_rain import area_points, areal_rain, hourly_gauge_rain, idw_weights, stations
from disaster.risk.forecast_rain import forecast_accumulations
from disaster.risk.grid_rain import area_cell_weights, areal_grid_rain, ensure_area_weights, hourly_cell_rain
from disaster.risk.store import previous_state, write_scores
from platform_core.db import get_engine

LOOKBACK_H = 96          # 24 h accumulation + 72 h antecedent
LOCAL_TZ = "Asia/Brunei"
L = levels.LEVELS
RIVER_MENTION_PCT = 70.0


def _hour(ts) -> pd.Timestamp:
    t = pd.Timestamp(ts)
    t = t.tz_localize(LOCAL_TZ) if t.tzinfo is None else t
    return t.tz_convert("UTC").floor("1h")


@dataclass
class Context:
    """What does not change from hour to hour: areas, stations and how they relate."""

    areas: pd.DataFrame               # index id: level, name
    sites: pd.DataFrame               # rain gauges
    idw: pd.DataFrame                 # areas × gauges
    near: np.ndarray                  # areas × gauges
    cells: pd.DataFrame               # areas × grid cells (fractions)
    points: pd.DataFrame              # sample points per area (EPSG:5247)
    river: pd.DataFrame               # river stations
    serves: np.ndarray                # areas × river stations
    exposed: pd.DataFrame             # per area
    leaks: pd.DataFrame               # open leaks: area_id, detected_at


def load_context(conn) -> Context | None:
    areas = pd.read_sql(text("SELECT id, level, name FROM hazard.admin_areas ORDER BY id"), conn).set_index("id")
    if areas.empty:
        return None
    ids = areas.index.to_numpy()
    sites = stations(conn)
    pts = area_points(conn)
    idw = (idw_weights(pts, sites).reindex(ids) if len(sites) else pd.DataFrame(index=ids))
    ensure_area_weights(conn)
    river = rivers.stations(conn)
    return Context(areas, sites, idw, rain_source.near_gauges(conn, ids, sites["station_id"].tolist()),
                   area_cell_weights(conn, ids), pts, river,
                   rivers.area_stations(conn, ids, river["station_id"].tolist()),
                   exposure.static_exposure(conn).reindex(ids), exposure.open_leaks(conn))


def _since(ns: float, t: pd.Timestamp) -> str | None:
    if np.isnan(ns):
        return None
    s = pd.Timestamp(int(ns), tz="UTC").tz_convert(LOCAL_TZ)
    return f"{s:%H:%M}" if s.date() == t.tz_convert(LOCAL_TZ).date() else f"{s:%d %b %H:%M}"


def score_period(start, end, engine=None) -> dict:
    """Score every area for each hour ending in (start, end]; returns a summary."""
    start, end = _hour(start), _hour(end)
    engine = engine or get_engine()
    with engine.begin() as conn:
        ctx = load_context(conn)
        if ctx is None:
            return {"hours": 0, "areas": 0, "note": "no areas"}
        frame = _compute(conn, ctx, start, end, previous_state(conn, start))
    write_scores(engine, frame)
    return _summary(frame, ctx)


def _compute(conn, ctx: Context, start: pd.Timestamp, end: pd.Timestamp, state: dict) -> pd.DataFrame:
    ids = ctx.areas.index.to_numpy()
    w0 = start - pd.Timedelta(hours=LOOKBACK_H)
    window = pd.date_range(w0 + pd.Timedelta(hours=1), end, freq="1h")
    site_ids = ctx.sites["station_id"].tolist()
    gauges = hourly_gauge_rain(conn, w0, end).reindex(index=window, columns=site_ids)
    last = rain_source.last_reports(conn, gauges, w0) if site_ids else pd.DataFrame(index=window)
    g_area = (areal_rain(gauges, ctx.idw).reindex(columns=ids).to_numpy() if site_ids
              else np.full((len(window), len(ids)), np.nan))
    grid = areal_grid_rain(hourly_cell_rain(conn, w0, end).reindex(window), ctx.cells).reindex(columns=ids).to_numpy()
    reporting = gauges.notna().to_numpy()
    weights = ctx.idw.reindex(columns=site_ids).to_numpy() if site_ids else np.zeros((len(ids), 0))
    rain = np.zeros((len(window), len(ids)))
    source = np.zeros((len(window), len(ids)), int)
    for k in range(len(window)):
        rain[k], source[k] = rain_source.choose(g_area[k], reporting[k], weights, ctx.near, grid[k])
    cum = np.vstack([np.zeros((1, len(ids))), np.cumsum(rain, axis=0)])

    def acc(k, h):           # rain in the h hours ending at window[k]
        return cum[k + 1] - cum[max(0, k + 1 - h)]

    wet = np.zeros(len(ids), int)
    runs = np.zeros_like(rain, dtype=int)
    for k in range(len(window)):
        wet = np.where(rain[k] >= levels.WET_HOUR_MM, wet + 1, 0)
        runs[k] = wet
    scored = pd.DatetimeIndex([t for t in window if t > start])
    first = len(window) - len(scored)
    rv_ids = ctx.river["station_id"].tolist()
    river_lv = rivers.hourly_levels(conn, start, end, rv_ids).reindex(scored).to_numpy()
    fc = forecast_accumulations(conn, ctx.points, scored, ids)
    prev = np.array([L.index(state[a][0]) if a in state else -1 for a in ids])
    calm = np.array([state[a][1] if a in state else 0 for a in ids])
    exposure_json, exposure_words = _exposure_text(ctx)
    river_rows = ctx.river.to_dict(orient="records")
    served_any = ctx.serves.any(axis=1)
    out = []
    for i, t in enumerate(scored):
        k = first + i
        r1, r3, r6, r24 = acc(k, 1), acc(k, 3), acc(k, 6), acc(k, 24)
        ante = acc(k, LOOKBACK_H) - r24
        rain_lvl = fusion.rain_level(r1, r3, r6, r24, runs[k])
        bump = fusion.antecedent_raise(rain_lvl, ante)
        cls, pct = rivers.classify(river_lv[i], ctx.river) if rv_ids else (np.zeros(0, int), np.zeros(0))
        served_pct = np.where(ctx.serves & ~np.isnan(pct)[None, :], pct[None, :], -np.inf) if rv_ids else None
        # The station that speaks for the area: highest threshold class, then highest % of danger.
        worst = np.where(np.isfinite(served_pct), cls[None, :] * 1000.0 + served_pct, -np.inf).argmax(axis=1) \
            if rv_ids else None
        area_pct = served_pct.max(axis=1) if rv_ids else np.full(len(ids), -np.inf)
        area_cls = (ctx.serves * cls[None, :]).max(axis=1) if rv_ids else np.zeros(len(ids), int)
        fc3, fc6 = fc[3].iloc[i].to_numpy(), fc[6].iloc[i].to_numpy()
        raw = np.maximum.reduce([rain_lvl + bump, area_cls, fusion.forecast_level(fc6)])
        level, calm = fusion.hold(raw, prev, calm)
        prev = level
        score = fusion.fused_score(r1, r3, r6, r24, np.where(np.isfinite(area_pct), area_pct, 0), fc6)
        silent = ctx.near & ~reporting[k][None, :] if site_ids else np.zeros((len(ids), 0), bool)
        leaks_now = ctx.leaks[ctx.leaks["detected_at"] <= t].groupby("area_id").size().to_dict()
        silent_any = silent.any(axis=1)
        fc6_ = np.nan_to_num(fc6)
        river_said = (np.isfinite(area_pct) & ((area_cls > 0) | (area_pct >= RIVER_MENTION_PCT))) if rv_ids \
            else np.zeros(len(ids), bool)
        no_thr = ((ctx.serves & (np.isnan(pct) & ~np.isnan(river_lv[i]))[None, :]).any(axis=1) if rv_ids
                  else np.zeros(len(ids), bool))
        # Most area-hours have nothing to say; only the others get their drivers built one by one.
        plain = ((raw == 0) & (level == 0) & ~river_said & ~no_thr & (fc6_ < 20) & (source[k] == 0) & ~silent_any)
        drivers = []
        for a in range(len(ids)):
            if plain[a]:
                drivers.append("no significant rain")
                continue
            why = []
            if level[a] != raw[a] and calm[a]:
                why.append(f"held at {L[level[a]]} (inputs now at {L[raw[a]]} level, "
                           f"{calm[a]} h of {levels.HOLD_HOURS} h hold-down)")
            elif level[a] != raw[a]:
                why.append(f"easing to {L[level[a]]} (inputs at {L[raw[a]]} level; one level per "
                           f"{levels.HOLD_HOURS} calm h)")
            if rain_lvl[a]:
                why += levels.raw_level(r1[a], r3[a], r6[a], r24[a], int(runs[k][a]))[1]
            if bump[a]:
                why.append(f"wet ground: {ante[a]:.0f} mm in the 3 days before (raised one level)")
            if rv_ids and np.isfinite(area_pct[a]) and (area_cls[a] or area_pct[a] >= RIVER_MENTION_PCT):
                j = worst[a]
                why.append(rivers.describe(river_rows[j], river_lv[i][j], pct[j], int(cls[j])))
            elif rv_ids and served_any[a]:
                for j in np.flatnonzero(ctx.serves[a] & np.isnan(pct) & ~np.isnan(river_lv[i])):
                    why.append(rivers.describe(river_rows[j], river_lv[i][j], np.nan, 0))
            if fc6[a] >= 20:
                why.append(f"forecast {fc6[a]:.0f} mm in the next 6 h"
                           + (" (orange-level rain expected)" if fc6[a] >= levels.ORANGE_6H else ""))
            if not why or (level[a] == 0 and not rain_lvl[a] and fc6_[a] < 20):
                why.insert(0, "no significant rain")      # green: say so first, then any notes
            names = ([(site_ids[j], _since(last.iat[k, j], t)) for j in np.flatnonzero(silent[a])]
                     if silent_any[a] else [])
            why += rain_source.explain(int(source[k][a]), names)
            n_leaks = int(leaks_now.get(ids[a], 0))
            if level[a] and (exposure_words[a] or n_leaks):
                why.append(exposure.words(ctx.exposed.iloc[a], n_leaks) or "")
            drivers.append("; ".join(w for w in why if w))
        leak_col = [int(leaks_now.get(x, 0)) for x in ids] if len(leaks_now) else [0] * len(ids)
        out.append(pd.DataFrame({
            "area_id": ids, "ts": t, "score": score, "level": [L[x] for x in level],
            "rain_1h_mm": r1.round(1), "rain_3h_mm": r3.round(1), "rain_6h_mm": r6.round(1),
            "rain_24h_mm": r24.round(1), "drivers": drivers,
            "inputs": [f'{{"raw_level": "{L[r]}", "calm_hours": {c}, "rain_level": "{L[q]}", '
                       f'"gauges_reporting": {int(reporting[k].sum())}, "river_level": "{L[v]}"}}'
                       for r, c, q, v in zip(raw, calm, rain_lvl + bump, area_cls)],
            "rain_source": [rain_source.SOURCES[s] for s in source[k]],
            "antecedent_72h_mm": ante.round(1), "forecast_3h_mm": np.round(fc3, 1), "forecast_6h_mm": np.round(fc6, 1),
            "river_station": [rv_ids[worst[a]] if rv_ids and np.isfinite(area_pct[a]) else None for a in range(len(ids))],
            "river_pct_danger": np.where(np.isfinite(area_pct), np.round(area_pct, 1), np.nan),
            "exposure": [e if not n else e[:-1] + f', "open_leaks": {n}}}' for e, n in zip(exposure_json, leak_col)]}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def _exposure_text(ctx: Context) -> tuple[list[str], list[bool]]:
    import json

    js, has = [], []
    for row in ctx.exposed.itertuples():
        d = {"population": None if pd.isna(row.population) else int(row.population), "kampongs": int(row.kampongs),
             "tanks": int(row.tanks), "reservoirs": int(row.reservoirs), "pumps": int(row.pumps),
             "assets": row.asset_names if isinstance(row.asset_names, list) else []}
        js.append(json.dumps(d))
        has.append(bool(d["kampongs"] or d["tanks"] or d["reservoirs"] or d["pumps"] or d["population"]))
    return js, has


def _summary(frame: pd.DataFrame, ctx: Context) -> dict:
    if frame.empty:
        return {"hours": 0, "areas": len(ctx.areas)}
    rank = frame["level"].map(L.index)
    peak = frame.loc[rank.idxmax()]
    worst = frame[rank == rank.max()].merge(ctx.areas, left_on="area_id", right_index=True)
    return {"hours": int(frame["ts"].nunique()), "areas": len(ctx.areas),
            "area_hours_by_level": frame["level"].value_counts().reindex(L, fill_value=0).to_dict(),
            "area_hours_by_rain_source": frame["rain_source"].value_counts().to_dict(),
            "peak_level": peak["level"], "peak_hour": pd.Timestamp(peak["ts"]).isoformat(),
            "worst_areas": sorted(set(worst["name"]))[:10]}


def rescore_marked(engine=None) -> dict:
    """Score again every hour from the first one marked by late data to the last scored hour; clear the marks."""
    engine = engine or get_engine()
    with engine.connect() as conn:
        first, seen = conn.execute(text("SELECT min(ts), max(marked_at) FROM hazard.rescore_hours")).one()
        last = conn.execute(text("SELECT max(ts) FROM hazard.risk_scores")).scalar()
    if first is None or last is None:
        return {"rescored_hours": 0}
    first, last = pd.Timestamp(first), pd.Timestamp(last)
    summary = score_period(first - pd.Timedelta(hours=1), last, engine)
    with engine.begin() as conn:
        # Marks made while we scored (newer than what we read) stay for the next run.
        conn.execute(text("DELETE FROM hazard.rescore_hours WHERE ts <= :b AND marked_at <= :m"),
                     {"b": last.to_pydatetime(), "m": seen})
    return {"rescored_hours": summary.get("hours", 0), "from": first.isoformat(), "to": last.isoformat(), **summary}
