"""A first causal leak detector: one-sided CUSUM on standardised pressure residuals per sensor.

A leak lowers pressure near it, so the residual (measured − simulated) drifts negative.
For each sensor we keep, from earlier days only, the typical residual for each hour of
the week (demand, and so model error, differs between weekdays and the weekend; until an
hour of the week has been seen twice, the same hour of the day over all days stands in) of
day (the model's systematic error) and its spread. Each 5-minute value is standardised,
``z = (expected − residual) / sigma``, and accumulated as ``S = max(0, S + z − k)``.
An alarm is raised when ``S > h``; the last time ``S`` was zero is the estimated start.

The detector state at the end of each day is stored, so running day by day gives the
same alarms as running a long period at once (the batch code calls the same step).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from leakdet.detect.nights import NIGHT_HOURS


WEEK_HOURS = 168


def _baseline(stored) -> np.ndarray:
    """The stored hour-of-week baseline (NaN where not learned yet)."""
    mu = np.array(stored if stored is not None else [np.nan] * WEEK_HOURS, dtype=float)
    return mu if len(mu) == WEEK_HOURS else np.full(WEEK_HOURS, np.nan)


MIN_WEEKS = 2      # an hour of the week needs this many observations before it is trusted


def _expected(state: dict, sensor: str) -> np.ndarray:
    """Expected residual (m) for each hour of the week.

    An hour of the week seen at least ``MIN_WEEKS`` times uses its own mean; until then the
    hour-of-day mean over all days stands in (one sample per hour of the week is too noisy).
    """
    mu = _baseline(state["mu"].get(sensor))
    day = np.array(state.get("mu_day", {}).get(sensor) or [np.nan] * 24, dtype=float)
    seen = np.array(state.get("n", {}).get(sensor) or [0] * WEEK_HOURS)
    out = np.where(seen >= MIN_WEEKS, mu, np.tile(day, 7))
    out = np.where(np.isnan(out), mu, out)
    fallback = np.nanmean(out) if not np.isnan(out).all() else 0.0
    return np.where(np.isnan(out), fallback, out)


@dataclass
class Alarm:
    sensor_id: str
    detected_at: pd.Timestamp
    estimated_start: pd.Timestamp
    cusum: float
    drop_m: float                      # mean pressure drop since the estimated start (m)
    signature: dict = field(default_factory=dict)   # sensor -> mean drop (m) over the alarm window
    flow_lps: float | None = None      # leak flow the alarm measured (night-flow alarms), L/s
    strength: float | None = None      # how far the signature stands out of the loggers' noise
    candidates: list | None = None     # (pipe, probability) pairs when the detector localizes itself
    part: int = 0                      # which of the leaks one alarm found (a split night-signature alarm)


@dataclass
class ResidualCusum:
    """Parameters
    ----------
    k : float
        Allowance per 5-minute sample, in standard deviations.
    h : float
        Decision threshold on the CUSUM, in standard deviations.
    warmup_days : int
        Days used only to learn the baseline before any alarm can be raised.
    alpha : float
        Learning rate of the hour-of-week baseline, per week of data.
    sigma_floor : float
        Lower bound on the residual spread (m): sensor noise never goes below this.
    suppress_days : int
        After an alarm, the sensor raises no new alarm for this many days.
    zones : dict, optional
        Signature zones (:func:`leakdet.detect.zones.signature_zones`): zone -> {sensor:
        weight}. Each zone runs its own CUSUM on the projection of all loggers' standardised
        deviations (multivariate detection); without zones only per-logger CUSUMs run.
    zone_h : float, optional
        Decision threshold of the zone CUSUMs (default ``h``).
    """

    k: float = 1.0
    h: float = 50.0
    warmup_days: int = 2
    alpha: float = 0.1
    sigma_floor: float = 0.1
    suppress_days: int = 14
    zones: dict | None = None
    zone_h: float | None = None

    FREEZE_WEIGHT = 0.3     # loggers weighing at least this in an alarmed zone stop learning
    # Every threshold was chosen (sessions 9-16) while the day's first samples jumped at midnight
    # (boundary.LOOKBACK), which widened the measured zone spreads by about 5 %; without the jump
    # the zones keep that margin (without it: a leak-free night alarmed on Net1, and three L-Town
    # models lost 7 leaks to earlier, worse-placed alarms; session 17).
    ZONE_SPREAD_MARGIN = 1.05

    def initial_state(self) -> dict:
        return {"days_seen": 0, "mu": {}, "sigma": {}, "S": {}, "last_zero": {}, "suppressed_until": {}}

    def step_day(self, residuals: pd.DataFrame, state: dict, learn_only: bool = False) -> tuple[list[Alarm], dict]:
        """Process one day of 5-minute pressure residuals (index UTC time, columns sensor_id).

        Hours of day are local Brunei time, where the demand pattern lives. With
        ``learn_only`` (training on history known to be leak-free) no alarm is raised and
        the day only updates the baseline; NaN values (e.g. times of known leaks) are
        never learned.
        """
        state = {k: (dict(v) if isinstance(v, dict) else v) for k, v in state.items()}
        local = residuals.index.tz_convert("Asia/Brunei")
        local_hour = (local.day_of_week * 24 + local.hour).to_numpy()      # hour of the week, 0-167
        deviation = self._deviation(residuals, state, local_hour)
        alarms: list[Alarm] = []
        warm = state["days_seen"] >= self.warmup_days
        if warm and not learn_only and self.zones:
            alarms += self._scan_zones(deviation, state)
        frozen = {s for a in alarms for s, w in self.zones[a.sensor_id].items() if w >= self.FREEZE_WEIGHT}
        for sensor in residuals.columns:
            r = residuals[sensor].to_numpy(dtype=float)
            if np.isnan(r).all():
                continue
            mu = _baseline(state["mu"].get(sensor))
            sigma = state["sigma"].get(sensor)
            if warm and not learn_only and sigma is not None and not np.isnan(mu).all():
                alarm = self._scan(sensor, residuals.index, r, _expected(state, sensor)[local_hour], sigma, state)
                if alarm:
                    alarms.append(alarm)
            self._learn(sensor, r, local_hour, mu, sigma, state, residuals.index[-1],
                        exclude=sensor in frozen or any(a.sensor_id == sensor for a in alarms))
        for alarm in alarms:
            alarm.signature = self._signature(residuals, deviation, alarm)
            if np.isnan(alarm.drop_m):          # zone alarm: the largest mean drop among its loggers
                alarm.drop_m = max(alarm.signature.values(), default=0.0)
        state["days_seen"] += 1
        return alarms, state

    def _scan_zones(self, deviation: pd.DataFrame, state: dict) -> list[Alarm]:
        """CUSUM per signature zone on the projection of the standardised deviations."""
        from leakdet.detect.zones import zone_statistics

        sigma = pd.Series({c: max(state["sigma"].get(c) or np.nan, self.sigma_floor) for c in deviation.columns})
        stats = zone_statistics(deviation / sigma, self.zones)
        spread = state.setdefault("zone_sigma", {})
        found = []
        for zone in stats.columns:
            y = stats[zone].to_numpy()
            known = spread.get(zone)
            if known is not None:
                # Loggers' errors are correlated (demand and model errors reach them all), so
                # a zone statistic is standardised by its own spread, measured on earlier days.
                known_spread = self.ZONE_SPREAD_MARGIN * max(known, 1e-3)
                hit = self._cusum(zone, stats.index, y / known_spread, state, self.zone_h or self.h)
            else:
                hit = None
            if not np.isnan(y).all() and hit is None and not self._blocked(zone, state, stats.index[-1]):
                today = float(np.nanstd(y))
                spread[zone] = today if known is None else (1 - self.alpha) * known + self.alpha * today
            if hit:
                t, start, s = hit
                found.append(Alarm(zone, t, start, s, float("nan")))
                for sensor, w in self.zones[zone].items():
                    if w >= self.FREEZE_WEIGHT:
                        state.setdefault("frozen_until", {})[sensor] = (t + pd.Timedelta(days=self.suppress_days)
                                                                        ).isoformat()
        return found

    @staticmethod
    def _blocked(key, state, day_end) -> bool:
        until = state["suppressed_until"].get(key)
        return bool(until and pd.Timestamp(until) > day_end)

    def _cusum(self, key, times, z, state, h) -> tuple[pd.Timestamp, pd.Timestamp, float] | None:
        """One-sided CUSUM of ``z`` continuing from the stored state; (detected, start, S) of the first alarm."""
        s = float(state["S"].get(key, 0.0))
        last_zero = state["last_zero"].get(key)
        blocked_until = state["suppressed_until"].get(key)
        found = None
        for t, zi in zip(times, z):
            if np.isnan(zi):
                continue
            s = max(0.0, s + zi - self.k)
            if s == 0.0:
                last_zero = t.isoformat()
            if s > h and found is None and (blocked_until is None or t >= pd.Timestamp(blocked_until)):
                found = (t, pd.Timestamp(last_zero) if last_zero else times[0], s)
                state["suppressed_until"][key] = (t + pd.Timedelta(days=self.suppress_days)).isoformat()
                s, last_zero = 0.0, t.isoformat()
        state["S"][key], state["last_zero"][key] = s, last_zero
        return found

    def _signature(self, residuals: pd.DataFrame, deviation: pd.DataFrame, alarm: Alarm) -> dict:
        """Mean drop of every sensor over [estimated start, detection], at least the last 2 h (data up to t only)."""
        first = min(alarm.estimated_start, alarm.detected_at - pd.Timedelta(hours=2))
        window = deviation.loc[first:alarm.detected_at]
        return {k: round(float(v), 4) for k, v in window.mean().items() if np.isfinite(v)}

    def night_deviation(self, residuals: pd.DataFrame, state: dict, hours=NIGHT_HOURS) -> pd.Series:
        """Mean deviation (m, expected minus observed) per logger over the night's local ``hours``,
        against the baseline in ``state`` (as before the day)."""
        local = residuals.index.tz_convert("Asia/Brunei")
        local_hour = (local.day_of_week * 24 + local.hour).to_numpy()
        deviation = self._deviation(residuals, state, local_hour)
        return deviation[np.isin(local.hour, hours)].mean()

    @staticmethod
    def _deviation(residuals: pd.DataFrame, state: dict, local_hour: np.ndarray) -> pd.DataFrame:
        """Expected minus observed residual (m) for every sensor, from the baseline before today."""
        out = {}
        for sensor in residuals.columns:
            if np.isnan(_baseline(state["mu"].get(sensor))).all():
                continue
            out[sensor] = _expected(state, sensor)[local_hour] - residuals[sensor].to_numpy(dtype=float)
        return pd.DataFrame(out, index=residuals.index)

    def _scan(self, sensor, times, r, expected, sigma, state) -> Alarm | None:
        expected = np.where(np.isnan(expected), np.nanmean(expected), expected)
        z = (expected - r) / max(sigma, self.sigma_floor)
        hit = self._cusum(sensor, times, z, state, self.h)
        if hit is None:
            return None
        t, start, s = hit
        window = (times >= start) & (times <= t)
        drop = float(np.nanmean((expected - r)[window])) if window.any() else float("nan")
        return Alarm(sensor, t, start, s, drop)

    def _learn(self, sensor, r, hour, mu, sigma, state, day_end, exclude: bool) -> None:
        until = state["suppressed_until"].get(sensor)
        frozen = state.get("frozen_until", {}).get(sensor)
        if exclude or (until and pd.Timestamp(until) > day_end) or (frozen and pd.Timestamp(frozen) > day_end):
            # Do not learn a leak into the baseline while the sensor is under an open alarm.
            return
        # Spread is measured against the baseline as it was before today (an honest,
        # out-of-sample error), then the baseline learns today's hourly means.
        spread = float(np.nanstd(r - _expected(state, sensor)[hour])) if not np.isnan(mu).all() else float(np.nanstd(r))
        sigma = spread if sigma is None else (1 - self.alpha) * sigma + self.alpha * spread
        hourly = pd.Series(r).groupby(hour).mean().reindex(range(WEEK_HOURS)).to_numpy()
        mu = np.where(np.isnan(mu), hourly, np.where(np.isnan(hourly), mu, (1 - self.alpha) * mu + self.alpha * hourly))
        day_means = pd.Series(r).groupby(hour % 24).mean().reindex(range(24)).to_numpy()
        day = np.array(state.setdefault("mu_day", {}).get(sensor) or [np.nan] * 24, dtype=float)
        day = np.where(np.isnan(day), day_means, np.where(np.isnan(day_means), day,
                                                          (1 - self.alpha) * day + self.alpha * day_means))
        seen = np.array(state.setdefault("n", {}).get(sensor) or [0] * WEEK_HOURS) + ~np.isnan(hourly)
        state["mu"][sensor] = [None if np.isnan(v) else float(v) for v in mu]
        state["mu_day"][sensor] = [None if np.isnan(v) else float(v) for v in day]
        state["n"][sensor] = [int(v) for v in seen]
        state["sigma"][sensor] = float(sigma)
