"""Forecast-rainfall feed: Open-Meteo API JSON (one location object, or a list of them).

Uses ``latitude``, ``longitude``, ``utc_offset_seconds`` and ``hourly.time`` /
``hourly.precipitation`` (mm in the hour ending at ``time``, Open-Meteo's convention).
Times are local to ``utc_offset_seconds`` (or unix seconds with ``timeformat=unixtime``).
Open-Meteo does not say when a forecast was made, so the issue time is, in order: the
``issued`` argument, an ``issued`` key our fetcher adds, ``current.time``; otherwise the
file is refused. Hours at or before the issue time are not forecasts and are skipped.
Each value is stored with its lead time in hours (1 = the hour after the issue hour).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import text

from disaster.errors import FeedFileError
from disaster.feeds.common import MAX_INTENSITY_MM_H, Rejects, batch, mark_late, parse_times, skipped
from platform_core import ingest_log
from platform_core.db import get_engine

SOURCE = "forecast"
FORECAST_INFLUENCE_H = 24      # a forecast is used until a newer one arrives; a day bounds that


def _local(value, offset_s: int) -> pd.Timestamp | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return pd.Timestamp(int(value), unit="s", tz="UTC")
    t = pd.Timestamp(str(value))
    if t.tzinfo is None:
        t = (t - pd.Timedelta(seconds=offset_s)).tz_localize("UTC")
    return t.tz_convert("UTC")


def parse_forecast(path: Path, issued=None) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp, int]:
    """Rows (point_id, lat, lon, valid_ts, lead_h, rain_mm), rejects, issue time (UTC), past hours skipped."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise FeedFileError(path, getattr(exc, "lineno", None), f"not readable JSON: {exc}") from None
    locations = doc if isinstance(doc, list) else [doc]
    first = locations[0] if locations and isinstance(locations[0], dict) else {}
    raw_issued = issued or first.get("issued") or (first.get("current") or {}).get("time")
    if raw_issued is None:
        raise FeedFileError(path, None, "no issue time: pass --issued, or add 'issued' (Open-Meteo has none)")
    offset = int(first.get("utc_offset_seconds", 0) or 0)
    issued_at = (parse_times(pd.Series([str(raw_issued)]))[0] if issued
                 else _local(raw_issued, offset))
    if pd.isna(issued_at):
        raise FeedFileError(path, None, f"unparseable issue time {raw_issued!r}")
    rej, rows, past, record = Rejects(), [], 0, 0
    for i, loc in enumerate(locations, start=1):
        where = f"location {i}"
        hourly = loc.get("hourly") if isinstance(loc, dict) else None
        if not isinstance(hourly, dict) or "time" not in hourly or "precipitation" not in hourly:
            rej.one(None, f"{where}.hourly", None, "missing hourly.time or hourly.precipitation")
            continue
        lat, lon = loc.get("latitude"), loc.get("longitude")
        if not isinstance(lat, (int, float)) or not isinstance(lon, (int, float)):
            rej.one(None, f"{where}.latitude/longitude", f"{lat},{lon}", "missing or non-numeric coordinates")
            continue
        units = (loc.get("hourly_units") or {}).get("precipitation", "mm")
        if units not in ("mm", "mm/h"):
            raise FeedFileError(path, None, f"{where}: precipitation unit {units!r} is not mm (use precipitation_unit=mm)")
        off = int(loc.get("utc_offset_seconds", offset) or 0)
        times, values = hourly["time"], hourly["precipitation"]
        if len(times) != len(values):
            rej.one(None, f"{where}.hourly", f"{len(times)} times, {len(values)} values", "time and precipitation "
                    "lengths differ")
            continue
        for j, (t, v) in enumerate(zip(times, values)):
            record += 1
            field = f"{where}.hourly.precipitation[{j}]"
            try:
                ts = _local(t, off)
            except (ValueError, TypeError):
                rej.one(record, f"{where}.hourly.time[{j}]", t, "unparseable time")
                continue
            if v is None:
                rej.one(record, field, None, "missing value")
            elif not isinstance(v, (int, float)) or np.isnan(v):
                rej.one(record, field, v, "non-numeric value")
            elif v < 0:
                rej.one(record, field, v, "negative rainfall")
            elif v > MAX_INTENSITY_MM_H:
                rej.one(record, field, v, f"physically impossible intensity: {v:.0f} mm/h > {MAX_INTENSITY_MM_H:.0f}")
            elif ts <= issued_at:
                past += 1
            else:
                lead = int(np.ceil((ts - issued_at) / pd.Timedelta(hours=1)))
                rows.append((f"{lat:.3f},{lon:.3f}", float(lat), float(lon), ts, lead, float(v)))
    frame = pd.DataFrame(rows, columns=["point_id", "lat", "lon", "valid_ts", "lead_h", "rain_mm"])
    frame = frame.drop_duplicates(["point_id", "valid_ts"], keep="last")
    return frame, rej.frame(), issued_at, past


