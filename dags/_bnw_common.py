"""Shared settings for the platform's DAGs: task defaults, the PostGIS pool, networks and assets.

Parsed by the scheduler on every DAG-file scan, so it imports only the standard library
and ``airflow.sdk`` at module level; everything that touches the database or the
platform packages happens inside :func:`use_platform_database`, called by tasks.
The file name starts with ``_`` so the DAG processor does not treat it as a DAG file.
"""
from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import Asset

LOCAL_TZ = "Asia/Brunei"
CONN_ID = "bnw_postgis"          # Airflow connection to the platform's PostGIS database
POOL = "bnw_postgis"             # every task that loads or queries PostGIS heavily takes a slot
SCADA_ASSET_PREFIX = "bnw://scada/"

# Networks the deployment serves. Read from the environment at parse time (no DB access):
# one Asset per network is declared from this list, so adding a network is a config change.
NETWORKS = [n.strip() for n in os.environ.get("BNW_NETWORKS", "brunei-muara-demo").split(",") if n.strip()]
# Disaster feed kinds ingested every 15 minutes (each has its own inbox folder).
FEED_KINDS = [k.strip() for k in os.environ.get("BNW_FEED_KINDS", "rain_gauge").split(",") if k.strip()]
# First day scheduled runs cover, and whether the scheduler fills the gap up to today.
START_DATE = pendulum.parse(os.environ.get("BNW_START_DATE", "2024-01-01"), tz=LOCAL_TZ)
CATCHUP = os.environ.get("BNW_CATCHUP", "true").lower() in ("1", "true", "yes")


def default_args(timeout_minutes: int, retries: int = 3, first_retry_minutes: float = 1,
                 max_retry_minutes: int = 30) -> dict:
    """Retries with exponential backoff and a hard timeout, for every task of a DAG."""
    return {
        "owner": "bnw-platform",
        "retries": retries,
        "retry_delay": timedelta(minutes=first_retry_minutes),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=max_retry_minutes),
        "execution_timeout": timedelta(minutes=timeout_minutes),
    }


def scada_asset(network: str) -> Asset:
    """The asset updated whenever new SCADA readings for ``network`` are loaded."""
    return Asset(f"{SCADA_ASSET_PREFIX}{network}", group="scada")


def network_of(asset_uri: str) -> str:
    return asset_uri[len(SCADA_ASSET_PREFIX):] if asset_uri.startswith(SCADA_ASSET_PREFIX) else ""


def database_url_from_connection(uri: str) -> str:
    """The SQLAlchemy URL the platform packages read, from a connection URI (psycopg 3 driver)."""
    for prefix in ("postgresql+psycopg2://", "postgresql+psycopg://", "postgresql://", "postgres://"):
        if uri.startswith(prefix):
            return "postgresql+psycopg://" + uri[len(prefix):]
    raise ValueError(f"connection {CONN_ID!r} is not a PostgreSQL connection: {uri.split(':', 1)[0]}://...")


def use_platform_database() -> str:
    """Point the platform packages at the ``bnw_postgis`` connection (call first in a task).

    The connection comes from Airflow (UI, secrets backend or ``AIRFLOW_CONN_BNW_POSTGIS``)
    through the Postgres provider. A developer shell without it may rely on ``DATABASE_URL``;
    with neither, the task fails with a message naming both.
    """
    from airflow.sdk.exceptions import AirflowNotFoundException
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    try:
        uri = PostgresHook(postgres_conn_id=CONN_ID).get_uri()
    except AirflowNotFoundException:
        if not os.environ.get("DATABASE_URL"):
            raise RuntimeError(f"no Airflow connection {CONN_ID!r} and no DATABASE_URL: define the connection "
                               f"(e.g. AIRFLOW_CONN_{CONN_ID.upper()}=postgresql://user:pass@host:5432/db)")
        return os.environ["DATABASE_URL"]
    url = database_url_from_connection(uri)
    if os.environ.get("DATABASE_URL") != url:
        os.environ["DATABASE_URL"] = url
        from platform_core.db import get_engine

        get_engine.cache_clear()         # engines are cached per URL; drop any made for another one
    return url


def inbox(kind: str, override: str = "") -> str:
    """The landing folder for ``kind`` files: a run parameter, else the Airflow Variable
    ``bnw_inbox_dir`` (or env ``BNW_INBOX_DIR``) joined with ``kind``, else ``<work dir>/inbox/<kind>``."""
    if override:
        return override
    from airflow.sdk import Variable

    root = Variable.get("bnw_inbox_dir", default=None) or os.environ.get("BNW_INBOX_DIR")
    if not root:
        from platform_core.settings import get_settings

        root = str(get_settings().work_dir / "inbox")
    return os.path.join(root, kind)
