"""Coverage of the night-signature scan: the smallest leak it finds at each pipe, checked against the scan."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leakdet.detect.coverage import detectable_flows
from leakdet.detect.night_signature import NightSignatureScan
from leakdet.localize.sensitivity import PROBE_LEAK_LPS
from test_night_signature import SIGNATURES, day_frame

DAYS = pd.date_range("2025-01-06", periods=60, freq="D")


def nights_until_found(pipe: str | None, lps: float, seed: int = 5, learn: int = 21) -> tuple[int | None, dict]:
    """Nights from the leak's first night to the scan's alarm (None: not found) and the state
    learned before the leak."""
    rng = np.random.default_rng(seed)
    scan, state, learned = NightSignatureScan(SIGNATURES), None, None
    for i, day in enumerate(DAYS):
        drop = SIGNATURES[pipe] * lps / PROBE_LEAK_LPS if pipe and i >= learn else None
        alarms, state = scan.step_day(day_frame(day, rng, drop), state)
        if i == learn - 1:
            learned = state
        if alarms:
            return i - learn + 1, learned
    return None, learned


def test_flows_shrink_with_the_nights_allowed_and_a_stronger_signature():
    _, state = nights_until_found(None, 0.0)
    cover = detectable_flows(SIGNATURES, state["nights"])
    assert list(cover.index) == list(SIGNATURES.columns)
    assert (cover["lps_within_1_nights"] > cover["lps_within_3_nights"]).all()
    assert (cover["lps_within_3_nights"] > cover["lps_within_7_nights"]).all()
    # pB's signature is the weakest (its dip lies between two loggers): it needs the largest leak.
    assert cover["lps_within_7_nights"].idxmax() == "pB"
    assert (cover["t_per_lps"] > 0).all()


@pytest.mark.parametrize("pipe", ["pA", "pC"])
def test_a_leak_above_the_weeks_flow_is_found_within_the_week_one_well_below_is_not(pipe):
    _, state = nights_until_found(None, 0.0)
    cover = detectable_flows(SIGNATURES, state["nights"])
    found, _ = nights_until_found(pipe, 1.3 * cover.at[pipe, "lps_within_7_nights"])
    assert found is not None and found <= 7
    missed, _ = nights_until_found(pipe, 0.4 * cover.at[pipe, "lps_within_7_nights"])
    assert missed is None


def test_too_few_nights_is_a_clear_error():
    with pytest.raises(ValueError, match="too few"):
        detectable_flows(SIGNATURES, [{"res": {"P0": 0.1}}])
