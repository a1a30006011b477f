"""Synthetic historian exports from EPANET with leaks that start and grow mid-run.

The pipeline: load the nominal model, perturb it into a "true" network
(:mod:`leakdet.synth.truth_model`), split each leaking pipe at its midpoint, step EPANET
through the toolkit with the leak emitters and demand noise (:mod:`leakdet.synth.stepping`),
turn true values into sensor readings (:mod:`leakdet.synth.measure`) and write the files
(:mod:`leakdet.synth.exports`).

Outputs, in ``out_dir``:

- ``scada_YYYY-MM-DD.csv``: one wide CSV per local day, a ``timestamp`` column in local
  time (no offset) and one column per sensor, in each sensor's own unit;
- ``ground_truth_leaks.csv``: one row per leak (times in UTC ISO-8601, flows in L/s);
- ``ground_truth_leak_flows.csv``: leak flow (L/s) per 5-minute step and leak.
"""
from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import wntr

from leakdet.synth.exports import write_daily_exports, write_truth
from leakdet.synth.leak_schedule import LeakSpec
from leakdet.synth.measure import as_measured, check_sensor_map
from leakdet.synth.stepping import STEP_S, emitter_coefficient, leak_size, probe_for, run_toolkit
from leakdet.synth.truth_model import add_leak_nodes, leak_node_name, perturb

__all__ = ["SimulationResult", "simulate_scada", "emitter_coefficient", "leak_size", "STEP_S"]

# EPANET's default convergence test is relative to the total flow, which lets a small
# emitter's flow lag for several steps after its coefficient changes (a spurious 0.6 L/s
# at the first step of an incipient leak on L-Town). Requiring every flow, emitters
# included, to settle to 1 mL/s removes that at little cost. In the INP's units (L/s).
FLOW_CHANGE_LPS = 0.001


@dataclass
class SimulationResult:
    """What :func:`simulate_scada` wrote and saw.

    Attributes
    ----------
    out_dir : Path
    files : list of Path
        Daily historian exports, in date order.
    n_steps : int
        Rows written (5-minute samples over [start, end)).
    leaks : DataFrame
        Ground-truth summary, as in ``ground_truth_leaks.csv``.
    readings : DataFrame
        Index UTC time, one column per sensor, values in the sensors' units (NaN = gap).
    leak_flows : DataFrame
        Index UTC time, one column per ``leak_id``, L/s.
    """

    out_dir: Path
    files: list[Path]
    n_steps: int
    leaks: pd.DataFrame = field(repr=False)
    readings: pd.DataFrame = field(default=None, repr=False)
    leak_flows: pd.DataFrame = field(default=None, repr=False)

    @property
    def truth_files(self) -> list[Path]:
        return [self.out_dir / "ground_truth_leaks.csv", self.out_dir / "ground_truth_leak_flows.csv"]

    def __repr__(self) -> str:
        return (f"SimulationResult({len(self.files)} daily exports in {self.out_dir}, {self.n_steps} steps, "
                f"{len(self.leaks)} leak(s))")


def _local(t, tz: str) -> pd.Timestamp:
    t = pd.Timestamp(t)
    return t.tz_localize(tz) if t.tzinfo is None else t.tz_convert(tz)


