"""Signature zones: groups of pipes whose leaks look alike to the loggers, for multivariate detection.

A leak lowers pressure at several loggers at once, in a pattern set by where it is. The
pipes' simulated signatures (the sensitivity matrix) are clustered by shape; each zone's
unit centroid is a matched filter. Projecting the loggers' standardised deviations onto
it adds up the evidence of every logger the leak reaches, so a leak too small for any
single logger's CUSUM can still raise its zone's.
"""
from __future__ import annotations

import json
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

MIN_WEIGHT = 0.05       # logger weights below this in a zone's unit vector are dropped


def signature_zones(signatures: pd.DataFrame, n_zones: int = 24, seed: int = 0) -> dict[str, dict[str, float]]:
    """Cluster pipe signatures (rows sensor_id, columns pipe) into zones.

    Returns
    -------
    dict
        ``"zone:<k>"`` -> {sensor_id: weight}; each zone's weights form a unit vector (m/m).
    """
    from sklearn.cluster import KMeans

    X = signatures.to_numpy(float).T
    norms = np.linalg.norm(X, axis=1)
    X = X[norms > 0] / norms[norms > 0, None]
    k = int(min(n_zones, len(np.unique(X.round(6), axis=0))))
    if k < 1:
        return {}
    centres = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(X).cluster_centers_
    zones = {}
    for i, c in enumerate(centres):
        c = np.where(np.abs(c) >= MIN_WEIGHT * np.abs(c).max(), c, 0.0)
        c = c / np.linalg.norm(c)
        zones[f"zone:{i}"] = {s: round(float(w), 5) for s, w in zip(signatures.index, c) if w != 0}
    return zones


def cached_zones(signatures: pd.DataFrame, cache_dir: Path, n_zones: int = 24) -> dict[str, dict[str, float]]:
    """:func:`signature_zones`, computed once per signature matrix (JSON next to the sensitivity cache)."""
    key = hashlib.sha256(pd.util.hash_pandas_object(signatures.round(8), index=True).values.tobytes()
                         + str(n_zones).encode()).hexdigest()[:16]
    path = cache_dir / f"zones_{key}.json"
    if path.exists():
        return json.loads(path.read_text())
    zones = signature_zones(signatures, n_zones)
    cache_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(zones))
    return zones


def zone_statistics(z: pd.DataFrame, zones: dict[str, dict[str, float]]) -> pd.DataFrame:
    """Project standardised deviations (rows time, columns sensor_id; NaN = missing) onto every zone.

    Missing loggers are left out and the zone's remaining weights renormalised, so a zone
    statistic stays N(0, 1) under independent unit noise whatever is missing; a zone that
    lost more than half its weight is NaN for that time.
    """
    out = {}
    Z = z.to_numpy(float)
    cols = {c: i for i, c in enumerate(z.columns)}
    for name, weights in zones.items():
        idx = [cols[s] for s in weights if s in cols]
        if not idx:
            continue
        w = np.array([weights[s] for s in weights if s in cols])
        sub = Z[:, idx]
        ok = ~np.isnan(sub)
        norm = np.sqrt((ok * w ** 2).sum(axis=1))
        stat = np.nansum(np.where(ok, sub, 0.0) * w, axis=1) / np.where(norm > 0, norm, 1.0)
        out[name] = np.where(norm ** 2 >= 0.5, stat, np.nan)
    return pd.DataFrame(out, index=z.index)
