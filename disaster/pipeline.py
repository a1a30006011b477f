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


def issue_bulletins(at, out_dir: str | Path | None = None, area_level: str = "mukim") -> dict:
    """Issue the CAP bulletins, HTML bulletins and Atom feed for the hour ending at ``at``.

    ``out_dir`` defaults to ``<BNW_REPORTS_DIR>/bulletins``. Idempotent for the same hour.
    """
    from disaster.bulletins.issue import issue_hour
    from platform_core.settings import get_settings

    return issue_hour(at, out_dir or get_settings().reports_dir / "bulletins", area_level)


def issue_bulletins_through(start, end, out_dir: str | Path | None = None, area_level: str = "mukim") -> dict:
    """Issue bulletins for every hour ending in (start, end], in order (a storm replayed in batch).

    Hours without risk scores are skipped. Returns the totals, each message issued and the feed path.
    """
    from disaster.bulletins.issue import BulletinError, NoRiskScoresError, hour_end

    first, last = hour_end(start), hour_end(end)
    if last <= first:
        raise BulletinError(f"--through {end!r} must be after --at {start!r}")
    totals = {"hours": 0, "alerts": 0, "updates": 0, "cancels": 0, "messages": [], "feed": None}
    for hour in pd.date_range(first + pd.Timedelta(hours=1), last, freq="1h"):
        try:
            result = issue_bulletins(hour, out_dir, area_level)
        except NoRiskScoresError:
            continue
        totals["hours"] += 1
        for key in ("alerts", "updates", "cancels"):
            totals[key] += result[key]
        totals["messages"] += [{"hour": result["hour"], **m} for m in result["messages"]]
        totals["feed"] = result["feed"]
    return totals


FEED_KINDS = ("rain_gauge",)


def ingest_feed(path: str | Path, kind: str, force: bool = False) -> dict:
    """Ingest one feed file of ``kind``: the single entry point the ``rain_flood_ingest`` DAG calls.

    Every kind records the file's checksum in ``ingest.batches``, so a file already loaded
    is skipped (``status: skipped``) unless ``force``. Only rain-gauge CSVs are supported
    on this branch; other kinds (rain_grid, forecast, river_gauge) are being added
    separately and raise a clear error until then.
    """
    from disaster.errors import DisasterError

    if kind == "rain_gauge":
        return {"kind": kind, **ingest_rain_file(path, force=force)}
    raise DisasterError(f"{path}: feed kind {kind!r} is not supported here; supported: {', '.join(FEED_KINDS)}")
