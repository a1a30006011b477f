"""risk_hourly: every hour, ingest new feed files, score flood risk per area, draw the risk map.

ingest_gauges (every feed file in the landing directory — gauges, grids, forecasts, river
levels; a file already loaded is skipped by checksum) -> score (first the hours late data
changed, then every area for the hour just ended; idempotent upsert) -> risk_map.
XCom carries only small dicts and paths; heavy imports happen inside the tasks.
"""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import CronDataIntervalTimetable, Param, dag, task

LOCAL_TZ = "Asia/Brunei"
DEFAULT_ARGS = {
    "retries": 3,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
    "execution_timeout": timedelta(minutes=15),
}


@dag(
    dag_id="risk_hourly",
    schedule=CronDataIntervalTimetable("0 * * * *", timezone=LOCAL_TZ),
    start_date=pendulum.datetime(2024, 1, 1, tz=LOCAL_TZ),
    catchup=False,
    max_active_runs=1,  # the hold-down carries each area's level from one hour to the next
    default_args=DEFAULT_ARGS,
    params={"rain_dir": Param("", type="string", description="Landing directory of feed files ('' = none)")},
    tags=["disaster"],
    doc_md=__doc__,
)
def risk_hourly():
    @task
    def ingest_gauges(params=None) -> list[dict]:
        from pathlib import Path

        from disaster.pipeline import ingest_landing_dir

        folder = Path(params["rain_dir"]) if params.get("rain_dir") else None
        if folder is None or not folder.is_dir():
            return []
        # Every feed kind, by file name: gauges, grids, forecasts, river levels (docs/risk.md).
        return [{k: r.get(k) for k in ("file", "status", "loaded", "quarantined")}
                for r in ingest_landing_dir(folder)]

    @task
    def score(ingested: list[dict], data_interval_start=None, data_interval_end=None) -> dict:
        from disaster.pipeline import rescore_stale, score_hours

        rescore_stale()          # hours already scored that late data changed, before the new hour
        summary = score_hours(data_interval_start.isoformat(), data_interval_end.isoformat())
        return {"hour_end": data_interval_end.isoformat(), "files": len(ingested),
                "by_level": summary.get("area_hours_by_level", {})}

    @task
    def risk_map(scored: dict) -> str:
        from platform_core.settings import get_settings

        from disaster.pipeline import render_risk_map

        hour = pendulum.parse(scored["hour_end"]).in_timezone(LOCAL_TZ)
        out = get_settings().reports_dir / "risk" / f"risk_{hour:%Y%m%dT%H%M}.html"
        return render_risk_map(scored["hour_end"], out)

    risk_map(score(ingest_gauges()))


risk_hourly()
