"""scada_ingest: load historian exports that land in each network's inbox folder.

Every 15 minutes, for each configured network (``BNW_NETWORKS``), every ``*.csv`` in
``<inbox>/scada/<network>/`` is loaded into ``water.readings`` (one ``ingest.batches``
row per file, keyed by its SHA-256): a file is processed exactly once, even when the same
content arrives again under another name; a malformed file fails its task and stays put.

When a network received new readings, an event of the Asset ``bnw://scada/<network>``
is emitted (through the alias ``bnw-scada``, so only networks with new data are
announced), carrying the time span loaded; ``leak_daily`` is scheduled on those assets.
"""
from __future__ import annotations

from _bnw_common import NETWORKS, POOL, default_args, inbox, scada_asset, use_platform_database
from airflow.sdk import AssetAlias, CronTriggerTimetable, Param, dag, task

SCADA_ALIAS = AssetAlias("bnw-scada")


@dag(
    dag_id="scada_ingest",
    schedule=CronTriggerTimetable("*/15 * * * *", timezone="Asia/Brunei"),
    start_date=None,
    catchup=False,
    max_active_runs=1,  # two runs picking up the same new file would race for its batch row
    default_args=default_args(timeout_minutes=30),
    params={
        "networks": Param(NETWORKS, type="array", items={"type": "string"}, description="Networks to look for"),
        "inbox_dir": Param("", type="string", description="Root of the per-network folders; '' = configured inbox"),
    },
    tags=["leakdet", "ingest"],
    doc_md=__doc__,
)
def scada_ingest():
    @task
    def networks(params=None) -> list[dict]:
        import os

        root = inbox("scada", params["inbox_dir"])
        return [{"network": n, "folder": os.path.join(root, n)} for n in params["networks"]]

    @task(pool=POOL, map_index_template="{{ target.network }}")
    def ingest(target: dict) -> dict:
        use_platform_database()
        from pathlib import Path

        from leakdet.scada.ingest import ingest_file

        folder = Path(target["folder"])
        files = sorted(folder.glob("*.csv")) if folder.is_dir() else []
        results = [ingest_file(p, target["network"]).as_dict() for p in files]
        loaded = [r for r in results if r["status"] == "loaded"]
        return {"network": target["network"], "files": len(results), "loaded": len(loaded),
                "rows_loaded": sum(r["rows_loaded"] for r in loaded),
                "first_ts": min((r["first_ts"] for r in loaded if r["first_ts"]), default=None),
                "last_ts": max((r["last_ts"] for r in loaded if r["last_ts"]), default=None)}

    @task(outlets=[SCADA_ALIAS])
    def announce(results: list[dict], outlet_events=None) -> list[str]:
        changed = [r for r in results if r["loaded"] and r["last_ts"]]
        for r in changed:
            outlet_events[SCADA_ALIAS].add(scada_asset(r["network"]),
                                           extra={"first_ts": r["first_ts"], "last_ts": r["last_ts"],
                                                  "rows_loaded": r["rows_loaded"]})
        return [r["network"] for r in changed]

    announce(ingest.expand(target=networks()))


scada_ingest()
