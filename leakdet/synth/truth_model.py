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


def demand_clusters(wn: wntr.network.WaterNetworkModel, n_clusters: int) -> dict[str, int]:
    """Junction -> neighbourhood index: nearest of ``n_clusters`` centres spread over the map."""
    names = list(wn.junction_name_list)
    xy = np.array([wn.get_node(n).coordinates for n in names], dtype=float)
    centres = [int(np.argmin(((xy - xy.mean(axis=0)) ** 2).sum(axis=1)))]
    dist = ((xy - xy[centres[0]]) ** 2).sum(axis=1)
    while len(centres) < min(n_clusters, len(names)):
        centres.append(int(np.argmax(dist)))
        dist = np.minimum(dist, ((xy - xy[centres[-1]]) ** 2).sum(axis=1))
    d2 = ((xy[:, None, :] - xy[centres][None, :, :]) ** 2).sum(axis=2)
    return dict(zip(names, d2.argmin(axis=1).tolist()))


def perturb(wn: wntr.network.WaterNetworkModel, rng: np.random.Generator, n_hours: int, *,
            roughness_sigma: float = 0.05, demand_bias_sigma: float = 0.05, demand_noise: float = 0.05,
            daily_sigma: float = 0.03, n_clusters: int = 24) -> None:
    """Perturb ``wn`` in place (see module docstring).

    Demand noise is shared within neighbourhoods (``n_clusters`` of them), as consumers in
    one area respond to the same weather, holidays and events; each junction also gets its
    own long-run bias. One noisy pattern per neighbourhood keeps a year-long model small.

    Parameters
    ----------
    roughness_sigma : float
        Relative (lognormal) spread of pipe roughness around the nominal value.
    demand_bias_sigma : float
        Relative spread of each junction's long-run mean demand around its base demand.
    demand_noise : float
        Standard deviation of the hourly AR(1) multiplicative noise of each neighbourhood.
    daily_sigma : float
        Day-to-day variation of total demand (all junctions together).
    """
    for _, pipe in wn.pipes():
        pipe.roughness = float(pipe.roughness * rng.lognormal(0.0, roughness_sigma))
    # New patterns keep the model's pattern step and clock: entry j is pattern time j·step,
    # i.e. model time j·step − pattern_start. Other (cyclic) patterns are left as they are.
    step = int(wn.options.time.pattern_timestep)
    offset = int(wn.options.time.pattern_start)
    n = int(np.ceil((offset + n_hours * 3600) / step)) + 1
    pattern_times = np.arange(n) * step
    model_hour = np.clip((pattern_times - offset) // 3600, 0, n_hours - 1).astype(int)
    daily = rng.lognormal(0.0, daily_sigma, size=n_hours // 24 + 2)[model_hour // 24]
    noise = [_ar1(rng, n_hours, demand_noise, phi=0.7)[model_hour] for _ in range(n_clusters)]
    cluster = demand_clusters(wn, n_clusters)
    default = wn.options.hydraulic.pattern
    made: dict[tuple[str | None, int], str] = {}
    for name, junction in wn.junctions():
        for d in junction.demand_timeseries_list:
            if d.base_value == 0:
                continue
            pname = d.pattern_name or (default if default in wn.pattern_name_list else None)
            key = (pname, cluster[name])
            if key not in made:
                base = _sample(wn.get_pattern(pname), pattern_times, step) if pname else np.ones(n)
                mult = np.clip(base * daily * (1 + noise[key[1]]), 0, None)
                made[key] = f"T_{pname or 'const'}_{key[1]}"
                wn.add_pattern(made[key], [round(float(v), 5) for v in mult])
            d.base_value = float(d.base_value * rng.lognormal(0.0, demand_bias_sigma))
            d.pattern_name = made[key]


def _sample(pattern, times: np.ndarray, step: int) -> np.ndarray:
    """Values of a cyclic pattern at pattern ``times`` (vectorised ``Pattern.at``)."""
    mult = np.asarray(pattern.multipliers, dtype=float)
    if len(mult) == 0:
        return np.ones(len(times))
    return mult[(times // step) % len(mult)]


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
