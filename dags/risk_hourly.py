"""risk_hourly: every hour, score flood risk per area, issue bulletins, draw the risk map.

score (first the hours that late data changed, then every area for the hour just ended;
idempotent upsert) -> bulletins (CAP
Alert/Update/Cancel messages, HTML bulletins and the Atom feed, for the same hour;
idempotent) -> risk_map. Rain files are loaded by ``rain_flood_ingest`` every 15 minutes.
XCom carries only small dicts and paths; heavy imports happen inside the tasks.
"""
from __future__ import annotations

from _bnw_common import CATCHUP, LOCAL_TZ, POOL, START_DATE, default_args, use_platform_database
from airflow.sdk import CronDataIntervalTimetable, Param, dag, task


@dag(
    dag_id="risk_hourly",
    schedule=CronDataIntervalTimetable("0 * * * *", timezone=LOCAL_TZ),
    start_date=START_DATE,
    catchup=CATCHUP,
    max_active_runs=1,  # the hold-down carries each area's level from one hour to the next
    default_args=default_args(timeout_minutes=15, retries=3, first_retry_minutes=1, max_retry_minutes=10),
    params={"area_level": Param("mukim", enum=["district", "mukim", "kampong"],
                                description="Area level the bulletins are issued for")},
    tags=["disaster"],
    doc_md=__doc__,
)
def risk_hourly():
    @task(pool=POOL)
    def score(data_interval_start=None, data_interval_end=None) -> dict:
        use_platform_database()
        from disaster.pipeline import rescore_stale, score_hours

        rescore_stale()          # hours already scored that late data changed, before the new hour

        summary = score_hours(data_interval_start.isoformat(), data_interval_end.isoformat())
        return {"hour_end": data_interval_end.isoformat(), "by_level": summary.get("area_hours_by_level", {})}

    @task(pool=POOL)
    def bulletins(scored: dict, params=None) -> dict:
        use_platform_database()
        from disaster.pipeline import issue_bulletins

        out = issue_bulletins(scored["hour_end"], area_level=params["area_level"])
        return {**scored, "alerts": out["alerts"], "updates": out["updates"], "cancels": out["cancels"],
                "feed": str(out["feed"])}

    @task(pool=POOL)
    def risk_map(issued: dict) -> str:
        use_platform_database()
        import pendulum
        from platform_core.settings import get_settings

        from disaster.pipeline import render_risk_map

        hour = pendulum.parse(issued["hour_end"]).in_timezone(LOCAL_TZ)
        out = get_settings().reports_dir / "risk" / f"risk_{hour:%Y%m%dT%H%M}.html"
        return render_risk_map(issued["hour_end"], out)

    risk_map(bulletins(score()))


risk_hourly()
