"""Run one day of a network through EPANET and return what the sensors would have read."""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import wntr

from leakdet.errors import LeakdetError

STEP_S = 300


class SimulationFailed(LeakdetError):
    """EPANET could not solve the model (no convergence, disconnected nodes, ...)."""


def prepare_day(wn: wntr.network.WaterNetworkModel, step_s: int = STEP_S) -> None:
    """Set a one-day duration with hydraulic/report steps of ``step_s`` (model time 0 = local midnight)."""
    wn.options.time.duration = 86400 - step_s
    wn.options.time.hydraulic_timestep = step_s
    wn.options.time.report_timestep = step_s
    wn.options.time.report_start = 0
    wn.options.time.quality_timestep = step_s
    wn.options.quality.parameter = "NONE"


def run_simulation(wn: wntr.network.WaterNetworkModel, label: str):
    """EPANET results of ``wn`` (wntr ``SimulationResults``); :class:`SimulationFailed` naming
    ``label`` (the network and day) when it does not solve."""
    with tempfile.TemporaryDirectory(prefix="bnw-sim-") as tmp:
        # Each run gets its own file prefix so parallel runs never share EPANET files.
        prefix = str(Path(tmp) / "run")
        try:
            return wntr.sim.EpanetSimulator(wn).run_sim(file_prefix=prefix, convergence_error=True)
        except Exception as exc:
            raise SimulationFailed(f"hydraulic simulation failed for {label}: {exc}") from None


def sample_sensors(res, wn: wntr.network.WaterNetworkModel, sensors: pd.DataFrame, day_start_utc: pd.Timestamp,
                   tank_elevations: dict[str, float] | None = None) -> pd.DataFrame:
    """What every sensor would have read in the simulation ``res`` of ``wn``.

    Parameters
    ----------
    sensors : DataFrame
        sensor_id, kind, element_id (as from :func:`leakdet.network.sensor_map.load_sensors`).
    tank_elevations : dict, optional
        Bottom elevation (m) of tanks that boundary conditions turned into fixed-head nodes.

    Returns
    -------
    DataFrame
        Index: UTC time (5-minute steps); columns: sensor_id. Pressure and level in m,
        flow and demand in m³/s.
    """
    times = day_start_utc + pd.to_timedelta(res.node["pressure"].index, unit="s")
    out = {}
    for row in sensors.itertuples():
        if row.kind == "pressure":
            values = res.node["pressure"][row.element_id]
        elif row.kind == "level":
            bottom = (tank_elevations or {}).get(row.element_id)
            if bottom is None:
                bottom = wn.get_node(row.element_id).elevation
            values = res.node["head"][row.element_id] - bottom
        elif row.kind == "demand":
            values = res.node["demand"][row.element_id]
        else:
            values = res.link["flowrate"][row.element_id]
        out[row.sensor_id] = np.asarray(values, dtype=float)
    return pd.DataFrame(out, index=pd.DatetimeIndex(times, name="ts"))
