"""Night-drift scan: slow leaks, against a fixed reference with every known leak explained.

The night-signature scan (:mod:`leakdet.detect.night_signature`) compares each night with
the latest accepted nights, so it catches changes from one night to the next, and a leak
that grows over months teaches its reference as it grows: a 1.5 L/s leak on L-Town never
stands out of one night's noise (per-night statistic 4.5-8.6 at full size). Against a
*fixed* reference it would, but every other leak, found or repaired, moves a fixed
reference too.

So this scan keeps the median of the first nights it saw as its anchor, and explains every
change it has been told about: each event found on the network (by any detector) adds the
shape of the change it brought (the week's mean drop just after minus just before), and the
drop since the anchor is projected, in the space whitened by the loggers' night-to-night
noise, away from all those shapes before it is tested for the shape of a leak at each pipe
(``t = x'Ps / sqrt(s'Ps)`` as in the signature scan, on the mean of the latest ``average``
nights, so the noise is that of a mean). Whatever a known leak does later (grow, be
repaired) stays in its own direction; what is left is a change nobody has explained.
A pipe statistic above ``threshold`` on ``persist`` nights in a row raises an alarm, whose
own unexplained drop becomes a known shape.

On the L-Town leak-free year the largest statistic of the whole year was 5.1 (one pipe, one
night); on a year with leaks the unexplained drift pointed at leaks the other detectors had
missed (docs/benchmarks.md, session 11).

Only the last ``max_shapes`` shapes are projected: with 33 loggers, every projected shape
removes one of the directions a new leak can show in. An older shape is retired by moving
its current fitted contribution into the anchor.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.covariance import LedoitWolf

from leakdet.detect.nights import night_residuals, rise_start
from leakdet.detect.night_signature import NOISE_FLOOR_M, ranked_pipes, tempering_for
from leakdet.detect.residual_cusum import Alarm
from leakdet.localize.leak_size import at_leak_size, best_pipe_flow
from leakdet.localize.sensitivity import PROBE_LEAK_LPS

SENSOR_ID = "night-drift"
NIGHT_DRIFT_KEY = "night_drift"


@dataclass
class NightDriftScan:
    """Parameters
    ----------
    signatures : DataFrame
        Simulated pressure drop (m) of a probe leak on each pipe (columns) at each logger (rows).
    anchor_nights : int
        Nights whose median is the fixed reference (the first ones seen).
    average : int
        Latest nights whose mean is tested (and the gap, in nights, either side of an
        event over which its shape is measured).
    noise_nights : int
        Latest night-to-night differences from which the noise covariance is estimated.
    threshold : float
        Statistic (noise standard deviations of an ``average``-night mean) a pipe must exceed.
    persist : int
        Consecutive nights above ``threshold`` before an alarm.
    max_shapes : int
        Known-change shapes projected out at most.
    explain_pending : bool
        Project out an event's provisional shape (from the nights seen since it) until its
        shape is settled; without, a leak another detector just found may be found again.
    top_k, sharpness : as for the signature scan's candidates.
    sized : callable, optional
        As for the signature scan: an alarm is ranked at the leak's own size.
    distance : callable, optional
        As for the signature scan: the alarm's rank 1 is where a crew should start.
    """

    signatures: pd.DataFrame | None = None
    anchor_nights: int = 21
    average: int = 7
    noise_nights: int = 60
    threshold: float = 10.0
    persist: int = 3
    max_shapes: int = 12
    explain_pending: bool = True
    top_k: int = 5
    sharpness: float = 40.0
    sized: Callable[[float], pd.DataFrame] | None = None
    distance: Callable[[str, str], float] | None = None

    def initial_state(self) -> dict:
        return {"anchor_pool": [], "anchor": None, "nights": [], "diffs": [], "shapes": [], "pending": [],
                "above": 0}

    # -- state ------------------------------------------------------------------------------
    def step_day(self, frame: pd.DataFrame, state: dict | None) -> tuple[list[Alarm], dict]:
        """Process one local day's residual frame (``res:<sensor>`` columns)."""
        state, night = self._record(frame, state)
        if night is None or state["anchor"] is None:
            return [], state
        self._settle_pending(state, list(self.signatures.index))
        tested = self.statistics(state)
        if tested is None:
            return [], state
        stats, unexplained = tested
        best = float(stats["t"].max())
        state["above"] = state["above"] + 1 if best > self.threshold else 0
        if state["above"] < self.persist:
            return [], state
        if self.sized is not None:
            stats = at_leak_size(lambda size: self._sized_statistics(state, size))[0]
        alarm = self._alarm(state, night, stats, unexplained)
        self._add_shape(state, unexplained)
        state["above"] = 0
        return [alarm], state

    def learn_day(self, frame: pd.DataFrame, state: dict | None) -> tuple[list, dict]:
        """A night known to be leak-free (training history): it joins the anchor and the noise
        estimate; nothing is tested."""
        return [], self._record(frame, state)[0]

    def _record(self, frame: pd.DataFrame, state: dict | None) -> tuple[dict, dict | None]:
        state = {**self.initial_state(), **(state or {})}
        for key in ("anchor_pool", "nights", "diffs", "shapes", "pending"):
            state[key] = list(state[key])
        night = night_residuals(frame)
        if night is None:
            return state, None
        if state["nights"]:
            prev = state["nights"][-1]["res"]
            diff = {k: round((v - prev[k]) / np.sqrt(2.0), 4) for k, v in night["res"].items() if k in prev}
            state["diffs"] = (state["diffs"] + [diff])[-self.noise_nights:]
        state["nights"] = (state["nights"] + [{"day": night["day"], "end": night["end"], "res": night["res"]}]
                           )[-(2 * self.average + 2):]
        if state["anchor"] is None:
            state["anchor_pool"].append(night["res"])
            if len(state["anchor_pool"]) >= self.anchor_nights:
                pool = pd.DataFrame(state["anchor_pool"])
                state["anchor"] = {k: round(float(v), 4) for k, v in pool.median().items() if np.isfinite(v)}
                state["anchor_pool"] = []
        return state, night

    def note_event(self, state: dict, day: str) -> None:
        """An event was found on local ``day`` (by any detector): its change becomes a known shape
        once ``average`` nights after it have been seen."""
        if state is not None and state.get("anchor") is not None and day not in state.get("pending", []):
            state["pending"] = list(state.get("pending", [])) + [day]

    # -- statistics -------------------------------------------------------------------------
    def _mean_drop(self, state: dict, sensors: list[str], nights: list[dict]) -> pd.Series:
        """Anchor minus the mean residual of ``nights`` (m per logger)."""
        anchor = pd.Series(state["anchor"], dtype=float).reindex(sensors)
        mean = pd.DataFrame([n["res"] for n in nights]).reindex(columns=sensors).mean()
        return anchor - mean

    def _whitener(self, state: dict, n_sensors: int) -> np.ndarray | None:
        if len(state["diffs"]) < max(10, self.average):
            return None
        diffs = pd.DataFrame(state["diffs"]).reindex(columns=list(self.signatures.index))
        diffs = diffs.fillna(0.0).to_numpy(dtype=float)     # a logger's gap: no evidence, not a jump
        # A step (an abrupt leak, a repair) is one huge difference; it is a change, not noise.
        norms = np.linalg.norm(diffs, axis=1)
        diffs = diffs[norms <= 3 * np.median(norms)]
        cov = LedoitWolf().fit(diffs).covariance_ + NOISE_FLOOR_M ** 2 * np.eye(n_sensors)
        precision = np.linalg.inv(cov / self.average)
        return np.linalg.cholesky(precision).T          # w = W x has identity noise covariance

    def _sized_statistics(self, state: dict, size: float) -> tuple[pd.DataFrame, float]:
        """Per-pipe statistics against the signatures of a ``size`` L/s leak; the flow fitted at
        the best pipe."""
        signatures = self.signatures if size == PROBE_LEAK_LPS else self.sized(size)
        stats = self.statistics(state, signatures)[0]
        return stats, best_pipe_flow(stats, size)

    def statistics(self, state: dict, signatures: pd.DataFrame | None = None
                   ) -> tuple[pd.DataFrame, pd.Series] | None:
        """Per pipe: ``t`` of the latest ``average`` nights' unexplained drop (and ``scale``, the
        multiple of the pipe's signature that fits it); and that drop (m). ``signatures``
        replaces the scan's own (another leak size)."""
        signatures = self.signatures if signatures is None else signatures
        sensors = list(self.signatures.index)
        if len(state["nights"]) < self.average:
            return None
        drop = self._mean_drop(state, sensors, state["nights"][-self.average:])
        if drop.isna().any():
            drop = drop.fillna(0.0)         # a silent logger tells nothing either way
        W = self._whitener(state, len(sensors))
        if W is None:
            return None
        provisional = [self._event_shape(state, sensors, day) for day in state["pending"]] \
            if self.explain_pending else []
        basis = self._basis(W, state["shapes"] + [p.to_dict() for p in provisional if p is not None], sensors)
        w = W @ drop.to_numpy()
        WS = W @ signatures.reindex(index=sensors).to_numpy(dtype=float)
        if basis is not None:
            w = w - basis @ (basis.T @ w)
            WS = WS - basis @ (basis.T @ WS)
        energy = np.sqrt(np.einsum("ij,ij->j", WS, WS))
        t = np.where(energy > 1e-9, (w @ WS) / np.maximum(energy, 1e-9), 0.0)
        scale = np.where(energy > 1e-9, t / np.maximum(energy, 1e-9), 0.0)
        unexplained = pd.Series(np.linalg.solve(W, w), index=sensors)
        stats = pd.DataFrame({"t": t, "scale": scale}, index=signatures.columns)
        stats.attrs.update(energy=float(w @ w), n=len(sensors) - (0 if basis is None else basis.shape[1]))
        return stats, unexplained

    @staticmethod
    def _basis(W: np.ndarray, shapes: list[dict], sensors: list[str]) -> np.ndarray | None:
        """Orthonormal basis (whitened space) of the known ``shapes``, without near-duplicates."""
        if not shapes:
            return None
        A = W @ np.array([pd.Series(s, dtype=float).reindex(sensors).fillna(0.0).to_numpy()
                          for s in shapes]).T
        u, sv, _ = np.linalg.svd(A, full_matrices=False)
        keep = sv > 1e-6 * max(sv.max(), 1e-12)
        return u[:, keep] if keep.any() else None

    # -- known shapes -----------------------------------------------------------------------
    def _event_shape(self, state: dict, sensors: list[str], day: str) -> pd.Series | None:
        """The change an event of local ``day`` brought: mean drop of the (up to ``average``)
        nights after it minus that of the ``average`` nights before it; None before a night after."""
        after = [n for n in state["nights"] if n["day"] > day][:self.average]   # a daytime alarm follows its night
        before = [n for n in state["nights"] if n["day"] < day][-self.average:]
        if not after or len(before) < 2:
            return None
        return (self._mean_drop(state, sensors, after) - self._mean_drop(state, sensors, before)).fillna(0.0)

    def _settle_pending(self, state: dict, sensors: list[str]) -> None:
        """Turn events noted at least ``average`` nights ago into shapes (until then their
        provisional shape is projected out, see :meth:`_basis`)."""
        still = []
        for day in state["pending"]:
            if len([n for n in state["nights"] if n["day"] > day]) < self.average:
                still.append(day)
                continue
            shape = self._event_shape(state, sensors, day)
            if shape is not None:
                self._add_shape(state, shape)
        state["pending"] = still

    def _add_shape(self, state: dict, shape: pd.Series) -> None:
        state["shapes"].append({k: round(float(v), 5) for k, v in shape.items() if np.isfinite(v)})
        while len(state["shapes"]) > self.max_shapes:
            self._retire_oldest(state)

    def _retire_oldest(self, state: dict) -> None:
        """Drop the oldest shape, moving its current contribution (fitted jointly with the other
        shapes, in the whitened space) into the anchor, so that the change it explained stays
        explained."""
        sensors = list(self.signatures.index)
        recent = state["nights"][-self.average:]
        W = self._whitener(state, len(sensors))
        if recent and W is not None:
            drop = self._mean_drop(state, sensors, recent).fillna(0.0).to_numpy()
            shapes = np.array([pd.Series(s, dtype=float).reindex(sensors).fillna(0.0).to_numpy()
                               for s in state["shapes"]]).T
            coef = np.linalg.lstsq(W @ shapes, W @ drop, rcond=None)[0]
            anchor = pd.Series(state["anchor"], dtype=float).reindex(sensors)
            state["anchor"] = {k: round(float(v), 4) for k, v in (anchor - coef[0] * shapes[:, 0]).items()
                               if np.isfinite(v)}
        state["shapes"] = state["shapes"][1:]

    def _alarm(self, state: dict, night: dict, stats: pd.DataFrame, unexplained: pd.Series) -> Alarm:
        # The tested mean covers the latest nights; the drift began before the first of them.
        first = state["nights"][-(self.average + self.persist - 1)]["day"] if len(state["nights"]) >= \
            self.average + self.persist - 1 else state["nights"][0]["day"]
        best = float(stats["t"].max())
        return Alarm(SENSOR_ID, pd.Timestamp(night["end"]), rise_start(first), best, float(unexplained.max()),
                     signature={k: round(float(v), 4) for k, v in unexplained.items()},
                     strength=round(best, 2),
                     candidates=ranked_pipes(stats["t"], self.top_k, self.sharpness, self.distance,
                                             tempering_for(stats)))
