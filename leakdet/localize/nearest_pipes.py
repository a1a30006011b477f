"""A first localization: pipes near the sensors that alarmed, weighted by distance and drop.

This is the classical "closest to the largest pressure drop" heuristic; a learned
localizer replaces it later. Distances are in metres in Brunei's grid (EPSG:5247).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from pyproj import Transformer

_TO_BRSO = Transformer.from_crs(4326, 5247, always_xy=True)


def project(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return _TO_BRSO.transform(np.asarray(lon, float), np.asarray(lat, float))


def candidate_pipes(sensor_xy: pd.DataFrame, weights: pd.Series, pipes_xy: pd.DataFrame,
                    top_k: int = 5, scale_m: float = 150.0) -> pd.DataFrame:
    """Rank pipes by closeness to the alarming sensors.

    Parameters
    ----------
    sensor_xy : DataFrame
        Index sensor_id; columns x, y (m, EPSG:5247) of the measured node.
    weights : Series
        Index sensor_id; non-negative evidence per sensor (e.g. pressure drop in m).
    pipes_xy : DataFrame
        Index link_id; columns x, y of the pipe midpoint (m).
    scale_m : float
        Distance (m) over which the weight of a sensor falls by a factor e.

    Returns
    -------
    DataFrame
        link_id, probability (sums to 1 over the returned candidates), distance_m to the nearest alarming sensor.
    """
    w = weights.clip(lower=0).reindex(sensor_xy.index).fillna(0)
    if w.sum() <= 0:
        w[:] = 1.0
    px, py = pipes_xy["x"].to_numpy(), pipes_xy["y"].to_numpy()
    score = np.zeros(len(pipes_xy))
    nearest = np.full(len(pipes_xy), np.inf)
    for sid, (sx, sy) in sensor_xy[["x", "y"]].iterrows():
        d = np.hypot(px - sx, py - sy)
        score += w[sid] * np.exp(-d / scale_m)
        nearest = np.minimum(nearest, d)
    order = np.argsort(-score)[:top_k]
    prob = score[order] / score[order].sum() if score[order].sum() > 0 else np.full(len(order), 1 / len(order))
    return pd.DataFrame({"link_id": pipes_xy.index.to_numpy()[order], "probability": prob,
                         "distance_m": nearest[order]})


def network_points(conn, network_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sensor positions (index sensor_id) and pipe midpoints (index link_id), x/y in EPSG:5247 metres."""
    from sqlalchemy import text

    sensors = pd.read_sql(text(
        """SELECT s.sensor_id, ST_X(n.geom) AS lon, ST_Y(n.geom) AS lat FROM water.sensors s
           JOIN water.nodes n ON n.network_id = s.network_id AND n.node_id = s.element_id
           WHERE s.network_id = :n AND s.kind = 'pressure'"""), conn, params={"n": network_id})
    pipes = pd.read_sql(text(
        """SELECT link_id, ST_X(p) AS lon, ST_Y(p) AS lat FROM (
               SELECT link_id, ST_LineInterpolatePoint(geom, 0.5) AS p FROM water.links
               WHERE network_id = :n AND link_type = 'pipe') q"""), conn, params={"n": network_id})
    for frame in (sensors, pipes):
        frame["x"], frame["y"] = project(frame["lon"], frame["lat"])
    return sensors.set_index("sensor_id"), pipes.set_index("link_id")
