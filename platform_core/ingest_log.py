"""Ingest bookkeeping shared by every feed: one row per file (batch) and a quarantine for rejected rows.

A batch is keyed by (source, scope, sha256 of the file), so the same file offered
twice is recognised and skipped; rejected rows keep their line, field, raw value
and the reason, so nothing is silently dropped.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from platform_core.db import Base, copy_rows, frame_to_tsv

SCHEMA = "ingest"


class IngestBatch(Base):
    __tablename__ = "batches"
    __table_args__ = (UniqueConstraint("source", "scope", "file_sha256"), {"schema": SCHEMA})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(40))          # e.g. "scada", "rain_gauge"
    scope: Mapped[str] = mapped_column(String(120))          # e.g. network name, or "national"
    file_name: Mapped[str] = mapped_column(Text)
    file_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))          # loaded | failed
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_loaded: Mapped[int] = mapped_column(Integer, default=0)
    rows_quarantined: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class QuarantineRow(Base):
    __tablename__ = "quarantine"
    __table_args__ = {"schema": SCHEMA}

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey(f"{SCHEMA}.batches.id", ondelete="CASCADE"), index=True)
    line: Mapped[int | None] = mapped_column(Integer)        # 1-based line in the source file
    field: Mapped[str | None] = mapped_column(Text)          # column / sensor the value came from
    raw_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)


QUARANTINE_COLUMNS = ("batch_id", "line", "field", "raw_value", "reason")


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def find_loaded_batch(conn: Connection, source: str, scope: str, sha256: str) -> int | None:
    """Id of an earlier successful batch of the same file, if any."""
    t = IngestBatch.__table__
    return conn.execute(
        select(t.c.id).where(t.c.source == source, t.c.scope == scope,
                             t.c.file_sha256 == sha256, t.c.status == "loaded")
    ).scalar()


def open_batch(conn: Connection, source: str, scope: str, path: Path, sha256: str) -> int:
    """Create (or reuse a failed) batch row for this file and return its id."""
    now = datetime.now(timezone.utc)
    return conn.execute(
        text(
            f"""INSERT INTO {SCHEMA}.batches (source, scope, file_name, file_sha256, status, started_at,
                                             rows_total, rows_loaded, rows_quarantined)
                VALUES (:source, :scope, :file_name, :sha, 'running', :now, 0, 0, 0)
                ON CONFLICT (source, scope, file_sha256) DO UPDATE
                  SET status = 'running', started_at = EXCLUDED.started_at, file_name = EXCLUDED.file_name
                RETURNING id"""
        ),
        {"source": source, "scope": scope, "file_name": str(path), "sha": sha256, "now": now},
    ).scalar_one()


def close_batch(conn: Connection, batch_id: int, *, rows_total: int, rows_loaded: int,
                rows_quarantined: int, status: str = "loaded", message: str | None = None) -> None:
    conn.execute(
        text(
            f"""UPDATE {SCHEMA}.batches SET status = :status, rows_total = :total, rows_loaded = :loaded,
                   rows_quarantined = :quarantined, message = :message, finished_at = :now
                WHERE id = :id"""
        ),
        {"status": status, "total": rows_total, "loaded": rows_loaded, "quarantined": rows_quarantined,
         "message": message, "now": datetime.now(timezone.utc), "id": batch_id},
    )


def write_quarantine(conn: Connection, batch_id: int, rejected: pd.DataFrame) -> int:
    """Store rejected rows. ``rejected`` has columns line, field, raw_value, reason."""
    if rejected.empty:
        return 0
    conn.execute(text(f"DELETE FROM {SCHEMA}.quarantine WHERE batch_id = :b"), {"b": batch_id})
    frame = rejected.reindex(columns=list(QUARANTINE_COLUMNS[1:])).copy()
    frame.insert(0, "batch_id", batch_id)
    frame["line"] = frame["line"].astype("Int64")
    for col in ("field", "raw_value", "reason"):
        # COPY text format: escape backslashes, tabs and newlines a user could have put in a cell.
        frame[col] = (frame[col].astype("string")
                      .str.replace("\\", "\\\\", regex=False)
                      .str.replace("\t", "\\t", regex=False)
                      .str.replace("\n", "\\n", regex=False)
                      .str.replace("\r", "\\r", regex=False))
    copy_rows(conn, f"{SCHEMA}.quarantine", QUARANTINE_COLUMNS, frame_to_tsv(frame))
    return len(frame)
