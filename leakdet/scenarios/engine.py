"""Leak scenarios solved in memory through the EPANET toolkit, batch by batch, on a process pool.

A scenario is an emitter leak of a given size at a junction or at a pipe's midpoint, at a
given hour of the day. Its result is the *signature*: the pressure drop (m) it causes at
every logger, as the daily residuals will show it. When the daily run scales demand to
metered inflow (``demand_compensated``), a leak's extra inflow is spread over all
junctions in the simulation, so the residual is the leak's own drop minus the drop of that
spread; the signature then includes that correction (linearised per L/s, solved once per
hour).

The unit of work is :func:`run_batch`, a plain function of a picklable
:class:`ScenarioBatch`: the model is written to one temporary INP file per batch (EPANET
can only open files), then every scenario is a toolkit solve with no further file I/O. The
same function runs on a local process pool (:func:`run_scenarios`) or as an Airflow mapped
task over batches.
"""
from __future__ import annotations

import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import wntr
from wntr.epanet.toolkit import ENepanet

from leakdet.localize.sensitivity import EN_DEMAND, EN_EMITTER, EN_PRESSURE, set_demand_multiplier

EN_PATTERNSTART = 4
MIDPOINT_PREFIX = "LKMID_"


@dataclass(frozen=True)
class Perturbation:
    """Model mismatch applied to a batch's copy of the model (training on an imperfect model).

    Lognormal multipliers with these standard deviations (of the log) on every pipe's
    roughness coefficient and every junction's base demand, drawn with ``seed``.
    """

    roughness_sigma: float = 0.0
    demand_sigma: float = 0.0
    seed: int = 0

    def apply(self, wn: wntr.network.WaterNetworkModel) -> None:
        if self.roughness_sigma <= 0 and self.demand_sigma <= 0:
            return
        rng = np.random.default_rng(self.seed)
        for _, pipe in wn.pipes():
            pipe.roughness *= float(np.exp(rng.normal(0, self.roughness_sigma)))
        for _, junction in wn.junctions():
            for d in junction.demand_timeseries_list:
                d.base_value *= float(np.exp(rng.normal(0, self.demand_sigma)))


@dataclass(frozen=True)
class ScenarioBatch:
    """A batch of scenarios for one model.

    Parameters
    ----------
    inp_text : str
        The network model (EPANET INP text).
    sensor_nodes : dict
        sensor_id -> junction the logger measures.
    scenarios : DataFrame
        Columns ``scenario_id``, ``kind`` ("node" or "pipe"), ``element`` (junction or pipe
        name), ``size_lps`` (leak flow at nominal pressure, L/s), ``hour`` (local hour of day).
    demand_compensated : bool
        Subtract the effect of spreading the leak flow over all demands (see module docstring).
    perturbation : Perturbation
        Model mismatch for this batch (none by default).
    """

    inp_text: str
    sensor_nodes: dict
    scenarios: pd.DataFrame
    demand_compensated: bool = True
    perturbation: Perturbation = field(default_factory=Perturbation)


def _batch_model(batch: ScenarioBatch, workdir: Path) -> tuple[Path, float]:
    """Write the batch's model once: perturbed, snapshot timing, pipe midpoints as junctions.

    Returns the INP path and the model's demand multiplier.
    """
    src = workdir / "nominal.inp"
    src.write_text(batch.inp_text)
    wn = wntr.network.WaterNetworkModel(str(src))
    batch.perturbation.apply(wn)
    wn.options.time.duration = 0
    wn.options.quality.parameter = "NONE"
    for pipe in batch.scenarios.loc[batch.scenarios["kind"] == "pipe", "element"].unique():
        # A leak in the middle of a pipe needs a node there; zero-demand splits leave the
        # hydraulics of the rest of the network unchanged.
        wntr.morph.split_pipe(wn, pipe, f"{pipe}__b", f"{MIDPOINT_PREFIX}{pipe}", return_copy=False)
    out = workdir / "batch.inp"
    wntr.network.io.write_inpfile(wn, str(out), units="LPS")
    return out, wn.options.hydraulic.demand_multiplier


class _Toolkit:
    """An open EPANET project answering snapshot solves (flows in L/s, pressures in m)."""

    def __init__(self, inp: Path, sensor_nodes: dict):
        self.en = ENepanet()
        self.en.ENopen(str(inp), str(inp.with_suffix(".rpt")), str(inp.with_suffix(".bin")))
        self.sensors = [self.en.ENgetnodeindex(n) for n in sensor_nodes.values()]
        self.junctions = [i for i in range(1, self.en.ENgetcount(0) + 1) if self.en.ENgetnodetype(i) == 0]
        self.en.ENopenH()

    def set_hour(self, hour: float) -> None:
        self.en.ENsettimeparam(EN_PATTERNSTART, int(round(hour * 3600)))

    def solve(self) -> np.ndarray:
        self.en.ENinitH(0)
        self.en.ENrunH()
        return np.array([self.en.ENgetnodevalue(i, EN_PRESSURE) for i in self.sensors])

    def total_demand(self) -> float:
        return float(sum(self.en.ENgetnodevalue(i, EN_DEMAND) for i in self.junctions))

    def close(self) -> None:
        self.en.ENcloseH()
        self.en.ENclose()


