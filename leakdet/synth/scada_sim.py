"""Synthetic historian exports from EPANET with leaks that start and grow mid-run.

Leaks are emitters at pipe midpoints. EPANET's INP format cannot switch an emitter on
mid-run, so the simulation steps through the EPANET toolkit and sets each leak's
emitter coefficient ``C = Cd·A·√(2g)`` at every step: full size from the start for an
abrupt leak, growing linearly in area up to its peak for an incipient one, zero after
its end (repair).

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
from wntr.epanet.toolkit import ENepanet

from leakdet import units
from leakdet.synth.leak_schedule import LeakSpec
from leakdet.synth.truth_model import add_leak_nodes, leak_node_name, perturb

STEP_S = 300
CD = 0.75
CLOSED_COEFF = 1e-6          # L/s per m^0.5: a "closed" emitter passes ~1e-5 L/s
G = 9.81
# EPANET toolkit codes
EN_EMITTER, EN_DEMAND, EN_HEAD, EN_PRESSURE, EN_FLOW = 3, 9, 10, 11, 8


@dataclass
class SimulationResult:
    out_dir: Path
    files: list[Path]
    n_steps: int
    leaks: pd.DataFrame = field(repr=False)

    def __repr__(self) -> str:
        return (f"SimulationResult({len(self.files)} daily exports in {self.out_dir}, {self.n_steps} steps, "
                f"{len(self.leaks)} leak(s))")


def emitter_coefficient(diameter_m: float) -> float:
    """Emitter coefficient in L/s per m^0.5 for an orifice of ``diameter_m``."""
    return CD * math.pi * diameter_m ** 2 / 4 * math.sqrt(2 * G) * 1000.0


def leak_size(leak: LeakSpec, t: pd.Timestamp) -> float:
    """Fraction (0-1) of the full orifice area open at ``t``."""
    if t < leak.start or t >= leak.end:
        return 0.0
    if leak.kind == "incipient" and t < leak.peak:
        return (t - leak.start) / (leak.peak - leak.start)
    return 1.0


def _run_toolkit(inp: Path, sensors: pd.DataFrame, leaks: list[LeakSpec], times: pd.DatetimeIndex,
                 tank_bottom: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Step EPANET over ``times``; return sensor values (model units: m, L/s) and leak flows (L/s)."""
    en = ENepanet()
    en.ENopen(str(inp), str(inp.with_suffix(".rpt")), str(inp.with_suffix(".bin")))
    try:
        probes = []
        for row in sensors.itertuples():
            if row.kind == "flow":
                probes.append((en.ENgetlinkindex(row.element_id), "link", EN_FLOW, 0.0))
            elif row.kind == "level":
                probes.append((en.ENgetnodeindex(row.element_id), "node", EN_HEAD, tank_bottom[row.element_id]))
            elif row.kind == "demand":
                probes.append((en.ENgetnodeindex(row.element_id), "node", EN_DEMAND, 0.0))
            else:
                probes.append((en.ENgetnodeindex(row.element_id), "node", EN_PRESSURE, 0.0))
        leak_idx = [en.ENgetnodeindex(leak_node_name(l.link_id)) for l in leaks]
        coeff = [emitter_coefficient(l.diameter_m) for l in leaks]
        values = np.full((len(times), len(probes)), np.nan)
        flows = np.zeros((len(times), len(leaks)))
        opened = [False] * len(leaks)
        en.ENopenH()
        en.ENinitH(0)
        t, i = 0, 0
        while i < len(times):
            for j, leak in enumerate(leaks):
                size = leak_size(leak, times[min(i, len(times) - 1)])
                # EPANET 2.2 skips nodes whose emitter coefficient is 0 and so keeps their last
                # emitter flow: a repaired leak is closed to a negligible orifice instead.
                opened[j] = opened[j] or size > 0
                en.ENsetnodevalue(leak_idx[j], EN_EMITTER, max(coeff[j] * size, CLOSED_COEFF if opened[j] else 0.0))
            t = en.ENrunH()
            if t == i * STEP_S:
                for k, (idx, what, code, offset) in enumerate(probes):
                    v = en.ENgetlinkvalue(idx, code) if what == "link" else en.ENgetnodevalue(idx, code)
                    values[i, k] = v - offset
                for j in range(len(leaks)):
                    q = en.ENgetnodevalue(leak_idx[j], EN_DEMAND)
                    flows[i, j] = q if q > 1e-3 else 0.0
                i += 1
            if en.ENnextH() <= 0:
                break
        en.ENcloseH()
    finally:
        en.ENclose()
    return values, flows


