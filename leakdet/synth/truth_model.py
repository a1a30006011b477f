"""The "true" network behind synthetic SCADA: the nominal model plus what a utility never knows exactly.

A utility's model differs from its real network: pipe roughness drifts with age,
consumers do not follow the design pattern, and every customer varies minute to minute.
Synthetic data drawn from the nominal model itself would flatter any detector, so the
truth model perturbs roughness and demands, and adds demand noise per junction.
"""
from __future__ import annotations

import numpy as np
import wntr

from leakdet.synth.leak_schedule import LeakSpec


def leak_node_name(link_id: str) -> str:
    return f"LEAK_{link_id}"


def perturb(wn: wntr.network.WaterNetworkModel, rng: np.random.Generator, n_hours: int, *,
            roughness_sigma: float = 0.05, demand_bias_sigma: float = 0.05, demand_noise: float = 0.05,
            daily_sigma: float = 0.03) -> None:
    """Perturb ``wn`` in place (see module docstring).

    Parameters
    ----------
    roughness_sigma : float
        Relative (lognormal) spread of pipe roughness around the nominal value.
    demand_bias_sigma : float
        Relative spread of each junction's long-run mean demand around its base demand.
    demand_noise : float
        Standard deviation of the hourly AR(1) multiplicative noise on each junction's demand.
    daily_sigma : float
        Day-to-day variation of total demand (all junctions together).
    """
    for _, pipe in wn.pipes():
        pipe.roughness = float(pipe.roughness * rng.lognormal(0.0, roughness_sigma))
    start_hour = int(wn.options.time.pattern_start // 3600)
    hours = np.arange(n_hours) + start_hour
    daily = rng.lognormal(0.0, daily_sigma, size=n_hours // 24 + 2)[(np.arange(n_hours)) // 24]
    default = wn.options.hydraulic.pattern
    for name, junction in wn.junctions():
        for k, d in enumerate(junction.demand_timeseries_list):
            if d.base_value == 0:
                continue
            pname = d.pattern_name or (default if default in wn.pattern_name_list else None)
            base = (np.array([wn.get_pattern(pname).at(h * 3600) for h in hours]) if pname else np.ones(n_hours))
            noise = _ar1(rng, n_hours, demand_noise, phi=0.7)
            bias = rng.lognormal(0.0, demand_bias_sigma)
            mult = np.clip(base * daily * bias * (1 + noise), 0, None)
            wn.add_pattern(f"T_{name}_{k}", [round(float(v), 5) for v in mult])
            d.pattern_name = f"T_{name}_{k}"
    wn.options.time.pattern_timestep = 3600
    wn.options.time.pattern_start = 0


def _ar1(rng, n: int, sigma: float, phi: float) -> np.ndarray:
    eps = rng.normal(0.0, sigma * np.sqrt(1 - phi ** 2), size=n)
    out = np.empty(n)
    acc = rng.normal(0.0, sigma)
    for i in range(n):
        acc = phi * acc + eps[i]
        out[i] = acc
    return out


def add_leak_nodes(wn: wntr.network.WaterNetworkModel, leaks: list[LeakSpec]) -> wntr.network.WaterNetworkModel:
    """Split every leaking pipe at its midpoint; the new junction carries the emitter."""
    for leak in leaks:
        node = leak_node_name(leak.link_id)
        if node in wn.node_name_list:
            continue
        if leak.link_id not in wn.pipe_name_list:
            raise ValueError(f"leak schedule names {leak.link_id!r}, which is not a pipe of the network")
        wn = wntr.morph.split_pipe(wn, leak.link_id, f"{leak.link_id}_B", node)
    return wn
