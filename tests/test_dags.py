"""DAG integrity: every DAG imports, its files are thin (fast to parse, no heavy imports, no DB
access at parse time), and every task has retries with exponential backoff, a timeout, and
(for database-heavy tasks) a slot of the ``bnw_postgis`` pool."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[1] / "dags"
HEAVY = ("wntr", "sklearn", "xgboost", "geopandas", "folium", "pandas", "psycopg",
         "leakdet", "disaster", "platform_core")
EXPECTED = {"scada_ingest", "leak_daily", "leak_model_refresh", "rain_flood_ingest", "risk_hourly"}
# Tasks that only list folders, plan from params or emit asset events: no pool slot needed.
NO_DB = {("leak_daily", "plan"), ("scada_ingest", "networks"), ("scada_ingest", "announce"),
         ("rain_flood_ingest", "kinds"), ("leak_model_refresh", "simulate")}
DAG_FILES = sorted(p.name for p in DAGS.glob("*.py") if not p.name.startswith("_"))


@pytest.fixture(scope="module")
def dagbag():
    from airflow.models import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_dags_import_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == EXPECTED


def test_every_task_retries_with_backoff_and_times_out(dagbag):
    for dag in dagbag.dags.values():
        for t in dag.tasks:
            name = f"{dag.dag_id}.{t.task_id}"
            assert t.retries >= 1, f"{name} has no retries"
            assert t.retry_exponential_backoff, f"{name} retries without exponential backoff"
            assert t.max_retry_delay is not None, f"{name} has no cap on its retry delay"
            assert t.execution_timeout is not None, f"{name} has no timeout"


def test_database_tasks_take_a_pool_slot(dagbag):
    for dag in dagbag.dags.values():
        for t in dag.tasks:
            if (dag.dag_id, t.task_id) not in NO_DB:
                assert t.pool == "bnw_postgis", f"{dag.dag_id}.{t.task_id} touches PostGIS outside the pool"


def test_leak_daily_runs_on_scada_assets_or_daily_with_catchup(dagbag):
    from airflow.sdk import AssetOrTimeSchedule

    dag = dagbag.dags["leak_daily"]
    assert isinstance(dag.timetable, AssetOrTimeSchedule)
    assert dag.catchup and dag.max_active_runs == 1
    uris = {a.uri for a in dag.timetable.asset_condition.objects}
    assert uris == {"bnw://scada/brunei-muara-demo"}         # BNW_NETWORKS default: one asset per network


def test_leak_daily_plans_the_last_complete_day_of_new_files():
    sys.path.insert(0, str(DAGS))
    from leak_daily import last_complete_day

    assert last_complete_day("2024-06-03T15:55:00+00:00") == "2024-06-03"     # 23:55 Brunei: day complete
    assert last_complete_day("2024-06-03T12:00:00+00:00") == "2024-06-02"     # 20:00 Brunei: day still open


def test_leak_daily_targets_each_announced_network_once():
    from types import SimpleNamespace as Event

    sys.path.insert(0, str(DAGS))
    from leak_daily import targets_from_asset_events

    def event(network, last_ts):
        return Event(asset=Event(uri=f"bnw://scada/{network}"), extra={"last_ts": last_ts})

    a1, a2, b = event("a", "2024-06-02T15:55:00+00:00"), event("a", "2024-06-03T15:55:00+00:00"), \
        event("b", "2024-06-03T12:00:00+00:00")
    # The same events arrive under the alias and under the assets; other assets are ignored.
    events = {"alias bnw-scada": [a1, a2, b], "asset a": [a1, a2], "asset b": [b],
              "other": [Event(asset=Event(uri="s3://x"), extra={"last_ts": "2024-06-03T15:55:00+00:00"})]}
    assert targets_from_asset_events(events) == [{"network": "a", "day": "2024-06-03"},
                                                 {"network": "b", "day": "2024-06-02"}]
    assert targets_from_asset_events(None) == []


def test_connection_becomes_the_platform_database_url():
    sys.path.insert(0, str(DAGS))
    from _bnw_common import database_url_from_connection

    assert database_url_from_connection("postgresql://u:p%40ss@db:5432/bnw") == "postgresql+psycopg://u:p%40ss@db:5432/bnw"
    assert database_url_from_connection("postgres://u@db/bnw") == "postgresql+psycopg://u@db/bnw"
    with pytest.raises(ValueError, match="not a PostgreSQL connection"):
        database_url_from_connection("mysql://u@db/bnw")


PROBE = """
import json, runpy, sys, time
sys.path.insert(0, sys.argv[1])
import airflow.sdk                      # paid once by the DAG processor, not per file
out = {}
for path in sys.argv[2:]:
    before = set(sys.modules)
    t = time.perf_counter()
    runpy.run_path(path)
    out[path] = [time.perf_counter() - t, sorted(set(sys.modules) - before)]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def parse_probe():
    """Parse every DAG file in a clean interpreter, as the DAG processor does; the unreachable
    DATABASE_URL makes any database access at parse time fail."""
    env = {**os.environ, "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    files = [str(DAGS / f) for f in DAG_FILES]
    out = subprocess.run([sys.executable, "-c", PROBE, str(DAGS), *files], capture_output=True, text=True,
                         check=True, env=env)
    return {Path(k).name: v for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items()}


@pytest.mark.parametrize("dag_file", DAG_FILES)
def test_dag_files_parse_fast_without_heavy_imports(parse_probe, dag_file):
    seconds, new_modules = parse_probe[dag_file]
    heavy = sorted({m.split(".")[0] for m in new_modules if m.split(".")[0] in HEAVY or m in HEAVY})
    assert heavy == [], f"{dag_file} imports heavy modules at parse time: {heavy}"
    # Typically 0.1-0.5 s; the bound leaves room for a loaded CI machine (one heavy import alone,
    # wntr or geopandas, costs several seconds).
    assert seconds < 3.0, f"{dag_file} takes {seconds:.2f} s to parse (beyond airflow.sdk itself)"
