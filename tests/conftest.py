"""Test fixtures: a real, freshly migrated PostGIS database per test session.

The server is the one ``make test`` ensured (``DATABASE_URL`` or the local cluster);
each session creates its own database so parallel runs and the demo never collide.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Airflow reads its configuration at import: give every test process its own home and
# metadata DB before anything imports it, and keep the example DAGs out.
_AIRFLOW_HOME = tempfile.mkdtemp(prefix="bnw-airflow-")
os.environ["AIRFLOW_HOME"] = _AIRFLOW_HOME
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(Path(__file__).resolve().parents[1] / "dags")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")
# The DAG processor puts the bundle folder on sys.path (so DAGs can share dags/_bnw_common.py);
# dag.test() parses in this process, so do the same here.
import sys

sys.path.insert(0, os.environ["AIRFLOW__CORE__DAGS_FOLDER"])

import pytest

# Integration tests start real Airflow services (``make test-integration``); ``make test`` skips them.
collect_ignore = [] if os.environ.get("BNW_INTEGRATION") == "1" else ["integration"]

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_file(*parts: str) -> Path:
    """A file from ../shared/data, or skip the test cleanly when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference data {path} not available")
    return path


@pytest.fixture(scope="session")
def db_url(tmp_path_factory) -> str:
    os.environ.setdefault("BNW_REPORTS_DIR", str(tmp_path_factory.mktemp("reports")))
    os.environ.setdefault("BNW_WORK_DIR", str(tmp_path_factory.mktemp("work")))
    from platform_core.db import temporary_database

    with temporary_database("bnw_test") as url:
        yield url


@pytest.fixture()
def engine(db_url):
    from platform_core.db import get_engine

    return get_engine(db_url)
