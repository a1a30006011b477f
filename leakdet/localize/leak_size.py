"""Leak signatures at the leak's own size.

A leak's pressure drop is not proportional to its flow: head loss grows with the square of
the flow, so near a 12 L/s leak the loggers drop by more than four times what a 3 L/s probe
gives them, and the shape changes with it. Measured on L-Town (nominal model, 03:00, 33
loggers): the cosine between a junction's 3 L/s and 12 L/s signatures is 0.984 (median, 0.937
at worst), while neighbouring junctions' signatures differ by less than that; matched against
the 3 L/s matrix, a noise-free 12 L/s signature puts the best junction a median 102 m (90 %:
313 m) from the leak, and its drop per L/s is 1.28 times (median) the probe's, so the probe
also overestimates a large leak's flow.

So when the probe signatures say a leak is large, it is ranked again with signatures
simulated at the nearest of a few leak sizes (:data:`SIZES_LPS`), until the size the ranking
is done at and the flow it fits agree.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from leakdet.localize.sensitivity import PROBE_LEAK_LPS

SIZES_LPS = (PROBE_LEAK_LPS, 6.0, 12.0, 24.0)     # L/s; about a factor 2 apart


def nearest_size(flow_lps: float | None) -> float:
    """The size in :data:`SIZES_LPS` nearest ``flow_lps`` on a log scale (the probe size when
    the flow is unknown or not positive)."""
    if flow_lps is None or not np.isfinite(flow_lps) or flow_lps <= 0:
        return PROBE_LEAK_LPS
    return min(SIZES_LPS, key=lambda s: abs(np.log(flow_lps / s)))


def best_pipe_flow(stats, size: float) -> float:
    """Flow (L/s) a scan's per-pipe statistics fit at their best pipe: ``stats`` has ``t`` (the
    test statistic) and ``scale`` (the multiple of the pipe's ``size`` L/s signature that fits
    the drop) per pipe."""
    return size * float(stats["scale"].loc[stats["t"].idxmax()])


def at_leak_size(rank: Callable[[float], tuple[object, float | None]], rounds: int = 2) -> tuple[object, float]:
    """Rank at the leak's own size.

    ``rank(size)`` ranks with the signatures of a ``size`` L/s leak and returns its result and
    the flow (L/s) it fits for the best pipe. Starting from the probe size, the ranking is
    redone at the nearest size to the fitted flow, at most ``rounds`` times. Returns the last
    result and the size it was made at.
    """
    size = PROBE_LEAK_LPS
    result, flow = rank(size)
    for _ in range(rounds):
        nxt = nearest_size(flow)
        if nxt == size:
            break
        size = nxt
        result, flow = rank(size)
    return result, size