def simulate_scada(inp_path: str | Path, sensors: pd.DataFrame, start, end, out_dir: str | Path,
                   leaks: list[LeakSpec] = (), seed: int = 0, tz: str = "Asia/Brunei",
                   demand_noise: float = 0.05, gap_fraction: float = 0.01, outages: int = 2,
                   pressure_noise_m: float = 0.05, flow_noise_rel: float = 0.01, level_noise_m: float = 0.005,
                   **truth_options) -> SimulationResult:
    """Simulate local ``[start, end)`` at 5-minute steps and write historian exports.

    Parameters
    ----------
    inp_path : str or Path
        EPANET model (any units; WNTR reads it into SI).
    sensors : DataFrame
        The sensor map: ``sensor_id, kind, element_id, unit`` (kind pressure, flow, level
        or demand; unit any of :mod:`leakdet.units`, e.g. m, bar, kPa, psi, L/s, m3/h).
    start, end : Timestamp or str
        Naive times are local (``tz``). The model's clock and pattern start are set to
        ``start``'s local time of day, so the demand pattern hour matches local time.
    out_dir : str or Path
        Folder for the exports and ground truth (created).
    leaks : list of LeakSpec
        Leaks on pipes of the model (see :func:`leakdet.synth.leak_schedule.read_leak_schedule`).
    seed : int
        Seed of every random draw: same seed and inputs, byte-identical files.
    tz : str
        Local time zone of the historian (Brunei: UTC+8, no daylight saving).
    demand_noise : float
        σ of the hourly AR(1) multiplicative noise on each junction's demand.
    gap_fraction : float
        Share of single values randomly missing.
    outages : int
        Multi-hour outages (1-4 h) of a random sensor.
    pressure_noise_m, flow_noise_rel, level_noise_m : float
        Sensor noise: pressure σ in m, flow σ relative to the value, level σ in m.
    truth_options
        More of :func:`leakdet.synth.truth_model.perturb` (``roughness_sigma``,
        ``demand_bias_sigma``, ``daily_sigma``).

    Returns
    -------
    SimulationResult
    """
    rng = np.random.default_rng(seed)
    start_l, end_l = _local(start, tz), _local(end, tz)
    times = pd.date_range(start_l.tz_convert("UTC"), end_l.tz_convert("UTC"), freq=f"{STEP_S}s", inclusive="left")
    if len(times) == 0:
        raise ValueError(f"empty period: start {start_l} is not before end {end_l}")
    leaks = list(leaks)
    wn = wntr.network.WaterNetworkModel(str(inp_path))
    check_sensor_map(sensors, set(wn.node_name_list), set(wn.link_name_list), set(wn.tank_name_list))
    clock = int((start_l - start_l.normalize()).total_seconds())
    n_hours = int(math.ceil(len(times) * STEP_S / 3600)) + 1
    demand = perturb(wn, rng, n_hours, demand_noise=demand_noise, **truth_options)
    wn = add_leak_nodes(wn, leaks)
    opts = wn.options.time
    opts.pattern_start = opts.start_clocktime = clock
    opts.duration = (len(times) - 1) * STEP_S
    opts.hydraulic_timestep = opts.report_timestep = STEP_S
    opts.report_start = 0
    wn.options.quality.parameter = "NONE"
    if not 0 < wn.options.hydraulic.flowchange <= FLOW_CHANGE_LPS:
        wn.options.hydraulic.flowchange = FLOW_CHANGE_LPS      # written as is: LPS, like the INP
    tank_bottom = {t: wn.get_node(t).elevation for t in wn.tank_name_list}
    probes = [probe_for(r.kind, r.element_id, tank_bottom) for r in sensors.itertuples()]
    leak_nodes = [leak_node_name(l.link_id) for l in leaks]
    # Own folder per run: EPANET writes .rpt/.bin next to the INP, and runs may be parallel.
    with tempfile.TemporaryDirectory(prefix="bnw-truth-") as tmp:
        inp = Path(tmp) / "truth.inp"
        wntr.network.io.write_inpfile(wn, str(inp), units="LPS")
        values, flows = run_toolkit(inp, probes, leaks, leak_nodes, times, demand)
    measured = as_measured(values, sensors, rng, pressure_noise_m, flow_noise_rel, level_noise_m,
                           gap_fraction, outages)
    readings = pd.DataFrame(measured, index=times, columns=list(sensors["sensor_id"]))
    leak_flows = pd.DataFrame(flows, index=times, columns=[l.leak_id for l in leaks])
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = write_daily_exports(readings, tz, out_dir)
    truth = write_truth(leaks, leak_nodes, leak_flows, out_dir)
    return SimulationResult(out_dir, files, len(times), truth, readings, leak_flows)