def ingest_forecast(path: str | Path, engine=None, force: bool = False, issued=None) -> dict:
    """Ingest one Open-Meteo forecast JSON (see module docstring); returns counts."""
    path = Path(path)
    if not path.exists():
        raise FeedFileError(path, None, "file not found")
    rows, rejects, issued_at, past = parse_forecast(path, issued)
    engine = engine or get_engine()
    with batch(engine, SOURCE, path, force) as (conn, batch_id):
        if conn is None:
            return skipped(path, batch_id)
        points = rows.drop_duplicates("point_id")
        conn.execute(text(
            """INSERT INTO hazard.forecast_points (point_id, geom)
               SELECT p, ST_SetSRID(ST_MakePoint(x, y), 4326)
               FROM unnest(CAST(:p AS text[]), CAST(:x AS float8[]), CAST(:y AS float8[])) AS u(p, x, y)
               ON CONFLICT (point_id) DO NOTHING"""),
            {"p": points["point_id"].tolist(), "x": points["lon"].tolist(), "y": points["lat"].tolist()})
        changed = conn.execute(text(
            """INSERT INTO hazard.rain_forecasts AS f (point_id, issued_at, valid_ts, lead_h, rain_mm, batch_id)
               SELECT p, :i, v, l, r, :b FROM unnest(CAST(:p AS text[]), CAST(:v AS timestamptz[]),
                                                    CAST(:l AS int[]), CAST(:r AS float8[])) AS u(p, v, l, r)
               ON CONFLICT (point_id, issued_at, valid_ts) DO UPDATE SET rain_mm = EXCLUDED.rain_mm,
                   lead_h = EXCLUDED.lead_h, batch_id = EXCLUDED.batch_id
               WHERE (f.rain_mm, f.lead_h) IS DISTINCT FROM (EXCLUDED.rain_mm, EXCLUDED.lead_h)
               RETURNING f.issued_at"""),
            {"i": issued_at.to_pydatetime(), "b": batch_id, "p": rows["point_id"].tolist(),
             "v": [t.to_pydatetime() for t in rows["valid_ts"]], "l": rows["lead_h"].astype(int).tolist(),
             "r": rows["rain_mm"].tolist()}).scalars().all()
        late = mark_late(conn, SOURCE, batch_id, set(changed), FORECAST_INFLUENCE_H)
        n_rej = ingest_log.write_quarantine(conn, batch_id, rejects)
        ingest_log.close_batch(conn, batch_id, rows_total=len(rows) + len(rejects) + past, rows_loaded=len(changed),
                               rows_quarantined=n_rej)
    return {"file": str(path), "status": "loaded", "naive_times": "local to utc_offset_seconds",
            "batch_id": batch_id, "issued_at": issued_at.isoformat(),
            "points": len(points), "loaded": len(changed), "past_hours_skipped": past, "quarantined": n_rej,
            "late_hours_marked": late}
