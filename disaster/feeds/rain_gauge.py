"""Rain-gauge feed: CSV or JSON of station, lat, lon, time, mm (rain in the period ending at ``time``).

Optional fields: ``period_min`` (default 60) and ``name``. JSON is a list of such objects
(or ``{"observations": [...]}``); its "line" in the quarantine is the 1-based record number.
Naive times are Brunei local time (UTC+8); times with an offset keep it; everything is
stored in UTC. Intensities above ``MAX_INTENSITY_MM_H`` (250 mm/h) are sensor faults. Bad rows go to
``ingest.quarantine`` with the reason; the rest load in one transaction with an upsert,
so the same file twice changes nothing and a corrected late file updates its hours.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import text

from disaster.errors import FeedFileError
from disaster.feeds.common import MAX_INTENSITY_MM_H, mark_late, parse_times
from platform_core import ingest_log
from platform_core.db import get_engine

SOURCE, SCOPE = "rain_gauge", "national"
REQUIRED = ("station", "lat", "lon", "time", "mm")
BOUNDS = {"lat": (3.5, 5.5), "lon": (113.5, 115.8)}   # Brunei and its surroundings


def _read_json(path: Path) -> pd.DataFrame:
    import json

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise FeedFileError(path, getattr(exc, "lineno", None), f"not readable JSON: {exc}") from None
    records = doc.get("observations") if isinstance(doc, dict) else doc
    if not isinstance(records, list):
        raise FeedFileError(path, None, "expected a list of observations or {\"observations\": [...]}")
    rows = [{str(k).strip().lower(): ("" if v is None else str(v)) for k, v in r.items()} if isinstance(r, dict)
            else {} for r in records]
    frame = pd.DataFrame(rows, dtype=str).fillna("")
    for col in REQUIRED:
        if col not in frame:
            frame[col] = ""
    frame["line"] = np.arange(1, len(frame) + 1)
    return frame


def _read(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise FeedFileError(path, None, "file not found")
    if path.suffix.lower() in (".json", ".geojson"):
        return _read_json(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.ParserError as exc:
        import re

        m = re.search(r"line (\d+)", str(exc))
        raise FeedFileError(path, int(m.group(1)) if m else None, f"cannot parse CSV: {exc}") from None
    except (pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise FeedFileError(path, 1, f"not a readable CSV: {exc}") from None
    frame.columns = [c.strip().lower() for c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise FeedFileError(path, 1, f"missing column(s) {', '.join(missing)}; need {', '.join(REQUIRED)}")
    frame["line"] = np.arange(2, len(frame) + 2)
    return frame


def validate(frame: pd.DataFrame, tz: str = "Asia/Brunei") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split rows into good observations and rejects (line, field, raw_value, reason)."""
    rejects = []

    def reject(mask, field, reason):
        mask = mask & ~bad
        if mask.any():
            rejects.append(pd.DataFrame({"line": frame["line"][mask], "field": field,
                                         "raw_value": frame[field][mask] if field in frame else "",
                                         "reason": reason if isinstance(reason, str) else reason[mask]}))
        return bad | mask

    bad = pd.Series(False, index=frame.index)
    bad = reject(frame["station"].str.strip() == "", "station", "empty station id")
    for col in REQUIRED[1:]:
        bad = reject(frame[col].str.strip() == "", col, "missing value")
    ts = parse_times(frame["time"], tz)
    bad = reject(ts.isna(), "time", "unparseable time")
    values = {}
    for col in ("lat", "lon", "mm"):
        values[col] = pd.to_numeric(frame[col].str.replace(",", "."), errors="coerce")
        bad = reject(values[col].isna(), col, "non-numeric value")
    period = pd.to_numeric(frame.get("period_min", pd.Series("60", index=frame.index)).replace("", "60"),
                           errors="coerce")
    bad = reject(period.isna() | (period <= 0), "period_min" if "period_min" in frame else "mm", "bad period")
    for col, (lo, hi) in BOUNDS.items():
        bad = reject((values[col] < lo) | (values[col] > hi), col, f"outside Brunei ({lo} to {hi})")
    bad = reject(values["mm"] < 0, "mm", "negative rainfall")
    intensity = values["mm"] / (period / 60.0)
    bad = reject(intensity > MAX_INTENSITY_MM_H, "mm",
                 pd.Series([f"physically impossible intensity: {v:.0f} mm/h > {MAX_INTENSITY_MM_H:.0f}"
                            for v in intensity.fillna(0)], index=frame.index))
    good = pd.DataFrame({"station_id": frame["station"].str.strip(), "name": frame.get("name", frame["station"]),
                         "lat": values["lat"], "lon": values["lon"], "ts": ts, "rain_mm": values["mm"],
                         "period_s": (period * 60).round().astype("Int64"), "line": frame["line"]})[~bad]
    dup = good.duplicated(["station_id", "ts"], keep="first")
    if dup.any():
        first = good[~dup].set_index(["station_id", "ts"])["line"]
        d = good[dup]
        lines = first.reindex(pd.MultiIndex.from_frame(d[["station_id", "ts"]])).to_numpy()
        rejects.append(pd.DataFrame({"line": d["line"], "field": "time", "raw_value": frame.loc[d.index, "time"],
                                     "reason": [f"duplicate observation for this station and time (first at line {l})"
                                                for l in lines]}))
        good = good[~dup]
    rej = pd.concat(rejects, ignore_index=True) if rejects else pd.DataFrame(columns=["line", "field", "raw_value", "reason"])
    return good.reset_index(drop=True), rej


