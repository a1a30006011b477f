"""rain_flood_ingest and risk_hourly run with dag.test() against PostGIS.

A gauge file arrives twice (two names, same content): loaded once; the freshness check
passes for that hour and fails loudly hours later. risk_hourly then scores the hour,
issues the CAP Alert and the Atom feed, and draws the risk map; re-running the hour
issues nothing new.
"""
from __future__ import annotations

import os
from pathlib import Path

import pendulum
import pytest
from sqlalchemy import text

DAGS = Path(__file__).resolve().parents[1] / "dags"
GAUGE = "station,lat,lon,time,mm\nDAG-1,4.89,114.94,2025-04-01 09:00,42\n"


@pytest.fixture(scope="module")
def dags(db_url):
    from airflow.models import DagBag
    from airflow.utils import db as airflow_db

    from disaster import pipeline

    os.environ["AIRFLOW_CONN_BNW_POSTGIS"] = db_url.replace("postgresql+psycopg://", "postgresql://")
    airflow_db.initdb()
    pipeline.load_demo_areas()
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    return bag


def _scalar(sql: str):
    from platform_core.db import get_engine

    with get_engine().connect() as conn:
        return conn.execute(text(sql)).scalar()


def test_rain_flood_ingest_once_and_freshness(dags, tmp_path):
    (tmp_path / "rain_gauge").mkdir()
    (tmp_path / "rain_gauge" / "g.csv").write_text(GAUGE)
    (tmp_path / "rain_gauge" / "g-again.csv").write_text(GAUGE)
    dag = dags.get_dag("rain_flood_ingest")
    conf = {"inbox_dir": str(tmp_path), "kinds": ["rain_gauge"], "max_age_minutes": 60}
    # Other test files on this worker may have loaded rain-gauge batches into the session database.
    batches = "SELECT count(*) FROM ingest.batches WHERE source = 'rain_gauge'"
    before = _scalar(batches)
    # The 09:00-09:15 interval (Brunei): the 09:00 reading is fresh.
    run = dag.test(logical_date=pendulum.datetime(2025, 4, 1, 9, tz="Asia/Brunei"), run_conf=conf)
    assert run.state == "success"
    assert _scalar(batches) == before + 1           # the identical second file is not loaded again
    assert _scalar("SELECT count(*) FROM hazard.rainfall_obs WHERE station_id = 'DAG-1'") == 1
    # Three hours on, nothing new arrived: the freshness check fails the run.
    run = dag.test(logical_date=pendulum.datetime(2025, 4, 1, 12, tz="Asia/Brunei"), run_conf=conf)
    assert run.state == "failed"
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states == {"kinds": "success", "ingest": "success", "freshness": "failed"}


def test_risk_hourly_scores_issues_bulletins_and_maps(dags, tmp_path):
    from disaster.pipeline import ingest_feed

    (tmp_path / "g.csv").write_text(GAUGE)
    ingest_feed(tmp_path / "g.csv", "rain_gauge")             # already loaded above, or loaded now
    dag = dags.get_dag("risk_hourly")
    for _ in range(2):                                         # the second run is a re-run of the hour
        run = dag.test(logical_date=pendulum.datetime(2025, 4, 1, 9, tz="Asia/Brunei"))
        assert run.state == "success"
    levels = _scalar("SELECT array_agg(DISTINCT level) FROM hazard.risk_scores WHERE ts = '2025-04-01 01:00+00'")
    assert "orange" in levels                                  # 42 mm in one hour near the gauge
    assert _scalar("SELECT count(*) FROM hazard.bulletins") >= 1
    reports = Path(os.environ["BNW_REPORTS_DIR"])
    assert (reports / "risk" / "risk_20250401T0900.html").exists()
    assert (reports / "bulletins" / "bulletins.atom").exists()
    assert list((reports / "bulletins").rglob("*.xml")), "no CAP message written"


def test_ingest_feed_rejects_unknown_kind(db_url, tmp_path):
    from disaster.errors import DisasterError
    from disaster.pipeline import ingest_feed

    with pytest.raises(DisasterError, match="feed kind 'satellite' is not supported"):
        ingest_feed(tmp_path / "x.nc", "satellite")
