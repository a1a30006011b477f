"""The analyst's daily leak map: network, sensors with their health, open events and candidate pipes.

Rendered with :mod:`platform_core.offline_map`, so it opens without internet access.
"""
from __future__ import annotations

import html
import json
from datetime import date, timedelta
from pathlib import Path

import folium
import pandas as pd
from branca.element import Element
from sqlalchemy import text

from leakdet.detect.events import OPEN_STATUSES
from leakdet.store.models import UNCONFIRMED
from leakdet.hydraulics.model_store import fetch_network
from platform_core.db import get_engine
from platform_core.offline_map import OfflineMap, save_offline

# Candidate pipes are coloured by their probability relative to the event's most likely
# pipe: absolute probabilities spread over many similar pipes and would all look pale.
PROB_COLOURS = [(0.8, "#b2182b"), (0.5, "#e34a33"), (0.25, "#fc8d59"), (0.0, "#fdcc8a")]
FLAG_COLOURS = {None: "#1a9850", "sparse": "#fdae61", "no_data": "#999999", "flatline": "#762a83"}
UNCONFIRMED_SHOWN = timedelta(days=7)      # unconfirmed alarms stay on the map this long
# Pipes by the smallest leak (L/s) the night scan finds there within a week (leakdet.detect.coverage).
COVERAGE_COLOURS = [(1.0, "#1a9850"), (2.0, "#91cf60"), (3.0, "#fee08b"), (float("inf"), "#d73027")]
BLIND_LPS = 2.0     # the legend counts pipes where a leak this large is not found within a week


def prob_colour(p: float) -> str:
    return next(c for threshold, c in PROB_COLOURS if p >= threshold)


def _geojson(rows, props) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(r.geom), "properties": {k: getattr(r, k) for k in props}}
        for r in rows]}


def _coverage_layer(network: str, day: date, links) -> tuple[folium.FeatureGroup, int] | None:
    """Pipes coloured by the smallest leak the night scan finds there within a week, hidden until
    the analyst turns it on; with the number of pipes where :data:`BLIND_LPS` is not found in a week. None
    before the scan has learned its reference nights."""
    from leakdet.errors import LeakdetError
    from leakdet.pipeline.coverage import network_coverage

    try:
        week = network_coverage(network, day)["lps_within_7_nights"]
    except LeakdetError:
        return None
    layer = folium.FeatureGroup(name="Night-scan coverage (leak found within a week)", show=False)
    for link in links:
        lps = week.get(link.link_id)
        if lps is None or pd.isna(lps):
            continue
        colour = next(c for limit, c in COVERAGE_COLOURS if lps <= limit)
        folium.GeoJson(json.loads(link.geom), style_function=lambda f, col=colour: {
            "color": col, "weight": 3, "opacity": 0.9},
            tooltip=f"{html.escape(link.link_id)}: leaks from {lps:.1f} L/s found within a week").add_to(layer)
    return layer, int((~(week <= BLIND_LPS)).sum())      # a pipe no logger sees (NaN) is blind too


def _waiting_alarms(conn, network_id: int, day: date) -> list[dict]:
    """Alarms of ``day`` held for the night after it (see :mod:`leakdet.detect.night_confirm`),
    with their three top pipes' geometry."""
    from leakdet.detect.night_confirm import HELD_KEY

    held = conn.execute(text(
        "SELECT state->:k FROM water.detector_state WHERE network_id = :n AND as_of_day = :d"),
        {"k": HELD_KEY, "n": network_id, "d": day}).scalars().all()
    out = []
    for ev in (e for row in held if row for e in row):
        pipes = [c[0] for c in ev["candidates"][:3]]
        geoms = dict(conn.execute(text(
            "SELECT link_id, ST_AsGeoJSON(geom, 7) FROM water.links WHERE network_id = :n AND link_id = ANY(:l)"),
            {"n": network_id, "l": pipes}).all())
        flow = f"{ev['est_flow_lps']:.1f} L/s" if ev.get("est_flow_lps") is not None else "unknown flow"
        out.append({"at": pd.Timestamp(ev["detected_at"]).tz_convert("Asia/Brunei"), "flow": flow,
                    "sensors": ev["details"]["sensors"], "pipes": [(p, geoms[p]) for p in pipes if p in geoms]})
    return out


