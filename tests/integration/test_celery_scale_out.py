"""Scale-out: leak_model_refresh's mapped scenario batches on two Celery workers (Redis broker
on a dedicated database index); the task instances record which worker ran them."""
from __future__ import annotations

import pytest

from helpers import import_net1_network
from stack import Stack, dags_folder

REDIS_DB = 11
NET = "net1-celery"


@pytest.fixture()
def stack(metadata):
    import redis

    env, home = metadata
    broker = f"redis://127.0.0.1:6379/{REDIS_DB}"
    redis.Redis.from_url(broker).flushdb()            # this test's own index only
    meta = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    s = Stack({**env, "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor", "AIRFLOW__CELERY__BROKER_URL": broker,
               "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + meta.replace("+psycopg2", ""),
               "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
               "AIRFLOW__CORE__DAGS_FOLDER": dags_folder(home / "dags-celery", "leak_model_refresh")},
              home / "logs-celery")
    s.start("scheduler", "scheduler")
    s.start("dag-processor", "dag-processor")
    s.start("api-server", "api-server")
    tests_dir = str(__import__("pathlib").Path(__file__).parent)
    for name in ("w1", "w2"):
        s.start(f"worker-{name}", "celery", "worker", "--concurrency", "1", "--celery-hostname", f"{name}@%h",
                BNW_WORKER_NAME=name, PYTHONPATH=tests_dir,
                AIRFLOW__CORE__HOSTNAME_CALLABLE="_worker_name.worker_name")
    try:
        yield s
    finally:
        s.stop()
        redis.Redis.from_url(broker).flushdb()


def test_mapped_batches_run_on_both_workers(stack, tmp_path):
    from platform_core.db import get_engine
    from sqlalchemy import text

    import_net1_network(tmp_path, NET)
    stack.wait_ready(["leak_model_refresh"])
    run_id = stack.trigger("leak_model_refresh", None, {
        "network": NET, "sizes_lps": [10.0], "hours": [3], "n_models": 2, "batch_size": 4, "n_estimators": 20})
    stack.wait_run("leak_model_refresh", run_id, timeout=300)

    tis = stack.api("GET", f"/api/v2/dags/leak_model_refresh/dagRuns/{run_id}/taskInstances?limit=100")
    simulate = [t for t in tis["task_instances"] if t["task_id"] == "simulate"]
    assert len(simulate) == 6                                  # 24 scenarios in batches of 4
    assert {t["hostname"] for t in simulate} == {"w1", "w2"}    # the batches spread over both workers
    assert all(t["state"] == "success" for t in simulate)
    with get_engine().connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM water.localizer_models m JOIN water.networks n "
                                   "ON n.id = m.network_id WHERE n.name = :n"), {"n": NET}).scalar()
    assert stored == 1
