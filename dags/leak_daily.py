"""leak_daily: the utility's daily leak run for one network and one local (Brunei) day.

residuals (simulate the day with measured boundary conditions) -> detect (causal
detector, events with candidate pipes) -> daily_map (offline folium map).

Each task is idempotent for its data interval: re-running a day replaces that day's
results and nothing else. XCom carries only small dicts of names and paths.
Heavy imports happen inside the tasks so the scheduler parses this file quickly.
"""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import CronDataIntervalTimetable, Param, dag, task

LOCAL_TZ = "Asia/Brunei"
DEFAULT_ARGS = {
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=30),
    "execution_timeout": timedelta(minutes=45),
}


def local_day(data_interval_start) -> str:
    """The local day a data interval covers (intervals start at Brunei midnight)."""
    return pendulum.instance(data_interval_start).in_timezone(LOCAL_TZ).date().isoformat()


@dag(
    dag_id="leak_daily",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone=LOCAL_TZ),
    start_date=pendulum.datetime(2024, 1, 1, tz=LOCAL_TZ),
    catchup=False,
    max_active_runs=1,  # the detector carries state from one day to the next
    default_args=DEFAULT_ARGS,
    params={"network": Param("brunei-muara-demo", type="string", description="Network name in the store")},
    tags=["leakdet"],
    doc_md=__doc__,
)
def leak_daily():
    @task
    def residuals(params=None, data_interval_start=None) -> dict:
        from leakdet.pipeline.daily import compute_residuals

        day = local_day(data_interval_start)
        out = compute_residuals(params["network"], day)
        return {"network": params["network"], "day": day, "residuals_path": out["residuals_path"],
                "flagged": out["flagged"]}

    @task
    def detect(res: dict) -> dict:
        from leakdet.pipeline.daily import detect_day

        return {**res, **detect_day(res["network"], res["day"], res["residuals_path"])}

    @task
    def daily_map(det: dict) -> str:
        from leakdet.pipeline.daily import render_day_map

        return render_day_map(det["network"], det["day"])

    daily_map(detect(residuals()))


leak_daily()
