"""ORM models of the hazard schema: admin areas, rain observations and risk scores.

The Alembic migrations in ``sql/migrations`` create these tables; the models mirror them.
"""
from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from platform_core.db import Base

SCHEMA = "hazard"
AREA_LEVELS = ("district", "mukim", "kampong")
RISK_LEVELS = ("green", "yellow", "orange", "red")


class AdminArea(Base):
    __tablename__ = "admin_areas"
    __table_args__ = (UniqueConstraint("level", "code"), {"schema": SCHEMA})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(Text)                     # stable key, e.g. "mukim:brunei-muara:kianggeh"
    name: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey(f"{SCHEMA}.admin_areas.id", ondelete="SET NULL"))
    district: Mapped[str | None] = mapped_column(Text)
    population: Mapped[int | None] = mapped_column(Integer)
    area_km2: Mapped[float | None] = mapped_column(Float)
    is_approximation: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str | None] = mapped_column(Text)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)


class RainStation(Base):
    __tablename__ = "rain_stations"
    __table_args__ = {"schema": SCHEMA}

    station_id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)


class RainfallObservation(Base):
    """Rain depth (mm) that fell in the period ending at ``ts`` (UTC)."""

    __tablename__ = "rainfall_obs"
    __table_args__ = {"schema": SCHEMA}

    station_id: Mapped[str] = mapped_column(ForeignKey(f"{SCHEMA}.rain_stations.station_id", ondelete="CASCADE"),
                                            primary_key=True)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    period_s: Mapped[int] = mapped_column(Integer)
    rain_mm: Mapped[float] = mapped_column(Float)
    quality: Mapped[int] = mapped_column(SmallInteger, default=0)
    batch_id: Mapped[int | None] = mapped_column(Integer)


class RiskScore(Base):
    """Risk per area and hour (``ts`` = end of the hour, UTC), with its drivers in words."""

    __tablename__ = "risk_scores"
    __table_args__ = {"schema": SCHEMA}

    area_id: Mapped[int] = mapped_column(ForeignKey(f"{SCHEMA}.admin_areas.id", ondelete="CASCADE"), primary_key=True)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    level: Mapped[str] = mapped_column(String(8))
    rain_1h_mm: Mapped[float | None] = mapped_column(Float)
    rain_3h_mm: Mapped[float | None] = mapped_column(Float)
    rain_6h_mm: Mapped[float | None] = mapped_column(Float)
    rain_24h_mm: Mapped[float | None] = mapped_column(Float)
    drivers: Mapped[str] = mapped_column(Text)
    inputs: Mapped[dict | None] = mapped_column(JSONB)
