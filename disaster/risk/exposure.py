"""What is exposed in each area: people, kampongs and the water utility's critical assets.

Read with SQL from the shared database only (``disaster`` never imports ``leakdet``):
tanks and reservoirs (``water.nodes``), pumps (``water.links``), and leaks still open
(status new/confirmed) located by their most likely pipe (``water.leak_candidates`` rank 1).
A leak counts for the hours after it was detected, so re-scoring the past is unchanged
by leaks found later.
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy import text


def static_exposure(conn) -> pd.DataFrame:
    """Per area (index area_id): population, kampongs, tanks, reservoirs, pumps and asset names."""
    areas = pd.read_sql(text(
        """SELECT a.id AS area_id, a.population,
                  (SELECT count(*) FROM hazard.admin_areas k WHERE k.level = 'kampong'
                     AND (k.parent_id = a.id OR k.parent_id IN (SELECT m.id FROM hazard.admin_areas m
                                                                WHERE m.parent_id = a.id))) AS kampongs
           FROM hazard.admin_areas a"""), conn).set_index("area_id")
    has_water = conn.execute(text("SELECT to_regclass('water.nodes') IS NOT NULL")).scalar()
    assets = pd.DataFrame(columns=["area_id", "kind", "name"])
    if has_water:
        assets = pd.read_sql(text(
            """SELECT a.id AS area_id, n.node_type AS kind, n.node_id AS name
               FROM water.nodes n JOIN hazard.admin_areas a ON ST_Intersects(a.geom, n.geom)
               WHERE n.node_type IN ('tank', 'reservoir')
               UNION ALL
               SELECT a.id, 'pump', l.link_id FROM water.links l JOIN hazard.admin_areas a
                 ON ST_Intersects(a.geom, ST_LineInterpolatePoint(l.geom, 0.5))
               WHERE l.link_type = 'pump'"""), conn)
    for kind in ("tank", "reservoir", "pump"):
        areas[f"{kind}s"] = assets[assets["kind"] == kind].groupby("area_id").size().reindex(areas.index).fillna(0).astype(int)
    areas["asset_names"] = assets.groupby("area_id")["name"].apply(lambda s: sorted(s)[:5]).reindex(areas.index)
    return areas


def open_leaks(conn) -> pd.DataFrame:
    """Open leak events with the area of their top candidate pipe: area_id, event_id, detected_at (UTC)."""
    if not conn.execute(text("SELECT to_regclass('water.leak_events') IS NOT NULL")).scalar():
        return pd.DataFrame(columns=["area_id", "event_id", "detected_at"])
    leaks = pd.read_sql(text(
        """SELECT a.id AS area_id, e.id AS event_id, e.detected_at
           FROM water.leak_events e
           JOIN water.leak_candidates c ON c.event_id = e.id AND c.rank = 1
           JOIN water.links l ON l.network_id = e.network_id AND l.link_id = c.link_id
           JOIN hazard.admin_areas a ON ST_Intersects(a.geom, ST_LineInterpolatePoint(l.geom, 0.5))
           WHERE e.status IN ('new', 'confirmed')"""), conn)
    leaks["detected_at"] = pd.to_datetime(leaks["detected_at"], utc=True)
    return leaks


def words(row, leaks: int) -> str | None:
    """'exposed: 3 kampongs, 1 tank, 1 pump, 1 open leak' (None when nothing to name)."""
    parts = []
    for n, one in ((row.kampongs, "kampong"), (row.tanks, "tank"), (row.reservoirs, "reservoir"),
                   (row.pumps, "pump"), (leaks, "open leak")):
        if n:
            parts.append(f"{n} {one}{'s' if n > 1 else ''}")
    if row.population and row.population > 0:
        parts.insert(0, f"{int(row.population):,} people")
    return "exposed: " + ", ".join(parts) if parts else None
