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
    """

    def __init__(self, top_k: int = 5, sharpness: float = 40.0):
        self.top_k = top_k
        self.sharpness = sharpness

    def fit(self, sensitivity: pd.DataFrame, pipe_ends: dict[str, tuple[str, str]]) -> "CorrelationLocalizer":
        """``sensitivity``: rows sensor_id, columns junction; ``pipe_ends``: pipe -> (node, node)."""
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
        return self

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

    def candidates(self, drop: pd.Series) -> pd.DataFrame:
        """Top-k pipes for one event: link_id, probability (probabilities over all pipes, not renormalised)."""
        proba = self.predict_proba(drop.to_frame().T).iloc[0]
        top = proba.nlargest(self.top_k)
        return pd.DataFrame({"link_id": top.index, "probability": top.to_numpy()})
