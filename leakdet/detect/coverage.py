"""Which leaks the night-signature scan can see: the smallest leak at each pipe it would find.

A leak of ``q`` L/s at a pipe moves the loggers' night means by about ``q / probe`` times the
pipe's simulated signature ``s``; tested on one night against the loggers' night-to-night noise
(precision ``P``, as the scan learns it), its statistic is ``q * sqrt(s'Ps) / probe``. The scan's
CUSUM (allowance ``k``, threshold ``h``) raises a leak whose statistic stays at ``t`` after ``n``
nights when ``n (t - k) > h``: so within ``n`` nights it finds leaks above ``(k + h/n) / t_per_lps``.
Read it as coverage, for the analyst deciding where a logger would help most: pipes where only
leaks of several L/s are seen within a week are where small leaks run for months.

This is the best case for the best-of-all-pipes CUSUM: a leak that starts whole (an incipient one is
seen later), and nominal signatures (the true network's differ; see docs/benchmarks.md). The scan's
per-pipe CUSUM (``pipe_k``, ``pipe_h``) finds smaller steady leaks than this within a week, but not
by a formula of this kind: its leak's nights teach the reference and the noise estimate, and the
statistic sinks night by night (on the test's toy network a leak at 1.3 times its formula's week
flow took 8 nights); so it is left out and these flows are an upper bound.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from leakdet.detect.night_signature import NightSignatureScan, night_noise_precision, reference_frame
from leakdet.localize.sensitivity import PROBE_LEAK_LPS

# Not beyond a week: a leak whose nightly statistic stays below the scan's ``learn_band`` (8 by
# default; a week needs 8.9) may teach the scan's reference and never be found by it; slower
# leaks are the drift scan's (on synthetic nights, leaks of the 30-night flow were found late or not at all).
FIND_WITHIN_NIGHTS = (1, 3, 7)


def detectable_flows(signatures: pd.DataFrame, nights: list[dict], scan: NightSignatureScan | None = None,
                     within: tuple[int, ...] = FIND_WITHIN_NIGHTS, probe_lps: float = PROBE_LEAK_LPS) -> pd.DataFrame:
    """Per pipe (rows): ``t_per_lps`` (one night's statistic per L/s of leak) and, for each ``n`` in
    ``within``, ``lps_within_<n>_nights``: the smallest leak (L/s) found within ``n`` nights.

    Parameters
    ----------
    signatures : DataFrame
        Pressure drop (m) of a ``probe_lps`` leak on each pipe (columns) at each logger (rows).
    nights : list of dict
        The scan's reference nights (its state's ``nights``: ``{"res": {logger: m}}``).
    scan : NightSignatureScan, optional
        Whose allowance and threshold decide (default: the scan's defaults).
    """
    scan = scan or NightSignatureScan()
    hist = reference_frame(nights, list(signatures.index))
    if hist.shape[1] < 3 or len(hist) < 3:
        raise ValueError(f"{len(hist)} reference nights with {hist.shape[1]} loggers: too few to learn the noise")
    precision = night_noise_precision(hist)
    sig = signatures.loc[hist.columns].to_numpy(dtype=float)
    t_per_lps = np.sqrt(np.einsum("ij,ik,kj->j", sig, precision, sig)) / probe_lps
    out = pd.DataFrame({"t_per_lps": t_per_lps}, index=signatures.columns)
    out.index.name = "link_id"
    seen = out["t_per_lps"].where(out["t_per_lps"] > 1e-9)
    for n in within:
        out[f"lps_within_{n}_nights"] = (scan.k + scan.h / n) / seen
    return out
