"""Multivariate detection: a leak too small for any single logger's CUSUM raises its zone's."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leakdet.detect.residual_cusum import ResidualCusum
from leakdet.detect.zones import signature_zones, zone_statistics

SENSORS = ["A", "B", "C", "D", "E"]


def day_of_residuals(day: int, rng, drop_m: dict | None = None) -> pd.DataFrame:
    idx = pd.date_range(pd.Timestamp("2024-03-04", tz="Asia/Brunei") + pd.Timedelta(days=day), periods=288,
                        freq="5min").tz_convert("UTC")
    frame = pd.DataFrame(rng.normal(0, 0.1, (288, len(SENSORS))), index=idx, columns=SENSORS)
    for sensor, drop in (drop_m or {}).items():
        frame[sensor] -= drop
    return frame


def run(detector, days_clean: int, leak: dict, seed: int = 0):
    rng = np.random.default_rng(seed)
    state, alarms = detector.initial_state(), []
    for d in range(days_clean):
        found, state = detector.step_day(day_of_residuals(d, rng), state)
        alarms += found
    clean_alarms = list(alarms)
    for d in range(days_clean, days_clean + 2):
        found, state = detector.step_day(day_of_residuals(d, rng, leak), state)
        alarms += found
    return clean_alarms, alarms[len(clean_alarms):]


def test_zone_statistic_is_unit_normal_under_independent_noise_and_ignores_missing_loggers():
    rng = np.random.default_rng(1)
    z = pd.DataFrame(rng.normal(size=(20000, 4)), columns=SENSORS[:4])
    zones = {"zone:0": {"A": 0.5, "B": 0.5, "C": 0.5, "D": 0.5}}
    y = zone_statistics(z, zones)["zone:0"]
    assert y.mean() == pytest.approx(0, abs=0.03) and y.std() == pytest.approx(1, abs=0.03)
    z.loc[:9999, "D"] = np.nan
    y = zone_statistics(z, zones)["zone:0"]
    assert y.std() == pytest.approx(1, abs=0.03)              # renormalised over the loggers present


def test_signature_zones_are_unit_vectors_grouping_similar_pipes():
    sig = pd.DataFrame({"p1": [1.0, 0.5, 0, 0, 0], "p2": [0.9, 0.6, 0, 0, 0], "p3": [0, 0, 0.1, 1.0, 0.8]},
                       index=SENSORS)
    zones = signature_zones(sig, n_zones=2)
    assert len(zones) == 2
    for weights in zones.values():
        assert np.linalg.norm(list(weights.values())) == pytest.approx(1.0, abs=1e-4)
    assert {frozenset(w) for w in zones.values()} == {frozenset({"A", "B"}), frozenset({"C", "D", "E"})}


def test_small_leak_seen_by_four_loggers_raises_the_zone_not_the_loggers():
    leak = {s: 0.08 for s in SENSORS[:4]}            # 0.8 sigma each: below the per-logger allowance k = 1
    zones = {"zone:0": {s: 0.5 for s in SENSORS[:4]}, "zone:1": {"E": 1.0}}
    clean, leak_alarms = run(ResidualCusum(zones=zones), 9, leak)
    assert clean == []                                # no false alarm on nine leak-free days
    assert [a.sensor_id for a in leak_alarms] == ["zone:0"]
    alarm = leak_alarms[0]
    assert alarm.estimated_start <= alarm.detected_at
    assert set(alarm.signature) == set(SENSORS) and alarm.drop_m > 0.03
    _, per_logger = run(ResidualCusum(), 9, leak)
    assert per_logger == []                           # the per-logger detector alone misses it
