"""scada_ingest and leak_daily run with dag.test() against PostGIS on Net1.

A historian export lands in the inbox (twice, under two names): it is loaded once and
announces the network's Asset. Three daily runs, a re-run of a day and the batch CLI over
the same days are compared table by table (row counts and md5 of ordered rows).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pendulum
import pytest
from sqlalchemy import text

from helpers import import_net1_network, leak_state, net1_scada_csv

DAGS = Path(__file__).resolve().parents[1] / "dags"
# Network names unique to this module: another module may share the worker's database.
NET, TWIN = "net1-dag-daily", "net1-dag-batch"


@pytest.fixture(scope="module")
def dags(db_url, tmp_path_factory):
    """The DAGs, a migrated Airflow metadata DB, and the platform DB as the bnw_postgis connection."""
    from airflow.models import DagBag
    from airflow.utils import db as airflow_db

    os.environ["AIRFLOW_CONN_BNW_POSTGIS"] = db_url.replace("postgresql+psycopg://", "postgresql://")
    airflow_db.initdb()
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    return bag


@pytest.fixture(scope="module")
def inbox(dags, tmp_path_factory):
    """Net1 twice (same data), and three days of readings with a leak from day 2 in NET's inbox."""
    tmp = tmp_path_factory.mktemp("scada")
    for name in (NET, TWIN):
        import_net1_network(tmp, name)
    export = net1_scada_csv(tmp / "export.csv", "2024-06-01 00:00", 3, leak_node="22", leak_from_step=288 + 100)
    root = tmp / "inbox"
    (root / "scada" / NET).mkdir(parents=True)
    shutil.copy(export, root / "scada" / NET / "historian-0601.csv")
    shutil.copy(export, root / "scada" / NET / "historian-0601-resent.csv")   # the same file sent twice
    return root, export


def _engine():
    from platform_core.db import get_engine

    return get_engine()


def test_scada_ingest_loads_each_file_once_and_announces_the_network(dags, inbox):
    root, _ = inbox
    dag = dags.get_dag("scada_ingest")
    conf = {"networks": [NET, TWIN], "inbox_dir": str(root / "scada")}
    for minute in (0, 15):                                   # the second run finds nothing new
        run = dag.test(logical_date=pendulum.datetime(2024, 6, 4, 0, minute, tz="Asia/Brunei"), run_conf=conf)
        assert run.state == "success"
    with _engine().connect() as conn:
        batches = conn.execute(text("SELECT count(*), sum(rows_loaded) FROM ingest.batches "
                                    "WHERE source = 'scada' AND scope = :n"), {"n": NET}).one()
        readings = conn.execute(text("SELECT count(*) FROM water.readings r JOIN water.sensors s ON s.id = r.sensor_pk "
                                     "JOIN water.networks n ON n.id = s.network_id WHERE n.name = :n"),
                                {"n": NET}).scalar()
    assert batches[0] == 1 and batches[1] == readings == 3 * 288 * 6
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        events = session.execute(select(AssetModel.uri, AssetEvent.extra).join(AssetEvent.asset)).all()
    assert [uri for uri, _ in events] == [f"bnw://scada/{NET}"]          # once, and not for the empty TWIN inbox
    assert events[0][1]["last_ts"].startswith("2024-06-03T15:55")       # 23:55 Brunei time on 3 June


def test_leak_daily_runs_rerun_and_batch_equivalence(dags, inbox):
    from leakdet.pipeline.daily import run_range
    from leakdet.scada.ingest import ingest_file

    dag = dags.get_dag("leak_daily")
    # A run at Brunei midnight processes the local day that just ended.
    for day in (2, 3, 4):
        run = dag.test(logical_date=pendulum.datetime(2024, 6, day, tz="Asia/Brunei"), run_conf={"network": NET})
        assert run.state == "success"
    with _engine().connect() as conn:
        after_three = leak_state(conn, NET)
        versions = conn.execute(text(
            """SELECT DISTINCT e.model_version FROM water.leak_events e JOIN water.networks n ON n.id = e.network_id
               WHERE n.name = :n"""), {"n": NET}).scalars().all()
    assert after_three["detector_state"][0] == 3 and after_three["sensor_day_status"][0] == 3 * 4   # pressure loggers
    assert after_three["leak_events"][0] >= 1 and versions == ["correlation-v1"]
    reports = Path(os.environ["BNW_REPORTS_DIR"]) / "leaks" / NET
    assert sorted(p.name for p in reports.glob("*.html")) == ["2024-06-01.html", "2024-06-02.html", "2024-06-03.html"]

    # Re-running a day (the middle one, by its param) changes nothing.
    run = dag.test(logical_date=pendulum.datetime(2024, 6, 3, 0, 1, tz="Asia/Brunei"),
                   run_conf={"network": NET, "day": "2024-06-02"})
    assert run.state == "success"
    with _engine().connect() as conn:
        assert leak_state(conn, NET) == after_three

    # The same days through the batch CLI function on a twin network give the same results.
    ingest_file(inbox[1], TWIN)
    run_range(TWIN, "2024-06-01", "2024-06-03")
    with _engine().connect() as conn:
        assert leak_state(conn, TWIN) == after_three


def test_leak_daily_quality_check_stops_a_bad_day(dags, inbox):
    dag = dags.get_dag("leak_daily")
    with _engine().connect() as conn:
        before = leak_state(conn, NET)
    # A residual-mean bound of 0 m cannot be met: the check fails and detection does not run.
    run = dag.test(logical_date=pendulum.datetime(2024, 6, 3, 0, 2, tz="Asia/Brunei"),
                   run_conf={"network": NET, "day": "2024-06-02", "max_abs_residual_mean": 0.0})
    assert run.state == "failed"
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states["quality"] == "failed" and states["detect"] == "upstream_failed"
    with _engine().connect() as conn:
        assert leak_state(conn, NET) == before
