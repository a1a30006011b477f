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


FEED_KINDS = ("rain_gauge", "rain_grid", "forecast", "river_gauge")


def ingest_feed(path: str | Path, kind: str, force: bool = False, stations: str | Path | None = None,
                issued=None) -> dict:
    """Ingest one feed file of ``kind`` (one of FEED_KINDS); bad rows go to quarantine with the reason."""
    from disaster.errors import DisasterError

    if kind == "rain_gauge":
        return ingest_rain_file(path, force)
    if kind == "rain_grid":
        from disaster.feeds.rain_grid import ingest_rain_grid

        return ingest_rain_grid(path, force=force)
    if kind == "forecast":
        from disaster.feeds.forecast import ingest_forecast

        return ingest_forecast(path, force=force, issued=issued)
    if kind == "river_gauge":
        from disaster.feeds.river_gauge import ingest_river_levels

        return ingest_river_levels(path, force=force, stations_file=stations)
    raise DisasterError(f"feed kind {kind!r} is not supported; supported: {', '.join(FEED_KINDS)}")


GRID_SUFFIXES = (".nc", ".nc4", ".tif", ".tiff")


def landing_kind(path: Path) -> str:
    """Feed kind of a file in a landing directory, from its name (see docs/risk.md)."""
    name = path.name.lower()
    if path.suffix.lower() in GRID_SUFFIXES:
        return "rain_grid"
    if name.startswith("forecast"):
        return "forecast"
    if name.startswith("river"):
        return "river_gauge"
    return "rain_gauge"


def ingest_landing_dir(folder: str | Path) -> list[dict]:
    """Ingest every feed file in ``folder`` (already-loaded files are skipped by checksum).

    Kinds come from names: grids by extension (.nc, .nc4, .tif), ``forecast*.json``,
    ``river*.json``/``river*.csv`` (with ``river_stations.csv`` beside them), any other
    CSV/JSON is a rain-gauge file.
    """
    folder = Path(folder)
    stations = folder / "river_stations.csv"
    out = []
    for p in sorted(folder.iterdir()):
        if p == stations or p.suffix.lower() not in (".csv", ".json", *GRID_SUFFIXES):
            continue
        kind = landing_kind(p)
        out.append(ingest_feed(p, kind, stations=stations if kind == "river_gauge" and stations.exists() else None))
    return out


def simulate_feeds(start, end, out_dir: str | Path, seed: int = 0) -> dict:
    """Write a synthetic monsoon storm in every feed format; returns {kind: [paths]}."""
    from disaster.feeds.storm_files import write_all

    return {k: [str(p) for p in v] for k, v in write_all(pd.Timestamp(start), pd.Timestamp(end), out_dir, seed).items()}


def rescore_stale() -> dict:
    """Score again the hours that late or corrected observations changed (idempotent)."""
    from disaster.risk.scoring import rescore_marked

    return rescore_marked()


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

