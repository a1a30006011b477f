"""leak_model_refresh with dag.test(): the library as mapped batches, the localizer it stores,
and the daily run recording that version with its events.

The distributed refresh must train exactly the model ``leakdet train`` trains in one
process on the same options: the stored version is a hash of the fitted model.
"""
from __future__ import annotations

import os
from pathlib import Path

import pendulum
import pytest
from sqlalchemy import text

from helpers import import_net1_with_scada

DAGS = Path(__file__).resolve().parents[1] / "dags"
NET = "net1-refresh"
SMALL = {"sizes_lps": [10.0], "hours": [3], "n_models": 2, "batch_size": 5, "n_estimators": 20}


@pytest.fixture(scope="module")
def dags(db_url, tmp_path_factory):
    from airflow.models import DagBag
    from airflow.utils import db as airflow_db

    os.environ["AIRFLOW_CONN_BNW_POSTGIS"] = db_url.replace("postgresql+psycopg://", "postgresql://")
    airflow_db.initdb()
    import_net1_with_scada(tmp_path_factory.mktemp("net"), NET, "2024-06-01 00:00", 3,
                           leak_node="22", leak_from_step=288 + 100)
    return DagBag(dag_folder=str(DAGS))


def test_plan_batches_specs_are_small_and_cover_the_library(dags):
    import pickle

    from leakdet.pipeline.model_refresh import plan_batches

    specs = plan_batches(NET, run_key="t", sizes_lps=[10.0], hours=[3], n_models=2, batch_size=5)
    assert len(specs) == 6                               # 12 pipes -> batches of 5, 5, 2 per model, 2 models
    assert [s["model"] for s in specs] == [0, 0, 0, 1, 1, 1]
    assert specs[0]["scenario_ids"] == [0, 4] and specs[-1]["scenario_ids"] == [22, 23]
    assert max(len(pickle.dumps(s)) for s in specs) < 1000
    with pytest.raises(ValueError, match="unknown library options"):
        plan_batches(NET, sizes=[1.0])


def test_model_refresh_maps_batches_and_stores_the_model_train_would(dags):
    from leakdet.pipeline.train import train_localizer
    from platform_core.db import get_engine

    run = dags.get_dag("leak_model_refresh").test(run_conf={"network": NET, **SMALL})
    assert run.state == "success"
    tis = run.get_task_instances()
    assert sorted(ti.map_index for ti in tis if ti.task_id == "simulate") == list(range(6))
    fitted = next(ti for ti in tis if ti.task_id == "fit").xcom_pull(task_ids="fit")
    assert fitted["version"].startswith("xgb-") and fitted["n_scenarios"] == 24

    # EPANET starts each solve from the previous one's state, so equal batches give bit-equal drops.
    single = train_localizer(NET, workers=1, **{k: (tuple(v) if isinstance(v, list) else v) for k, v in SMALL.items()})
    assert single["version"] == fitted["version"]       # same library, same model, same hash

    for day in (2, 3, 4):
        run = dags.get_dag("leak_daily").test(logical_date=pendulum.datetime(2024, 6, day, tz="Asia/Brunei"),
                                               run_conf={"network": NET})
        assert run.state == "success"
    with get_engine().connect() as conn:
        versions = conn.execute(text("SELECT DISTINCT e.model_version FROM water.leak_events e "
                                     "JOIN water.networks n ON n.id = e.network_id WHERE n.name = :n"),
                                {"n": NET}).scalars().all()
    assert versions == [fitted["version"] + "+correlation"]      # the ensemble of learned and classical
