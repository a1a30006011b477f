"""Two localizers voting: the learned one and the classical correlation, probabilities averaged.

On the L-Town year the two erred on different events (the learned one never strayed
kilometres away, correlation was closer on several leaks), so their average is the
default when a learned model exists. Rank 1 is again the pipe with the least expected
distance to the leak under the averaged probabilities.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from leakdet.localize.crew import shortlist_candidates


class EnsembleLocalizer(BaseEstimator):
    """Parameters
    ----------
    learned : XGBoostLocalizer
        Fitted learned localizer (its reference gives the pipe coordinates).
    classical : CorrelationLocalizer
        Fitted correlation localizer.
    weight : float
        Weight of the learned localizer's probabilities (the classical gets ``1 - weight``).
    top_k, coverage : as for the learned localizer.
    """

    def __init__(self, learned=None, classical=None, weight: float = 0.5, top_k: int = 5, coverage: float = 0.8):
        self.learned = learned
        self.classical = classical
        self.weight = weight
        self.top_k = top_k
        self.coverage = coverage

    def predict_proba(self, drops: pd.DataFrame) -> pd.DataFrame:
        a = self.learned.predict_proba(drops)
        b = self.classical.predict_proba(drops).reindex(columns=a.columns).fillna(0.0)
        a = a.div(a.sum(axis=1).where(lambda s: s > 0, 1.0), axis=0)
        return self.weight * a + (1 - self.weight) * b

    def predict(self, drops: pd.DataFrame) -> np.ndarray:
        return np.array([self.candidates(drops.iloc[i])["link_id"].iloc[0] for i in range(len(drops))])

    def candidates(self, drop: pd.Series) -> pd.DataFrame:
        """Top-k pipes for a crew (see :func:`~leakdet.localize.crew.shortlist_candidates`)."""
        p = self.predict_proba(drop.to_frame().T).iloc[0].to_numpy()
        ref = self.learned.reference_
        return shortlist_candidates(ref.pipes, ref.pipe_xy, p, self.top_k, self.coverage)
