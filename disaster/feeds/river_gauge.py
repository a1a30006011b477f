"""River-level feed: OGC SensorThings API JSON, or a plain CSV (plus an optional station CSV).

SensorThings: ``{"value": [Thing, ...]}`` (or a list of Things, or one Thing) expanded
with ``Locations`` (GeoJSON Point), ``Datastreams`` and their ``Observations``
(``phenomenonTime`` — an instant or ``start/end``, the end is used — and ``result``).
Thresholds are read from the Datastream's (else the Thing's) ``properties``:
``alert_level``, ``warning_level``, ``danger_level`` (also ``alert``/``alert_m`` …), in
the Datastream's unit (m, cm or mm). The station id is ``properties.station_id``, else
the Thing's name. "Line" in the quarantine is the 1-based observation record.

CSV: ``station, time, level_m`` with optional ``name, river, lat, lon, alert_m,
warning_m, danger_m``; a station CSV (``station, name, river, lat, lon, alert_m,
warning_m, danger_m``) can be given instead of the coordinate columns.

A station without thresholds is kept and reported ("no thresholds"); it cannot raise a
risk level by itself. Levels outside ``LEVEL_RANGE_M`` are sensor faults.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import text

from disaster.errors import FeedFileError
from disaster.feeds.common import Rejects, batch, mark_late, parse_times, skipped
from platform_core import ingest_log
from platform_core.db import get_engine

SOURCE = "river_gauge"
LEVEL_RANGE_M = (-10.0, 40.0)       # metres on the station datum; beyond that a gauge is broken
THRESHOLDS = ("alert_m", "warning_m", "danger_m")
STATION_COLUMNS = ["station_id", "name", "river", "lat", "lon", *THRESHOLDS, "thresholds_source"]
UNIT_TO_M = {"m": 1.0, "metre": 1.0, "meter": 1.0, "cm": 0.01, "mm": 0.001}


def _num(v) -> float | None:
    try:
        f = float(str(v).replace(",", ".")) if v is not None and str(v).strip() != "" else None
    except ValueError:
        return None
    return f if f is None or np.isfinite(f) else None


# --- SensorThings ------------------------------------------------------------------------------

def _threshold(props: dict, name: str):
    for key in (f"{name}_level", name, f"{name}_m", f"{name}Level"):
        if key in props:
            return props[key]
    return None


def parse_sensorthings(path: Path, rej: Rejects) -> tuple[pd.DataFrame, pd.DataFrame]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise FeedFileError(path, getattr(exc, "lineno", None), f"not readable JSON: {exc}") from None
    things = doc.get("value", [doc]) if isinstance(doc, dict) else doc
    stations, obs, record = [], [], 0
    for i, thing in enumerate(things, start=1):
        tprops = thing.get("properties") or {}
        sid = str(tprops.get("station_id") or thing.get("name") or thing.get("@iot.id") or "").strip()
        locs = thing.get("Locations") or []
        coords = ((locs[0].get("location") or {}).get("coordinates") if locs else None) or [None, None]
        if not sid or coords[0] is None:
            rej.one(None, f"Things[{i - 1}]", sid or None, "Thing without station id or Location point")
            continue
        for k, ds in enumerate(thing.get("Datastreams") or []):
            dprops = {**tprops, **(ds.get("properties") or {})}
            unit = str((ds.get("unitOfMeasurement") or {}).get("symbol", "m")).strip().lower()
            if unit not in UNIT_TO_M:
                rej.one(None, f"Things[{i - 1}].Datastreams[{k}].unitOfMeasurement", unit, "unit is not m, cm or mm")
                continue
            f = UNIT_TO_M[unit]
            th = [_num(_threshold(dprops, n)) for n in ("alert", "warning", "danger")]
            stations.append((sid, thing.get("name") or sid, dprops.get("river"), float(coords[1]), float(coords[0]),
                             *[None if v is None else v * f for v in th], dprops.get("thresholds_source")))
            for j, o in enumerate(ds.get("Observations") or []):
                record += 1
                t = str(o.get("phenomenonTime") or o.get("resultTime") or "")
                obs.append((record, f"Things[{i - 1}].Datastreams[{k}].Observations[{j}]", sid,
                            t.split("/")[-1], o.get("result"), f))
    st = pd.DataFrame(stations, columns=STATION_COLUMNS)
    ob = pd.DataFrame(obs, columns=["line", "where", "station_id", "time", "result", "factor"])
    return st, ob


# --- CSV ---------------------------------------------------------------------------------------

def _csv(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise FeedFileError(path, None, f"not a readable CSV: {exc}") from None
    frame.columns = [c.strip().lower() for c in frame.columns]
    return frame.rename(columns={"station": "station_id", "alert": "alert_m", "warning": "warning_m",
                                 "danger": "danger_m", "level": "level_m"})


def parse_station_csv(path: Path) -> pd.DataFrame:
    frame = _csv(path)
    missing = [c for c in ("station_id", "lat", "lon") if c not in frame]
    if missing:
        raise FeedFileError(path, 1, f"missing column(s) {', '.join(missing)}; need station, lat, lon")
    return _station_rows(path, frame)


def _station_rows(path: Path, frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({"station_id": frame["station_id"].str.strip()})
    for col in ("name", "river", "thresholds_source"):
        out[col] = frame[col].replace("", None) if col in frame else None
    for col in ("lat", "lon", *THRESHOLDS):
        out[col] = [_num(v) for v in frame[col]] if col in frame else None
    bad = out["lat"].isna() | out["lon"].isna()
    if bad.any():
        line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise FeedFileError(path, line, "station without numeric lat/lon")
    out["name"] = out["name"].fillna(out["station_id"])
    return out.drop_duplicates("station_id", keep="last")[STATION_COLUMNS]


def parse_level_csv(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = _csv(path)
    missing = [c for c in ("station_id", "time", "level_m") if c not in frame]
    if missing:
        raise FeedFileError(path, 1, f"missing column(s) {', '.join(missing)}; need station, time, level_m")
    st = _station_rows(path, frame) if {"lat", "lon"} <= set(frame) else pd.DataFrame(columns=STATION_COLUMNS)
    ob = pd.DataFrame({"line": np.arange(2, len(frame) + 2), "where": "level_m",
                       "station_id": frame["station_id"].str.strip(), "time": frame["time"],
                       "result": frame["level_m"], "factor": 1.0})
    return st, ob


# --- shared ------------------------------------------------------------------------------------

def validate(obs: pd.DataFrame, known: set[str], rej: Rejects) -> pd.DataFrame:
    ts = parse_times(obs["time"]) if len(obs) else pd.Series([], dtype="datetime64[ns, UTC]")
    level = pd.Series([_num(v) for v in obs["result"]], index=obs.index, dtype=float) * obs["factor"].astype(float)
    lo, hi = LEVEL_RANGE_M
    checks = [(obs["station_id"] == "", "station", "missing station"),
              (~obs["station_id"].isin(known), "station", "unknown station (no location: give a station file)"),
              (obs["time"].astype(str).str.strip() == "", "time", "missing value"),
              (ts.isna(), "time", "unparseable time"),
              (obs["result"].astype(str).str.strip().isin(["", "None"]), "level_m", "missing value"),
              (level.isna(), "level_m", "non-numeric value"),
              ((level < lo) | (level > hi), "level_m", f"implausible level (outside {lo:g} to {hi:g} m)")]
    bad = pd.Series(False, index=obs.index)
    for mask, field, reason in checks:
        m = mask & ~bad
        if m.any():
            raw = obs["station_id"] if field == "station" else obs["time"] if field == "time" else obs["result"]
            rej.add(obs["line"][m], obs["where"][m] + ("" if field == "level_m" else f".{field}"),
                    raw[m].astype(str), reason)
        bad |= m
    good = pd.DataFrame({"station_id": obs["station_id"], "ts": ts, "level_m": level.round(3), "line": obs["line"]})[~bad]
    dup = good.duplicated(["station_id", "ts"], keep="last")
    if dup.any():
        rej.add(good["line"][dup], "time", good["ts"][dup].astype(str), "duplicate observation (a later record wins)")
    return good[~dup]


def _threshold_rejects(stations: pd.DataFrame, rej: Rejects) -> pd.DataFrame:
    th = stations[list(THRESHOLDS)].astype(float)
    wrong = ((th["alert_m"] > th["warning_m"]) | (th["warning_m"] > th["danger_m"])).fillna(False)
    for s in stations[wrong].itertuples():
        rej.one(None, f"{s.station_id}.thresholds", f"{s.alert_m}/{s.warning_m}/{s.danger_m}",
                "thresholds not increasing (alert ≤ warning ≤ danger); station kept without thresholds")
    stations.loc[wrong, list(THRESHOLDS)] = None
    return stations


def ingest_river_levels(path: str | Path, engine=None, force: bool = False, stations_file=None) -> dict:
    """Ingest one river-level file (SensorThings JSON or CSV); returns counts and stations without thresholds."""
    path = Path(path)
    if not path.exists():
        raise FeedFileError(path, None, "file not found")
    rej = Rejects()
    if path.suffix.lower() == ".json":
        stations, obs = parse_sensorthings(path, rej)
    else:
        stations, obs = parse_level_csv(path)
    if stations_file:
        stations = pd.concat([parse_station_csv(Path(stations_file)), stations]).drop_duplicates("station_id", keep="last")
    stations = _threshold_rejects(stations.drop_duplicates("station_id", keep="last").reset_index(drop=True), rej)
    engine = engine or get_engine()
    with batch(engine, SOURCE, path, force) as (conn, batch_id):
        if conn is None:
            return skipped(path, batch_id)
        for s in stations.itertuples():
            conn.execute(text(
                """INSERT INTO hazard.river_stations AS r (station_id, name, river, alert_m, warning_m, danger_m,
                                                         thresholds_source, geom)
                   VALUES (:s, :n, :r, :a, :w, :d, :src, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
                   ON CONFLICT (station_id) DO UPDATE SET name = EXCLUDED.name,
                       river = COALESCE(EXCLUDED.river, r.river), geom = EXCLUDED.geom,
                       alert_m = COALESCE(EXCLUDED.alert_m, r.alert_m), warning_m = COALESCE(EXCLUDED.warning_m, r.warning_m),
                       danger_m = COALESCE(EXCLUDED.danger_m, r.danger_m),
                       thresholds_source = COALESCE(EXCLUDED.thresholds_source, r.thresholds_source)"""),
                {"s": s.station_id, "n": s.name, "r": _text(s.river), "lat": s.lat, "lon": s.lon,
                 "src": _text(s.thresholds_source), "a": _nn(s.alert_m), "w": _nn(s.warning_m), "d": _nn(s.danger_m)})
        known = set(conn.execute(text("SELECT station_id FROM hazard.river_stations")).scalars())
        good = validate(obs, known, rej)
        changed = conn.execute(text(
            """INSERT INTO hazard.river_levels AS l (station_id, ts, level_m, batch_id)
               SELECT s, t, v, :b FROM unnest(CAST(:s AS text[]), CAST(:t AS timestamptz[]), CAST(:v AS float8[]))
                    AS u(s, t, v)
               ON CONFLICT (station_id, ts) DO UPDATE SET level_m = EXCLUDED.level_m, batch_id = EXCLUDED.batch_id
               WHERE l.level_m IS DISTINCT FROM EXCLUDED.level_m RETURNING l.ts"""),
            {"b": batch_id, "s": good["station_id"].tolist(), "t": [t.to_pydatetime() for t in good["ts"]],
             "v": good["level_m"].astype(float).tolist()}).scalars().all()
        late = mark_late(conn, SOURCE, batch_id, set(changed))
        n_rej = ingest_log.write_quarantine(conn, batch_id, rej.frame())
        ingest_log.close_batch(conn, batch_id, rows_total=len(obs), rows_loaded=len(changed), rows_quarantined=n_rej)
        no_th = conn.execute(text(
            "SELECT station_id FROM hazard.river_stations WHERE danger_m IS NULL AND station_id = ANY(:s) ORDER BY 1"),
            {"s": stations["station_id"].tolist()}).scalars().all()
    return {"file": str(path), "status": "loaded", "naive_times": "Asia/Brunei (UTC+8)",
            "batch_id": batch_id, "stations": len(stations),
            "loaded": len(changed), "quarantined": n_rej, "late_hours_marked": late,
            "no_thresholds": list(no_th)}


def _nn(v):
    return None if v is None or pd.isna(v) else float(v)


def _text(v):
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
