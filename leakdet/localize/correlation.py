"""Classical leak localization: correlate the observed pressure-drop signature with the
sensitivity matrix, scikit-learn style.

A leak on a pipe lowers pressure at the loggers roughly like a leak at its midpoint, whose
signature is the mean of its end junctions' columns of the sensitivity matrix. The observed
drop vector is compared with every pipe's signature by cosine similarity (which ignores the
unknown leak size), and a softmax turns similarities into probabilities. A large leak's
flow is fitted with signatures simulated at its own size when matrices at other sizes can be
had (see :mod:`leakdet.localize.leak_size`), and the night scans rank large night drops with
them (:meth:`CorrelationLocalizer.pipe_signatures`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from leakdet.localize.leak_size import at_leak_size
from leakdet.localize.sensitivity import PROBE_LEAK_LPS


def _fitted_flow(sig: np.ndarray, x: np.ndarray, size: float) -> float | None:
    """Flow (L/s) of the least-squares multiple of a ``size`` L/s signature that fits drop ``x``."""
    energy = float(sig @ sig)
    return size * float(sig @ x) / energy if energy > 0 else None


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
            pipe_xy: pd.DataFrame | None = None, sized=None) -> "CorrelationLocalizer":
        """``sensitivity``: rows sensor_id, columns junction; ``pipe_ends``: pipe -> (node, node);
        ``pipe_xy``: pipe midpoints (index link_id, columns ``x``, ``y`` in metres), which let
        :meth:`candidates` rank for a crew and give a search radius; ``sized``: a function
        giving the same matrix for a leak of another size (L/s), called only when a large
        leak is localized."""
        pipes, sigs = self._pipe_signatures(sensitivity, pipe_ends)
        self.sensors_ = list(sensitivity.index)
        self.pipes_ = np.array(pipes)
        self.signatures_ = sigs          # sensors × pipes
        self.sized_ = sized
        self.pipe_ends_ = pipe_ends
        self.by_size_ = {PROBE_LEAK_LPS: sigs}
        self.pipe_xy_ = None
        if pipe_xy is not None and pd.Index(pipes).isin(pipe_xy.index).all():
            self.pipe_xy_ = pipe_xy.loc[pipes, ["x", "y"]].to_numpy(dtype=float)
        return self

    @staticmethod
    def _pipe_signatures(sensitivity: pd.DataFrame, pipe_ends) -> tuple[list[str], np.ndarray]:
        """A pipe's signature is the mean of its end junctions' columns."""
        cols = {c: i for i, c in enumerate(sensitivity.columns)}
        S = sensitivity.to_numpy(dtype=float)
        pipes, sigs = [], []
        for pipe, (u, v) in pipe_ends.items():
            ends = [cols[n] for n in (u, v) if n in cols]
            if ends:
                pipes.append(pipe)
                sigs.append(S[:, ends].mean(axis=1))
        return pipes, np.array(sigs).T

    def _at_leak_size(self, rank):
        """:func:`~leakdet.localize.leak_size.at_leak_size`, or ``rank`` at the probe size only
        when no other size can be had."""
        if getattr(self, "sized_", None) is None:
            return rank(PROBE_LEAK_LPS)[0], PROBE_LEAK_LPS
        return at_leak_size(rank)

    def _at(self, size: float) -> np.ndarray:
        """Pipe signatures (sensors × pipes) of a ``size`` L/s leak (the probe's without ``sized``)."""
        if getattr(self, "sized_", None) is None or size == PROBE_LEAK_LPS:
            return self.signatures_
        if size not in self.by_size_:
            matrix = self.sized_(size).reindex(index=self.sensors_)
            pipes, sigs = self._pipe_signatures(matrix, self.pipe_ends_)
            self.by_size_[size] = pd.DataFrame(sigs, columns=pipes).reindex(columns=self.pipes_).fillna(0.0).to_numpy()
        return self.by_size_[size]

    def pipe_signatures(self, size: float = PROBE_LEAK_LPS) -> pd.DataFrame:
        """Each pipe's signature (columns) at each logger (rows), m for a ``size`` L/s leak."""
        return pd.DataFrame(self._at(size), index=self.sensors_, columns=self.pipes_)

    def predict_proba(self, drops: pd.DataFrame) -> pd.DataFrame:
        """Probability per pipe (columns) for each observed drop vector (rows; columns sensor_id, NaN = unknown)."""
        out = np.zeros((len(drops), len(self.pipes_)))
        X = drops.reindex(columns=self.sensors_).to_numpy(dtype=float)
        for i, x in enumerate(X):
            ok = ~np.isnan(x)
            if ok.sum() < 2:
                out[i] = 1.0 / len(self.pipes_)
                continue
            # Ranked against the probe's signatures: a daytime alarm's drop is larger than the same
            # leak's night drop the matrices describe, so the size it fits would be too large
            # (demo network: a 7.5 L/s leak's daytime alarm fitted 14.7 L/s and, ranked at 12 L/s,
            # pointed far away). Night drops are ranked at their size by the night scans.
            out[i] = self._proba(x, ok)
        return pd.DataFrame(out, index=drops.index, columns=self.pipes_)

    def _proba(self, x: np.ndarray, ok: np.ndarray) -> np.ndarray:
        """Probabilities against the probe's signatures of drop ``x`` on the loggers ``ok``."""
        sig = self.signatures_[ok]
        norm = np.linalg.norm(sig, axis=0) * np.linalg.norm(x[ok])
        cos = np.where(norm > 0, (x[ok] @ sig) / np.where(norm > 0, norm, 1), -1.0)
        z = self.sharpness * (cos - cos.max())
        p = np.exp(z)
        return p / p.sum()

    def predict(self, drops: pd.DataFrame) -> np.ndarray:
        proba = self.predict_proba(drops)
        return proba.columns.to_numpy()[proba.to_numpy().argmax(axis=1)]

    def leak_flow(self, drop: pd.Series, pipe: str) -> float | None:
        """Leak flow (L/s) that best scales ``pipe``'s simulated signature to the observed drop.

        The matrix describes a :data:`~leakdet.localize.sensitivity.PROBE_LEAK_LPS` leak at
        night and drops grow about linearly with a small leak's flow, so the least-squares
        scale of the pipe's column, times the probe flow, estimates the flow; a large one is
        fitted again with the signature of the size nearest it.
        """
        where = np.flatnonzero(self.pipes_ == pipe)
        x = drop.reindex(self.sensors_).to_numpy(dtype=float)
        if not len(where) or np.isnan(x).all():
            return None
        ok = ~np.isnan(x)
        def fit(size: float):
            flow = _fitted_flow(self._at(size)[ok, where[0]], x[ok], size)
            return flow, flow

        q = self._at_leak_size(fit)[0]          # the flow fitted at the size it settled on
        return round(q, 2) if q is not None and q > 0 else None

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
