"""Random leak schedules: other leaks than the ones an engine was developed on.

An engine tuned on one schedule (the BattLeDIM 2018 leaks of L-Town) can learn its pipes,
sizes and dates without anyone meaning it to. A year with leaks drawn at random, at other
pipes and times, checks that what it found holds for leaks it has never seen.

The draws follow the BattLeDIM 2018 schedule's ranges: equivalent orifice diameters of
8-24 mm (0.6-4 L/s at L-Town's night pressures), about half the leaks incipient, ramps of
days to months, repairs after 10 days to two months or never within the year.
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from leakdet.evaluate.run import as_utc
from leakdet.synth.leak_schedule import LeakSpec

DIAMETER_RANGE_M = (0.008, 0.024)
INCIPIENT_SHARE = 0.55
UNREPAIRED_SHARE = 0.3          # leaks still running at the end of the period
REPAIR_DAYS_MEDIAN = 21.0       # lognormal time to repair of the others (days)
REPAIR_DAYS_RANGE = (10.0, 70.0)
RAMP_MAX_DAYS = 120.0           # an incipient leak reaches full size within this


def random_leak_schedule(pipes: list[str], start, end, n_leaks: int, seed: int,
                         quiet_days: float = 15.0, tail_days: float = 14.0) -> list[LeakSpec]:
    """Draw ``n_leaks`` leaks on distinct ``pipes`` over [``start``, ``end``).

    Parameters
    ----------
    pipes : list of str
        Pipes a leak may be drawn on (each at most once).
    start, end : timestamp-like
        The period (naive times are UTC).
    n_leaks : int
    seed : int
        The same seed and pipes give the same schedule.
    quiet_days, tail_days : float
        No leak starts in the first ``quiet_days`` (a training period) or the last ``tail_days``
        (too late to be found) of the period.

    Returns
    -------
    list of LeakSpec
        Sorted by start; times on 5-minute steps, UTC.
    """
    start, end = as_utc(start), as_utc(end)
    if n_leaks > len(pipes):
        raise ValueError(f"{n_leaks} leaks on {len(pipes)} pipes: each pipe leaks at most once")
    first, last = start + pd.Timedelta(days=quiet_days), end - pd.Timedelta(days=tail_days)
    if last <= first:
        raise ValueError(f"no room for leaks between {first} and {last}")
    rng = np.random.default_rng(seed)
    chosen = rng.choice(np.asarray(sorted(pipes)), size=n_leaks, replace=False)
    step = pd.Timedelta(minutes=5)
    leaks = []
    for pipe in chosen:
        t0 = (first + (last - first) * rng.uniform()).floor("5min")
        if rng.uniform() < UNREPAIRED_SHARE:
            t1 = end - step
        else:
            days = float(np.clip(rng.lognormal(np.log(REPAIR_DAYS_MEDIAN), 0.6), *REPAIR_DAYS_RANGE))
            t1 = min(t0 + pd.Timedelta(days=days), end - step).floor("5min")
        kind = "incipient" if rng.uniform() < INCIPIENT_SHARE else "abrupt"
        peak = t0
        if kind == "incipient":
            ramp = min((t1 - t0).total_seconds() / 86400 * rng.uniform(0.2, 0.9), RAMP_MAX_DAYS)
            peak = (t0 + pd.Timedelta(days=ramp)).floor("5min")
        diameter = round(float(rng.uniform(*DIAMETER_RANGE_M)), 6)
        leaks.append(LeakSpec(str(pipe), t0, t1, diameter, kind, peak))
    return sorted(leaks, key=lambda l: l.start)


def write_leak_schedule(leaks: list[LeakSpec], path: str | Path) -> Path:
    """Write ``leaks`` as a schedule CSV (:func:`~leakdet.synth.leak_schedule.read_leak_schedule`
    reads it back; times ISO-8601 with their UTC offset)."""
    path = Path(path)
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["link_id", "start", "end", "diameter_m", "type", "peak"])
        for l in leaks:
            out.writerow([l.link_id, l.start.isoformat(), l.end.isoformat(), l.diameter_m, l.kind,
                          l.peak.isoformat()])
    return path

