"""Learned leak localization: an XGBoost classifier over (signature, pipe) pairs, scikit-learn style.

Trained on simulated leak signatures from the scenario library (every pipe, several sizes
and hours, on perturbed copies of the model, with sensor noise and missing loggers added),
it scores each of the best-matching candidate pipes for an observed pressure-drop
signature. Scores become per-pipe probabilities by a softmax whose temperature is fitted
on held-out scenarios (calibration), scaled by the held-out rate at which the true pipe
was among the candidates at all, so that the probabilities of all pipes sum to that rate,
not to an over-confident 1.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar
from sklearn.base import BaseEstimator

from leakdet.localize.crew import crew_candidates
from leakdet.localize.pair_features import FEATURES, Reference, signature_features


class XGBoostLocalizer(BaseEstimator):
    """Parameters
    ----------
    top_k : int
        Candidate pipes reported per event.
    n_candidates : int
        Pipes with the best shape agreement that the classifier scores per signature.
    noise_m : tuple of float
        Range (m) of the Gaussian noise added to training signatures (drawn per scenario).
    copies : int
        Noisy copies of each training scenario.
    missing_share : float
        Largest share of loggers blanked out at random in a training signature.
    n_estimators, max_depth, learning_rate : XGBoost parameters.
    coverage : float
        Probability mass the search area must hold.
    random_state : int
    """

    def __init__(self, top_k: int = 5, n_candidates: int = 40, noise_m: tuple = (0.005, 0.06), copies: int = 2,
                 missing_share: float = 0.1, n_estimators: int = 300, max_depth: int = 5,
                 learning_rate: float = 0.08, coverage: float = 0.8, random_state: int = 0):
        self.top_k = top_k
        self.n_candidates = n_candidates
        self.noise_m = noise_m
        self.copies = copies
        self.missing_share = missing_share
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.coverage = coverage
        self.random_state = random_state

    # -- training ---------------------------------------------------------------------
    def _noisy(self, library: pd.DataFrame, rng) -> tuple[np.ndarray, np.ndarray]:
        X = library[self.reference_.sensors].to_numpy(float)
        reps = np.repeat(np.arange(len(X)), self.copies)
        X = X[reps]
        sigma = rng.uniform(*self.noise_m, size=len(X))[:, None]
        X = X + rng.normal(size=X.shape) * sigma
        blank = rng.random(X.shape) < rng.uniform(0, self.missing_share, size=(len(X), 1))
        X[blank] = np.nan
        return X, library["element"].to_numpy()[reps]

    def _pairs(self, X: np.ndarray, truth: np.ndarray):
        pos = {p: i for i, p in enumerate(self.reference_.pipes)}
        feats, labels, groups, found = [], [], [], []
        for g, (x, t) in enumerate(zip(X, truth)):
            idx, f = signature_features(x, self.reference_, self.n_candidates)
            y = (idx == pos.get(t, -1)).astype(int)
            feats.append(f.to_numpy())
            labels.append(y)
            groups.append(np.full(len(idx), g))
            found.append(y.any())
        return np.vstack(feats), np.concatenate(labels), np.concatenate(groups), np.array(found)

    def fit(self, library: pd.DataFrame, reference: Reference) -> "XGBoostLocalizer":
        """Train on a scenario library (see :func:`leakdet.scenarios.library.build_library`).

        Parameters
        ----------
        library : DataFrame
            Pipe scenarios: ``element`` (the leaking pipe), ``model`` and one drop column (m)
            per sensor of ``reference``.
        reference : Reference
            Nominal per-pipe signatures and coordinates (:meth:`Reference.from_library`).
        """
        from xgboost import XGBClassifier

        self.reference_ = reference
        rng = np.random.default_rng(self.random_state)
        pipes = library[library["kind"] == "pipe"]
        X, truth = self._noisy(pipes, rng)
        held = rng.random(len(X)) < 0.2
        Ft, yt, _, _ = self._pairs(X[~held], truth[~held])
        self.model_ = XGBClassifier(n_estimators=self.n_estimators, max_depth=self.max_depth,
                                    learning_rate=self.learning_rate, subsample=0.8, colsample_bytree=0.9,
                                    tree_method="hist", n_jobs=2, random_state=self.random_state,
                                    eval_metric="logloss")
        self.model_.fit(Ft, yt)
        self._calibrate(X[held], truth[held])
        return self

    def _margins(self, F: np.ndarray) -> np.ndarray:
        return self.model_.predict(F, output_margin=True)

    def _calibrate(self, X: np.ndarray, truth: np.ndarray) -> None:
        """Fit the softmax temperature and the candidate-recall factor on held-out signatures."""
        F, y, groups, found = self._pairs(X, truth)
        margins = self._margins(F)
        self.recall_ = float(found.mean())
        ok = np.isin(groups, np.flatnonzero(found))

        def nll(temperature: float) -> float:
            total = 0.0
            for g in np.unique(groups[ok]):
                m = margins[groups == g] / temperature
                m = m - m.max()
                total -= m[y[groups == g] == 1][0] - np.log(np.exp(m).sum())
            return total

        self.temperature_ = float(minimize_scalar(nll, bounds=(0.05, 20.0), method="bounded").x)
        top1 = [y[groups == g][np.argmax(margins[groups == g])] for g in np.unique(groups)]
        self.heldout_top1_ = float(np.mean(top1))

    # -- prediction -------------------------------------------------------------------
    def _proba_one(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        idx, f = signature_features(x, self.reference_, self.n_candidates)
        m = self._margins(f.to_numpy()) / self.temperature_
        p = np.exp(m - m.max())
        return idx, self.recall_ * p / p.sum()

    def predict_proba(self, drops: pd.DataFrame) -> pd.DataFrame:
        """Probability per pipe (columns) for each signature (rows; columns sensor_id, NaN = unknown)."""
        X = drops.reindex(columns=self.reference_.sensors).to_numpy(float)
        out = np.zeros((len(X), len(self.reference_.pipes)))
        for i, x in enumerate(X):
            idx, p = self._proba_one(x)
            out[i, idx] = p
        return pd.DataFrame(out, index=drops.index, columns=self.reference_.pipes)

    def predict(self, drops: pd.DataFrame) -> np.ndarray:
        proba = self.predict_proba(drops)
        return proba.columns.to_numpy()[proba.to_numpy().argmax(axis=1)]

    def candidates(self, drop: pd.Series) -> pd.DataFrame:
        """Top-k pipes for one signature (see :func:`crew_candidates`)."""
        x = drop.reindex(self.reference_.sensors).to_numpy(float)
        idx, p = self._proba_one(x)
        return crew_candidates(self.reference_.pipes[idx], self.reference_.pipe_xy[idx], p, self.top_k, self.coverage)
