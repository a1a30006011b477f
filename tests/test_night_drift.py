"""Night-drift scan (fixed reference, known changes explained) on synthetic days (no database needed)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from leakdet.detect.night_drift import NightDriftScan
from leakdet.detect.night_signature import NightSignatureScan
from test_night_signature import SIGNATURES, day_frame


def run(days: int, leaks=(), noted=(), train: int = 21, seed: int = 3, scan=None, stored: bool = False):
    """``leaks``: (pipe, first day, days to full size, full flow L/s). ``noted``: days on which an
    event is reported to the scan. ``stored``: the state goes through JSON between days, as the
    daily runs store it. Returns both scans' alarms (drift, signature) and the drift state."""
    rng = np.random.default_rng(seed)
    drift = scan or NightDriftScan(SIGNATURES)
    signature = NightSignatureScan(SIGNATURES)
    d_state = s_state = None
    found, seen = [], []
    for i, day in enumerate(pd.date_range("2025-01-06", periods=days, freq="D")):
        drop = pd.Series(0.0, index=SIGNATURES.index)
        for pipe, first, ramp, lps in leaks:
            if i >= first:
                drop += SIGNATURES[pipe] * lps * min(1.0, (i - first + 1) / ramp) / 3.0
        frame = day_frame(day, rng, drop)
        if i < train:
            _, d_state = drift.learn_day(frame, d_state)
            _, s_state = signature.step_day(frame, s_state, learn_only=True)
            continue
        alarms, d_state = drift.step_day(frame, d_state)
        found += [(i, a) for a in alarms]
        s_alarms, s_state = signature.step_day(frame, s_state)
        seen += [(i, a) for a in s_alarms]
        if i in noted:
            drift.note_event(d_state, day.date().isoformat())
        if stored:
            d_state = json.loads(json.dumps(d_state))
    json.dumps(d_state)                       # the state is stored as JSON between daily runs
    return found, seen, d_state


def test_leak_free_nights_raise_nothing_and_the_anchor_comes_from_training():
    found, _, state = run(200)
    assert found == []
    assert state["anchor"] is not None and state["shapes"] == []


def test_slow_leak_the_signature_scan_learns_is_found_on_its_pipe():
    # 0.9 L/s reached over 90 nights: a small step each night, well inside one night's noise.
    found, seen, state = run(150, leaks=[("pC", 30, 90, 0.9)])
    assert seen == []                          # the learning reference absorbed it
    assert len(found) == 1
    day, alarm = found[0]
    assert alarm.candidates[0][0] == "pC" and 30 < day < 150
    assert alarm.estimated_start < alarm.detected_at
    assert len(state["shapes"]) == 1           # its own unexplained drop: not found twice


def test_reported_change_is_explained_and_a_later_one_still_found():
    # An abrupt leak at pA on day 40, reported (by another detector) that day; then a slow one at pD.
    found, _, _ = run(200, leaks=[("pA", 40, 1, 3.0), ("pD", 100, 60, 1.0)], noted={40})
    pipes = [a.candidates[0][0] for _, a in found]
    assert "pA" not in pipes
    assert pipes[:1] == ["pD"] and found[0][0] > 100


def test_retired_shapes_stay_explained():
    # Five abrupt changes at alternating pipes, each reported; only two shapes are kept.
    leaks = [(p, d, 1, 2.0) for p, d in zip(["pA", "pD", "pB", "pA", "pD"], [40, 60, 80, 100, 120])]
    found, _, state = run(180, leaks=leaks, noted={40, 60, 80, 100, 120},
                          scan=NightDriftScan(SIGNATURES, max_shapes=2))
    assert found == []
    assert len(state["shapes"]) == 2


def test_daily_runs_through_stored_state_equal_one_batch():
    leaks = [("pA", 40, 1, 3.0), ("pD", 100, 60, 1.0)]
    batch, _, _ = run(170, leaks=leaks, noted={40})
    daily, _, _ = run(170, leaks=leaks, noted={40}, stored=True)
    assert [(i, a.detected_at, a.candidates) for i, a in batch] == [(i, a.detected_at, a.candidates) for i, a in daily]
    assert batch
