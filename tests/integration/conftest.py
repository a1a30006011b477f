"""Integration fixtures: a throwaway Airflow metadata database on the local PostgreSQL, migrated once
for the session (each test module starts its own services on it)."""
from __future__ import annotations

import os
import subprocess
import uuid

import pytest

from stack import AIRFLOW, metadata_env


@pytest.fixture(scope="session")
def metadata(db_url, tmp_path_factory):
    """(env, home): an AIRFLOW_HOME and a migrated metadata DB; dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    server = make_url(db_url)
    name = f"bnw_afmeta_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    meta_url = server.set(drivername="postgresql+psycopg2", database=name).render_as_string(hide_password=False)
    home = tmp_path_factory.mktemp("airflow-home")
    env = metadata_env(home, meta_url)
    env["AIRFLOW_CONN_BNW_POSTGIS"] = db_url.replace("postgresql+psycopg://", "postgresql://")
    for key in ("BNW_REPORTS_DIR", "BNW_WORK_DIR"):
        env[key] = os.environ[key]
    try:
        subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
        yield env, home
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
