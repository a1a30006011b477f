"""Minimum-night-flow step detection: a leak adds a steady flow that stands out at night.

Between 01:00 and 05:00 local time consumption is lowest and steadiest, so the night mean
of the district's net inflow (inflow minus tank filling, the ``inflow_m3s`` the residual
step stores) moves with leaks far more than with demand. Each night is compared with a
reference: the median of the latest accepted nights after removing each weekday's own
offset (weekend nights differ), in units of their robust day-to-day spread. A one-sided
CUSUM over nights raises an alarm on a jump (abrupt leak) or a steady rise (incipient
leak). After an alarm the reference is rebuilt at the new level, so the leak that was
found is not found again and the next one can be.

The same nights give the loggers' night residuals; the drop from the reference nights to
the latest nights is the leak's pressure signature, averaged over hours in which model
error is smallest (what the localizers are given for an alarm raised here).

Per night (not per 5-minute sample): a day's decision uses that day's night only, which
ends at 05:00 local, so the alarm time is 05:00 and depends on data up to then.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from leakdet.detect.nights import lowered, night_residuals, night_rows, rise_start
from leakdet.detect.residual_cusum import Alarm

SENSOR_ID = "night-flow"         # the alarm's source, as stored in an event's details
NIGHT_FLOW_KEY = "night_flow"    # this detector's part of the stored detector state
KEPT_NIGHTS = 28                 # accepted nights kept: four of each weekday, for spreads and offsets


@dataclass
class NightFlowStep:
    """Parameters
    ----------
    k : float
        CUSUM allowance per night, in robust standard deviations of the night flow.
    h : float
        Decision threshold of the CUSUM.
    window : int
        Latest accepted nights whose median (weekday offsets removed) is the reference level.
    min_nights : int
        Accepted nights needed before alarms are possible (each weekday's offset is learned
        meanwhile).
    min_spread_lps : float
        Floor of the night-flow spread (L/s): meters and demand never vary less.
    min_step_lps : float
        Smallest excess (L/s) over the reference an alarm reports; smaller rises are
        demand, not leaks worth a crew.
    signature_nights : int
        Latest nights whose mean residual is compared with the reference's.
    learn_band : float
        Nights at most this many spreads above their reference teach it (higher nights
        may be a leak growing).
    min_strength : float
        A rise raises an alarm only if some logger's night residual fell by at least this
        many robust spreads of its own nights: a leak lowers pressure near it, while a
        change in consumption (holidays, seasons) is spread over the district by the
        demand scaling and leaves the residuals alone. A rise without such a drop is taken
        into the reference without an alarm.
    """

    k: float = 0.5
    h: float = 5.0
    window: int = 7
    min_nights: int = 14
    min_spread_lps: float = 0.3
    min_step_lps: float = 1.0
    signature_nights: int = 2
    learn_band: float = 0.5
    min_strength: float = 10.0

    def initial_state(self) -> dict:
        return {"nights": [], "n_accepted": 0, "offsets": {}, "S": 0.0, "start": None, "recent": [],
                "unlocalized_rises": 0}

    @staticmethod
    def night_record(frame: pd.DataFrame) -> dict | None:
        """The night's mean net inflow (L/s) and each logger's mean residual (m), or None."""
        if "inflow_m3s" not in frame:
            return None
        night = night_residuals(frame)
        if night is None:
            return None
        flow = night_rows(frame)["inflow_m3s"]
        if flow.notna().mean() < 0.5:
            return None
        return {**night, "flow_lps": round(float(flow.mean() * 1000.0), 4)}

    @staticmethod
    def _without_weekday(nights: list[dict], offsets: dict) -> np.ndarray:
        """The nights' flows (L/s) with each weekday's offset removed."""
        return np.array([n["flow_lps"] - offsets.get(str(n["dow"]), 0.0) for n in nights])

    def _level(self, nights: list[dict], offsets: dict) -> float | None:
        """Median night flow (L/s) of the latest accepted nights, each weekday's offset removed."""
        if not nights:
            return None
        return float(np.median(self._without_weekday(nights[-self.window:], offsets)))

    def _reference(self, state: dict, dow: int) -> tuple[float, float] | None:
        """Tonight's expected night flow and the robust spread of nights around it (L/s)."""
        if state["n_accepted"] < self.min_nights:
            return None
        offsets = state["offsets"]
        level = self._level(state["nights"], offsets)
        x = self._without_weekday(state["nights"], offsets)
        spread = 1.4826 * float(np.median(np.abs(x - np.median(x))))
        return level + offsets.get(str(dow), 0.0), max(spread, self.min_spread_lps)

    def step_day(self, frame: pd.DataFrame, state: dict, learn_only: bool = False) -> tuple[list[Alarm], dict]:
        """Process one local day's residual frame (``res:<sensor>`` columns and ``inflow_m3s``).

        With ``learn_only`` (leak-free history) every night teaches the reference.
        """
        state = {**self.initial_state(), **(state or {})}
        state["nights"], state["recent"] = list(state["nights"]), list(state["recent"])
        night = self.night_record(frame)
        if night is None:
            return [], state
        state["recent"] = (state["recent"] + [night])[-self.signature_nights:]
        state["offsets"] = dict(state["offsets"])
        ref = None if learn_only else self._reference(state, night["dow"])
        alarms, z = [], None
        if ref is not None:
            excess = night["flow_lps"] - ref[0]
            z = excess / ref[1]
            s = max(0.0, float(state["S"]) + z - self.k)
            state["start"] = (state["start"] or night["day"]) if s > 0 else None
            state["S"] = s
            if s > self.h and excess >= self.min_step_lps:
                drop, strength = self._rise_drop(state)
                if strength >= self.min_strength:
                    alarms.append(self._alarm(night, state, excess, s, drop.dropna(), strength))
                else:
                    state["unlocalized_rises"] += 1
                # The rise is known now (a leak found, or consumption that changed): the
                # stored nights move to the new level (its flow added, the loggers' residuals
                # lowered by the drop, their spread kept), so it is not found again and the
                # next leak is measured from here.
                state["nights"] = [{**n, "flow_lps": round(n["flow_lps"] + excess, 4), "res": lowered(n["res"], drop)}
                                   for n in state["nights"]]
                state.update({"S": 0.0, "start": None})
        # Nights up to the noise band teach the reference; a rise being accumulated does
        # not, so a slowly growing leak is not learned away. Lower nights do: a repair
        # lowers the night flow for good (a single odd night, e.g. a tank refill, is
        # outvoted by the median).
        if z is None or z <= self.learn_band:
            level = self._level(state["nights"], state["offsets"])
            if level is not None:
                key, resid = str(night["dow"]), night["flow_lps"] - level
                old = state["offsets"].get(key)
                state["offsets"][key] = round(resid if old is None else 0.8 * old + 0.2 * resid, 4)
            state["nights"] = (state["nights"] + [night])[-KEPT_NIGHTS:]
            state["n_accepted"] += 1
        return alarms, state

    @staticmethod
    def _recent_residuals(state: dict) -> dict:
        """Mean night residual per logger over the latest nights since the rise began."""
        since = [n for n in state["recent"] if state["start"] is None or n["day"] >= state["start"]]
        means = pd.DataFrame([n["res"] for n in since or state["recent"][-1:]]).mean()
        return {k: round(float(v), 4) for k, v in means.items() if np.isfinite(v)}

    @staticmethod
    def _rise_drop(state: dict) -> tuple[pd.Series, float]:
        """Each logger's night-residual drop since the rise began (m; stored nights' median minus
        the latest nights'; NaN for a logger silent lately), and the largest drop in robust
        spreads of that logger's nights."""
        nights = pd.DataFrame([n["res"] for n in state["nights"]])
        if nights.empty:
            return pd.Series(dtype=float), 0.0
        before = nights.median()
        drop = before - pd.Series(NightFlowStep._recent_residuals(state))
        spread = (1.4826 * (nights - before).abs().median()).clip(lower=0.005)
        z = drop / spread
        return drop, float(z.max()) if z.notna().any() else 0.0

    def _alarm(self, night: dict, state: dict, excess: float, s: float, drop: pd.Series, strength: float) -> Alarm:
        return Alarm(SENSOR_ID, pd.Timestamp(night["end"]), rise_start(state["start"] or night["day"]), s,
                     float(drop.max()) if len(drop) else float("nan"),
                     signature={k: round(float(v), 4) for k, v in drop.items()}, flow_lps=round(float(excess), 2),
                     strength=round(strength, 2))
