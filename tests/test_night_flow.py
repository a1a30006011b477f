"""Minimum-night-flow step detection on synthetic days (no database needed)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leakdet.detect.night_flow import NightFlowStep

SENSORS = ["P1", "P2", "P3", "P4"]


def day_frame(day: str, rng, night_lps: float, drop: dict | None = None, leak_from_hour: int | None = None):
    """One local day of 5-minute residuals and net inflow: a weekday-shaped demand, a night
    plateau of ``night_lps`` and, from ``leak_from_hour`` on, a leak adding 5 L/s and lowering
    the loggers' residuals by ``drop`` (m)."""
    idx = pd.date_range(pd.Timestamp(day).tz_localize("Asia/Brunei"), periods=288, freq="5min").tz_convert("UTC")
    hour = idx.tz_convert("Asia/Brunei").hour.to_numpy()
    weekend = 2.0 if idx.tz_convert("Asia/Brunei")[0].day_of_week in (4, 5) else 0.0
    flow = np.where(np.isin(hour, (1, 2, 3, 4)), night_lps + weekend, 60.0) + rng.normal(0, 0.3, 288)
    frame = pd.DataFrame({f"res:{s}": rng.normal(0, 0.02, 288) for s in SENSORS}, index=idx)
    if leak_from_hour is not None:
        on = idx >= idx[0] + pd.Timedelta(hours=leak_from_hour)
        flow = flow + 5.0 * on
        for s, d in (drop or {}).items():
            frame.loc[on, f"res:{s}"] -= d
    frame["inflow_m3s"] = flow / 1000.0
    return frame


def run(days: int, leak_day: int | None, seed: int = 0, night_lps: float = 30.0):
    rng = np.random.default_rng(seed)
    det, state, alarms = NightFlowStep(), NightFlowStep().initial_state(), []
    drop = {"P1": 0.3, "P2": 0.1, "P3": 0.0, "P4": 0.05}
    for i, day in enumerate(pd.date_range("2025-01-06", periods=days, freq="D")):
        leak = None if leak_day is None or i < leak_day else (15 if i == leak_day else 0)
        found, state = det.step_day(day_frame(str(day.date()), rng, night_lps, drop, leak), state)
        alarms += found
    return alarms, state


def test_no_alarm_on_leak_free_nights_with_weekday_pattern():
    alarms, state = run(70, None)
    assert alarms == []
    assert state["n_accepted"] == 70
    # Weekend nights (local Friday and Saturday) learned their own offset, about +2 L/s.
    assert state["offsets"]["4"] == pytest.approx(state["offsets"]["0"] + 2.0, abs=0.6)


def test_step_is_found_the_next_night_with_its_flow_and_signature():
    alarms, _ = run(40, leak_day=25)
    assert len(alarms) == 1
    alarm = alarms[0]
    leak_start = pd.Timestamp("2025-01-06 15:00", tz="Asia/Brunei") + pd.Timedelta(days=25)
    # Decided at the end of the first night after the leak began (05:00 local), from that night only.
    assert alarm.detected_at == (leak_start + pd.Timedelta(hours=14)).tz_convert("UTC")
    assert alarm.estimated_start <= leak_start
    assert alarm.flow_lps == pytest.approx(5.0, abs=0.8)
    assert alarm.signature["P1"] == pytest.approx(0.3, abs=0.03)
    assert max(alarm.signature, key=alarm.signature.get) == "P1"


def test_leak_is_not_found_twice_and_state_is_json():
    import json

    alarms, state = run(60, leak_day=25)
    assert len(alarms) == 1
    json.dumps(state)


def test_learn_only_never_alarms():
    rng = np.random.default_rng(1)
    det, state = NightFlowStep(), NightFlowStep().initial_state()
    for i, day in enumerate(pd.date_range("2025-01-06", periods=30, freq="D")):
        found, state = det.step_day(day_frame(str(day.date()), rng, 30.0, leak_from_hour=0 if i > 20 else None),
                                    state, learn_only=True)
        assert found == []


def test_night_without_inflow_or_loggers_is_skipped():
    rng = np.random.default_rng(2)
    det = NightFlowStep()
    frame = day_frame("2025-01-06", rng, 30.0)
    frame.loc[frame.index[12:60], "inflow_m3s"] = np.nan          # the night's meter readings lost
    alarms, state = det.step_day(frame, det.initial_state())
    assert alarms == [] and state["n_accepted"] == 0
    alarms, state = det.step_day(frame.drop(columns="inflow_m3s"), state)   # a network without inflow meters
    assert alarms == [] and state["n_accepted"] == 0
    frame = day_frame("2025-01-07", rng, 30.0)
    frame.loc[frame.index[12:60], "res:P2"] = np.nan              # one logger silent at night
    alarms, state = det.step_day(frame, state)
    assert state["n_accepted"] == 1 and "P2" not in state["nights"][0]["res"]