def simulate_scada(inp_path: str | Path, sensors: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp,
                   out_dir: str | Path, leaks: list[LeakSpec] = (), seed: int = 0, tz: str = "Asia/Brunei",
                   pressure_noise_m: float = 0.05, flow_noise_rel: float = 0.01, level_noise_m: float = 0.005,
                   gap_fraction: float = 0.005, outages: int = 1, **truth_options) -> SimulationResult:
    """Simulate local ``[start, end)`` and write historian exports (see module docstring).

    Parameters
    ----------
    sensors : DataFrame
        sensor_id, kind, element_id, unit (the sensor map).
    start, end : Timestamp
        Local times (naive = ``tz``); the model's clock starts at ``start``'s time of day.
    pressure_noise_m, flow_noise_rel, level_noise_m : float
        Sensor noise: pressure σ in m, flow σ relative to the value, level σ in m.
    gap_fraction : float
        Share of single values randomly missing; ``outages`` multi-hour sensor outages are added too.
    truth_options
        Passed to :func:`leakdet.synth.truth_model.perturb` (roughness and demand mismatch).
    """
    rng = np.random.default_rng(seed)
    start_l = (pd.Timestamp(start).tz_localize(tz) if pd.Timestamp(start).tzinfo is None else pd.Timestamp(start))
    end_l = (pd.Timestamp(end).tz_localize(tz) if pd.Timestamp(end).tzinfo is None else pd.Timestamp(end))
    times = pd.date_range(start_l.tz_convert("UTC"), end_l.tz_convert("UTC"), freq=f"{STEP_S}s", inclusive="left")
    leaks = list(leaks)
    wn = wntr.network.WaterNetworkModel(str(inp_path))
    clock = int((start_l - start_l.normalize()).total_seconds())
    wn.options.time.pattern_start = clock
    wn.options.time.start_clocktime = clock
    n_hours = int(math.ceil(len(times) * STEP_S / 3600)) + 1
    perturb(wn, rng, n_hours, **truth_options)
    wn = add_leak_nodes(wn, leaks)
    wn.options.time.duration = (len(times) - 1) * STEP_S
    wn.options.time.hydraulic_timestep = wn.options.time.report_timestep = STEP_S
    wn.options.quality.parameter = "NONE"
    tank_bottom = {t: wn.get_node(t).elevation for t in wn.tank_name_list}
    with tempfile.TemporaryDirectory(prefix="bnw-truth-") as tmp:
        inp = Path(tmp) / "truth.inp"
        wntr.network.io.write_inpfile(wn, str(inp), units="LPS")
        values, flows = _run_toolkit(inp, sensors, leaks, times, tank_bottom)
    readings = _as_measured(values, sensors, rng, pressure_noise_m, flow_noise_rel, level_noise_m,
                            gap_fraction, outages)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = _write_exports(readings, sensors, times, tz, out_dir)
    truth = _write_truth(leaks, flows, times, out_dir)
    return SimulationResult(out_dir, files, len(times), truth)


def _as_measured(values, sensors, rng, p_noise, q_rel, l_noise, gap_fraction, outages) -> np.ndarray:
    """Add sensor noise and gaps, and convert model units (m, L/s) to each sensor's unit."""
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
        length = int(rng.integers(12, 48))            # 1-4 hours
        first = int(rng.integers(0, max(1, n - length)))
        out[first:first + length, k] = np.nan
    return out


def _write_exports(values, sensors, times, tz, out_dir: Path) -> list[Path]:
    local = times.tz_convert(tz)
    frame = pd.DataFrame(np.round(values, 4), columns=list(sensors["sensor_id"]))
    frame.insert(0, "timestamp", local.strftime("%Y-%m-%d %H:%M:%S"))
    files = []
    for day, part in frame.groupby(local.date):
        path = out_dir / f"scada_{day}.csv"
        part.to_csv(path, index=False)
        files.append(path)
    return files


def _write_truth(leaks: list[LeakSpec], flows: np.ndarray, times: pd.DatetimeIndex, out_dir: Path) -> pd.DataFrame:
    iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    rows = []
    for j, leak in enumerate(leaks):
        active = flows[:, j] > 1e-6
        rows.append({"leak_id": leak.leak_id, "link_id": leak.link_id, "leak_node": leak_node_name(leak.link_id),
                     "start_utc": iso(leak.start), "end_utc": iso(leak.end), "peak_utc": iso(leak.peak),
                     "kind": leak.kind, "diameter_m": leak.diameter_m,
                     "max_flow_lps": round(float(flows[:, j].max()), 3) if len(times) else 0.0,
                     "mean_flow_lps": round(float(flows[active, j].mean()), 3) if active.any() else 0.0})
    truth = pd.DataFrame(rows, columns=["leak_id", "link_id", "leak_node", "start_utc", "end_utc", "peak_utc",
                                        "kind", "diameter_m", "max_flow_lps", "mean_flow_lps"])
    truth.to_csv(out_dir / "ground_truth_leaks.csv", index=False)
    flow_frame = pd.DataFrame(np.round(flows, 4), columns=[l.leak_id for l in leaks])
    flow_frame.insert(0, "timestamp_utc", times.strftime("%Y-%m-%dT%H:%M:%SZ"))
    flow_frame.to_csv(out_dir / "ground_truth_leak_flows.csv", index=False)
    return truth
