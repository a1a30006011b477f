"""Daily sensor health: coverage, missing sensors and flat-lining (stuck) sensors.

A stuck logger repeats its last value; its residual then drifts with demand and can
look like a leak. Such sensors are flagged and left out of detection for the day.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

MIN_COVERAGE = 0.5          # below this share of the day's samples a sensor is "no_data"/"sparse"
FLATLINE_SAMPLES = 36       # 3 h of identical 5-minute values


def longest_constant_run(values: np.ndarray) -> int:
    v = values[~np.isnan(values)]
    if len(v) == 0:
        return 0
    change = np.flatnonzero(np.diff(v) != 0)
    edges = np.concatenate(([-1], change, [len(v) - 1]))
    return int(np.diff(edges).max())


def sensor_health(measured: pd.DataFrame) -> pd.DataFrame:
    """Per sensor (index): n_readings, coverage (0-1) and flag (None, no_data, sparse, flatline)."""
    rows = []
    for sensor in measured.columns:
        v = measured[sensor].to_numpy(dtype=float)
        n = int((~np.isnan(v)).sum())
        coverage = n / len(v) if len(v) else 0.0
        flag = None
        if n == 0:
            flag = "no_data"
        elif coverage < MIN_COVERAGE:
            flag = "sparse"
        elif longest_constant_run(v) >= FLATLINE_SAMPLES:
            flag = "flatline"
        rows.append((sensor, n, coverage, flag))
    return pd.DataFrame(rows, columns=["sensor_id", "n_readings", "coverage", "flag"]).set_index("sensor_id")
