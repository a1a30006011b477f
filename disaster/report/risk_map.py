"""The disaster officer's risk map for one hour: areas coloured by level with their reasons,
24-hour rain, rain gauges, river gauges against their thresholds, water assets at risk.

Rendered with :mod:`platform_core.offline_map`, so it opens without internet access.
"""
from __future__ import annotations

import html
import json
from pathlib import Path

import folium
import pandas as pd
from branca.element import Element
from sqlalchemy import text

from disaster.report.risk_layers import assets_layer, rain_layer, river_layer
from platform_core.db import get_engine
from platform_core.offline_map import OfflineMap, save_offline

COLOURS = {"green": "#1a9850", "yellow": "#fee08b", "orange": "#fc8d59", "red": "#d73027", None: "#cccccc"}


def render_risk_map(at, out: str | Path, levels: tuple[str, ...] = ("mukim", "district", "kampong")) -> Path:
    """Write the risk map for the hour ending at ``at`` (local if naive) to ``out``."""
    t = pd.Timestamp(at)
    t = (t.tz_localize("Asia/Brunei") if t.tzinfo is None else t).tz_convert("UTC").floor("1h")
    with get_engine().connect() as conn:
        areas = conn.execute(text(
            """SELECT a.id, a.level, a.name, a.district, a.is_approximation,
                      ST_AsGeoJSON(ST_SimplifyPreserveTopology(a.geom, 0.0005), 5) AS geom,
                      r.level AS risk, r.score, r.drivers, r.rain_1h_mm, r.rain_6h_mm, r.rain_24h_mm,
                      r.rain_source, r.forecast_6h_mm, r.river_pct_danger
               FROM hazard.admin_areas a LEFT JOIN hazard.risk_scores r ON r.area_id = a.id AND r.ts = :t
               WHERE a.level = ANY(:levels) ORDER BY a.level DESC, a.name"""),
            {"t": t.to_pydatetime(), "levels": list(levels)}).all()
        gauges = conn.execute(text(
            """SELECT s.station_id, s.name, ST_Y(s.geom) AS lat, ST_X(s.geom) AS lon,
                      SUM(o.rain_mm) FILTER (WHERE o.ts > :t - interval '1 hour') AS r1,
                      SUM(o.rain_mm) AS r24, MAX(o.ts) AS last
               FROM hazard.rain_stations s LEFT JOIN hazard.rainfall_obs o
                 ON o.station_id = s.station_id AND o.ts > :t - interval '24 hours' AND o.ts <= :t
               GROUP BY s.station_id ORDER BY s.station_id"""), {"t": t.to_pydatetime()}).all()
    fmap = OfflineMap(location=[4.6, 114.7], zoom_start=9)
    approx = any(a.is_approximation for a in areas)
    for level in levels:
        feats = [{"type": "Feature", "geometry": json.loads(a.geom), "properties": {
            "name": html.escape(a.name), "district": html.escape(a.district or ""), "risk": a.risk or "not scored",
            "drivers": html.escape(a.drivers or ""),
            "rain": f"{a.rain_1h_mm or 0:.0f} / {a.rain_6h_mm or 0:.0f} / {a.rain_24h_mm or 0:.0f} mm"
                    + (f" ({a.rain_source})" if a.rain_source else ""),
            "forecast": "-" if a.forecast_6h_mm is None else f"{a.forecast_6h_mm:.0f} mm",
            "river": "-" if a.river_pct_danger is None else f"{a.river_pct_danger:.0f} % of danger"}}
            for a in areas if a.level == level]
        if not feats:
            continue
        folium.GeoJson({"type": "FeatureCollection", "features": feats}, name=f"{level.title()} risk",
                       show=(level == levels[0]), smooth_factor=0.5,
                       style_function=lambda f, lv=level: {
                           "fillColor": COLOURS.get(f["properties"]["risk"], "#cccccc"), "color": "#333",
                           "weight": {"district": 2.0, "mukim": 0.8}.get(lv, 0.4),
                           "fillOpacity": 0.65 if lv != "district" or lv == levels[0] else 0.0},
                       tooltip=folium.GeoJsonTooltip(["name", "district", "risk", "rain", "forecast", "river", "drivers"],
                                                     aliases=["Area", "District", "Level", "Rain 1/6/24 h",
                                                              "Forecast next 6 h", "River", "Why"])
                       ).add_to(fmap)
    rain_layer(fmap, areas, "mukim")
    with get_engine().connect() as conn:
        river_layer(fmap, conn, t)
        n_assets = assets_layer(fmap, conn, t)
    layer = folium.FeatureGroup(name="Rain gauges").add_to(fmap)
    for g in gauges:
        silent = g.last is None or pd.Timestamp(g.last) < t - pd.Timedelta(hours=1)
        tip = (f"{html.escape(g.name or g.station_id)}: {g.r1 or 0:.1f} mm last hour, {g.r24 or 0:.0f} mm in 24 h"
               + (" — SILENT" if silent else ""))
        folium.CircleMarker([g.lat, g.lon], radius=5, color="#08306b", weight=1, fill=True,
                            fill_color="#999" if silent else "#2171b5", fill_opacity=0.9, tooltip=tip).add_to(layer)
    folium.LayerControl(collapsed=False).add_to(fmap)
    local = t.tz_convert("Asia/Brunei")
    note = ("<br><i>Area outlines are an APPROXIMATION built from public centroids, not official boundaries.</i>"
            if approx else "")
    legend = ("<div style='position:fixed;bottom:20px;left:20px;z-index:9999;background:#fff;padding:8px;"
              "border:1px solid #999;font:12px sans-serif;max-width:360px'>"
              f"<b>Flood risk — hour ending {local:%Y-%m-%d %H:%M} BNT</b><br>"
              + " ".join(f"<span style='background:{COLOURS[k]};padding:0 6px'>{k}</span>"
                         for k in ("green", "yellow", "orange", "red"))
              + "<br>▲ river gauges (colour = level vs the station's thresholds; grey = no thresholds)"
              + f"<br>{n_assets} water asset(s) in orange/red mukims" + note + "</div>")
    fmap.get_root().html.add_child(Element(legend))
    return save_offline(fmap, out)
