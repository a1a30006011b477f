"""DAG integrity (imports, thin files, retries and timeouts) and a dag.test() run of leak_daily."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from helpers import import_net1_with_scada

DAGS = Path(__file__).resolve().parents[1] / "dags"
HEAVY = ("wntr", "sklearn", "xgboost", "geopandas", "folium", "leakdet", "disaster")


@pytest.fixture(scope="module")
def dagbag():
    from airflow.models import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_dags_import_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert "leak_daily" in dagbag.dags


def test_every_task_has_retries_and_timeout(dagbag):
    for dag in dagbag.dags.values():
        for t in dag.tasks:
            assert t.retries >= 1, f"{dag.dag_id}.{t.task_id} has no retries"
            assert t.execution_timeout is not None, f"{dag.dag_id}.{t.task_id} has no timeout"


@pytest.mark.parametrize("dag_file", sorted(p.name for p in DAGS.glob("*.py") if not p.name.startswith("_")))
def test_dag_files_import_no_heavy_modules(dag_file):
    probe = ("import runpy, sys, time; t = time.perf_counter(); "
             f"runpy.run_path({str(DAGS / dag_file)!r}); dt = time.perf_counter() - t; "
             f"print(dt); print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[1] == "", f"{dag_file} imports heavy modules at parse time: {out[1]}"


def test_leak_daily_dag_test_run(db_url, tmp_path):
    import pendulum
    from airflow.utils import db as airflow_db
    from airflow.models import DagBag

    airflow_db.initdb()
    import_net1_with_scada(tmp_path, "net1-dag", "2024-06-01 00:00", 2, leak_node="22", leak_from_step=288 + 100)
    dag = DagBag(dag_folder=str(DAGS)).get_dag("leak_daily")
    # A run triggered at Brunei midnight processes the local day that just ended.
    for day in (2, 3):
        run = dag.test(logical_date=pendulum.datetime(2024, 6, day, tz="Asia/Brunei"),
                       run_conf={"network": "net1-dag"})
        assert run.state == "success"
    from platform_core.db import get_engine

    with get_engine().connect() as conn:
        states = conn.execute(text("SELECT count(*) FROM water.detector_state ds JOIN water.networks n "
                                   "ON n.id = ds.network_id WHERE n.name = 'net1-dag'")).scalar()
        status = conn.execute(text("SELECT count(*) FROM water.sensor_day_status")).scalar()
    assert states == 2 and status >= 8
    reports = Path(os.environ["BNW_REPORTS_DIR"]) / "leaks" / "net1-dag"
    assert (reports / "2024-06-01.html").exists() and (reports / "2024-06-02.html").exists()


def test_risk_hourly_dag_test_run(db_url, tmp_path):
    import pendulum
    from airflow.models import DagBag
    from airflow.utils import db as airflow_db

    from disaster import pipeline

    airflow_db.initdb()
    pipeline.load_demo_areas()
    landing = tmp_path / "rain"
    landing.mkdir()
    (landing / "g.csv").write_text("station,lat,lon,time,mm\nDAG-1,4.89,114.94,2025-04-01 09:00,42\n")
    dag = DagBag(dag_folder=str(DAGS)).get_dag("risk_hourly")
    run = dag.test(logical_date=pendulum.datetime(2025, 4, 1, 9, tz="Asia/Brunei"), run_conf={"rain_dir": str(landing)})
    assert run.state == "success"
    from platform_core.db import get_engine

    with get_engine().connect() as conn:
        levels = conn.execute(text(
            "SELECT DISTINCT r.level FROM hazard.risk_scores r WHERE r.ts = '2025-04-01 01:00+00'")).scalars().all()
    assert "orange" in levels                      # 42 mm in one hour near the gauge
    assert (Path(os.environ["BNW_REPORTS_DIR"]) / "risk" / "risk_20250401T0900.html").exists()
