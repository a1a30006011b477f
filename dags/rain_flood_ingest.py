"""rain_flood_ingest: every 15 minutes, load the disaster feeds' new files and check freshness.

One mapped task per feed kind (``BNW_FEED_KINDS``, default ``rain_gauge``) loads every
file in ``<inbox>/<kind>/`` through ``disaster.pipeline.ingest_feed``, which records each
file's SHA-256: a file is loaded exactly once. Then a freshness check per kind fails the
run loudly when the kind's newest observation is older than ``max_age_minutes`` at the
end of the run's interval.
"""
from __future__ import annotations

from _bnw_common import FEED_KINDS, POOL, default_args, inbox, use_platform_database
from airflow.sdk import CronDataIntervalTimetable, Param, dag, task


@dag(
    dag_id="rain_flood_ingest",
    schedule=CronDataIntervalTimetable("*/15 * * * *", timezone="Asia/Brunei"),
    start_date=None,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(timeout_minutes=10, retries=3, first_retry_minutes=0.5, max_retry_minutes=5),
    params={
        "kinds": Param(FEED_KINDS, type="array", items={"type": "string"}, description="Feed kinds to ingest"),
        "inbox_dir": Param("", type="string", description="Root of the per-kind folders; '' = configured inbox"),
        "max_age_minutes": Param(180, type="integer", minimum=1, description="Allowed age of each feed's newest data"),
    },
    tags=["disaster", "ingest"],
    doc_md=__doc__,
)
def rain_flood_ingest():
    @task
    def kinds(params=None) -> list[dict]:
        import os

        root = params["inbox_dir"]
        return [{"kind": k, "folder": os.path.join(root, k) if root else inbox(k)} for k in params["kinds"]]

    @task(pool=POOL, map_index_template="{{ feed.kind }}")
    def ingest(feed: dict) -> dict:
        use_platform_database()
        from pathlib import Path

        from disaster.pipeline import ingest_feed

        folder = Path(feed["folder"])
        files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")) \
            if folder.is_dir() else []
        results = [ingest_feed(p, feed["kind"]) for p in files]
        return {**feed, "files": len(results), "loaded": sum(r["status"] == "loaded" for r in results)}

    @task(pool=POOL, map_index_template="{{ feed.kind }}")
    def freshness(feed: dict, params=None, data_interval_end=None) -> dict:
        use_platform_database()
        import pandas as pd
        from airflow.sdk.exceptions import AirflowFailException

        from disaster.quality import StaleFeedError, feed_freshness

        try:
            return feed_freshness(feed["kind"], data_interval_end, pd.Timedelta(minutes=params["max_age_minutes"]))
        except StaleFeedError as exc:
            raise AirflowFailException(str(exc)) from exc

    freshness.expand(feed=ingest.expand(feed=kinds()))


rain_flood_ingest()
