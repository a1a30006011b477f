"""ORM models of the water schema: network model, sensors, readings and leak events.

Geometries are WGS84 (SRID 4326); distances are computed in metres with geography
casts or in Brunei's grid (EPSG:5247).  The schema itself is created by the Alembic
migrations in ``sql/migrations``; these models mirror it for queries.
"""
from __future__ import annotations

from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (BigInteger, Date, DateTime, Float, ForeignKey, Integer, SmallInteger, String, Text,
                        UniqueConstraint)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from platform_core.db import Base

SCHEMA = "water"

SENSOR_KINDS = ("pressure", "flow", "level", "demand")
# Raised by the detector without a crew (see leakdet.detect.night_confirm): shown, not scored.
UNCONFIRMED = "unconfirmed"
EVENT_STATUSES = ("new", "confirmed", "repaired", "closed", "false_alarm", UNCONFIRMED)


class Network(Base):
    __tablename__ = "networks"
    __table_args__ = {"schema": SCHEMA}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    source_file: Mapped[str] = mapped_column(Text)
    source_crs: Mapped[str | None] = mapped_column(Text)       # e.g. "EPSG:5247" or "local-origin:4.89,114.94"
    inp_sha256: Mapped[str] = mapped_column(String(64))
    inp_text: Mapped[str] = mapped_column(Text)               # the model itself, so runs need no file share
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Node(Base):
    __tablename__ = "nodes"
    __table_args__ = {"schema": SCHEMA}

    network_id: Mapped[int] = mapped_column(ForeignKey(f"{SCHEMA}.networks.id", ondelete="CASCADE"), primary_key=True)
    node_id: Mapped[str] = mapped_column(Text, primary_key=True)
    node_type: Mapped[str] = mapped_column(String(12))         # junction | tank | reservoir
    elevation_m: Mapped[float | None] = mapped_column(Float)
    base_demand_lps: Mapped[float | None] = mapped_column(Float)
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)


class Link(Base):
    __tablename__ = "links"
    __table_args__ = {"schema": SCHEMA}

    network_id: Mapped[int] = mapped_column(ForeignKey(f"{SCHEMA}.networks.id", ondelete="CASCADE"), primary_key=True)
    link_id: Mapped[str] = mapped_column(Text, primary_key=True)
    link_type: Mapped[str] = mapped_column(String(12))         # pipe | pump | valve
    start_node: Mapped[str] = mapped_column(Text)
    end_node: Mapped[str] = mapped_column(Text)
    length_m: Mapped[float | None] = mapped_column(Float)
    diameter_m: Mapped[float | None] = mapped_column(Float)
    roughness: Mapped[float | None] = mapped_column(Float)
    geom = mapped_column(Geometry("LINESTRING", srid=4326, spatial_index=True), nullable=False)


class Sensor(Base):
    __tablename__ = "sensors"
    __table_args__ = (UniqueConstraint("network_id", "sensor_id"), {"schema": SCHEMA})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey(f"{SCHEMA}.networks.id", ondelete="CASCADE"))
    sensor_id: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(12))              # pressure | flow | level | demand
    element_type: Mapped[str] = mapped_column(String(8))       # node | link
    element_id: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(16))              # unit of the exported values
    si_unit: Mapped[str] = mapped_column(String(16))           # unit values are stored in


class Reading(Base):
    """One SCADA value, stored in SI units and UTC. Range-partitioned by month on ``ts``."""

    __tablename__ = "readings"
    __table_args__ = {"schema": SCHEMA, "postgresql_partition_by": "RANGE (ts)"}

    sensor_pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    quality: Mapped[int] = mapped_column(SmallInteger, default=0)   # 0 good; >0 flagged
    batch_id: Mapped[int | None] = mapped_column(Integer)


class LeakEvent(Base):
    __tablename__ = "leak_events"
    __table_args__ = (UniqueConstraint("network_id", "event_key"), {"schema": SCHEMA})

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey(f"{SCHEMA}.networks.id", ondelete="CASCADE"))
    event_key: Mapped[str] = mapped_column(Text)               # detector-defined, stable across re-runs
    run_day: Mapped[date] = mapped_column(Date)                # data interval that produced it
    detected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    estimated_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(12), default="new")
    est_flow_lps: Mapped[float | None] = mapped_column(Float)
    detector: Mapped[str] = mapped_column(Text)
    model_version: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict | None] = mapped_column(JSONB)


class LeakCandidate(Base):
    __tablename__ = "leak_candidates"
    __table_args__ = {"schema": SCHEMA}

    event_id: Mapped[int] = mapped_column(ForeignKey(f"{SCHEMA}.leak_events.id", ondelete="CASCADE"), primary_key=True)
    rank: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    link_id: Mapped[str] = mapped_column(Text)
    probability: Mapped[float] = mapped_column(Float)


class DetectorState(Base):
    """Detector memory carried from one day to the next, so daily runs equal one batch run."""

    __tablename__ = "detector_state"
    __table_args__ = {"schema": SCHEMA}

    network_id: Mapped[int] = mapped_column(ForeignKey(f"{SCHEMA}.networks.id", ondelete="CASCADE"), primary_key=True)
    detector: Mapped[str] = mapped_column(Text, primary_key=True)
    as_of_day: Mapped[date] = mapped_column(Date, primary_key=True)   # state at the END of this day
    state: Mapped[dict] = mapped_column(JSONB)


class SensorDayStatus(Base):
    """Per sensor and day: coverage and residual summary, and any degradation flag."""

    __tablename__ = "sensor_day_status"
    __table_args__ = {"schema": SCHEMA}

    sensor_pk: Mapped[int] = mapped_column(ForeignKey(f"{SCHEMA}.sensors.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    n_readings: Mapped[int] = mapped_column(Integer)
    coverage: Mapped[float] = mapped_column(Float)
    residual_mean: Mapped[float | None] = mapped_column(Float)
    residual_std: Mapped[float | None] = mapped_column(Float)
    flag: Mapped[str | None] = mapped_column(Text)             # e.g. "no_data", "flatline"
