"""EPANET toolkit stepping: leak emitters that open, grow and close mid-run.

EPANET's INP format cannot switch an emitter on mid-run (and WNTR's ``EpanetSimulator``
ignores ``add_leak``), so the run steps through the toolkit and, before each hydraulic
step, sets each leak node's emitter coefficient and each junction's demand multiplier.
Only the sensor elements and the leak nodes are read back, which keeps a week of a
thousand-node network to about a second.
"""
from __future__ import annotations

import ctypes
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from wntr.epanet.toolkit import ENepanet

from leakdet.synth.leak_schedule import LeakSpec
from leakdet.synth.truth_model import DemandNoise

STEP_S = 300                 # SCADA resolution, s
CD = 0.75                    # discharge coefficient of a pipe-wall orifice
G = 9.81                     # m/s²
CLOSED_COEFF = 1e-6          # L/s per m^0.5: a "closed" emitter passes ~1e-5 L/s
# EPANET toolkit parameter codes (epanet2_enums.h)
EN_EMITTER, EN_FLOW, EN_DEMAND, EN_HEAD, EN_PRESSURE = 3, 8, 9, 10, 11


@dataclass(frozen=True)
class Probe:
    """What to read for one sensor: a node or link value, minus ``offset`` (tank bottom, m)."""

    element_id: str
    on_link: bool
    code: int
    offset: float = 0.0


def probe_for(kind: str, element_id: str, tank_bottom: dict[str, float]) -> Probe:
    """The toolkit read for a sensor ``kind`` (pressure m, flow L/s, level m, demand L/s)."""
    if kind == "flow":
        return Probe(element_id, True, EN_FLOW)
    if kind == "level":
        # EPANET reports a tank's head; the gauge reads depth above the tank bottom.
        return Probe(element_id, False, EN_HEAD, tank_bottom[element_id])
    if kind == "demand":
        return Probe(element_id, False, EN_DEMAND)
    return Probe(element_id, False, EN_PRESSURE)


def emitter_coefficient(diameter_m: float) -> float:
    """Emitter coefficient ``Cd·A·√(2g)`` in L/s per m^0.5 for an orifice of ``diameter_m`` (m)."""
    return CD * math.pi * diameter_m ** 2 / 4 * math.sqrt(2 * G) * 1000.0


def leak_size(leak: LeakSpec, t: pd.Timestamp) -> float:
    """Fraction (0-1) of the full orifice area open at ``t``.

    Abrupt: 1 from ``start``. Incipient: grows linearly in area from 0 at ``start`` to 1
    at ``peak``. Both: 0 from ``end`` on (repaired).
    """
    if t < leak.start or t >= leak.end:
        return 0.0
    if leak.kind == "incipient" and t < leak.peak:
        return (t - leak.start) / (leak.peak - leak.start)
    return 1.0


class _Toolkit:
    """The few toolkit calls the run needs, with EPANET 2.2 calls that wntr does not wrap."""

    def __init__(self, inp: Path):
        self.en = ENepanet()
        self.en.ENopen(str(inp), str(inp.with_suffix(".rpt")), str(inp.with_suffix(".bin")))

    def _check(self, code: int, what: str) -> None:
        if code:
            raise RuntimeError(f"EPANET error {code} in {what}")

    def base_demand(self, node: int, category: int) -> float:
        value = ctypes.c_double()
        self._check(self.en.ENlib.EN_getbasedemand(self.en._project, node, category, ctypes.byref(value)),
                    "EN_getbasedemand")
        return value.value

    def set_base_demand(self, node: int, category: int, value: float) -> None:
        self._check(self.en.ENlib.EN_setbasedemand(self.en._project, node, category, ctypes.c_double(value)),
                    "EN_setbasedemand")


def run_toolkit(inp: Path, probes: list[Probe], leaks: list[LeakSpec], leak_nodes: list[str],
                times: pd.DatetimeIndex, demand: DemandNoise) -> tuple[np.ndarray, np.ndarray]:
    """Step EPANET over ``times`` (every ``STEP_S`` from the model's time 0).

    Parameters
    ----------
    inp : Path
        Model in LPS units whose duration covers ``times``; its folder takes the .rpt/.bin files.
    probes : list of Probe
        One per sensor column.
    leaks, leak_nodes : list
        Leak specifications and the junction carrying each one's emitter.
    times : DatetimeIndex
        UTC sample times; ``times[0]`` is the model's time 0.
    demand : DemandNoise
        Hourly multipliers applied to the named junctions' base demands.

    Returns
    -------
    values : ndarray (len(times), len(probes))
        Sensor values in model units (m, L/s).
    flows : ndarray (len(times), len(leaks))
        Leak (emitter) outflow, L/s.
    """
    tk = _Toolkit(inp)
    en = tk.en
    try:
        idx = [(en.ENgetlinkindex if p.on_link else en.ENgetnodeindex)(p.element_id) for p in probes]
        leak_idx = [en.ENgetnodeindex(n) for n in leak_nodes]
        full = [emitter_coefficient(l.diameter_m) for l in leaks]
        dem_idx = [en.ENgetnodeindex(j) for j in demand.junctions]
        base = [tk.base_demand(n, c) for n, c in zip(dem_idx, demand.categories)]
        values = np.full((len(times), len(probes)), np.nan)
        flows = np.zeros((len(times), len(leaks)))
        opened = [False] * len(leaks)
        en.ENopenH()
        en.ENinitH(0)
        t_now, i, hour = 0, 0, -1
        while i < len(times):
            if t_now // 3600 != hour:
                hour = t_now // 3600
                h = min(hour, demand.multipliers.shape[1] - 1)
                for n, c, b, m in zip(dem_idx, demand.categories, base, demand.multipliers[:, h]):
                    tk.set_base_demand(n, c, b * m)
            now = times[0] + pd.Timedelta(seconds=t_now)
            for j, leak in enumerate(leaks):
                size = leak_size(leak, now)
                # EPANET 2.2 skips nodes whose emitter coefficient is 0 and so keeps their last
                # emitter flow: a repaired leak is closed to a negligible orifice instead.
                opened[j] = opened[j] or size > 0
                en.ENsetnodevalue(leak_idx[j], EN_EMITTER, max(full[j] * size, CLOSED_COEFF if opened[j] else 0.0))
            t = en.ENrunH()
            # EPANET always stops at report times; the loop also copes if a step were skipped.
            while i < len(times) and i * STEP_S <= t:
                values[i] = [(en.ENgetlinkvalue(k, p.code) if p.on_link else en.ENgetnodevalue(k, p.code)) - p.offset
                             for k, p in zip(idx, probes)]
                for j, k in enumerate(leak_idx):
                    q = en.ENgetnodevalue(k, EN_DEMAND)
                    flows[i, j] = q if q > 1e-3 else 0.0      # a closed emitter's trickle is no leak
                i += 1
            step = en.ENnextH()
            if step <= 0:
                break
            t_now = t + step
        en.ENcloseH()
    finally:
        en.ENclose()
    return values, flows
