"""Disaster feeds: gridded rainfall, forecast rainfall, river gauges, late-data re-scoring, fused risk columns.

Grid rain is stored per cell (``rain_grid_cells``, one polygon per cell) and per period
end (``rain_grid_values``: 4 + 8 + 4 bytes of payload a row, ~150 cells over Brunei), and
each area's overlap with the cells is precomputed once in ``area_grid_weights``.
``rescore_hours`` lists already-scored hours that a late observation changed.
New ``risk_scores`` columns are added (nullable); existing columns keep their meaning.

Revision ID: 0005_disaster_feeds
Revises: 0004_disaster_bulletins
Create Date: 2026-11-26
"""
from alembic import op

revision = "0005_disaster_feeds"
down_revision = "0004_disaster_bulletins"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE hazard.rain_grid_cells (
    cell_id  serial PRIMARY KEY,
    res_deg  double precision NOT NULL CHECK (res_deg > 0),
    lon      double precision NOT NULL,          -- cell centre, degrees east (rounded to 1e-4)
    lat      double precision NOT NULL,          -- cell centre, degrees north
    geom     geometry(Polygon, 4326) NOT NULL,
    UNIQUE (res_deg, lon, lat)
);
CREATE INDEX rain_grid_cells_geom_idx ON hazard.rain_grid_cells USING gist (geom);

-- Rain depth (mm) in the period of length period_s ending at ts (UTC).
CREATE TABLE hazard.rain_grid_values (
    cell_id  integer NOT NULL REFERENCES hazard.rain_grid_cells(cell_id) ON DELETE CASCADE,
    ts       timestamptz NOT NULL,
    period_s integer NOT NULL CHECK (period_s > 0),
    rain_mm  real NOT NULL CHECK (rain_mm >= 0),
    batch_id integer,
    PRIMARY KEY (cell_id, ts)
);
CREATE INDEX rain_grid_values_ts_idx ON hazard.rain_grid_values (ts);

-- Fraction of each area covered by each cell (0-1), computed once per area and cell set.
CREATE TABLE hazard.area_grid_weights (
    area_id  integer NOT NULL REFERENCES hazard.admin_areas(id) ON DELETE CASCADE,
    cell_id  integer NOT NULL REFERENCES hazard.rain_grid_cells(cell_id) ON DELETE CASCADE,
    fraction double precision NOT NULL CHECK (fraction > 0 AND fraction <= 1.000001),
    PRIMARY KEY (area_id, cell_id)
);
CREATE TABLE hazard.area_grid_weights_done (
    area_id integer PRIMARY KEY REFERENCES hazard.admin_areas(id) ON DELETE CASCADE
);
-- An area whose outline changes must have its cell fractions computed again.
CREATE FUNCTION hazard.forget_area_weights() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM hazard.area_grid_weights WHERE area_id = NEW.id;
    DELETE FROM hazard.area_grid_weights_done WHERE area_id = NEW.id;
    RETURN NEW;
END $$;
CREATE TRIGGER admin_areas_geom_changed AFTER UPDATE OF geom ON hazard.admin_areas
    FOR EACH ROW WHEN (NOT ST_Equals(OLD.geom, NEW.geom)) EXECUTE FUNCTION hazard.forget_area_weights();

-- Forecast rainfall at points (e.g. Open-Meteo locations): mm in the hour ending at valid_ts.
CREATE TABLE hazard.forecast_points (
    point_id text PRIMARY KEY,                   -- "lat,lon" rounded to 1e-3
    geom     geometry(Point, 4326) NOT NULL
);
CREATE TABLE hazard.rain_forecasts (
    point_id  text NOT NULL REFERENCES hazard.forecast_points(point_id) ON DELETE CASCADE,
    issued_at timestamptz NOT NULL,
    valid_ts  timestamptz NOT NULL,
    lead_h    smallint NOT NULL CHECK (lead_h >= 1),
    rain_mm   real NOT NULL CHECK (rain_mm >= 0),
    batch_id  integer,
    PRIMARY KEY (point_id, issued_at, valid_ts)
);
CREATE INDEX rain_forecasts_issued_idx ON hazard.rain_forecasts (issued_at);

-- River-level gauges and their published thresholds (metres, station datum).
CREATE TABLE hazard.river_stations (
    station_id        text PRIMARY KEY,
    name              text,
    river             text,
    alert_m           double precision,
    warning_m         double precision,
    danger_m          double precision,
    thresholds_source text,
    geom              geometry(Point, 4326) NOT NULL,
    CHECK (alert_m IS NULL OR warning_m IS NULL OR alert_m <= warning_m),
    CHECK (warning_m IS NULL OR danger_m IS NULL OR warning_m <= danger_m)
);
CREATE INDEX river_stations_geom_idx ON hazard.river_stations USING gist (geom);
CREATE TABLE hazard.river_levels (
    station_id text NOT NULL REFERENCES hazard.river_stations(station_id) ON DELETE CASCADE,
    ts         timestamptz NOT NULL,
    level_m    double precision NOT NULL,
    batch_id   integer,
    PRIMARY KEY (station_id, ts)
);
CREATE INDEX river_levels_ts_idx ON hazard.river_levels (ts);

-- Hours already scored whose inputs changed afterwards (late or corrected data).
CREATE TABLE hazard.rescore_hours (
    ts        timestamptz PRIMARY KEY,
    source    text NOT NULL,
    batch_id  integer,
    marked_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE hazard.risk_scores
    ADD COLUMN rain_source         text,              -- gauges | grid | none
    ADD COLUMN antecedent_72h_mm   double precision,  -- rain in the 72 h before the last 24 h
    ADD COLUMN forecast_3h_mm      double precision,
    ADD COLUMN forecast_6h_mm      double precision,
    ADD COLUMN river_station       text,
    ADD COLUMN river_pct_danger    double precision,  -- level / danger level, %
    ADD COLUMN exposure            jsonb;
"""

DOWNGRADE = """
ALTER TABLE hazard.risk_scores
    DROP COLUMN IF EXISTS rain_source, DROP COLUMN IF EXISTS antecedent_72h_mm,
    DROP COLUMN IF EXISTS forecast_3h_mm, DROP COLUMN IF EXISTS forecast_6h_mm,
    DROP COLUMN IF EXISTS river_station, DROP COLUMN IF EXISTS river_pct_danger, DROP COLUMN IF EXISTS exposure;
DROP TABLE IF EXISTS hazard.rescore_hours;
DROP TABLE IF EXISTS hazard.river_levels;
DROP TABLE IF EXISTS hazard.river_stations;
DROP TABLE IF EXISTS hazard.rain_forecasts;
DROP TABLE IF EXISTS hazard.forecast_points;
DROP TRIGGER IF EXISTS admin_areas_geom_changed ON hazard.admin_areas;
DROP FUNCTION IF EXISTS hazard.forget_area_weights();
DROP TABLE IF EXISTS hazard.area_grid_weights_done;
DROP TABLE IF EXISTS hazard.area_grid_weights;
DROP TABLE IF EXISTS hazard.rain_grid_values;
DROP TABLE IF EXISTS hazard.rain_grid_cells;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
