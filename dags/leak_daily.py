"""leak_daily: the utility's daily leak run, per network and local (Brunei) day.

Scheduled at Brunei midnight for the day that just ended (with catchup, so a paused or
new deployment fills the gap), and also triggered when ``scada_ingest`` loads new
readings for a network (Asset ``bnw://scada/<network>``): such a run processes the last
complete local day the new files cover, for each network that changed.

plan (which network/day) -> residuals (simulate the day with measured boundary
conditions; sensor status) -> quality (sensor coverage, residual sanity: fails loudly) ->
detect (causal detector, events, candidate pipes, localizer version) -> daily_map.

Each step is idempotent for its day: re-running a day replaces that day's results only.
XCom carries network names, days and paths; heavy imports happen inside the tasks.
"""
from __future__ import annotations

from _bnw_common import (CATCHUP, LOCAL_TZ, NETWORKS, POOL, START_DATE, default_args, network_of, scada_asset,
                         use_platform_database)
from airflow.sdk import AssetAny, AssetOrTimeSchedule, CronDataIntervalTimetable, Param, dag, task


def local_day(moment) -> str:
    import pendulum

    return pendulum.instance(moment).in_timezone(LOCAL_TZ).date().isoformat()


def last_complete_day(last_ts: str) -> str:
    """The last local day a file ending at ``last_ts`` (its final 5-minute reading) covers fully."""
    import pendulum

    end = pendulum.parse(last_ts).in_timezone(LOCAL_TZ).add(minutes=5)
    return end.subtract(days=1).date().isoformat()


def targets_from_asset_events(triggering_asset_events) -> list[dict]:
    """{network, day} per network announced by ``scada_ingest``: the last complete day its new files cover.

    Events come keyed by what the run was triggered on; events emitted through the alias also
    appear under the alias, so each event's own asset (not the key) names the network.
    """
    latest = {}
    for events in (triggering_asset_events or {}).values():
        for event in events:
            network, extra = network_of(event.asset.uri), event.extra or {}
            if network and extra.get("last_ts"):
                latest[network] = max(latest.get(network, ""), last_complete_day(extra["last_ts"]))
    return [{"network": n, "day": d} for n, d in sorted(latest.items())]


@dag(
    dag_id="leak_daily",
    schedule=AssetOrTimeSchedule(timetable=CronDataIntervalTimetable("0 0 * * *", timezone=LOCAL_TZ),
                                 assets=AssetAny(*(scada_asset(n) for n in NETWORKS))),
    start_date=START_DATE,
    catchup=CATCHUP,
    max_active_runs=1,  # the detector carries state from one day to the next
    default_args=default_args(timeout_minutes=45, retries=2, first_retry_minutes=2),
    params={
        "network": Param(NETWORKS[0], type="string", description="Network name in the store (timed runs)"),
        "day": Param("", type="string", description="Local day YYYY-MM-DD to (re)process; '' = the run's interval"),
        "min_coverage": Param(0.8, type="number", minimum=0, maximum=1,
                              description="Share of expected readings a sensor needs"),
        "max_abs_residual_mean": Param(10.0, type="number", minimum=0, description="m"),
    },
    tags=["leakdet"],
    doc_md=__doc__,
)
def leak_daily():
    @task
    def plan(params=None, data_interval_start=None, triggering_asset_events=None) -> list[dict]:
        if params["day"]:
            return [{"network": params["network"], "day": params["day"]}]
        targets = targets_from_asset_events(triggering_asset_events)
        if targets:
            return targets
        if data_interval_start is None:
            raise ValueError("a manual run without a data interval needs the 'day' param")
        return [{"network": params["network"], "day": local_day(data_interval_start)}]

    @task(pool=POOL, map_index_template="{{ target.network }} {{ target.day }}")
    def residuals(target: dict) -> dict:
        use_platform_database()
        from leakdet.pipeline.daily import compute_residuals

        out = compute_residuals(target["network"], target["day"])
        return {**target, "residuals_path": out["residuals_path"], "flagged": out["flagged"]}

    @task(pool=POOL)
    def quality(res: dict, params=None) -> dict:
        use_platform_database()
        from airflow.sdk.exceptions import AirflowFailException

        from leakdet.pipeline.quality import DataQualityError, Thresholds, check_day

        limits = Thresholds(min_coverage=params["min_coverage"],
                            max_abs_residual_mean=params["max_abs_residual_mean"])
        try:
            check_day(res["network"], res["day"], limits)
        except DataQualityError as exc:
            raise AirflowFailException(str(exc)) from exc   # bad data does not improve on retry
        return res

    @task(pool=POOL)
    def detect(res: dict) -> dict:
        use_platform_database()
        from leakdet.pipeline.daily import detect_day

        return {**res, **detect_day(res["network"], res["day"], res["residuals_path"])}

    @task(pool=POOL)
    def daily_map(det: dict) -> str:
        use_platform_database()
        from leakdet.pipeline.daily import render_day_map

        return render_day_map(det["network"], det["day"])

    daily_map.expand(det=detect.expand(res=quality.expand(res=residuals.expand(target=plan()))))


leak_daily()
