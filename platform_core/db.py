"""Database engine, sessions, migrations and bulk COPY: the one place that knows how we talk to PostGIS."""
from __future__ import annotations

import functools
import io
from contextlib import contextmanager
from typing import Iterator, Sequence

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


def copy_rows(conn: Connection, table: str, columns: Sequence[str], rows_tsv: str | bytes) -> None:
    """COPY tab-separated text into ``table`` over the connection's open transaction.

    ``rows_tsv`` uses PostgreSQL text format: tab separators, ``\\N`` for NULL.
    """
    raw = conn.connection.driver_connection  # psycopg.Connection
    cols = ", ".join(columns)
    data = rows_tsv.encode() if isinstance(rows_tsv, str) else rows_tsv
    with raw.cursor() as cur:
        with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
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
