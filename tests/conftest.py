"""Test fixtures: a real, freshly migrated PostGIS database per test session.

The server is the one ``make test`` ensured (``DATABASE_URL`` or the local cluster);
each session creates its own database so parallel runs and the demo never collide.
"""
from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

# Airflow reads its configuration at import: give every test process its own home and
# metadata DB before anything imports it, and keep the example DAGs out.
_AIRFLOW_HOME = tempfile.mkdtemp(prefix="bnw-airflow-")
os.environ["AIRFLOW_HOME"] = _AIRFLOW_HOME
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(Path(__file__).resolve().parents[1] / "dags")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from platform_core.settings import DEFAULT_DATABASE_URL, _normalise_url

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_file(*parts: str) -> Path:
    """A file from ../shared/data, or skip the test cleanly when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference data {path} not available")
    return path


@pytest.fixture(scope="session")
def db_url(tmp_path_factory) -> str:
    base = make_url(_normalise_url(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)))
    name = f"bnw_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    old = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("BNW_REPORTS_DIR", str(tmp_path_factory.mktemp("reports")))
    os.environ.setdefault("BNW_WORK_DIR", str(tmp_path_factory.mktemp("work")))
    from platform_core.db import get_engine, migrate

    migrate(url)
    yield url
    get_engine.cache_clear()
    if old is None:
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = old
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture()
def engine(db_url):
    from platform_core.db import get_engine

    return get_engine(db_url)
