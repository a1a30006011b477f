"""The candidate list a crew walks: where to start, what else to check, and how far to search."""
from __future__ import annotations

import numpy as np
import pandas as pd

SHORTLIST = 60      # most probable pipes among which rank 1 and the search area are chosen


def crew_candidates(pipes: np.ndarray, xy: np.ndarray, p: np.ndarray, top_k: int, coverage: float) -> pd.DataFrame:
    """Rank candidate pipes for a crew: ``link_id``, ``probability``.

    Rank 1 is the pipe with the least expected distance (m) to the leak under the
    probabilities ``p`` (where a crew should start: with several similar neighbours it beats
    the single most probable pipe); the rest follow by probability. The frame's
    ``attrs["search_radius_m"]`` is the radius around rank 1 holding ``coverage`` of the
    candidates' probability.
    """
    expected = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1]) @ p
    start = int(np.argmin(expected))
    order = np.concatenate([[start], [i for i in np.argsort(-p) if i != start]])
    top = order[:top_k]
    out = pd.DataFrame({"link_id": pipes[top], "probability": p[top]})
    d = np.hypot(*(xy - xy[start]).T)
    by_distance = np.argsort(d)
    mass = np.cumsum(p[by_distance]) / max(p.sum(), 1e-12)
    out.attrs["search_radius_m"] = float(d[by_distance][min(np.searchsorted(mass, coverage), len(d) - 1)])
    return out


def shortlist_candidates(pipes: np.ndarray, xy: np.ndarray, p: np.ndarray, top_k: int, coverage: float) -> pd.DataFrame:
    """:func:`crew_candidates` among the :data:`SHORTLIST` most probable of all ``pipes`` (probabilities
    ``p``, renormalised over the shortlist): a localizer's whole distribution, ranked for a crew."""
    idx = np.argsort(-p)[:SHORTLIST]
    q = p[idx] / max(p[idx].sum(), 1e-12)
    return crew_candidates(pipes[idx], xy[idx], q, top_k, coverage)