def _spread_per_lps(tk: _Toolkit, base: np.ndarray, multiplier: float) -> np.ndarray:
    """Pressure drop (m per L/s) from spreading 1 L/s more demand over all junctions."""
    total = tk.total_demand()
    if total <= 0:
        return np.zeros_like(base)
    set_demand_multiplier(tk.en, multiplier * (1 + 1.0 / total))
    spread = base - tk.solve()
    set_demand_multiplier(tk.en, multiplier)
    return spread


def run_batch(batch: ScenarioBatch) -> pd.DataFrame:
    """Solve every scenario of the batch.

    Returns
    -------
    DataFrame
        Index ``scenario_id`` in the batch's order; columns ``leak_lps`` (the leak flow EPANET solved, L/s) and
        one column per sensor_id with the pressure drop (m) the leak causes there.
    """
    scen = batch.scenarios
    rows, flows, ids = [], [], []
    with tempfile.TemporaryDirectory(prefix="bnw-scen-") as tmp:
        inp, multiplier = _batch_model(batch, Path(tmp))
        tk = _Toolkit(inp, batch.sensor_nodes)
        try:
            for hour, group in scen.groupby("hour", sort=True):
                tk.set_hour(float(hour))
                base = tk.solve()
                nodes = [tk.en.ENgetnodeindex(e if k == "node" else f"{MIDPOINT_PREFIX}{e}")
                         for k, e in zip(group["kind"], group["element"])]
                # Pressure and demand without the leak, read once from the base solve: later
                # solves start from the previous scenario's state, not from this one.
                p_base = {n: max(tk.en.ENgetnodevalue(n, EN_PRESSURE), 1.0) for n in set(nodes)}
                d_base = {n: tk.en.ENgetnodevalue(n, EN_DEMAND) for n in set(nodes)}
                spread = _spread_per_lps(tk, base, multiplier) if batch.demand_compensated else 0.0 * base
                for node, size, sid in zip(nodes, group["size_lps"], group["scenario_id"]):
                    before = tk.en.ENgetnodevalue(node, EN_EMITTER)
                    tk.en.ENsetnodevalue(node, EN_EMITTER, before + size / np.sqrt(p_base[node]))
                    pressures = tk.solve()
                    leak = tk.en.ENgetnodevalue(node, EN_DEMAND) - d_base[node]
                    tk.en.ENsetnodevalue(node, EN_EMITTER, before)
                    rows.append(base - pressures - spread * leak)
                    flows.append(leak)
                    ids.append(sid)
        finally:
            tk.close()
    out = pd.DataFrame(np.array(rows).reshape(len(ids), len(batch.sensor_nodes)),
                       index=pd.Index(ids, name="scenario_id"), columns=list(batch.sensor_nodes))
    out.insert(0, "leak_lps", flows)
    return out.reindex(scen["scenario_id"].to_numpy())      # the batch's order, not the hour groups


def raw_toolkit_time(batch: ScenarioBatch) -> float:
    """Seconds the bare toolkit needs for the batch's leak solves (same model, same emitters).

    The yardstick for the engine's overhead: one open project, and for every scenario set
    the same emitter coefficient the engine sets, solve, read the loggers, reset. Model
    preparation and bookkeeping are left out (they are the overhead being measured).
    """
    import time

    scen = batch.scenarios
    with tempfile.TemporaryDirectory(prefix="bnw-raw-") as tmp:
        inp, _ = _batch_model(batch, Path(tmp))
        tk = _Toolkit(inp, batch.sensor_nodes)
        nodes = np.array([tk.en.ENgetnodeindex(e if k == "node" else f"{MIDPOINT_PREFIX}{e}")
                          for k, e in zip(scen["kind"], scen["element"])])
        sizes = scen["size_lps"].to_numpy(float)
        elapsed = 0.0
        for hour, idx in scen.groupby("hour").indices.items():
            tk.set_hour(float(hour))
            tk.solve()
            coeff = [s / np.sqrt(max(tk.en.ENgetnodevalue(int(n), EN_PRESSURE), 1.0)) for n, s in
                     zip(nodes[idx], sizes[idx])]
            t0 = time.perf_counter()
            for node, c in zip(nodes[idx], coeff):
                tk.en.ENsetnodevalue(int(node), EN_EMITTER, c)
                tk.solve()
                tk.en.ENsetnodevalue(int(node), EN_EMITTER, 0.0)
            elapsed += time.perf_counter() - t0
        tk.close()
    return elapsed


def split_batches(batch: ScenarioBatch, size: int) -> list[ScenarioBatch]:
    """Cut a batch into batches of at most ``size`` scenarios (same model and options)."""
    return [ScenarioBatch(batch.inp_text, batch.sensor_nodes, batch.scenarios.iloc[i:i + size],
                          batch.demand_compensated, batch.perturbation)
            for i in range(0, len(batch.scenarios), size)]


def run_scenarios(batches: list[ScenarioBatch], workers: int = 2) -> pd.DataFrame:
    """Run batches on a process pool (``workers`` = 1 runs in this process); results in batch order."""
    if workers <= 1 or len(batches) <= 1:
        return pd.concat([run_batch(b) for b in batches])
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return pd.concat(list(pool.map(run_batch, batches)))
