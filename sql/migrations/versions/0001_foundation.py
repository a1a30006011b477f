"""Foundation schema: ingest bookkeeping, water network + SCADA, hazard areas + rain + risk.

Readings are range-partitioned by month (see docs/storage.md); partitions are
created on demand by the loader through water.ensure_reading_partitions().

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-25
"""
from alembic import op

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE SCHEMA IF NOT EXISTS ingest;
CREATE SCHEMA IF NOT EXISTS water;
CREATE SCHEMA IF NOT EXISTS hazard;

-- ingest bookkeeping -------------------------------------------------------
CREATE TABLE ingest.batches (
    id               serial PRIMARY KEY,
    source           varchar(40)  NOT NULL,
    scope            varchar(120) NOT NULL,
    file_name        text         NOT NULL,
    file_sha256      varchar(64)  NOT NULL,
    status           varchar(20)  NOT NULL,
    rows_total       integer      NOT NULL DEFAULT 0,
    rows_loaded      integer      NOT NULL DEFAULT 0,
    rows_quarantined integer      NOT NULL DEFAULT 0,
    message          text,
    started_at       timestamptz  NOT NULL,
    finished_at      timestamptz,
    UNIQUE (source, scope, file_sha256)
);
CREATE TABLE ingest.quarantine (
    id        bigserial PRIMARY KEY,
    batch_id  integer NOT NULL REFERENCES ingest.batches(id) ON DELETE CASCADE,
    line      integer,
    field     text,
    raw_value text,
    reason    text NOT NULL
);
CREATE INDEX quarantine_batch_idx ON ingest.quarantine (batch_id);

-- water network --------------------------------------------------------------
CREATE TABLE water.networks (
    id          serial PRIMARY KEY,
    name        varchar(120) NOT NULL UNIQUE,
    source_file text NOT NULL,
    source_crs  text,
    inp_sha256  varchar(64) NOT NULL,
    inp_text    text NOT NULL,
    imported_at timestamptz NOT NULL
);
CREATE TABLE water.nodes (
    network_id      integer NOT NULL REFERENCES water.networks(id) ON DELETE CASCADE,
    node_id         text NOT NULL,
    node_type       varchar(12) NOT NULL CHECK (node_type IN ('junction', 'tank', 'reservoir')),
    elevation_m     double precision,
    base_demand_lps double precision,
    geom            geometry(Point, 4326) NOT NULL,
    PRIMARY KEY (network_id, node_id)
);
CREATE INDEX nodes_geom_idx ON water.nodes USING gist (geom);
CREATE TABLE water.links (
    network_id  integer NOT NULL REFERENCES water.networks(id) ON DELETE CASCADE,
    link_id     text NOT NULL,
    link_type   varchar(12) NOT NULL CHECK (link_type IN ('pipe', 'pump', 'valve')),
    start_node  text NOT NULL,
    end_node    text NOT NULL,
    length_m    double precision,
    diameter_m  double precision,
    roughness   double precision,
    geom        geometry(LineString, 4326) NOT NULL,
    PRIMARY KEY (network_id, link_id)
);
CREATE INDEX links_geom_idx ON water.links USING gist (geom);

CREATE TABLE water.sensors (
    id           serial PRIMARY KEY,
    network_id   integer NOT NULL REFERENCES water.networks(id) ON DELETE CASCADE,
    sensor_id    text NOT NULL,
    kind         varchar(12) NOT NULL CHECK (kind IN ('pressure', 'flow', 'level', 'demand')),
    element_type varchar(8) NOT NULL CHECK (element_type IN ('node', 'link')),
    element_id   text NOT NULL,
    unit         varchar(16) NOT NULL,
    si_unit      varchar(16) NOT NULL,
    UNIQUE (network_id, sensor_id)
);

CREATE TABLE water.readings (
    sensor_pk integer NOT NULL,
    ts        timestamptz NOT NULL,
    value     double precision NOT NULL,
    quality   smallint NOT NULL DEFAULT 0,
    batch_id  integer,
    PRIMARY KEY (sensor_pk, ts)
) PARTITION BY RANGE (ts);

