"""Coverage of a network's night-signature scan as of a day: the smallest leak found at each pipe
(see :mod:`leakdet.detect.coverage`), from the scan's stored reference nights and the signatures
of that night's operating state, as the daily run tests them."""
from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pyarrow.parquet as pq
from sqlalchemy import text

from leakdet.errors import LeakdetError
from leakdet.hydraulics.model_store import fetch_network
from leakdet.hydraulics.operating_state import read_state
from leakdet.localize.nearest_pipes import network_points
from leakdet.network.sensor_map import load_sensors
from leakdet.pipeline import daily
from platform_core.db import get_engine


def network_coverage(network: str, day: str | date | None = None) -> pd.DataFrame:
    """Per pipe of ``network`` (index ``link_id``): ``t_per_lps`` and the smallest leak (L/s) the
    night-signature scan finds within 1, 3 and 7 nights, as of local ``day`` (default: the latest
    day run). ``attrs["as_of_day"]`` is the day whose state was used."""
    from leakdet.detect.coverage import detectable_flows
    from leakdet.detect.night_signature import NIGHT_SIGNATURE_KEY, NightSignatureScan, weekday_removed

    with get_engine().connect() as conn:
        stored = fetch_network(conn, network)
        row = conn.execute(text(
            "SELECT as_of_day, state->:key AS scan FROM water.detector_state WHERE network_id = :n "
            "AND detector = :d AND (CAST(:day AS date) IS NULL OR as_of_day <= :day) ORDER BY as_of_day DESC LIMIT 1"),
            {"key": NIGHT_SIGNATURE_KEY, "n": stored.id, "d": daily.DETECTOR,
             "day": None if day is None else daily.as_day(day)}).first()
        sensors = load_sensors(conn, network)
        _, pipes_xy = network_points(conn, stored.id)
    nights = (row.scan or {}).get("nights", []) if row else []
    if len(nights) < NightSignatureScan.min_nights:
        when = f"as of {daily.as_day(day)}" if day else "yet"
        raise LeakdetError(f"{network}: the night-signature scan has {len(nights)} reference nights {when} "
                           f"(needs {NightSignatureScan.min_nights}): run `leakdet train` or `leakdet detect` first")
    folder = daily.day_dir(network, row.as_of_day)
    residuals = folder / daily.RESIDUALS_FILE
    compensated = residuals.exists() and "inflow_m3s" in pq.read_schema(residuals).names
    localizers = daily._localizers(network, stored, sensors, compensated, read_state(folder / daily.STATE_FILE),
                                   pipes_xy)
    if localizers is None:
        raise LeakdetError(f"{network}: fewer than 3 pressure loggers on nodes, nothing to test")
    # The scan compares nights with their weekday's offsets removed; so is its noise learned.
    nights = weekday_removed(nights, row.scan.get("offsets", {}))
    cover = detectable_flows(localizers.correlation.pipe_signatures(), nights)
    cover.attrs["as_of_day"] = row.as_of_day.isoformat()
    return cover


def export_coverage(network: str, day: str | date | None, fmt: str) -> str:
    """The coverage as CSV, or a GeoJSON FeatureCollection (one feature per pipe, with its geometry)."""
    if fmt not in ("csv", "geojson"):
        raise LeakdetError(f"unknown coverage format {fmt!r}: use csv or geojson")
    cover = network_coverage(network, day).round(3)
    cover.insert(0, "as_of_day", cover.attrs["as_of_day"])
    if fmt == "csv":
        return cover.to_csv()
    with get_engine().connect() as conn:
        geoms = dict(conn.execute(text(
            "SELECT l.link_id, ST_AsGeoJSON(l.geom, 7) FROM water.links l JOIN water.networks n ON n.id = l.network_id "
            "WHERE n.name = :n"), {"n": network}).all())
    # A pipe no logger sees has no finite flow: null, not NaN (which is not JSON).
    table = cover.reset_index()
    records = table.astype(object).where(table.notna(), None).to_dict("records")
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(geoms[r["link_id"]]), "properties": r}
        for r in records if r["link_id"] in geoms]}, default=str)
