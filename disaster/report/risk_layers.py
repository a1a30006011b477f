"""Extra layers of the risk map: 24-hour rain, river gauges against their thresholds, water assets at risk.

Each function reads what it draws with SQL (the water tables only by SQL: ``disaster``
does not import ``leakdet``) and adds one ``folium.FeatureGroup``/``GeoJson`` to the map.
"""
from __future__ import annotations

import html
import json

import folium
import pandas as pd
from sqlalchemy import text

RIVER_COLOURS = {0: "#1a9850", 1: "#fee08b", 2: "#fc8d59", 3: "#d73027", None: "#9e9e9e"}
RAIN_BINS = ((150, "#08306b"), (100, "#2171b5"), (60, "#4292c6"), (20, "#9ecae1"), (1, "#deebf7"), (0, "#ffffff"))


def rain_layer(fmap, areas, level: str = "mukim") -> None:
    """Areas coloured by rain in the last 24 h (mm), hidden by default."""
    feats = [{"type": "Feature", "geometry": json.loads(a.geom),
              "properties": {"name": html.escape(a.name), "r24": round(a.rain_24h_mm or 0), "src": a.rain_source or "-"}}
             for a in areas if a.level == level]
    if not feats:
        return

    def colour(mm):
        return next(c for lim, c in RAIN_BINS if mm >= lim)

    folium.GeoJson({"type": "FeatureCollection", "features": feats}, name=f"Rain 24 h ({level})", show=False,
                   style_function=lambda f: {"fillColor": colour(f["properties"]["r24"]), "color": "#555",
                                             "weight": 0.5, "fillOpacity": 0.7},
                   tooltip=folium.GeoJsonTooltip(["name", "r24", "src"], aliases=["Area", "Rain 24 h (mm)", "Source"])
                   ).add_to(fmap)


def river_layer(fmap, conn, t: pd.Timestamp) -> None:
    """River gauges: latest level in the last 3 h, its thresholds and % of the danger level."""
    rows = conn.execute(text(
        """SELECT s.station_id, coalesce(s.name, s.station_id) AS name, s.river, ST_Y(s.geom) AS lat, ST_X(s.geom) AS lon,
                  s.alert_m, s.warning_m, s.danger_m, s.thresholds_source, l.level_m, l.ts
           FROM hazard.river_stations s
           LEFT JOIN LATERAL (SELECT level_m, ts FROM hazard.river_levels r WHERE r.station_id = s.station_id
                              AND r.ts <= :t AND r.ts > :t - interval '3 hours' ORDER BY ts DESC LIMIT 1) l ON true
           ORDER BY s.station_id"""), {"t": t.to_pydatetime()}).all()
    layer = folium.FeatureGroup(name="River gauges").add_to(fmap)
    for r in rows:
        if r.level_m is None:
            cls, state = None, "no reading in the last 3 h"
        elif r.danger_m is None:
            cls, state = None, f"{r.level_m:.2f} m — no thresholds (cannot raise a level)"
        else:
            cls = sum(r.level_m >= x for x in (r.alert_m, r.warning_m, r.danger_m) if x is not None)
            state = (f"{r.level_m:.2f} m = {100 * r.level_m / r.danger_m:.0f} % of danger level "
                     f"(alert {r.alert_m:.2f} / warning {r.warning_m:.2f} / danger {r.danger_m:.2f} m)")
        tip = f"<b>{html.escape(r.name)}</b> ({html.escape(r.river or '')})<br>{state}"
        if r.thresholds_source:
            tip += f"<br><i>thresholds: {html.escape(r.thresholds_source)}</i>"
        # A DivIcon triangle: plain HTML, so nothing is fetched (folium's polygon markers need a CDN plugin).
        icon = folium.DivIcon(icon_size=(18, 18), icon_anchor=(9, 12), html=(
            f"<div style='font-size:18px;line-height:18px;color:{RIVER_COLOURS[cls]};"
            "text-shadow:0 0 2px #000,0 0 1px #000'>&#9650;</div>"))
        folium.Marker([r.lat, r.lon], icon=icon, tooltip=tip).add_to(layer)


def assets_layer(fmap, conn, t: pd.Timestamp) -> int:
    """Tanks, reservoirs, pumps and open leaks inside areas at orange or red this hour; returns how many."""
    if not conn.execute(text("SELECT to_regclass('water.nodes') IS NOT NULL")).scalar():
        return 0
    rows = conn.execute(text(
        """WITH hot AS (SELECT a.id, a.name, a.geom, r.level FROM hazard.admin_areas a
                        JOIN hazard.risk_scores r ON r.area_id = a.id AND r.ts = :t
                        WHERE r.level IN ('orange', 'red') AND a.level = 'mukim'),
                assets AS (
                  SELECT n.node_type AS kind, n.node_id AS id, n.geom FROM water.nodes n
                  WHERE n.node_type IN ('tank', 'reservoir')
                  UNION ALL SELECT 'pump', l.link_id, ST_LineInterpolatePoint(l.geom, 0.5) FROM water.links l
                  WHERE l.link_type = 'pump'
                  UNION ALL SELECT 'open leak', 'event ' || e.id, ST_LineInterpolatePoint(l.geom, 0.5)
                  FROM water.leak_events e JOIN water.leak_candidates c ON c.event_id = e.id AND c.rank = 1
                  JOIN water.links l ON l.network_id = e.network_id AND l.link_id = c.link_id
                  WHERE e.status IN ('new', 'confirmed') AND e.detected_at <= :t)
           SELECT DISTINCT ON (x.kind, x.id) x.kind, x.id, ST_Y(x.geom) AS lat, ST_X(x.geom) AS lon, h.name, h.level
           FROM assets x JOIN hot h ON ST_Intersects(h.geom, x.geom)
           ORDER BY x.kind, x.id, h.level DESC"""), {"t": t.to_pydatetime()}).all()
    layer = folium.FeatureGroup(name="Water assets at risk").add_to(fmap)
    for r in rows:
        folium.CircleMarker([r.lat, r.lon], radius=6, color="#4a1486", weight=2, fill=True,
                            fill_color="#f768a1" if r.kind == "open leak" else "#807dba", fill_opacity=0.9,
                            tooltip=f"{html.escape(r.kind)} {html.escape(r.id)} in {html.escape(r.name)} ({r.level})"
                            ).add_to(layer)
    return len(rows)
