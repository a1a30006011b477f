"""The disaster engine's entry points for the CLI, the DAGs and the demo: plain arguments, small dicts."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from platform_core.db import get_engine


def load_demo_areas() -> dict:
    """Store the approximate districts and mukims (for running without official boundaries)."""
    from disaster.areas.approximate import approximate_areas
    from disaster.areas.store import upsert_areas

    with get_engine().begin() as conn:
        return upsert_areas(conn, approximate_areas())


def import_area_file(path: str | Path, level: str) -> dict:
    from disaster.areas.importer import import_areas

    return import_areas(path, level)


def simulate_storm(start, end, out_dir: str | Path, seed: int = 0) -> str:
    from disaster.feeds.storm import write_storm

    return str(write_storm(pd.Timestamp(start), pd.Timestamp(end), out_dir, seed))


def ingest_rain_file(path: str | Path, force: bool = False) -> dict:
    from disaster.feeds.rain_gauge import ingest_rain_gauges

    return ingest_rain_gauges(path, force=force)


def score_hours(start, end) -> dict:
    """Score every area for each hour ending in (start, end]."""
    from disaster.risk.scoring import score_period

    return score_period(start, end)


def render_risk_map(at, out: str | Path) -> str:
    from disaster.report.risk_map import render_risk_map as render

    return str(render(at, out))
