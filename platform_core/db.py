"""Database engine, sessions, migrations and bulk COPY: the one place that knows how we talk to PostGIS."""
from __future__ import annotations

import functools
import io
from contextlib import contextmanager
from typing import Iterator, Sequence

import numpy as np

from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from platform_core.settings import REPO_ROOT, get_settings

MIGRATIONS_INI = REPO_ROOT / "sql" / "alembic.ini"


class Base(DeclarativeBase):
    """Declarative base shared by the domain models (each in its own schema)."""


@functools.lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    url = url or get_settings().database_url
    return create_engine(url, pool_pre_ping=True, future=True)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A transactional session: commits on success, rolls back on any error."""
    session = sessionmaker(bind=get_engine(url), future=True)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def migrate(url: str | None = None, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with the Alembic migrations in ``sql/``."""
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(MIGRATIONS_INI))
    cfg.set_main_option("script_location", str(MIGRATIONS_INI.parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", (url or get_settings().database_url).replace("%", "%%"))
    command.upgrade(cfg, revision)


def copy_rows(conn: Connection, table: str, columns: Sequence[str], rows_tsv: str | bytes,
              binary: bool = False) -> None:
    """COPY rows into ``table`` over the connection's open transaction.

    ``rows_tsv`` uses PostgreSQL text format (tab separators, ``\\N`` for NULL), or the
    binary COPY format when ``binary`` is true (see :func:`binary_copy_payload`).
    """
    raw = conn.connection.driver_connection  # psycopg.Connection
    cols = ", ".join(columns)
    data = rows_tsv.encode() if isinstance(rows_tsv, str) else rows_tsv
    opts = " WITH (FORMAT binary)" if binary else ""
    with raw.cursor() as cur:
        with cur.copy(f"COPY {table} ({cols}) FROM STDIN{opts}") as copy:
            view = memoryview(data)
            step = 1 << 20
            for i in range(0, len(view), step):
                copy.write(view[i:i + step])


def frame_to_tsv(frame) -> bytes:
    """Serialise a DataFrame to COPY text format (no header, ``\\N`` for missing)."""
    buf = io.StringIO()
    frame.to_csv(buf, sep="\t", header=False, index=False, na_rep="\\N", date_format="%Y-%m-%d %H:%M:%S%z")
    return buf.getvalue().encode()


def arrow_to_tsv(table) -> bytes:
    """Fast COPY text serialisation of a pyarrow Table with no nulls and no text needing escapes."""
    import pyarrow.csv as pacsv

    sink = io.BytesIO()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none"))
    return sink.getvalue()


# PostgreSQL binary COPY: fixed-width, big-endian fields, each preceded by its byte length.
_PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01T00:00:00Z in microseconds since 1970
_PG_BINARY = {"int2": ">i2", "int4": ">i4", "int8": ">i8", "float8": ">f8", "timestamptz": ">i8"}


def binary_copy_payload(columns: Sequence[tuple]) -> bytes:
    """Binary COPY data for non-null fixed-width columns, built with numpy in one pass.

    Parameters
    ----------
    columns : sequence of (numpy array, pg type)
        pg type is one of int2, int4, int8, float8, timestamptz. A timestamptz column
        is given as int64 nanoseconds since 1970-01-01 UTC.
    """
    n = len(columns[0][0])
    fields = [("nfields", ">i2")]
    for i, (_, pgtype) in enumerate(columns):
        fields += [(f"len{i}", ">i4"), (f"v{i}", _PG_BINARY[pgtype])]
    rec = np.empty(n, dtype=np.dtype(fields))
    rec["nfields"] = len(columns)
    for i, (values, pgtype) in enumerate(columns):
        rec[f"len{i}"] = np.dtype(_PG_BINARY[pgtype]).itemsize
        if pgtype == "timestamptz":
            values = np.asarray(values, dtype=np.int64) // 1000 - _PG_EPOCH_US
        rec[f"v{i}"] = values
    header = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
    return header + rec.tobytes() + (-1).to_bytes(2, "big", signed=True)


@contextmanager
def temporary_database(prefix: str = "bnw_tmp", keep: bool = False) -> Iterator[str]:
    """A fresh, migrated database on the configured server, made current through ``DATABASE_URL``
    for the duration, then dropped (unless ``keep``: then left for inspection). Used by the tests
    and the benchmarks."""
    import os
    import uuid

    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    base = make_url(get_settings().database_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    old = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    get_engine.cache_clear()        # an engine cached for the previous DATABASE_URL must not be reused
    try:
        migrate(url)
        yield url
    finally:
        get_engine.cache_clear()
        if old is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = old
        if not keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
