"""Night-signature detection: a whitened matched filter over nights, one test per pipe.

Each night (01:00-05:00 local) gives every logger's mean residual, which is far steadier
than any 5-minute value. Against the median of the latest accepted nights, tonight's
drop vector ``x`` (metres, one value per logger) is tested for the shape of a leak at
each pipe: with ``s`` the pipe's simulated signature and ``P`` the inverse covariance of
the loggers' night-to-night noise (shrunk, Ledoit-Wolf, learned from the same accepted
nights), the generalized likelihood-ratio statistic of "a leak of unknown size at this
pipe" is ``t = x'Ps / sqrt(s'Ps)``, in noise standard deviations. Whitening matters: the
loggers' night errors are correlated (neighbourhood demand moves several at once), and a
plain correlation takes that common noise for a leak.

The largest ``t`` over all pipes feeds a one-sided CUSUM over nights (allowance ``k``,
threshold ``h``), and each pipe's own ``t`` feeds a CUSUM of that pipe (``pipe_k``, ``pipe_h``):
the best of hundreds of pipes is several noise deviations on a quiet night, one pipe's is about
one, so a small leak that keeps pointing at the same pipe adds up there first.
A pressure rise shaped like a leak going away (``-t`` larger than any ``+t``: a repair) is
not a leak; the reference moves to the new level and the rise is recorded. After an alarm
the reference moves too (and every CUSUM restarts), so the leak found is not found again and
the next one is measured from there.

The alarm carries its own ranking of pipes (by ``t``): the pipe whose signature best
explains the drop once the noise structure is accounted for. An incipient leak alarms
again as it grows, each time on its growth since the last alarm moved the reference: such
an increment is small and localizes badly. So the scan remembers the drops its recent
alarms shifted the reference by; an alarm near an earlier one (the same leak grown) is
localized on the whole drop since before the first, when that explains more than the
increment alone.

Per night: a day's decision uses that day's night only (it ends at 05:00 local), so the
alarm time is 05:00 and depends on data up to then.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.covariance import LedoitWolf

from leakdet.detect.nights import lowered, night_residuals, rise_start
from leakdet.detect.residual_cusum import Alarm
from leakdet.localize.crew import GLR_TEMPERING, crew_start
from leakdet.localize.leak_size import at_leak_size, best_pipe_flow
from leakdet.localize.sensitivity import PROBE_LEAK_LPS

SENSOR_ID = "night-signature"          # the alarm's source, as stored in an event's details
NIGHT_SIGNATURE_KEY = "night_signature"  # this detector's part of the stored detector state
NOISE_FLOOR_M = 0.001                    # night-to-night noise of a logger never below 1 mm


@dataclass
class NightSignatureScan:
    """Parameters
    ----------
    signatures : DataFrame
        Simulated pressure drop (m) of a probe leak on each pipe (columns) at each logger
        (rows), e.g. :meth:`~leakdet.localize.correlation.CorrelationLocalizer.pipe_signatures`;
        only needed to test nights (not to learn them).
    k : float
        CUSUM allowance per night (noise standard deviations of the best pipe's statistic).
        Leak-free nights reach 2.6 (median) to 6.3 (1 in 100; 7.0 at most in a year) on
        L-Town, the maximum over hundreds of pipes, so noise alone adds at most about 1 to
        the sum. A leak growing over weeks counts from the nights it first stands out (6
        instead of 8 found the slow p810 on two hidden models; docs/benchmarks.md, session 16).
    h : float
        CUSUM decision threshold.
    window : int
        Accepted nights kept; their median is the reference and their differences the noise.
    min_nights : int
        Accepted nights needed before a night is tested.
    recent_nights : int
        Latest nights (since the CUSUM began rising) whose mean is localized at an alarm.
    sharpness : float
        Softmax inverse temperature on ``t / max(t)`` for the candidates' probabilities.
    top_k : int
        Candidate pipes an alarm reports.
    learn_band : float
        Nights whose best statistic is at most this teach the reference; higher ones may be a
        leak growing and are kept out of it.
    sized : callable, optional
        ``sized(lps)`` gives the signatures (same rows and columns) of a leak of ``lps`` L/s:
        an alarm's drop is then ranked at the leak's own size (:mod:`leakdet.localize.leak_size`).
    distance : callable, optional
        ``distance(a, b)``: network distance (m) between two pipes; with it an alarm's rank-1
        pipe is where a crew should start (see :func:`ranked_pipes`), not the largest ``t``,
        and an alarm near recent ones is also localized on the whole drop (see ``grown_radius``).
    grown_radius : float
        An earlier alarm within ``grown_days`` whose best pipe lies within this network distance
        (m) of an alarm's best pipe may be the same leak, seen before it grew.
    grown_days : int
        How long (days) an alarm's shift of the reference is remembered for that.
    pair_t : float
        With ``distance``, an alarm whose drop two pipes at least ``pair_apart_m`` apart explain
        better than one by this much (the square root of the extra whitened energy, in noise
        standard deviations) is raised as two leaks, each ranked on the drop less the other's
        fitted share (:func:`best_pair`). 0 = one leak per alarm. Leaks that begin within days of
        each other otherwise give one alarm placed between them, near neither. Seven L-Town years
        at 6 with ``pair_far_m`` 200: +11.5 points of score, one leak more, 45 false alarms
        against 43 (without ``pair_far_m``: 56; docs/benchmarks.md, sessions 25 and 26).
    pair_apart_m : float
        How far apart (m) the two pipes of a split alarm must be: nearer, one crew visit covers both.
    pair_far_m : float
        Split only when the one-leak alarm sends the crew farther than this (m) from both parts:
        two leaks pull the one-pipe fit between them, while one leak with model error the single
        pipe cannot fit leaves it beside one part, and the other part is then the model error.
        0 = no such test. Scan-alone replays of seven L-Town years: at 100 to 200 m, three of the
        five leaks the split found were kept and five of its six false alarms dropped (session 26).
    weekday_weight : float
        Weight of an accepted night in its weekday's offset per logger (an exponential mean of
        the night minus the reference level); nights are compared with those offsets removed.
        0 ignores the weekday: on the L-Town years a weight of 0.1 gained nothing and raised false
        alarms on the harsher hidden model (docs/benchmarks.md, session 23); a network with a
        strong weekly habit at night is where it helps.
    pipe_k : float
        Allowance per night of a second CUSUM kept for every pipe on that pipe's own ``t`` (noise
        standard deviations); 0 = off. The best statistic over hundreds of pipes is a few
        deviations on a leak-free night, so ``k`` must sit above that, and a small leak whose
        own ``t`` is 3-5 every night never adds to ``S``; one pipe's ``t`` is about one deviation
        without a leak, so its own sum grows only where a leak keeps pointing.
    pipe_h : float
        Threshold of the per-pipe CUSUM; the alarm is raised and localized as one of ``S``.
    """

    signatures: pd.DataFrame | None = None
    k: float = 6.0
    h: float = 20.0
    window: int = 21
    min_nights: int = 14
    recent_nights: int = 3
    sharpness: float = 40.0
    top_k: int = 5
    learn_band: float = 8.0
    sized: Callable[[float], pd.DataFrame] | None = None
    distance: Callable[[str, str], float] | None = None
    grown_radius: float = 500.0
    grown_days: int = 30
    weekday_weight: float = 0.0
    pair_t: float = 6.0
    pair_apart_m: float = 300.0
    pair_far_m: float = 200.0
    pipe_k: float = 2.0
    pipe_h: float = 15.0

    def initial_state(self) -> dict:
        return {"nights": [], "n_accepted": 0, "S": 0.0, "start": None, "recent": [], "rises": [], "shifts": [],
                "offsets": {}, "pipe_S": {}, "pipe_start": {}}

    def statistics(self, nights: list[dict], current: dict) -> tuple[pd.DataFrame, pd.Series] | None:
        """Per pipe (rows): ``t`` (noise standard deviations, positive = drop shaped like a leak
        there) and ``scale`` (the least-squares multiple of the pipe's signature); and the drop
        vector (m per logger, reference minus current). None without enough loggers."""
        hist = reference_frame(nights[-self.window:], list(self.signatures.index))
        cur = pd.Series(current, dtype=float).reindex(hist.columns)
        use = cur.notna()
        if use.sum() < 3 or len(hist) < 3:
            return None
        hist = hist.loc[:, use]
        drop = hist.median() - cur[use]
        precision = night_noise_precision(hist)
        sig = self.signatures.loc[hist.columns].to_numpy(dtype=float)
        return pipe_statistics(drop, precision, sig, self.signatures.columns), drop

    def step_day(self, frame: pd.DataFrame, state: dict | None, learn_only: bool = False
                 ) -> tuple[list[Alarm], dict]:
        """Process one local day's residual frame (``res:<sensor>`` columns).

        With ``learn_only`` (leak-free history) every night teaches the reference.
        """
        state = {**self.initial_state(), **(state or {})}
        for key in ("nights", "recent", "rises", "shifts"):
            state[key] = list(state[key])
        night = night_residuals(frame)
        if night is None:
            return [], state
        state["recent"] = (state["recent"] + [night])[-self.recent_nights:]
        offsets = state["offsets"] if self.weekday_weight > 0 else {}
        reference = weekday_removed(state["nights"], offsets)
        tested = None
        if not learn_only and state["n_accepted"] >= self.min_nights:
            tested = self.statistics(reference, weekday_removed([night], offsets)[0]["res"])
        if tested is None:
            self._accept(state, night)
            return [], state
        best, worst = float(tested[0]["t"].max()), float(-tested[0]["t"].min())
        if worst > best and worst > self.k:
            self._rise(state, night, *tested)
            return [], state
        s = max(0.0, float(state["S"]) + best - self.k)
        state["start"] = (state["start"] or night["day"]) if s > 0 else None
        state["S"] = s
        fired = self._pipe_cusum(state, night["day"], tested[0]["t"]) if s <= self.h else None
        if fired is not None:
            state["start"] = fired
        alarms = []
        if s > self.h or fired is not None:
            since = [n for n in state["recent"] if n["day"] >= state["start"]] or [night]
            since = weekday_removed(since, offsets)
            mean = pd.DataFrame([n["res"] for n in since]).mean().dropna().to_dict()
            seen = self._at_leak_size(reference, mean) or tested
            if -seen[0]["t"].min() > seen[0]["t"].max():
                self._rise(state, night, *seen)
                return [], state
            located = self._grown(state, night["day"], reference, mean, seen)
            single = self._alarm(night, state, *located)
            alarms += self._split(night, state, *located, single) or [single]
            self._shift(state, seen[1])
            self._remember_shift(state, night["day"], located[0], seen[1])
        elif best <= self.learn_band:
            self._accept(state, night)
        return alarms, state

    def _pipe_cusum(self, state: dict, day: str, t: pd.Series) -> str | None:
        """One CUSUM per pipe on its own statistic (allowance ``pipe_k``, threshold ``pipe_h``):
        returns the first night of the run of the pipe that crossed the threshold, or None."""
        if self.pipe_k <= 0:
            return None
        old = pd.Series(state["pipe_S"], dtype=float).reindex(t.index, fill_value=0.0)
        new = (old + t - self.pipe_k).clip(lower=0.0)
        up = new[new > 0]
        state["pipe_S"] = {str(p): round(float(v), 3) for p, v in up.items()}
        state["pipe_start"] = {p: state["pipe_start"].get(p, day) for p in state["pipe_S"]}
        if not len(up) or float(up.max()) <= self.pipe_h:
            return None
        return state["pipe_start"][str(up.idxmax())]

    def _at_leak_size(self, nights: list[dict], current: dict):
        """:meth:`statistics` with the signatures of the leak's own size (see ``sized``)."""
        if self.sized is None:
            return self.statistics(nights, current)

        def rank(size: float):
            scan = self if size == PROBE_LEAK_LPS else replace(self, signatures=self.sized(size), sized=None)
            out = scan.statistics(nights, current)
            if out is None:
                return None, None
            return out, best_pipe_flow(out[0], size)

        return at_leak_size(rank)[0]

    def _grown(self, state: dict, day: str, reference: list[dict], mean: dict,
               seen: tuple[pd.DataFrame, pd.Series]) -> tuple[pd.DataFrame, pd.Series]:
        """The alarm's statistics on the whole drop of a leak that alarmed before: ``seen`` (the
        increment) plus the shifts of recent alarms near its best pipe, when that whole drop
        explains more (a larger best ``t``); else ``seen``."""
        if self.distance is None:
            return seen
        best = str(seen[0]["t"].idxmax())
        earlier = [sh for sh in self._recent_shifts(state, day) if self.distance(sh["pipe"], best) <= self.grown_radius]
        if not earlier:
            return seen
        before = pd.DataFrame([sh["drop"] for sh in earlier]).sum()
        whole = self._at_leak_size(reference, lowered(mean, before))
        if whole is None or float(whole[0]["t"].max()) <= float(seen[0]["t"].max()):
            return seen
        return whole

    def _recent_shifts(self, state: dict, day: str) -> list[dict]:
        """The remembered shifts of alarms in the ``grown_days`` before local ``day``."""
        since = (pd.Timestamp(day) - pd.Timedelta(days=self.grown_days)).date().isoformat()
        return [sh for sh in state["shifts"] if sh["day"] >= since]

    def _remember_shift(self, state: dict, day: str, stats: pd.DataFrame, drop: pd.Series) -> None:
        state["shifts"] = self._recent_shifts(state, day) + [
            {"day": day, "pipe": str(stats["t"].idxmax()),
             "drop": {k: round(float(v), 4) for k, v in drop.items() if np.isfinite(v)}}]

    def _accept(self, state: dict, night: dict) -> None:
        if self.weekday_weight > 0 and state["nights"]:
            state["offsets"] = learn_weekday(state["offsets"], state["nights"], night, self.weekday_weight)
        state["nights"] = (state["nights"] + [night])[-self.window:]
        state["n_accepted"] += 1

    @staticmethod
    def _shift(state: dict, drop: pd.Series) -> None:
        """Move the reference nights to the new level (each logger lowered by its drop)."""
        state["nights"] = [{**n, "res": lowered(n["res"], drop)} for n in state["nights"]]
        state.update({"S": 0.0, "start": None, "pipe_S": {}, "pipe_start": {}})

    def _rise(self, state: dict, night: dict, stats: pd.DataFrame, drop: pd.Series) -> None:
        """A pressure rise shaped like a leak going away (a repair): recorded, and the reference
        moves to the new level."""
        pipe = str(stats["t"].idxmin())
        state["rises"] = (state["rises"] + [{"day": night["day"], "end": night["end"], "pipe": pipe,
                                             "flow_lps": round(-PROBE_LEAK_LPS * float(stats.at[pipe, "scale"]), 2)}]
                          )[-20:]
        state["shifts"] = []       # what earlier alarms found is repaired, or no longer comparable
        self._shift(state, drop)

    def _alarm(self, night: dict, state: dict, stats: pd.DataFrame, drop: pd.Series, part: int = 0) -> Alarm:
        return Alarm(SENSOR_ID, pd.Timestamp(night["end"]), rise_start(state["start"]), float(state["S"]),
                     float(drop.max()),
                     signature={k: round(float(v), 4) for k, v in drop.items()},
                     strength=round(float(stats["t"].max()), 2),
                     candidates=ranked_pipes(stats["t"], self.top_k, self.sharpness, self.distance,
                                             tempering_for(stats)),
                     part=part)

    def _split(self, night: dict, state: dict, stats: pd.DataFrame, drop: pd.Series,
               single: Alarm) -> list[Alarm]:
        """Two alarms, one per leak, when two pipes far apart explain the drop much better than
        one (see ``pair_t``) and the one-leak alarm ``single`` sends the crew to neither (see
        ``pair_far_m``); else none. Each is ranked on the drop less the other leak's fitted
        share, so each part is localized as a single leak would be."""
        fit = stats.attrs.get("fit")
        if self.pair_t <= 0 or self.distance is None or fit is None:
            return []
        precision, sig = fit()
        pair = best_pair(drop, precision, sig, stats.index, self.distance, self.pair_apart_m)
        if pair is None or pair["gain_t"] < self.pair_t:
            return []
        parts = []
        for other, scale in ((pair["j"], pair["scale_j"]), (pair["i"], pair["scale_i"])):
            rest = drop - scale * sig[:, other]
            parts.append((pipe_statistics(rest, precision, sig, stats.index), rest))
        alarms = [self._alarm(night, state, *part, part=n) for n, part in enumerate(parts)]
        tops = [a.candidates[0][0] for a in alarms]
        if self.distance(tops[0], tops[1]) <= self.pair_apart_m:
            return []          # both parts point one crew to the same place: one leak
        if self.pair_far_m > 0:
            if min(self.distance(single.candidates[0][0], top) for top in tops) <= self.pair_far_m:
                return []      # the one-leak fit already sends the crew to one part
        return alarms


def pipe_statistics(drop: pd.Series, precision: np.ndarray, sig: np.ndarray, pipes) -> pd.DataFrame:
    """Per pipe (rows, ``pipes``): the whitened matched-filter statistic ``t`` of ``drop`` (m per
    logger) for a leak at that pipe and the least-squares ``scale`` of its signature (``sig``,
    loggers x pipes, in ``drop``'s order), under the noise ``precision`` (1/m²). ``attrs``: the
    drop's whitened ``energy``, the loggers ``n``, and ``fit`` giving back (precision, sig)."""
    d = drop.to_numpy(dtype=float)
    a, b = matched_filter(d, precision, sig)
    ok = b > 1e-12
    t = np.where(ok, a / np.sqrt(np.where(ok, b, 1.0)), 0.0)
    scale = np.where(ok, a / np.where(ok, b, 1.0), 0.0)
    stats = pd.DataFrame({"t": t, "scale": scale}, index=pipes)
    # A function, not the arrays: attrs are copied with the frame, a function is not.
    stats.attrs.update(energy=float(d @ precision @ d), n=len(d), fit=lambda: (precision, sig))
    return stats


def matched_filter(d: np.ndarray, precision: np.ndarray, sig: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per pipe (columns of ``sig``): the whitened correlation ``a`` = s'Pd of the drop ``d`` with its
    signature s, and the signature's whitened energy ``b`` = s'Ps."""
    return d @ precision @ sig, np.einsum("ij,ik,kj->j", sig, precision, sig)


PAIR_SHORTLIST = 400     # pipes (by one-pipe t) among which the two-leak fit looks for its pair


def best_pair(drop: pd.Series, precision: np.ndarray, sig: np.ndarray, pipes, distance,
              apart_m: float, max_overlap: float = 0.95) -> dict | None:
    """The two pipes, at least ``apart_m`` apart, whose leaks (both of positive size) together
    explain the most whitened energy of ``drop``; None if no such pair.

    Returns positions ``i``, ``j`` (columns of ``sig``), their scales, and ``gain_t``: the square
    root of the energy the pair explains beyond the best single pipe (noise standard deviations).
    Pipes whose whitened signatures are nearly parallel (cosine above ``max_overlap``) are not a
    pair: their fit is ill-conditioned and they are one search area anyway."""
    a, g_diag = matched_filter(drop.to_numpy(dtype=float), precision, sig)
    ok = np.flatnonzero(g_diag > 1e-12)
    if len(ok) < 2:
        return None
    single = a[ok] ** 2 / g_diag[ok]
    short = ok[np.argsort(-np.where(a[ok] > 0, single, -1.0))[:PAIR_SHORTLIST]]
    s = sig[:, short]
    g = s.T @ precision @ s
    ai, gd = a[short], np.diag(g)
    det = np.outer(gd, gd) - g ** 2
    cosine = g / np.sqrt(np.outer(gd, gd))
    with np.errstate(divide="ignore", invalid="ignore"):
        scale_i = (gd[None, :] * ai[:, None] - g * ai[None, :]) / det
        scale_j = (gd[:, None] * ai[None, :] - g * ai[:, None]) / det
        energy = (ai[:, None] ** 2 * gd[None, :] - 2 * g * ai[:, None] * ai[None, :] + ai[None, :] ** 2 * gd[:, None]) / det
    valid = (np.triu(np.ones_like(g, dtype=bool), 1) & (np.abs(cosine) < max_overlap)
             & (scale_i > 0) & (scale_j > 0) & np.isfinite(energy))
    names = [str(pipes[k]) for k in short]
    best_single = float(np.max(np.where(a[ok] > 0, single, 0.0)))
    for flat in np.argsort(-np.where(valid, energy, -np.inf), axis=None):
        x, y = np.unravel_index(flat, energy.shape)
        if not valid[x, y]:
            return None
        if distance(names[x], names[y]) >= apart_m:
            return {"i": int(short[x]), "j": int(short[y]), "scale_i": float(scale_i[x, y]),
                    "scale_j": float(scale_j[x, y]),
                    "gain_t": float(np.sqrt(max(energy[x, y] - best_single, 0.0)))}
    return None


def weekday_removed(nights: list[dict], offsets: dict) -> list[dict]:
    """The ``nights`` with each logger's offset for the night's weekday (m) taken off."""
    if not offsets:
        return nights
    out = []
    for n in nights:
        off = offsets.get(str(n["dow"]), {})
        out.append({**n, "res": {k: v - off.get(k, 0.0) for k, v in n["res"].items()}})
    return out


def learn_weekday(offsets: dict, nights: list[dict], night: dict, weight: float) -> dict:
    """``offsets`` (weekday -> logger -> m) after one accepted ``night``: its weekday's offset moves
    by ``weight`` towards the night's departure from the reference level (median of ``nights``,
    offsets removed). Re-centred so each logger's offsets average zero over the weekdays learned:
    a level shared by all weekdays belongs to the reference, not to the weekdays."""
    level = pd.DataFrame([n["res"] for n in weekday_removed(nights, offsets)]).median()
    key = str(night["dow"])
    mine = dict(offsets.get(key, {}))
    for logger, value in night["res"].items():
        if logger in level and np.isfinite(level[logger]):
            old = mine.get(logger, 0.0)
            mine[logger] = old + weight * (value - float(level[logger]) - old)
    table = pd.DataFrame({**offsets, key: mine}).fillna(0.0)          # loggers x weekdays
    table = table.sub(table.mean(axis=1), axis=0)
    return {d: {k: round(float(v), 5) for k, v in col.items()} for d, col in table.items()}


def reference_frame(nights: list[dict], sensors: list[str]) -> pd.DataFrame:
    """The reference ``nights`` (rows) of the ``sensors`` that reported on at least half of them
    (columns, in ``sensors``' order), a gap filled by the logger's median."""
    hist = pd.DataFrame([n["res"] for n in nights]).reindex(columns=sensors)
    hist = hist.loc[:, hist.notna().mean() >= 0.5]
    return hist.fillna(hist.median())


def night_noise_precision(hist: pd.DataFrame) -> np.ndarray:
    """Inverse covariance (1/m², loggers in ``hist``'s column order) of one night's noise, from
    the night-to-night differences of the nights ``hist`` (rows; no gaps), shrunk (Ledoit-Wolf)."""
    noise = np.diff(hist.to_numpy(dtype=float), axis=0) / np.sqrt(2.0)      # night-to-night, per night
    # A floor on each logger's noise (sensor resolution) keeps the inverse finite when a
    # logger's nights happen to be identical (a gap filled by its median, a quiet model).
    cov = LedoitWolf().fit(noise).covariance_ + NOISE_FLOOR_M ** 2 * np.eye(noise.shape[1])
    return np.linalg.inv(cov)


def tempering_for(stats: pd.DataFrame) -> float:
    """The crew start's tempering for one alarm: :data:`GLR_TEMPERING`, flattened further when
    the best pipe leaves more unexplained (whitened) energy than noise would, ``n - 1`` for ``n``
    loggers: that excess is model error, and it makes the statistic's differences worth less."""
    energy, n = stats.attrs.get("energy"), stats.attrs.get("n")
    if energy is None or not n:
        return GLR_TEMPERING
    residual = energy - float(stats["t"].max()) ** 2
    return min(GLR_TEMPERING, GLR_TEMPERING * (n - 1) / max(residual, 1e-9))


def ranked_pipes(t: pd.Series, top_k: int, sharpness: float, distance=None,
                 tempering: float | None = None) -> list[tuple[str, float]]:
    """The ``top_k`` pipes by statistic ``t`` with probabilities: a softmax (inverse temperature
    ``sharpness``) on ``t / max(t)``, over all pipes (so the listed ones need not sum to 1).

    With ``distance`` (network distance between two pipes, m) rank 1 is where a crew should
    start (:func:`~leakdet.localize.crew.crew_start`), the rest follow by ``t``."""
    order = list(t.nlargest(top_k).index)
    if distance is not None:
        start = crew_start(t, distance, GLR_TEMPERING if tempering is None else tempering)
        order = [start] + [p for p in order if p != start][:top_k - 1]
    p = np.exp(sharpness * (t / max(float(t.max()), 1e-9) - 1.0))
    prob = (p / p.sum()).loc[order]
    return [(str(l), round(float(q), 4)) for l, q in prob.items()]
