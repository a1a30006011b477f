"""Data-quality checks on the disaster feeds, run as orchestration tasks: they raise, loudly.

Freshness: the newest observation of each feed kind must be recent relative to the time
the check is about (the end of the run's data interval, so a backfill judges the past
by its own clock, not by today's).
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy import text

from platform_core.db import get_engine

# Where each kind's observations live and the time column to judge freshness by.
LATEST_OBSERVATION = {
    "rain_gauge": "SELECT max(ts) FROM hazard.rainfall_obs WHERE ts <= :at",
    "rain_grid": "SELECT max(ts) FROM hazard.rain_grid_values WHERE ts <= :at",
    "forecast": "SELECT max(issued_at) FROM hazard.rain_forecasts WHERE issued_at <= :at",
    "river_gauge": "SELECT max(ts) FROM hazard.river_levels WHERE ts <= :at",
}


class StaleFeedError(RuntimeError):
    """A feed's newest observation is older than allowed (or there is none)."""


def feed_freshness(kind: str, at, max_age: pd.Timedelta) -> dict:
    """Age of the newest ``kind`` observation at ``at``; raises :class:`StaleFeedError` past ``max_age``."""
    if kind not in LATEST_OBSERVATION:
        raise ValueError(f"no freshness rule for feed kind {kind!r}; known: {', '.join(LATEST_OBSERVATION)}")
    at = pd.Timestamp(at)
    at = at.tz_localize("UTC") if at.tzinfo is None else at
    with get_engine().connect() as conn:
        latest = conn.execute(text(LATEST_OBSERVATION[kind]), {"at": at.to_pydatetime()}).scalar()
    if latest is None:
        raise StaleFeedError(f"feed {kind}: no observation at or before {at.isoformat()}")
    age = at - pd.Timestamp(latest)
    if age > max_age:
        raise StaleFeedError(f"feed {kind}: newest observation {pd.Timestamp(latest).isoformat()} is {age} old "
                             f"at {at.isoformat()} (allowed {max_age})")
    return {"kind": kind, "latest": pd.Timestamp(latest).isoformat(), "age_s": age.total_seconds()}
