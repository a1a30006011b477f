"""ORM models of the hazard schema: admin areas, rain/grid/forecast/river observations and risk scores.

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
    # Added by 0005_disaster_feeds (nullable; the columns above keep their meaning).
    rain_source: Mapped[str | None] = mapped_column(Text)              # gauges | grid | distant gauges | none
    antecedent_72h_mm: Mapped[float | None] = mapped_column(Float)     # the 72 h before the last 24 h
    forecast_3h_mm: Mapped[float | None] = mapped_column(Float)
    forecast_6h_mm: Mapped[float | None] = mapped_column(Float)
    river_station: Mapped[str | None] = mapped_column(Text)
    river_pct_danger: Mapped[float | None] = mapped_column(Float)      # reading / danger level, %
    exposure: Mapped[dict | None] = mapped_column(JSONB)


class RainGridCell(Base):
    __tablename__ = "rain_grid_cells"
    __table_args__ = (UniqueConstraint("res_deg", "lon", "lat"), {"schema": SCHEMA})

    cell_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    res_deg: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)                          # centre, degrees
    lat: Mapped[float] = mapped_column(Float)
    geom = mapped_column(Geometry("POLYGON", srid=4326, spatial_index=True), nullable=False)


class RainGridValue(Base):
    """Rain depth (mm) in the period of ``period_s`` seconds ending at ``ts`` (UTC), per cell."""

    __tablename__ = "rain_grid_values"
    __table_args__ = {"schema": SCHEMA}

    cell_id: Mapped[int] = mapped_column(ForeignKey(f"{SCHEMA}.rain_grid_cells.cell_id", ondelete="CASCADE"),
                                         primary_key=True)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    period_s: Mapped[int] = mapped_column(Integer)
    rain_mm: Mapped[float] = mapped_column(Float)
    batch_id: Mapped[int | None] = mapped_column(Integer)


class AreaGridWeight(Base):
    """Fraction (0-1) of an area's surface in a grid cell."""

    __tablename__ = "area_grid_weights"
    __table_args__ = {"schema": SCHEMA}

    area_id: Mapped[int] = mapped_column(ForeignKey(f"{SCHEMA}.admin_areas.id", ondelete="CASCADE"), primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey(f"{SCHEMA}.rain_grid_cells.cell_id", ondelete="CASCADE"),
                                         primary_key=True)
    fraction: Mapped[float] = mapped_column(Float)


class ForecastPoint(Base):
    __tablename__ = "forecast_points"
    __table_args__ = {"schema": SCHEMA}

    point_id: Mapped[str] = mapped_column(Text, primary_key=True)     # "lat,lon"
    geom = mapped_column(Geometry("POINT", srid=4326), nullable=False)


class RainForecast(Base):
    """Forecast rain (mm) in the hour ending at ``valid_ts``, from the forecast issued at ``issued_at``."""

    __tablename__ = "rain_forecasts"
    __table_args__ = {"schema": SCHEMA}

    point_id: Mapped[str] = mapped_column(ForeignKey(f"{SCHEMA}.forecast_points.point_id", ondelete="CASCADE"),
                                          primary_key=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    valid_ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    lead_h: Mapped[int] = mapped_column(SmallInteger)
    rain_mm: Mapped[float] = mapped_column(Float)
    batch_id: Mapped[int | None] = mapped_column(Integer)


class RiverStation(Base):
    """A river-level gauge and its owner's alert/warning/danger levels (m, station datum; null = none)."""

    __tablename__ = "river_stations"
    __table_args__ = {"schema": SCHEMA}

    station_id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    river: Mapped[str | None] = mapped_column(Text)
    alert_m: Mapped[float | None] = mapped_column(Float)
    warning_m: Mapped[float | None] = mapped_column(Float)
    danger_m: Mapped[float | None] = mapped_column(Float)
    thresholds_source: Mapped[str | None] = mapped_column(Text)
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)


class RiverLevel(Base):
    __tablename__ = "river_levels"
    __table_args__ = {"schema": SCHEMA}

    station_id: Mapped[str] = mapped_column(ForeignKey(f"{SCHEMA}.river_stations.station_id", ondelete="CASCADE"),
                                            primary_key=True)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    level_m: Mapped[float] = mapped_column(Float)
    batch_id: Mapped[int | None] = mapped_column(Integer)


class RescoreHour(Base):
    """An already-scored hour (end, UTC) whose inputs late or corrected data changed."""

    __tablename__ = "rescore_hours"
    __table_args__ = {"schema": SCHEMA}

    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    batch_id: Mapped[int | None] = mapped_column(Integer)
    marked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