def render_daily_map(network: str, day: date, out: Path) -> Path:
    """Write the map of ``network`` for local ``day`` to ``out`` and return the path."""
    with get_engine().connect() as conn:
        net = fetch_network(conn, network)
        links = conn.execute(text("SELECT link_id, link_type, ST_AsGeoJSON(geom, 7) AS geom FROM water.links "
                                  "WHERE network_id = :n"), {"n": net.id}).all()
        bounds = conn.execute(text("SELECT ST_YMin(e), ST_XMin(e), ST_YMax(e), ST_XMax(e) FROM "
                                   "(SELECT ST_Extent(geom) e FROM water.nodes WHERE network_id = :n) q"),
                              {"n": net.id}).one()
        sensors = conn.execute(text(
            """SELECT s.sensor_id, s.kind, s.element_id, ST_Y(COALESCE(n.geom, ST_LineInterpolatePoint(l.geom, 0.5))) lat,
                      ST_X(COALESCE(n.geom, ST_LineInterpolatePoint(l.geom, 0.5))) lon,
                      d.coverage, d.flag, d.residual_mean
               FROM water.sensors s
               LEFT JOIN water.nodes n ON s.element_type = 'node' AND n.network_id = s.network_id AND n.node_id = s.element_id
               LEFT JOIN water.links l ON s.element_type = 'link' AND l.network_id = s.network_id AND l.link_id = s.element_id
               LEFT JOIN water.sensor_day_status d ON d.sensor_pk = s.id AND d.day = :d
               WHERE s.network_id = :n"""), {"n": net.id, "d": day}).all()
        day_end = pd.Timestamp(day + timedelta(days=1)).tz_localize("Asia/Brunei").to_pydatetime()
        events = conn.execute(text(
            """SELECT e.id, e.event_key, e.detected_at, e.estimated_start, e.est_flow_lps, e.status,
                      (e.details->>'search_radius_m')::float AS search_radius_m,
                      e.details->'pressure_recovered' AS recovered,
                      (SELECT r.id FROM water.leak_events r WHERE r.network_id = e.network_id
                       AND r.event_key = e.details->>'relocates') AS relocates_id,
                      -- search area: 150 m around every candidate, and the localizer's search
                      -- radius (holding most of the probability) around the rank-1 pipe
                      ST_AsGeoJSON(ST_Union(
                          ST_Buffer(ST_Collect(l.geom)::geography, 150)::geometry,
                          ST_Buffer(ST_LineInterpolatePoint((array_agg(l.geom ORDER BY c.rank))[1], 0.5)::geography,
                                    COALESCE((e.details->>'search_radius_m')::float, 0) + 1)::geometry), 6) AS area
               FROM water.leak_events e
               JOIN water.leak_candidates c ON c.event_id = e.id
               JOIN water.links l ON l.network_id = e.network_id AND l.link_id = c.link_id
               WHERE e.network_id = :n AND e.detected_at < :end AND e.status = ANY(:open)
               GROUP BY e.id ORDER BY e.detected_at"""), {"n": net.id, "end": day_end, "open": list(OPEN_STATUSES)}).all()
        candidates = conn.execute(text(
            """SELECT c.event_id, c.rank, c.link_id, c.probability, ST_AsGeoJSON(l.geom, 7) AS geom
               FROM water.leak_candidates c JOIN water.leak_events e ON e.id = c.event_id
               JOIN water.links l ON l.network_id = e.network_id AND l.link_id = c.link_id
               WHERE e.network_id = :n AND e.detected_at < :end AND e.status = ANY(:open)"""),
            {"n": net.id, "end": day_end, "open": list(OPEN_STATUSES)}).all()
        waiting = _waiting_alarms(conn, net.id, day)
        unconfirmed = conn.execute(text(
            """SELECT e.id, e.detected_at, e.est_flow_lps, c.link_id, ST_AsGeoJSON(l.geom, 7) AS geom
               FROM water.leak_events e
               JOIN water.leak_candidates c ON c.event_id = e.id AND c.rank = 1
               JOIN water.links l ON l.network_id = e.network_id AND l.link_id = c.link_id
               WHERE e.network_id = :n AND e.status = :unconfirmed AND e.detected_at < :end
                 AND e.detected_at >= :since ORDER BY e.detected_at"""),
            {"n": net.id, "end": day_end, "since": day_end - UNCONFIRMED_SHOWN, "unconfirmed": UNCONFIRMED}).all()

    fmap = OfflineMap(location=[(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2], zoom_start=13)
    fmap.fit_bounds([[bounds[0], bounds[1]], [bounds[2], bounds[3]]])
    folium.GeoJson(_geojson(links, ["link_id", "link_type"]), name="Network",
                   style_function=lambda f: {"color": "#4a6fa5", "weight": 1.5, "opacity": 0.6},
                   tooltip=folium.GeoJsonTooltip(["link_id", "link_type"], aliases=["Link", "Type"])).add_to(fmap)

    sensor_layer = folium.FeatureGroup(name="Sensors").add_to(fmap)
    for s in sensors:
        status = s.flag or ("ok" if s.coverage is not None else "not run")
        tip = (f"{html.escape(s.sensor_id)} ({s.kind}, {html.escape(s.element_id)}): {status}"
               + (f", coverage {s.coverage:.0%}" if s.coverage is not None else "")
               + (f", mean residual {s.residual_mean:+.2f} m" if s.residual_mean is not None and s.kind == "pressure" else ""))
        folium.CircleMarker([s.lat, s.lon], radius=5 if s.kind == "pressure" else 7, weight=1, color="#222",
                            fill=True, fill_opacity=0.9, fill_color=FLAG_COLOURS.get(s.flag, "#1a9850"),
                            tooltip=tip).add_to(sensor_layer)

    event_layer = folium.FeatureGroup(name="Leak events").add_to(fmap)
    by_event = pd.DataFrame([c._asdict() for c in candidates])
    for ev in events:
        flow = f"{ev.est_flow_lps:.1f} L/s" if ev.est_flow_lps is not None else "unknown"
        label = (f"<b>Leak event {ev.id}</b> ({html.escape(ev.status)})<br>"
                 f"Detected: {pd.Timestamp(ev.detected_at).tz_convert('Asia/Brunei'):%Y-%m-%d %H:%M} BNT<br>"
                 f"Probably started: {pd.Timestamp(ev.estimated_start).tz_convert('Asia/Brunei'):%Y-%m-%d %H:%M} BNT<br>"
                 f"Estimated flow: {flow}"
                 + (f"<br>Search radius: {ev.search_radius_m:.0f} m around the first pipe"
                    if ev.search_radius_m is not None else "")
                 + (f"<br><b>Relocates event {ev.relocates_id}</b>: the night places that leak here"
                    if ev.relocates_id is not None else "")
                 + (f"<br><b>Pressure recovered</b> "
                    f"{pd.Timestamp(ev.recovered['observed_at']).tz_convert('Asia/Brunei'):%Y-%m-%d} near "
                    f"{html.escape(ev.recovered['pipe'])} (about {ev.recovered['flow_lps']:.1f} L/s): possibly repaired, check"
                    if ev.recovered and pd.Timestamp(ev.recovered['observed_at']) <= pd.Timestamp(day_end) else ""))
        folium.GeoJson(json.loads(ev.area), name=f"Search area {ev.id}",
                       style_function=lambda f: {"color": "#b2182b", "weight": 1, "dashArray": "4",
                                                 "fillOpacity": 0.08}).add_to(event_layer)
        rows = by_event[by_event["event_id"] == ev.id].sort_values("rank") if len(by_event) else by_event
        top = rows["probability"].max() if len(rows) else 1.0
        for c in rows.itertuples():
            rel = c.probability / top if top > 0 else 0.0
            folium.GeoJson(json.loads(c.geom), style_function=lambda f, col=prob_colour(rel): {
                "color": col, "weight": 6, "opacity": 0.95},
                tooltip=f"{html.escape(c.link_id)}: p = {c.probability:.2f} (rank {c.rank})",
                popup=folium.Popup(label + f"<br>Candidate {html.escape(c.link_id)}: p = {c.probability:.2f}",
                                   max_width=320)).add_to(event_layer)
    if waiting:
        # Not events yet: small daytime alarms are raised once the night after them has been seen.
        waiting_layer = folium.FeatureGroup(name="Alarms waiting for tonight").add_to(fmap)
        for w in waiting:
            tip = (f"Alarm at {w['at']:%Y-%m-%d %H:%M} BNT ({html.escape(', '.join(w['sensors']))}), "
                   f"about {w['flow']}: waiting for tonight's night scans, raised at 05:00")
            for link_id, geom in w["pipes"]:
                folium.GeoJson(json.loads(geom), style_function=lambda f: {
                    "color": "#555", "weight": 5, "dashArray": "6", "opacity": 0.8},
                    tooltip=f"{html.escape(link_id)}: {tip}").add_to(waiting_layer)
    if unconfirmed:
        # Raised without a crew (the night did not confirm them, days after a repair): the analyst
        # sees where they point, and may confirm one (`leakdet events set-status`).
        doubt_layer = folium.FeatureGroup(name="Unconfirmed alarms (no crew)").add_to(fmap)
        for u in unconfirmed:
            flow = f"{u.est_flow_lps:.1f} L/s" if u.est_flow_lps is not None else "unknown flow"
            tip = (f"Unconfirmed alarm, event {u.id}, {pd.Timestamp(u.detected_at).tz_convert('Asia/Brunei'):%Y-%m-%d %H:%M}"
                   f" BNT, about {flow}: the night did not confirm it, soon after a repair; no crew sent")
            folium.GeoJson(json.loads(u.geom), style_function=lambda f: {
                "color": "#999", "weight": 5, "dashArray": "2 6", "opacity": 0.8},
                tooltip=f"{html.escape(u.link_id)}: {tip}").add_to(doubt_layer)
    coverage = _coverage_layer(network, day, [link for link in links if link.link_type == "pipe"])
    if coverage is not None:
        coverage[0].add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    legend = ("<div style='position:fixed;bottom:20px;left:20px;z-index:9999;background:#fff;padding:8px;"
              "border:1px solid #999;font:12px sans-serif'>"
              f"<b>{html.escape(network)} — {day.isoformat()}</b><br>{len(events)} open leak event(s)<br>"
              + (f"{len(waiting)} alarm(s) waiting for tonight (grey, dashed)<br>" if waiting else "")
              + (f"{len(unconfirmed)} unconfirmed alarm(s) in the last {UNCONFIRMED_SHOWN.days} days, no crew "
                 f"(grey, dotted)<br>" if unconfirmed else "")
              + (f"Coverage layer: {coverage[1]} pipe(s) where a {BLIND_LPS:g} L/s leak is not found within a week; "
                 + " ".join(f"<span style='background:{c};padding:0 6px'>&le;{t:g}</span>" for t, c in COVERAGE_COLOURS[:-1])
                 + f" <span style='background:{COVERAGE_COLOURS[-1][1]};padding:0 6px'>&gt;{COVERAGE_COLOURS[-2][0]:g}</span>"
                   " L/s<br>" if coverage is not None else "") +
              "Candidate pipes, likelihood relative to the event's top pipe: " + " ".join(
                  f"<span style='background:{c};padding:0 6px'>&ge;{t:g}</span>" for t, c in PROB_COLOURS) +
              "<br>Sensors: " + " ".join(f"<span style='color:{c}'>&#9679;</span> {k or 'ok'}"
                                          for k, c in FLAG_COLOURS.items()) + "</div>")
    fmap.get_root().html.add_child(Element(legend))
    return save_offline(fmap, out)
