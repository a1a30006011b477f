"""Classical leak localization: correlate the observed pressure-drop signature with the
sensitivity matrix, scikit-learn style.

A leak on a pipe lowers pressure at the loggers roughly like a leak at its midpoint, whose
signature is the mean of its end junctions' columns of the sensitivity matrix. The observed
drop vector is compared with every pipe's signature by cosine similarity (which ignores the
unknown leak size), and a softmax turns similarities into probabilities.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator


class CorrelationLocalizer(BaseEstimator):
    """Parameters
    ----------
    top_k : int
        Number of candidate pipes returned per event.
    sharpness : float
        Softmax inverse temperature on cosine similarity (higher = more confident).
    coverage : float
        Probability mass the search area must hold (when pipe positions are known).
    """

    def __init__(self, top_k: int = 5, sharpness: float = 40.0, coverage: float = 0.8):
        self.top_k = top_k
        self.sharpness = sharpness
        self.coverage = coverage

    def fit(self, sensitivity: pd.DataFrame, pipe_ends: dict[str, tuple[str, str]],
            pipe_xy: pd.DataFrame | None = None) -> "CorrelationLocalizer":
        """``sensitivity``: rows sensor_id, columns junction; ``pipe_ends``: pipe -> (node, node);
        ``pipe_xy``: pipe midpoints (index link_id, columns ``x``, ``y`` in metres), which let
        :meth:`candidates` rank for a crew and give a search radius."""
        cols = {c: i for i, c in enumerate(sensitivity.columns)}
        S = sensitivity.to_numpy(dtype=float)
        pipes, sigs = [], []
        for pipe, (u, v) in pipe_ends.items():
            ends = [cols[n] for n in (u, v) if n in cols]
            if ends:
                pipes.append(pipe)
                sigs.append(S[:, ends].mean(axis=1))
        self.sensors_ = list(sensitivity.index)
        self.pipes_ = np.array(pipes)
        self.signatures_ = np.array(sigs).T          # sensors × pipes
        self.pipe_xy_ = None
        if pipe_xy is not None and pd.Index(pipes).isin(pipe_xy.index).all():
            self.pipe_xy_ = pipe_xy.loc[pipes, ["x", "y"]].to_numpy(dtype=float)
        return self

    def pipe_signatures(self) -> pd.DataFrame:
        """Each pipe's signature (columns) at each logger (rows), m for the probe leak."""
        return pd.DataFrame(self.signatures_, index=self.sensors_, columns=self.pipes_)

    def predict_proba(self, drops: pd.DataFrame) -> pd.DataFrame:
        """Probability per pipe (columns) for each observed drop vector (rows; columns sensor_id, NaN = unknown)."""
        out = np.zeros((len(drops), len(self.pipes_)))
        X = drops.reindex(columns=self.sensors_).to_numpy(dtype=float)
        for i, x in enumerate(X):
            ok = ~np.isnan(x)
            if ok.sum() < 2:
                out[i] = 1.0 / len(self.pipes_)
                continue
            sig = self.signatures_[ok]
            norm = np.linalg.norm(sig, axis=0) * np.linalg.norm(x[ok])
            cos = np.where(norm > 0, (x[ok] @ sig) / np.where(norm > 0, norm, 1), -1.0)
            z = self.sharpness * (cos - cos.max())
            p = np.exp(z)
            out[i] = p / p.sum()
        return pd.DataFrame(out, index=drops.index, columns=self.pipes_)

    def predict(self, drops: pd.DataFrame) -> np.ndarray:
        proba = self.predict_proba(drops)
        return proba.columns.to_numpy()[proba.to_numpy().argmax(axis=1)]

    def leak_flow(self, drop: pd.Series, pipe: str) -> float | None:
        """Leak flow (L/s) that best scales ``pipe``'s simulated signature to the observed drop.

        The matrix describes a :data:`~leakdet.localize.sensitivity.PROBE_LEAK_LPS` leak at
        night and drops grow about linearly with a small leak's flow, so the least-squares
        scale of the pipe's column, times the probe flow, estimates the flow.
        """
        from leakdet.localize.sensitivity import PROBE_LEAK_LPS

        where = np.flatnonzero(self.pipes_ == pipe)
        x = drop.reindex(self.sensors_).to_numpy(dtype=float)
        if not len(where) or np.isnan(x).all():
            return None
        sig = self.signatures_[:, where[0]]
        ok = ~np.isnan(x)
        energy = float(sig[ok] @ sig[ok])
        if energy <= 0:
            return None
        q = PROBE_LEAK_LPS * float(sig[ok] @ x[ok]) / energy
        return round(q, 2) if q > 0 else None

    def candidates(self, drop: pd.Series) -> pd.DataFrame:
        """Top-k pipes for one event: link_id, probability.

        With pipe positions (see :meth:`fit`) they are ranked for a crew (rank 1 the least
        expected distance to the leak; ``attrs["search_radius_m"]``, see
        :func:`~leakdet.localize.crew.shortlist_candidates`): a leak whose signature many
        neighbouring pipes share almost equally is best walked from their middle. Without,
        the most probable pipes (probabilities over all pipes, not renormalised).
        """
        proba = self.predict_proba(drop.to_frame().T).iloc[0]
        if self.pipe_xy_ is not None:
            from leakdet.localize.crew import shortlist_candidates

            return shortlist_candidates(self.pipes_, self.pipe_xy_, proba.to_numpy(), self.top_k, self.coverage)
        top = proba.nlargest(self.top_k)
        return pd.DataFrame({"link_id": top.index, "probability": top.to_numpy()})