def ingest_rain_gauges(path: str | Path, engine=None, force: bool = False) -> dict:
    """Ingest one rain-gauge CSV or JSON file (see module docstring); returns counts."""
    path = Path(path)
    frame = _read(path)
    engine = engine or get_engine()
    sha = ingest_log.file_sha256(path)
    with engine.connect() as conn:
        done = ingest_log.find_loaded_batch(conn, SOURCE, SCOPE, sha)
    if done is not None and not force:
        return {"file": str(path), "status": "skipped", "batch_id": done}
    good, rejects = validate(frame)
    with engine.begin() as conn:
        batch = ingest_log.open_batch(conn, SOURCE, SCOPE, path, sha)
        stations = good.drop_duplicates("station_id", keep="last")
        for s in stations.itertuples():
            conn.execute(text(
                """INSERT INTO hazard.rain_stations (station_id, name, geom)
                   VALUES (:s, :n, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
                   ON CONFLICT (station_id) DO UPDATE SET name = EXCLUDED.name, geom = EXCLUDED.geom
                   WHERE NOT ST_Equals(rain_stations.geom, EXCLUDED.geom) OR rain_stations.name IS DISTINCT FROM EXCLUDED.name"""),
                {"s": s.station_id, "n": s.name, "lon": float(s.lon), "lat": float(s.lat)})
        changed = []
        if len(good):
            changed = conn.execute(text(
                """INSERT INTO hazard.rainfall_obs AS o (station_id, ts, period_s, rain_mm, quality, batch_id)
                   SELECT * FROM unnest(CAST(:s AS text[]), CAST(:t AS timestamptz[]), CAST(:p AS int[]),
                                        CAST(:m AS float8[]), CAST(:q AS smallint[]), CAST(:b AS int[]))
                   ON CONFLICT (station_id, ts) DO UPDATE SET period_s = EXCLUDED.period_s,
                       rain_mm = EXCLUDED.rain_mm, batch_id = EXCLUDED.batch_id
                   WHERE (o.period_s, o.rain_mm) IS DISTINCT FROM (EXCLUDED.period_s, EXCLUDED.rain_mm)
                   RETURNING o.ts"""),
                {"s": good["station_id"].tolist(), "t": [t.to_pydatetime() for t in good["ts"]],
                 "p": [int(p) for p in good["period_s"]], "m": good["rain_mm"].astype(float).tolist(),
                 "q": [0] * len(good), "b": [batch] * len(good)}).scalars().all()
        loaded = len(changed)
        late = mark_late(conn, SOURCE, batch, changed)
        n_rej = ingest_log.write_quarantine(conn, batch, rejects)
        ingest_log.close_batch(conn, batch, rows_total=len(frame), rows_loaded=loaded, rows_quarantined=n_rej)
    return {"file": str(path), "status": "loaded", "naive_times": "Asia/Brunei (UTC+8)",
            "batch_id": batch, "rows": len(frame), "loaded": loaded,
            "quarantined": n_rej, "late_hours_marked": late,
            "first": good["ts"].min().isoformat() if len(good) else None,
            "last": good["ts"].max().isoformat() if len(good) else None}
