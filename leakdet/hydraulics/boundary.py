"""Boundary conditions from measurements, so the simulation follows the real day.

The nominal model knows demand only as base demand × pattern, tanks only by their
initial level, and pumps by control rules. SCADA tells us what actually happened:

1. **Metered pumps** follow their measured on/off state (time controls replace rules).
2. **Metered tanks** become fixed-head nodes whose head follows the measured level
   (elevation + level), when the tank connects by pipes only and no unmetered pump
   depends on it; otherwise they start at the measured level.
3. **Demand** is scaled, step by step, to the measured consumption: metered source
   inflow minus the rate of change of tank storage.

Everything here is causal: the boundary at model time t uses measurements up to t
(backward differences, trailing means), so a detector reading the simulation at t
uses no data from after t. All patterns are expanded to the simulation step over the
day, so per-step boundary patterns and the model's own patterns share one clock.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import wntr
from wntr.network.controls import Control, ControlAction
from wntr.network.base import LinkStatus

PUMP_ON_FRACTION = 0.02          # flow above 2 % of the day's peak means the pump runs
LIMIT_MARGIN_M = 0.05            # a tank level this close to min/max counts as "at its limit"
CONSUMPTION_WINDOW = "30min"     # trailing mean of measured consumption: level-gauge noise vs lag
# Readings this long before the day's start let the trailing mean (and the first backward
# difference of tank levels) begin the day full. Without them each day's first samples were
# estimated from one or two noisy level differences, and the residuals of every logger
# jumped at local midnight (L-Town seed 5: 14 daytime alarms at 00:00-00:10; session 17).
LOOKBACK = pd.Timedelta(CONSUMPTION_WINDOW) + pd.Timedelta(minutes=5)


@dataclass
class BoundaryReport:
    tanks_fixed: list[str] = field(default_factory=list)            # follow measured head
    tanks_set: dict[str, float] = field(default_factory=dict)       # start at measured level (m)
    pumps_fixed: list[str] = field(default_factory=list)
    demand_scaled: bool = False
    demand_scale: pd.Series | None = None
    inflow: pd.Series | None = None                                 # metered source inflow (m³/s)
    notes: list[str] = field(default_factory=list)

    def describe(self) -> list[str]:
        out = list(self.notes)
        if self.tanks_fixed:
            out.append(f"tanks following measured level: {', '.join(self.tanks_fixed)}")
        out += [f"tank {t} starts at {v:.2f} m" for t, v in self.tanks_set.items()]
        if self.pumps_fixed:
            out.append(f"pumps following measured flow: {', '.join(self.pumps_fixed)}")
        if self.demand_scaled:
            out.append("demand scaled to metered consumption")
        return out


def _tags(sensors: pd.DataFrame, kind: str, frame: pd.DataFrame) -> dict[str, str]:
    """element_id -> sensor_id for sensors of ``kind`` that have a column in ``frame``."""
    sel = sensors[(sensors["kind"] == kind) & sensors["sensor_id"].isin(frame.columns)]
    return dict(zip(sel["element_id"], sel["sensor_id"]))


def _on_grid(series: pd.Series, index: pd.DatetimeIndex, max_missing: float = 0.25) -> np.ndarray | None:
    values = series.reindex(index)
    if values.isna().mean() > max_missing:
        return None
    return values.interpolate(limit_direction="both").to_numpy()


def expand_patterns(wn: wntr.network.WaterNetworkModel, n_steps: int, step_s: int) -> None:
    """Rewrite every pattern as explicit values at ``step_s`` over model time [0, n_steps·step_s)."""
    start = wn.options.time.pattern_start
    times = start + np.arange(n_steps) * step_s
    expanded = {name: [pat.at(t) for t in times] for name, pat in wn.patterns()}
    wn.options.time.pattern_timestep = step_s
    wn.options.time.pattern_start = 0
    for name, values in expanded.items():
        wn.get_pattern(name).multipliers = values


def _series_meter(wn, reservoir: str, link_name: str, meters: dict[str, str]) -> tuple[str, float] | None:
    """The meter measuring the flow out of ``reservoir`` through ``link_name``, possibly a few links
    downstream in series (e.g. a pump station after the source main), with the sign that makes
    outflow positive."""
    node, link = reservoir, wn.get_link(link_name)
    for _ in range(4):
        sign = 1.0 if link.start_node_name == node else -1.0
        if link.name in meters:
            return meters[link.name], sign
        node = link.end_node_name if sign > 0 else link.start_node_name
        nxt = [l for l in wn.get_links_for_node(node) if l != link.name]
        junction = wn.get_node(node)
        if len(nxt) != 1 or junction.node_type != "Junction" or junction.base_demand != 0:
            return None
        link = wn.get_link(nxt[0])
    return None


def source_inflow(wn: wntr.network.WaterNetworkModel, flows: pd.DataFrame,
                  sensors: pd.DataFrame) -> pd.Series | None:
    """Total inflow from reservoirs (m³/s) if every path out of a reservoir is metered, else None."""
    meters = _tags(sensors, "flow", flows)
    total = None
    for res in wn.reservoir_name_list:
        for link_name in wn.get_links_for_node(res):
            found = _series_meter(wn, res, link_name, meters)
            if found is None:
                return None
            series = found[1] * flows[found[0]]
            total = series if total is None else total + series
    return total


def fix_pump_status(wn, flows: pd.DataFrame, sensors: pd.DataFrame, index: pd.DatetimeIndex) -> list[str]:
    meters = _tags(sensors, "flow", flows)
    fixed = []
    for pump in wn.pump_name_list:
        if pump not in meters:
            continue
        q = _on_grid(flows[meters[pump]].abs(), index)
        if q is None:
            continue
        running = q > PUMP_ON_FRACTION * max(q.max(), 1e-6)
        link = wn.get_link(pump)
        for name, ctrl in list(wn.controls()):
            if any(a.target()[0] is link for a in ctrl.actions()):
                wn.remove_control(name)
        link.initial_status = LinkStatus.Open if running[0] else LinkStatus.Closed
        step = int((index[1] - index[0]).total_seconds())
        for i in np.flatnonzero(np.diff(running.astype(int))) + 1:
            status = LinkStatus.Open if running[i] else LinkStatus.Closed
            wn.add_control(f"bc_{pump}_{i}", Control._time_control(
                wn, int(i * step), "SIM_TIME", False, ControlAction(link, "status", status)))
        fixed.append(pump)
    return fixed


def _pipes_only(wn, node: str) -> bool:
    return all(wn.get_link(l).link_type == "Pipe" for l in wn.get_links_for_node(node))


def fix_tank_heads(wn, levels: pd.DataFrame, sensors: pd.DataFrame, index: pd.DatetimeIndex,
                   report: BoundaryReport) -> None:
    gauges = _tags(sensors, "level", levels)
    for tank_name in list(wn.tank_name_list):
        if tank_name not in gauges:
            continue
        level = _on_grid(levels[gauges[tank_name]], index)
        tank = wn.get_node(tank_name)
        if level is None:
            first = levels[gauges[tank_name]].dropna()
            if len(first):
                tank.init_level = float(np.clip(first.iloc[0], tank.min_level, tank.max_level))
                report.tanks_set[tank_name] = tank.init_level
            continue
        controls = [n for n, c in wn.controls() if tank in c.requires()]
        # A tank at its top or bottom limit is closed to inflow or outflow; a fixed-head node
        # would wrongly keep exchanging water there, so such tanks stay tanks.
        at_limit = (level >= tank.max_level - LIMIT_MARGIN_M).any() or (level <= tank.min_level + LIMIT_MARGIN_M).any()
        if not _pipes_only(wn, tank_name) or controls or at_limit:
            tank.init_level = float(np.clip(level[0], tank.min_level, tank.max_level))
            report.tanks_set[tank_name] = tank.init_level
            continue
        _tank_to_reservoir(wn, tank_name, tank.elevation + level)
        report.tanks_fixed.append(tank_name)


def _tank_to_reservoir(wn, name: str, head: np.ndarray) -> None:
    tank = wn.get_node(name)
    coords = tank.coordinates
    pipes = []
    for link_name in wn.get_links_for_node(name):
        p = wn.get_link(link_name)
        pipes.append(dict(name=link_name, start_node_name=p.start_node_name, end_node_name=p.end_node_name,
                          length=p.length, diameter=p.diameter, roughness=p.roughness, minor_loss=p.minor_loss,
                          initial_status=p.initial_status, check_valve=p.check_valve))
        wn.remove_link(link_name)
    wn.remove_node(name)
    wn.add_pattern(f"bc_head_{name}", list(head))
    wn.add_reservoir(name, base_head=1.0, head_pattern=f"bc_head_{name}", coordinates=coords)
    for p in pipes:
        wn.add_pipe(**p)


def storage_rate(wn, levels: pd.DataFrame, sensors: pd.DataFrame, tanks: dict) -> pd.Series | None:
    """Rate of change of stored volume over all tanks (m³/s, positive when filling), backward difference."""
    gauges = _tags(sensors, "level", levels)
    rate = None
    for tank_name, diameter in tanks.items():
        if tank_name not in gauges:
            return None
        lvl = levels[gauges[tank_name]].interpolate(limit_area="inside")
        dt = lvl.index.to_series().diff().dt.total_seconds()
        r = lvl.diff() / dt * (np.pi * diameter ** 2 / 4)
        rate = r if rate is None else rate + r
    return rate if rate is not None else pd.Series(0.0, index=levels.index)


def _modelled_demand(wn, n_steps: int) -> np.ndarray:
    """Nominal total junction demand (m³/s) at each step (patterns already expanded)."""
    total = np.zeros(n_steps)
    default = wn.options.hydraulic.pattern
    for _, junction in wn.junctions():
        for d in junction.demand_timeseries_list:
            name = d.pattern_name or (default if default in wn.pattern_name_list else None)
            total += d.base_value * (np.asarray(wn.get_pattern(name).multipliers) if name else 1.0)
    return total * wn.options.hydraulic.demand_multiplier


def scale_demand(wn, consumed: np.ndarray) -> np.ndarray:
    """Scale every junction demand pattern so the total equals ``consumed`` (m³/s) at each step."""
    n = len(consumed)
    modelled = _modelled_demand(wn, n)
    scale = np.clip(np.where(modelled > 0, consumed / np.where(modelled > 0, modelled, 1), 1.0), 0.2, 5.0)
    default = wn.options.hydraulic.pattern
    made: dict[str | None, str] = {}
    for _, junction in wn.junctions():
        for d in junction.demand_timeseries_list:
            key = d.pattern_name or (default if default in wn.pattern_name_list else None)
            if key not in made:
                base = np.asarray(wn.get_pattern(key).multipliers) if key else np.ones(n)
                made[key] = f"bc_{key or 'const'}"
                wn.add_pattern(made[key], list(base * scale))
            d.pattern_name = made[key]
    return scale


def apply_boundary(wn: wntr.network.WaterNetworkModel, day_start_utc: pd.Timestamp,
                   readings: dict[str, pd.DataFrame], sensors: pd.DataFrame, step_s: int = 300,
                   window: str = CONSUMPTION_WINDOW) -> BoundaryReport:
    """Make ``wn`` (model time 0 = ``day_start_utc``) follow the day's measurements, in place.

    Parameters
    ----------
    readings : dict of kind -> DataFrame
        Stored-unit readings (level in m, flow in m³/s) on the ``step_s`` grid, one column per sensor.
        They may begin up to :data:`LOOKBACK` before ``day_start_utc`` (earlier data, so still
        causal): only the consumption estimate reads those; the model follows the day's own.
    window : str
        Trailing window (pandas offset) of the mean of measured consumption. A level gauge's
        millimetres of noise, differenced over 5 minutes on a 20 m tank, swamp the estimate;
        consumption itself is smooth, so averaging it (rather than the jumpy storage term,
        which steps when pumps switch) removes the noise with little lag.
    """
    report = BoundaryReport()
    n = int(86400 // step_s)
    index = pd.date_range(day_start_utc, periods=n, freq=f"{step_s}s")
    expand_patterns(wn, n, step_s)
    levels = readings.get("level", pd.DataFrame(index=index))
    flows = readings.get("flow", pd.DataFrame(index=index))
    # Consumption is measured on the original topology, before tanks become fixed-head nodes.
    tank_diameters = {t: wn.get_node(t).diameter for t in wn.tank_name_list}
    inflow = report.inflow = source_inflow(wn, flows, sensors)
    storage = storage_rate(wn, levels, sensors, tank_diameters)
    report.pumps_fixed = fix_pump_status(wn, flows, sensors, index)
    fix_tank_heads(wn, levels, sensors, index, report)

    if inflow is None or storage is None:
        report.notes.append("demand not scaled: sources or tanks not fully metered")
        return report
    consumed = (inflow - storage.reindex(inflow.index)).rolling(window, min_periods=1).mean()
    consumed = _on_grid(consumed, index)
    if consumed is None:
        report.notes.append("demand not scaled: more than 25 % of inflow/level data missing")
        return report
    report.demand_scale = pd.Series(scale_demand(wn, consumed), index=index)
    report.demand_scaled = True
    return report
