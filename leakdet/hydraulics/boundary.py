"""Boundary conditions from measurements: tank levels and total demand from metered inflows.

The nominal model knows demand only as base demand × pattern. SCADA tells us what the
network actually took: metered inflow from the sources minus what went into storage.
Scaling the model's demand patterns to that total (per pattern step) and starting tanks
at their measured levels removes most of the day-to-day mismatch that is not a leak.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import wntr


@dataclass
class BoundaryReport:
    tanks_set: dict[str, float] = field(default_factory=dict)     # tank -> initial level (m)
    demand_scaled: bool = False
    demand_scale: pd.Series | None = None                          # per pattern step, dimensionless
    notes: list[str] = field(default_factory=list)


def source_inflow(wn: wntr.network.WaterNetworkModel, flows: pd.DataFrame,
                  sensors: pd.DataFrame) -> pd.Series | None:
    """Total inflow from reservoirs (m³/s) if every link leaving a reservoir is metered, else None."""
    meters = sensors[sensors["kind"] == "flow"].set_index("element_id")["sensor_id"]
    total = None
    for res in wn.reservoir_name_list:
        for link_name in wn.get_links_for_node(res):
            if link_name not in meters.index:
                return None
            link = wn.get_link(link_name)
            sign = 1.0 if link.start_node_name == res else -1.0
            tag = meters.loc[link_name]
            tag = tag.iloc[0] if isinstance(tag, pd.Series) else tag
            if tag not in flows.columns:
                return None
            series = sign * flows[tag]
            total = series if total is None else total + series
    return total


def storage_rate(wn: wntr.network.WaterNetworkModel, levels: pd.DataFrame, sensors: pd.DataFrame,
                 step: str) -> pd.Series | None:
    """Rate of change of stored volume over all tanks (m³/s, positive when filling), per ``step``."""
    gauges = sensors[sensors["kind"] == "level"].set_index("element_id")["sensor_id"]
    rate = None
    for tank_name in wn.tank_name_list:
        if tank_name not in gauges.index or gauges.loc[tank_name] not in levels.columns:
            return None
        tank = wn.get_node(tank_name)
        area = np.pi * tank.diameter ** 2 / 4
        lvl = levels[gauges.loc[tank_name]].resample(step).mean()
        r = lvl.diff().shift(-1) * area / pd.Timedelta(step).total_seconds()
        rate = r if rate is None else rate + r
    return rate


def apply_boundary(wn: wntr.network.WaterNetworkModel, day_start_utc: pd.Timestamp,
                   readings: dict[str, pd.DataFrame], sensors: pd.DataFrame) -> BoundaryReport:
    """Set tank initial levels and scale demand patterns to measured consumption, in place.

    Parameters
    ----------
    wn : WaterNetworkModel
        Model whose time 0 is ``day_start_utc``.
    readings : dict of kind -> DataFrame
        Stored-unit readings (level in m, flow in m³/s), indexed by UTC time, one column per sensor.
    """
    report = BoundaryReport()
    levels = readings.get("level", pd.DataFrame())
    gauges = sensors[sensors["kind"] == "level"]
    for row in gauges.itertuples():
        if row.sensor_id in levels.columns and row.element_id in wn.tank_name_list:
            first = levels[row.sensor_id].loc[day_start_utc: day_start_utc + pd.Timedelta("30min")].dropna()
            if len(first):
                tank = wn.get_node(row.element_id)
                tank.init_level = float(np.clip(first.iloc[0], tank.min_level, tank.max_level))
                report.tanks_set[row.element_id] = tank.init_level
    step_s = int(wn.options.time.pattern_timestep)
    step = f"{step_s}s"
    inflow = source_inflow(wn, readings.get("flow", pd.DataFrame()), sensors)
    storage = storage_rate(wn, levels, sensors, step) if inflow is not None else None
    if inflow is None or storage is None:
        report.notes.append("demand not scaled: sources or tanks not fully metered")
        return report
    consumed = (inflow.resample(step).mean() - storage.reindex(inflow.resample(step).mean().index))
    n_steps = int(86400 // step_s)
    index = pd.date_range(day_start_utc, periods=n_steps, freq=step)
    consumed = consumed.reindex(index)
    modelled = _modelled_demand(wn, n_steps, step_s)
    scale = (consumed.to_numpy() / modelled).clip(0.2, 5.0)
    if np.isnan(scale).mean() > 0.25:
        report.notes.append("demand not scaled: more than 25 % of inflow/level data missing")
        return report
    scale = pd.Series(scale, index=index).interpolate(limit_direction="both")
    _scale_patterns(wn, scale.to_numpy(), step_s)
    report.demand_scaled, report.demand_scale = True, scale
    return report


def _modelled_demand(wn, n_steps: int, step_s: int) -> np.ndarray:
    """Nominal total junction demand (m³/s) at each pattern step of the day."""
    total = np.zeros(n_steps)
    start = wn.options.time.pattern_start
    times = start + np.arange(n_steps) * step_s
    default = wn.options.hydraulic.pattern
    for _, junction in wn.junctions():
        for d in junction.demand_timeseries_list:
            pat = wn.get_pattern(d.pattern_name) if d.pattern_name else (
                wn.get_pattern(default) if default and default in wn.pattern_name_list else None)
            mult = np.array([pat.at(t) for t in times]) if pat is not None else np.ones(n_steps)
            total += d.base_value * mult
    return total * wn.options.hydraulic.demand_multiplier


def _scale_patterns(wn, scale: np.ndarray, step_s: int) -> None:
    """Replace every junction demand pattern by itself × ``scale`` for the day (model time 0 .. 24 h)."""
    start = wn.options.time.pattern_start
    times = start + np.arange(len(scale)) * step_s
    default = wn.options.hydraulic.pattern
    made: dict[str | None, str] = {}
    for _, junction in wn.junctions():
        for d in junction.demand_timeseries_list:
            key = d.pattern_name or (default if default in wn.pattern_name_list else None)
            if key not in made:
                base = np.array([wn.get_pattern(key).at(t) for t in times]) if key else np.ones(len(scale))
                name = f"bc_{key or 'const'}"
                if name in wn.pattern_name_list:
                    wn.remove_pattern(name)
                wn.add_pattern(name, list(base * scale))
                made[key] = name
            d.pattern_name = made[key]
    wn.options.time.pattern_start = 0
