"""The "true" network behind synthetic SCADA: the nominal model plus what a utility never knows exactly.

A utility's model differs from its real network: pipe roughness drifts with age,
consumers do not follow the design pattern, and every customer varies minute to minute.
Synthetic data drawn from the nominal model itself would flatter any detector, so the
truth model perturbs roughness and demands, and adds demand noise per junction: each
junction's demand is its pattern × a long-run bias × a city-wide day factor × (1 + hourly
AR(1) noise).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import wntr

from leakdet.synth.leak_schedule import LeakSpec


def leak_node_name(link_id: str) -> str:
    return f"LEAK_{link_id}"


@dataclass(frozen=True)
class DemandNoise:
    """Hourly demand multipliers of the truth model, one row per (junction, demand category).

    ``multipliers[i, h]`` scales the base demand of ``junctions[i]``'s demand category
    ``categories[i]`` (1-based, EPANET order) during hour ``h`` of the run. The model's
    own demand patterns still apply on top, at their own resolution.
    """

    junctions: list[str]
    categories: list[int]
    multipliers: np.ndarray


def perturb(wn: wntr.network.WaterNetworkModel, rng: np.random.Generator, n_hours: int, *,
            roughness_sigma: float = 0.05, demand_bias_sigma: float = 0.05, demand_noise: float = 0.05,
            daily_sigma: float = 0.03, seasonal_amplitude: float = 0.0) -> DemandNoise:
    """Perturb the roughness of ``wn`` in place and draw its consumers' demand noise.

    Parameters
    ----------
    wn : WaterNetworkModel
        The nominal model; pipe roughness is changed in place.
    rng : numpy.random.Generator
        Source of randomness (draw order is fixed, so a seed reproduces a run).
    n_hours : int
        Hours of demand noise to draw (the run length, rounded up).
    roughness_sigma : float
        Relative (lognormal) spread of pipe roughness around the nominal value.
    demand_bias_sigma : float
        Relative spread of each junction's long-run mean demand around its base demand.
    demand_noise : float
        Standard deviation of the hourly AR(1) multiplicative noise on each junction's demand.
    daily_sigma : float
        Day-to-day variation of total demand (all junctions together).
    seasonal_amplitude : float
        Relative amplitude of a yearly swing of total demand (a sine over 365.25 days from
        the run's start, so it rises first). A model calibrated in one season meets the
        others; no random draw, so seeds reproduce with or without it.

    Returns
    -------
    DemandNoise
        Multipliers (dimensionless, >= 0) for every non-zero base demand, applied during
        the run through the EPANET toolkit (so the INP keeps the model's patterns).
    """
    for _, pipe in wn.pipes():
        pipe.roughness = float(pipe.roughness * rng.lognormal(0.0, roughness_sigma))
    daily = rng.lognormal(0.0, daily_sigma, size=n_hours // 24 + 2)[np.arange(n_hours) // 24]
    daily = daily * (1 + seasonal_amplitude * np.sin(2 * np.pi * np.arange(n_hours) / (365.25 * 24)))
    names, cats, rows = [], [], []
    for name, junction in wn.junctions():
        for k, d in enumerate(junction.demand_timeseries_list):
            if d.base_value == 0:
                continue
            noise = _ar1(rng, n_hours, demand_noise, phi=0.7)
            bias = rng.lognormal(0.0, demand_bias_sigma)
            names.append(name)
            cats.append(k + 1)
            rows.append(np.clip(daily * bias * (1 + noise), 0, None))
    mult = np.array(rows) if rows else np.ones((0, n_hours))
    return DemandNoise(names, cats, mult)


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
        # In place: a copy of the whole model per leak costs more than the week's hydraulics.
        wn = wntr.morph.split_pipe(wn, leak.link_id, f"{leak.link_id}_B", node, return_copy=False)
    return wn
