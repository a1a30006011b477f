"""Features describing how well one candidate pipe explains one observed pressure-drop signature.

The learned localizer ranks (signature, pipe) pairs. The features are shape agreement
with the pipe's simulated signatures (cosine and rank correlation, at night and by day),
the leak size a least-squares fit implies and how much it leaves unexplained, and where
the pipe lies relative to the loggers that dropped most. All are invariant to the
network's size and units, so one model design serves any network.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

FEATURES = ["cos_night", "cos_day", "cos_gap", "cos_rank", "rank_corr", "misfit", "log_flow",
            "dist_peak", "dist_centroid", "peak_match", "log_norm", "coverage", "log_observability"]


@dataclass
class Reference:
    """Per-pipe simulated signatures (m of drop per L/s of leak) on the nominal model.

    ``night`` and ``day`` are sensors × pipes arrays; ``pipe_xy`` and ``sensor_xy`` are
    coordinates (m); ``spacing_m`` is the median distance between neighbouring loggers.
    """

    sensors: list[str]
    pipes: np.ndarray
    night: np.ndarray
    day: np.ndarray
    pipe_xy: np.ndarray
    sensor_xy: np.ndarray
    spacing_m: float

    @classmethod
    def from_library(cls, library: pd.DataFrame, sensors: list[str], pipe_xy: pd.DataFrame,
                     sensor_xy: pd.DataFrame, night_hour: int = 3) -> "Reference":
        """Average the nominal-model scenarios (``model == 0``) per pipe, per L/s."""
        nominal = library[(library["model"] == 0) & (library["kind"] == "pipe")]
        per_lps = nominal[sensors].div(nominal["leak_lps"].clip(lower=1e-6), axis=0)
        per_lps["element"], per_lps["night"] = nominal["element"], nominal["hour"] == night_hour
        night = per_lps[per_lps["night"]].groupby("element")[sensors].mean()
        day = per_lps[~per_lps["night"]].groupby("element")[sensors].mean()
        day = day.reindex(night.index).fillna(night) if len(day) else night
        pipes = night.index.intersection(pipe_xy.index)
        sxy = sensor_xy.reindex(sensors)[["x", "y"]].to_numpy(float)
        nn = np.sort(np.hypot(sxy[:, None, 0] - sxy[None, :, 0], sxy[:, None, 1] - sxy[None, :, 1]), axis=1)
        spacing = float(np.nanmedian(nn[:, 1])) if len(sxy) > 1 else 1000.0
        return cls(list(sensors), pipes.to_numpy(), night.loc[pipes].to_numpy().T, day.loc[pipes].to_numpy().T,
                   pipe_xy.loc[pipes, ["x", "y"]].to_numpy(float), sxy, max(spacing, 1.0))


def _cosine(x: np.ndarray, R: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(R, axis=0) * np.linalg.norm(x)
    return np.where(norm > 0, (x @ R) / np.where(norm > 0, norm, 1.0), -1.0)


def _ranks(a: np.ndarray, axis: int = 0) -> np.ndarray:
    return np.argsort(np.argsort(a, axis=axis), axis=axis).astype(float)


def signature_features(x: np.ndarray, ref: Reference, n_candidates: int) -> tuple[np.ndarray, pd.DataFrame]:
    """Pair features for one signature ``x`` (drop in m per reference sensor, NaN = missing).

    Returns
    -------
    idx : ndarray
        Indices (into ``ref.pipes``) of the ``n_candidates`` pipes with the best shape
        agreement: the only pipes the classifier scores.
    features : DataFrame
        One row per candidate, columns :data:`FEATURES`.
    """
    ok = np.isfinite(x)
    xo = x[ok]
    if ok.sum() < 2 or not np.any(xo):
        xo = np.where(ok, 0.0, 0.0)[ok] + 1e-9
    night, day = ref.night[ok], ref.day[ok]
    cos_n, cos_d = _cosine(xo, night), _cosine(xo, day)
    best = np.maximum(cos_n, cos_d)
    idx = np.argsort(-best)[:n_candidates]
    R = np.where((cos_n >= cos_d)[None, idx], night[:, idx], day[:, idx])
    amp = (xo @ R) / np.maximum((R * R).sum(axis=0), 1e-12)         # implied leak flow (L/s)
    misfit = np.linalg.norm(xo[:, None] - R * amp[None, :], axis=0) / max(np.linalg.norm(xo), 1e-9)
    rx = _ranks(xo)
    rR = _ranks(R, axis=0)
    rx, rR = rx - rx.mean(), rR - rR.mean(axis=0)
    rank_corr = (rx @ rR) / np.maximum(np.linalg.norm(rx) * np.linalg.norm(rR, axis=0), 1e-9)
    sxy = ref.sensor_xy[ok]
    peak = int(np.argmax(xo))
    w = np.clip(xo, 0, None)
    top = np.argsort(-w)[:3]
    centroid = (sxy[top] * w[top, None]).sum(axis=0) / w[top].sum() if w[top].sum() > 0 else sxy[peak]
    pxy = ref.pipe_xy[idx]
    feats = pd.DataFrame({
        "cos_night": cos_n[idx], "cos_day": cos_d[idx], "cos_gap": best[idx] - best[idx].max(),
        "cos_rank": np.arange(len(idx)) / max(n_candidates, 1), "rank_corr": rank_corr, "misfit": misfit,
        "log_flow": np.log10(np.clip(amp, 1e-3, None)),
        "dist_peak": np.hypot(*(pxy - sxy[peak]).T) / ref.spacing_m,
        "dist_centroid": np.hypot(*(pxy - centroid).T) / ref.spacing_m,
        "peak_match": (np.argmax(R, axis=0) == peak).astype(float),
        "log_norm": np.full(len(idx), np.log10(max(np.linalg.norm(xo), 1e-6))),
        "coverage": np.full(len(idx), ok.mean()),
        "log_observability": np.log10(np.maximum(np.linalg.norm(R, axis=0), 1e-9)),
    })
    return idx, feats[FEATURES]
