"""Disaster bulletins: the CAP 1.2 message lifecycle, and the water assets inside red and orange areas.

``hazard.bulletins`` holds every CAP message issued, one row per situation (flood in a
district) and hour, so a re-issue for the same hour replaces its row instead of adding one,
and each Update/Cancel can reference the messages before it.

``hazard.water_assets_at_risk_at(t)`` lists the water network assets (tanks, reservoirs,
pumps) and the open leak events lying in areas whose latest level at or before ``t`` is
orange or red; the view ``hazard.water_assets_at_risk`` is the same for the latest scores.
This is where the disaster and leak engines meet: neither imports the other.

Revision ID: 0004_disaster_bulletins
Revises: 0003_localizer_models
Create Date: 2026-11-26
"""
from alembic import op

revision = "0004_disaster_bulletins"
down_revision = "0003_localizer_models"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE hazard.bulletins (
    id             serial PRIMARY KEY,
    identifier     text NOT NULL UNIQUE,          -- CAP identifier, unique for the sender
    sender         text NOT NULL,
    sent           timestamptz NOT NULL,          -- end of the scored hour the message is about
    msg_type       varchar(8) NOT NULL CHECK (msg_type IN ('Alert', 'Update', 'Cancel')),
    status         varchar(8) NOT NULL CHECK (status IN ('Actual', 'Exercise', 'System', 'Test', 'Draft')),
    "references"   text,                          -- CAP references: "sender,identifier,sent ..." or NULL
    group_key      text NOT NULL,                 -- the region of the situation, e.g. "flood:brunei-muara"
    situation_id   text NOT NULL,                 -- identifier of the Alert that opened the situation
    level          varchar(8) NOT NULL CHECK (level IN ('green', 'yellow', 'orange', 'red')),
    area_levels    jsonb NOT NULL,                -- {"<area id>": "<level>"} of the areas at yellow or above
    area_ids       integer[] NOT NULL,
    expires        timestamptz,
    cap_path       text NOT NULL,
    html_path      text,
    utility_html_path text,
    xml_sha256     varchar(64) NOT NULL,
    xml_text       text NOT NULL,
    UNIQUE (group_key, sent)
);
CREATE INDEX bulletins_sent_idx ON hazard.bulletins (sent);
CREATE INDEX bulletins_situation_idx ON hazard.bulletins (situation_id, sent);

CREATE FUNCTION hazard.water_assets_at_risk_at(at_time timestamptz)
RETURNS TABLE (
    asset_kind   text,            -- tank | reservoir | pump | leak_event
    network_id   integer,
    network_name text,
    asset_id     text,            -- node id, link id, or leak event id
    detail       text,
    geom         geometry(Point, 4326),
    area_id      integer,
    area_level   text,
    area_code    text,
    area_name    text,
    district     text,
    risk_level   text,
    risk_ts      timestamptz,
    drivers      text
) LANGUAGE sql STABLE AS $$
    WITH hot AS (
        -- Each area's latest score at or before at_time: one index probe per area on the primary key.
        SELECT a.id, a.level AS area_level, a.code, a.name, a.district, a.geom,
               l.level AS risk_level, l.ts, l.drivers
        FROM hazard.admin_areas a
        CROSS JOIN LATERAL (SELECT r.level, r.ts, r.drivers FROM hazard.risk_scores r
                            WHERE r.area_id = a.id AND r.ts <= at_time ORDER BY r.ts DESC LIMIT 1) l
        WHERE l.level IN ('orange', 'red')
    ), assets AS (
        SELECT n.node_type::text AS asset_kind, n.network_id, n.node_id AS asset_id,
               format('elevation %s m', round(n.elevation_m::numeric, 1)) AS detail, n.geom
        FROM water.nodes n WHERE n.node_type IN ('tank', 'reservoir')
        UNION ALL
        SELECT 'pump', k.network_id, k.link_id, format('%s -> %s', k.start_node, k.end_node),
               ST_LineInterpolatePoint(k.geom, 0.5)
        FROM water.links k WHERE k.link_type = 'pump'
        UNION ALL
        -- An open leak is placed at the middle of its most likely pipe.
        SELECT 'leak_event', e.network_id, e.id::text,
               format('%s since %s, top pipe %s%s', e.status,
                      to_char(e.detected_at AT TIME ZONE 'Asia/Brunei', 'YYYY-MM-DD HH24:MI'), c.link_id,
                      CASE WHEN e.est_flow_lps IS NULL THEN ''
                           ELSE format(', about %s L/s', round(e.est_flow_lps::numeric, 1)) END),
               ST_LineInterpolatePoint(k.geom, 0.5)
        FROM water.leak_events e
        JOIN water.leak_candidates c ON c.event_id = e.id AND c.rank = 1
        JOIN water.links k ON k.network_id = e.network_id AND k.link_id = c.link_id
        WHERE e.status NOT IN ('repaired', 'closed', 'false_alarm')
    )
    SELECT s.asset_kind, s.network_id, w.name, s.asset_id, s.detail, s.geom,
           h.id, h.area_level, h.code, h.name, h.district, h.risk_level, h.ts, h.drivers
    FROM assets s
    JOIN water.networks w ON w.id = s.network_id
    JOIN hot h ON ST_Intersects(h.geom, s.geom)
$$;

CREATE VIEW hazard.water_assets_at_risk AS
    SELECT * FROM hazard.water_assets_at_risk_at('infinity'::timestamptz);
COMMENT ON VIEW hazard.water_assets_at_risk IS
    'Tanks, reservoirs, pumps and open leak events inside areas whose latest risk level is orange or red '
    '(one row per asset and area; an asset inside a red mukim also appears with its district if that is orange or red).';
"""

DOWNGRADE = """
DROP VIEW IF EXISTS hazard.water_assets_at_risk;
DROP FUNCTION IF EXISTS hazard.water_assets_at_risk_at(timestamptz);
DROP TABLE IF EXISTS hazard.bulletins;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
