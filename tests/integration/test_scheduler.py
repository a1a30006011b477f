"""A real scheduler, DAG processor and API server with the LocalExecutor on a PostgreSQL
metadata database:

- scada_ingest triggered through the REST API loads an export from the inbox, and the Asset
  event it emits makes the scheduler start leak_daily for the last complete day of that file;
- leak_daily triggered through the REST API for one chosen day;
- the demo week (the days ``make demo`` runs, on the Brunei-Muara demonstration network and
  its leaks) backfilled through the scheduler leaves exactly the results of running the same
  days one by one (computed in-process on a twin network meanwhile).

The services start once for the module: starting them costs more than a test's runs."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from helpers import import_net1_network, leak_state, net1_scada_csv
from stack import Stack, dags_folder

TRIG = "net1-trig"


@pytest.fixture(scope="module")
def stack(metadata, tmp_path_factory):
    env, home = metadata
    tmp_path = tmp_path_factory.mktemp("scheduler")
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


def test_asset_and_rest_triggered_runs(stack, tmp_path):
    from platform_core.db import get_engine

    export = net1_scada_csv(tmp_path / "export.csv", "2024-06-01 00:00", 3, leak_node="22", leak_from_step=288 + 100)
    import_net1_network(tmp_path, TRIG)
    inbox = Path(stack.env["BNW_INBOX_DIR"]) / "scada" / TRIG
    inbox.mkdir(parents=True)
    export.rename(inbox / "historian.csv")
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


def backfill_runs(stack, network: str) -> list[dict]:
    runs = stack.api("GET", "/api/v2/dags/leak_daily/dagRuns?run_type=backfill&limit=100")["dag_runs"]
    return [r for r in runs if (r.get("conf") or {}).get("network") == network]


def test_demo_week_backfill(stack, tmp_path):
    """The demo's week of history runs day by day; then the demo week (6-12 January 2025, the
    two leaks) is backfilled through the scheduler and must match the demo's own daily runs."""
    from datetime import timedelta

    import pandas as pd

    from hydraulic_models.brunei_muara import DEMO_DAYS, DEMO_LEAKS, DEMO_START, ORIGIN, SENSOR_MAP, network_path
    from leakdet.network.georef import Georeference
    from leakdet.network.inp_import import import_network
    from leakdet.network.sensor_map import import_sensor_map
    from leakdet.pipeline.daily import run_range
    from leakdet.pipeline.synthetic import simulate_stored_network
    from leakdet.scada.ingest import ingest_file
    from platform_core.db import get_engine

    back, ref = "demo-back", "demo-ref"
    for name in (back, ref):
        import_network(network_path(), name, Georeference(origin=ORIGIN, anchor="centre"))
        import_sensor_map(SENSOR_MAP, name)
    end = DEMO_START + timedelta(days=DEMO_DAYS)
    simulate_stored_network(back, DEMO_START.isoformat(), end.isoformat(), tmp_path / "scada", DEMO_LEAKS, seed=7)
    for f in sorted((tmp_path / "scada").glob("scada_*.csv")):
        for name in (back, ref):
            ingest_file(f, name)
    week = DEMO_START + timedelta(days=DEMO_DAYS - 7)           # Monday 6 January 2025
    run_range(back, DEMO_START, week - timedelta(days=1), maps=False)   # the history week, day by day

    # Logical dates are the intervals' starts: Brunei midnight of each day, 16:00 UTC the day before.
    first = pd.Timestamp(week).tz_localize("Asia/Brunei").tz_convert("UTC")
    stack.wait_ready(["leak_daily"])
    # One backfill per DAG at a time: an earlier one is closed by the scheduler after its runs end.
    stack.wait("earlier leak_daily backfills to close", lambda: all(
        b.get("completed_at") for b in stack.api("GET", "/api/v2/backfills?dag_id=leak_daily")["backfills"]), 120)
    stack.api("POST", "/api/v2/backfills", {
        "dag_id": "leak_daily", "from_date": first.isoformat(), "to_date": (first + pd.Timedelta(days=6)).isoformat(),
        "dag_run_conf": {"network": back}, "max_active_runs": 1, "reprocess_behavior": "none",
        "run_backwards": False})
    run_range(ref, DEMO_START, end - timedelta(days=1), maps=False)   # meanwhile, in-process

    def done():
        states = [r["state"] for r in backfill_runs(stack, back)]
        assert "failed" not in states, stack.tails()
        return len(states) == 7 and set(states) == {"success"}

    stack.wait("the demo-week backfill", done, 900, every=5)
    with get_engine().connect() as conn:
        backfilled, reference = leak_state(conn, back), leak_state(conn, ref)
    assert backfilled["detector_state"][0] == DEMO_DAYS
    assert backfilled["leak_events"][0] >= 1            # the demo week's leaks were found
    assert backfilled == reference
    maps = Path(stack.env["BNW_REPORTS_DIR"]) / "leaks" / back
    assert len(list(maps.glob("2025-01-*.html"))) == 7  # each backfilled day rendered its map
