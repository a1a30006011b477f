"""Regenerate ``sensors.csv`` for the demonstration network (deterministic).

Pressure loggers on about 3 % of junctions, spread by farthest-point sampling on the
map (what a utility does when it first places loggers: cover the network evenly),
flow meters on the two pump stations at the source, and level gauges on every tank.
A few loggers report in bar or kPa, as mixed fleets do, to exercise unit conversion.

Usage: uv run python -m hydraulic_models.brunei_muara.make_sensor_map
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import wntr

from hydraulic_models.brunei_muara import SENSOR_MAP, network_path

SHARE = 0.03


def farthest_points(xy: np.ndarray, k: int) -> list[int]:
    centre = xy.mean(axis=0)
    chosen = [int(np.argmin(np.hypot(*(xy - centre).T)))]
    dist = np.hypot(*(xy - xy[chosen[0]]).T)
    while len(chosen) < k:
        nxt = int(np.argmax(dist))
        chosen.append(nxt)
        dist = np.minimum(dist, np.hypot(*(xy - xy[nxt]).T))
    return chosen


def sensor_map(wn: wntr.network.WaterNetworkModel) -> pd.DataFrame:
    junctions = sorted(wn.junction_name_list)
    xy = np.array([wn.get_node(j).coordinates for j in junctions])
    picks = farthest_points(xy, max(3, round(SHARE * len(junctions))))
    rows = []
    for i, idx in enumerate(picks, start=1):
        unit = "bar" if i % 10 == 3 else ("kPa" if i % 10 == 7 else "m")
        rows.append((f"PT-{i:03d}", "pressure", junctions[idx], unit))
    for i, pump in enumerate(sorted(wn.pump_name_list), start=1):
        rows.append((f"FT-PS{i}", "flow", pump, "L/s" if i == 1 else "m3/h"))
    for tank in sorted(wn.tank_name_list):
        rows.append((f"LT-{tank}", "level", tank, "m"))
    return pd.DataFrame(rows, columns=["sensor_id", "kind", "element_id", "unit"])


if __name__ == "__main__":
    frame = sensor_map(wntr.network.WaterNetworkModel(str(network_path())))
    frame.to_csv(SENSOR_MAP, index=False)
    print(f"wrote {len(frame)} sensors to {SENSOR_MAP}")
