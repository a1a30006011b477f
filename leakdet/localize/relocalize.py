"""Daily re-localization of open events from the night signatures accumulated since they started.

One alarm's signature is a few hours of noisy deviations. Each day the detector also
records every logger's mean deviation over the night (01:00-05:00 local, when demand and
so model error are lowest); an open event is re-localized from the mean of those nightly
signatures since its estimated start (the latest two weeks at most). The noise falls
with every night while a growing leak's drop rises. See :data:`REPLACE_CANDIDATES` for why
the night candidates are recorded beside the event's candidates, not in their place.
"""
from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import text

from leakdet.detect.events import OPEN_STATUSES, keep_initial_top, replace_candidates

NIGHT_FILE = "night_deviation.parquet"
MIN_NIGHTS = 2
MAX_NIGHTS = 14      # the latest nights only: the leak as it is now, and a bounded cost per event and day


def save_night_deviation(folder: Path, deviation: pd.Series) -> Path:
    """Store one day's mean night deviation per logger (m; positive = lower than expected)."""
    path = folder / NIGHT_FILE
    deviation.rename("drop_m").to_frame().to_parquet(path)
    return path


def accumulated_signature(day_folder, first: date, last: date, cache: dict | None = None) -> tuple[pd.Series, int]:
    """Mean nightly deviation per logger over the local days ``[first, last]`` and the nights used.

    ``day_folder(day)`` returns the folder holding that day's files. ``cache`` (day -> Series
    or None) lets several events of one run share the files they read.
    """
    cache = {} if cache is None else cache
    nights, day = [], first
    while day <= last:
        if day not in cache:
            path = Path(day_folder(day)) / NIGHT_FILE
            cache[day] = pd.read_parquet(path)["drop_m"] if path.exists() else None
        if cache[day] is not None:
            nights.append(cache[day])
        day += timedelta(days=1)
    if not nights:
        return pd.Series(dtype=float), 0
    return pd.concat(nights, axis=1).mean(axis=1, skipna=True), len(nights)


REPLACE_CANDIDATES = False
"""Measured on the L-Town year (docs/benchmarks.md, runs nozones-xgb-v1 and ensemble-v1), the
accumulated night signature localized worse than the alarm's own (loggers outside an alarm
keep learning, so the leak fades from their deviations), and replacing the candidates broke
the matching of later alarms to their open event. Until that is fixed the night evidence and
its best pipes are recorded in the event's details for the analyst, and the candidates stay."""


def relocalize_open_events(conn, network_id: int, day: date, day_folder, localizer, tz: str = "Asia/Brunei",
                           replace: bool = REPLACE_CANDIDATES) -> int:
    """Re-localize every event open at ``day`` that was detected before it; returns how many changed.

    The accumulated night signature and its top pipes go to ``details`` (``night_signature_m``,
    ``night_candidates``); with ``replace`` they also become the event's candidates. Idempotent
    per day, and a re-run of an earlier day never overwrites a later day's result.
    """
    rows = conn.execute(text(
        """SELECT id, estimated_start, details FROM water.leak_events
           WHERE network_id = :n AND status = ANY(:open) AND run_day < :d"""),
        {"n": network_id, "d": day, "open": list(OPEN_STATUSES)}).all()
    changed, nights_read = 0, {}
    for row in rows:
        details = dict(row.details or {})
        if details.get("relocalized_on") and date.fromisoformat(details["relocalized_on"]) > day:
            continue
        first = max(pd.Timestamp(row.estimated_start).tz_convert(tz).date(), day - timedelta(days=MAX_NIGHTS - 1))
        signature, nights = accumulated_signature(day_folder, first, day, nights_read)
        if nights < MIN_NIGHTS or signature.notna().sum() < 3:
            continue
        cands = localizer.candidates(signature)
        details.update({"relocalized_on": day.isoformat(), "evidence_nights": nights,
                        "night_signature_m": {k: round(float(v), 4) for k, v in signature.dropna().items()},
                        "night_candidates": [[l, round(float(p), 4)] for l, p in
                                             zip(cands["link_id"], cands["probability"])]})
        if replace:
            keep_initial_top(conn, row.id, details)
            if "search_radius_m" in cands.attrs:
                details["search_radius_m"] = round(cands.attrs["search_radius_m"], 1)
            replace_candidates(conn, row.id, zip(cands["link_id"], cands["probability"]))
        conn.execute(text("UPDATE water.leak_events SET details = CAST(:d AS jsonb) WHERE id = :e"),
                     {"d": json.dumps(details), "e": row.id})
        changed += 1
    return changed