-- Create the monthly partitions covering [t0, t1); safe to call concurrently and repeatedly.
CREATE FUNCTION water.ensure_reading_partitions(t0 timestamptz, t1 timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    m date := date_trunc('month', t0 AT TIME ZONE 'UTC')::date;
    stop date := (t1 AT TIME ZONE 'UTC')::date;
    made integer := 0;
    part text;
BEGIN
    WHILE m <= stop LOOP
        part := format('readings_%s', to_char(m, 'YYYY_MM'));
        IF to_regclass('water.' || part) IS NULL THEN
            PERFORM pg_advisory_xact_lock(hashtext('water.' || part));
            IF to_regclass('water.' || part) IS NULL THEN
                EXECUTE format(
                    'CREATE TABLE water.%I PARTITION OF water.readings FOR VALUES FROM (%L) TO (%L)',
                    part, (m::timestamp AT TIME ZONE 'UTC'),
                    ((m + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
                made := made + 1;
            END IF;
        END IF;
        m := (m + interval '1 month')::date;
    END LOOP;
    RETURN made;
END $$;

CREATE TABLE water.leak_events (
    id              bigserial PRIMARY KEY,
    network_id      integer NOT NULL REFERENCES water.networks(id) ON DELETE CASCADE,
    event_key       text NOT NULL,
    run_day         date NOT NULL,
    detected_at     timestamptz NOT NULL,
    estimated_start timestamptz,
    status          varchar(12) NOT NULL DEFAULT 'new'
                    CHECK (status IN ('new', 'confirmed', 'repaired', 'closed', 'false_alarm')),
    est_flow_lps    double precision,
    detector        text NOT NULL,
    model_version   text,
    details         jsonb,
    UNIQUE (network_id, event_key)
);
CREATE INDEX leak_events_day_idx ON water.leak_events (network_id, run_day);
CREATE TABLE water.leak_candidates (
    event_id    bigint NOT NULL REFERENCES water.leak_events(id) ON DELETE CASCADE,
    rank        smallint NOT NULL,
    link_id     text NOT NULL,
    probability double precision NOT NULL CHECK (probability >= 0 AND probability <= 1),
    PRIMARY KEY (event_id, rank)
);
CREATE TABLE water.detector_state (
    network_id integer NOT NULL REFERENCES water.networks(id) ON DELETE CASCADE,
    detector   text NOT NULL,
    as_of_day  date NOT NULL,
    state      jsonb NOT NULL,
    PRIMARY KEY (network_id, detector, as_of_day)
);
CREATE TABLE water.sensor_day_status (
    sensor_pk     integer NOT NULL REFERENCES water.sensors(id) ON DELETE CASCADE,
    day           date NOT NULL,
    n_readings    integer NOT NULL,
    coverage      double precision NOT NULL,
    residual_mean double precision,
    residual_std  double precision,
    flag          text,
    PRIMARY KEY (sensor_pk, day)
);

-- hazard -----------------------------------------------------------------------
CREATE TABLE hazard.admin_areas (
    id               serial PRIMARY KEY,
    level            varchar(10) NOT NULL CHECK (level IN ('district', 'mukim', 'kampong')),
    code             text NOT NULL,
    name             text NOT NULL,
    parent_id        integer REFERENCES hazard.admin_areas(id) ON DELETE SET NULL,
    district         text,
    population       integer,
    area_km2         double precision,
    is_approximation boolean NOT NULL DEFAULT false,
    source           text,
    geom             geometry(MultiPolygon, 4326) NOT NULL,
    UNIQUE (level, code)
);
CREATE INDEX admin_areas_geom_idx ON hazard.admin_areas USING gist (geom);
CREATE TABLE hazard.rain_stations (
    station_id text PRIMARY KEY,
    name       text,
    geom       geometry(Point, 4326) NOT NULL
);
CREATE TABLE hazard.rainfall_obs (
    station_id text NOT NULL REFERENCES hazard.rain_stations(station_id) ON DELETE CASCADE,
    ts         timestamptz NOT NULL,
    period_s   integer NOT NULL CHECK (period_s > 0),
    rain_mm    double precision NOT NULL CHECK (rain_mm >= 0),
    quality    smallint NOT NULL DEFAULT 0,
    batch_id   integer,
    PRIMARY KEY (station_id, ts)
);
CREATE INDEX rainfall_obs_ts_idx ON hazard.rainfall_obs (ts);
CREATE TABLE hazard.risk_scores (
    area_id     integer NOT NULL REFERENCES hazard.admin_areas(id) ON DELETE CASCADE,
    ts          timestamptz NOT NULL,
    score       double precision NOT NULL,
    level       varchar(8) NOT NULL CHECK (level IN ('green', 'yellow', 'orange', 'red')),
    rain_1h_mm  double precision,
    rain_3h_mm  double precision,
    rain_6h_mm  double precision,
    rain_24h_mm double precision,
    drivers     text NOT NULL,
    inputs      jsonb,
    PRIMARY KEY (area_id, ts)
);
CREATE INDEX risk_scores_ts_idx ON hazard.risk_scores (ts);
"""

DOWNGRADE = """
DROP SCHEMA IF EXISTS hazard CASCADE;
DROP SCHEMA IF EXISTS water CASCADE;
DROP SCHEMA IF EXISTS ingest CASCADE;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
