"""A real scheduler, DAG processor and API server with the LocalExecutor on a PostgreSQL
metadata database:

- scada_ingest triggered through the REST API loads an export from the inbox, and the Asset
  event it emits makes the scheduler start leak_daily for the last complete day of that file;
- leak_daily triggered through the REST API for one chosen day;
- a three-day backfill on a twin network leaves exactly the results of running the same
  days one after the other (computed here in-process on a third copy of the network)."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from helpers import import_net1_network, leak_state, net1_scada_csv
from stack import Stack, dags_folder

TRIG, BACK, REF = "net1-trig", "net1-back", "net1-ref"


@pytest.fixture()
def stack(metadata, tmp_path):
    env, home = metadata
    s = Stack({**env, "AIRFLOW__CORE__EXECUTOR": "LocalExecutor", "BNW_NETWORKS": TRIG,
               "BNW_INBOX_DIR": str(tmp_path / "inbox"),
               "AIRFLOW__CORE__DAGS_FOLDER": dags_folder(home / "dags-local", "leak_daily", "scada_ingest")},
              home / "logs-local")
    s.start("scheduler", "scheduler")
    s.start("dag-processor", "dag-processor")
    s.start("api-server", "api-server")
    try:
        yield s
    finally:
        s.stop()


def test_triggered_run_and_backfill_equal_daily_runs(stack, tmp_path):
    from leakdet.pipeline.daily import run_range
    from leakdet.scada.ingest import ingest_file
    from platform_core.db import get_engine

    export = net1_scada_csv(tmp_path / "export.csv", "2024-06-01 00:00", 3, leak_node="22", leak_from_step=288 + 100)
    for name in (TRIG, BACK, REF):
        import_net1_network(tmp_path, name)
    for name in (BACK, REF):
        ingest_file(export, name)
    (tmp_path / "inbox" / "scada" / TRIG).mkdir(parents=True)
    export.rename(tmp_path / "inbox" / "scada" / TRIG / "historian.csv")
    stack.wait_ready(["leak_daily", "scada_ingest"])

    # New readings arrive: the ingest run announces the network's Asset, which starts leak_daily.
    run_id = stack.trigger("scada_ingest", None, {"networks": [TRIG]})
    stack.wait_run("scada_ingest", run_id)

    def asset_run():
        runs = stack.api("GET", "/api/v2/dags/leak_daily/dagRuns?run_type=asset_triggered")["dag_runs"]
        assert all(r["state"] != "failed" for r in runs), stack.tails()
        return [r for r in runs if r["state"] == "success"]

    stack.wait("the asset-triggered leak_daily run", asset_run, 240, every=3)
    with get_engine().connect() as conn:
        days = conn.execute(text("SELECT d.as_of_day::text FROM water.detector_state d JOIN water.networks n "
                                 "ON n.id = d.network_id WHERE n.name = :n"), {"n": TRIG}).scalars().all()
    assert days == ["2024-06-03"]                        # the export's last complete local day

    # A manual run for a chosen day, through the REST API (the day as a param: no logical date needed).
    run_id = stack.trigger("leak_daily", None, {"network": TRIG, "day": "2024-06-01"})
    stack.wait_run("leak_daily", run_id)
    with get_engine().connect() as conn:
        assert leak_state(conn, TRIG)["detector_state"][0] == 2

    # A backfill of three local days (logical dates are the intervals' starts, Brunei midnight).
    backfill = stack.api("POST", "/api/v2/backfills", {
        "dag_id": "leak_daily", "from_date": "2024-05-31T16:00:00Z", "to_date": "2024-06-02T16:00:00Z",
        "dag_run_conf": {"network": BACK}, "max_active_runs": 1, "reprocess_behavior": "none",
        "run_backwards": False})
    run_range(REF, "2024-06-01", "2024-06-03")          # the same days one by one, meanwhile, in-process

    def backfill_done():
        runs = stack.api("GET", "/api/v2/dags/leak_daily/dagRuns?run_type=backfill&limit=50")["dag_runs"]
        states = [r["state"] for r in runs if (r.get("conf") or {}).get("network") == BACK]
        assert "failed" not in states, stack.tails()
        return len(states) == 3 and set(states) == {"success"}

    stack.wait(f"backfill {backfill['id']}", backfill_done, 400, every=5)
    with get_engine().connect() as conn:
        backfilled, reference = leak_state(conn, BACK), leak_state(conn, REF)
    assert backfilled["detector_state"][0] == 3 and backfilled["leak_events"][0] >= 1
    assert backfilled == reference
