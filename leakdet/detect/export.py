"""Export leak events (one row per event and candidate pipe) as CSV or GeoJSON.

The candidates are the event's current ones: a later alarm of the same leak may have refined
them (``refined_at``). ``initial_link_id`` is the pipe reported at ``detected_at``, what a
crew was first sent to; scoring a detection by data up to its time must use that one.
"""
from __future__ import annotations

import json

import pandas as pd
from sqlalchemy import text

from leakdet.errors import LeakdetError
from leakdet.network.sensor_map import network_id
from platform_core.db import get_engine

COLUMNS = ["event_id", "link_id", "rank", "probability", "detected_at", "estimated_start", "est_flow_lps",
           "search_radius_m", "status", "detector", "model_version", "initial_link_id", "refined_at"]


def events_frame(network: str) -> pd.DataFrame:
    with get_engine().connect() as conn:
        nid = network_id(conn, network)
        frame = pd.read_sql(text(
            """SELECT e.id AS event_id, c.link_id, c.rank, c.probability, e.detected_at, e.estimated_start,
                      e.est_flow_lps, (e.details->>'search_radius_m')::float AS search_radius_m, e.status, e.detector, e.model_version,
                      COALESCE(e.details->>'initial_top', top.link_id) AS initial_link_id,
                      e.details->>'refined_at' AS refined_at, ST_AsGeoJSON(l.geom, 7) AS geom
               FROM water.leak_events e JOIN water.leak_candidates c ON c.event_id = e.id
               JOIN water.leak_candidates top ON top.event_id = e.id AND top.rank = 1
               JOIN water.links l ON l.network_id = e.network_id AND l.link_id = c.link_id
               WHERE e.network_id = :n ORDER BY e.detected_at, c.rank"""), conn, params={"n": nid})
    for col in ("detected_at", "estimated_start", "refined_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True, format="ISO8601").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return frame


def export_events(network: str, fmt: str) -> str:
    frame = events_frame(network)
    if fmt == "csv":
        return frame[COLUMNS].to_csv(index=False)
    if fmt == "geojson":
        return json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": json.loads(r["geom"]), "properties": {k: r[k] for k in COLUMNS}}
            for r in frame.to_dict("records")]}, default=str)
    raise LeakdetError(f"unknown export format {fmt!r}: use csv or geojson")
