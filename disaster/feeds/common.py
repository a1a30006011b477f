"""What every feed shares: local-time parsing, reject lists, batch bookkeeping, late-data marks.

Time convention (all feeds): a time with an offset or ``Z`` keeps it; a naive time is
Brunei local time (Asia/Brunei, UTC+8, no daylight saving); everything is stored in UTC.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pandas as pd
from sqlalchemy import text

from platform_core import ingest_log

LOCAL_TZ = "Asia/Brunei"
# Observations change accumulations up to this many hours later (24 h window + 72 h antecedent).
INFLUENCE_H = 96
MAX_INTENSITY_MM_H = 250.0   # see docs/risk.md: above any hourly rate recorded in Borneo; a sensor fault
REJECT_COLUMNS = ["line", "field", "raw_value", "reason"]


def parse_times(values: pd.Series, tz: str = LOCAL_TZ) -> pd.Series:
    """Parse ISO-8601 text to UTC timestamps; naive values are local ``tz``. NaT where unparseable."""
    text_time = values.astype(str).str.strip()
    offset = text_time.str.contains(r"(?:[+-]\d{2}:?\d{2}|Z)$", regex=True)
    ts = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    if offset.any():
        ts[offset] = pd.to_datetime(text_time[offset], errors="coerce", utc=True, format="ISO8601")
    if (~offset).any():
        ts[~offset] = pd.to_datetime(text_time[~offset], errors="coerce", format="ISO8601").dt.tz_localize(
            tz, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
    return ts


class Rejects:
    """Collects rejected rows (line or record number, field, raw value, reason) for the quarantine."""

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(self, line, field, raw, reason) -> None:
        self.parts.append(pd.DataFrame({"line": line, "field": field, "raw_value": raw, "reason": reason}))

    def one(self, line: int | None, field: str, raw, reason: str) -> None:
        self.add([line], [field], [None if raw is None else str(raw)], [reason])

    def frame(self) -> pd.DataFrame:
        parts = [p for p in self.parts if len(p)]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=REJECT_COLUMNS)


@contextmanager
def batch(engine, source: str, path: Path, force: bool = False, scope: str = "national"):
    """Open an ingest batch for ``path`` in one transaction; yields (conn, batch_id) or (None, old_id) if loaded."""
    sha = ingest_log.file_sha256(path)
    with engine.connect() as conn:
        done = ingest_log.find_loaded_batch(conn, source, scope, sha)
    if done is not None and not force:
        yield None, done
        return
    with engine.begin() as conn:
        yield conn, ingest_log.open_batch(conn, source, scope, path, sha)


def skipped(path: Path, batch_id: int) -> dict:
    return {"file": str(path), "status": "skipped", "batch_id": batch_id}


def mark_late(conn, source: str, batch_id: int, changed_ts, window_h: int = INFLUENCE_H) -> int:
    """Mark already-scored hours whose inputs these changed observations alter; returns hours marked.

    ``changed_ts`` are the (UTC) period ends of rows actually inserted or updated. An
    observation ending at ``ts`` counts in the hour ending at ``ceil(ts)`` and in the
    accumulations of the ``window_h`` hours after it.
    """
    hours = sorted({pd.Timestamp(t).tz_convert("UTC").ceil("1h") for t in changed_ts})
    last = conn.execute(text("SELECT max(ts) FROM hazard.risk_scores")).scalar()
    if not hours or last is None or hours[0] > pd.Timestamp(last):
        return 0
    # Most new data lie after the last scored hour: only the overlap is looked up (by index).
    span = {h + pd.Timedelta(hours=k) for h in hours for k in range(window_h)}
    candidates = sorted(t.to_pydatetime() for t in span if t <= pd.Timestamp(last))
    return conn.execute(text(
        """INSERT INTO hazard.rescore_hours (ts, source, batch_id)
           SELECT c.t, :src, :b FROM unnest(CAST(:c AS timestamptz[])) AS c(t)
           WHERE EXISTS (SELECT 1 FROM hazard.risk_scores r WHERE r.ts = c.t)
           ON CONFLICT (ts) DO NOTHING"""), {"src": source, "b": batch_id, "c": candidates}).rowcount
