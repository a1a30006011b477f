"""What a SCADA historian would have recorded: sensor noise, gaps, outages and each sensor's unit."""
from __future__ import annotations

import numpy as np
import pandas as pd

from leakdet import units


def check_sensor_map(sensors: pd.DataFrame, nodes: set[str], links: set[str], tanks: set[str]) -> None:
    """Raise ``ValueError`` listing every sensor whose element or unit the model cannot serve."""
    problems = []
    for row in sensors.itertuples():
        if row.kind not in units.STORED_UNIT:
            problems.append(f"{row.sensor_id}: unknown kind {row.kind!r}")
            continue
        where = tanks if row.kind == "level" else links if row.kind == "flow" else nodes
        if row.element_id not in where:
            problems.append(f"{row.sensor_id}: {row.kind} element {row.element_id!r} is not in the model")
        try:
            units.factor_to_stored(row.kind, row.unit)
        except KeyError:
            problems.append(f"{row.sensor_id}: unit {row.unit!r} is not one of {units.known_units(row.kind)}")
    if problems:
        raise ValueError("sensor map does not fit the network:\n  " + "\n  ".join(problems))


def as_measured(values: np.ndarray, sensors: pd.DataFrame, rng: np.random.Generator, p_noise: float,
                q_rel: float, l_noise: float, gap_fraction: float, outages: int) -> np.ndarray:
    """Add sensor noise and gaps, and convert model units to each sensor's unit.

    Parameters
    ----------
    values : ndarray (time, sensor)
        True values in model units: pressure and level in m, flow and demand in L/s.
    sensors : DataFrame
        The sensor map (``kind``, ``unit`` per column of ``values``).
    rng : numpy.random.Generator
        Randomness (draws in a fixed order, so a seed reproduces the output).
    p_noise, q_rel, l_noise : float
        Pressure noise σ (m), flow/demand noise σ relative to the value, level noise σ (m).
    gap_fraction : float
        Probability that any single value is missing (dropped telemetry packet).
    outages : int
        Number of multi-hour outages (1-4 h) of a random sensor: logger battery, comms.

    Returns
    -------
    ndarray
        Readings in each sensor's unit, NaN where missing.
    """
    out = values.copy()
    n = len(out)
    for k, row in enumerate(sensors.itertuples()):
        col = out[:, k]
        if row.kind == "pressure":
            col += rng.normal(0, p_noise, n)
        elif row.kind == "level":
            col += rng.normal(0, l_noise, n)
        else:
            col += rng.normal(0, q_rel, n) * np.abs(col)
        stored = col / 1000.0 if row.kind in ("flow", "demand") else col    # L/s -> m3/s
        out[:, k] = stored / units.factor_to_stored(row.kind, row.unit)
        out[rng.random(n) < gap_fraction, k] = np.nan
    for _ in range(outages):
        k = rng.integers(0, out.shape[1])
        length = int(rng.integers(12, 48))            # 1-4 hours of 5-minute values
        first = int(rng.integers(0, max(1, n - length)))
        out[first:first + length, k] = np.nan
    return out
