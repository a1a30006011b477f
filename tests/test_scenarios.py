"""The scenario engine on Net1 (real EPANET toolkit): signatures, pipe midpoints, compensation, pool."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import NET1
from leakdet.scenarios.engine import Perturbation, ScenarioBatch, raw_toolkit_time, run_batch, run_scenarios, split_batches
from leakdet.scenarios.library import leak_scenarios

SENSORS = {"P-10": "10", "P-22": "22", "P-31": "31", "P-13": "13"}


@pytest.fixture(scope="module")
def batch():
    scen = leak_scenarios(["21", "111", "122"], sizes_lps=(5.0, 15.0), hours=(3, 14), nodes=["22", "31"])
    return ScenarioBatch(NET1.read_text(), SENSORS, scen)


def test_leak_signatures_are_drops_that_grow_with_size_and_peak_near_the_leak(batch):
    out = run_batch(batch)
    assert len(out) == len(batch.scenarios) and list(out.columns) == ["leak_lps", *SENSORS]
    meta = batch.scenarios.set_index("scenario_id").join(out)
    # The size is the flow at the pre-leak pressure; the leak lowers that pressure itself,
    # the more so the bigger it is, so the solved flow is a little smaller.
    small_leaks = meta[meta["size_lps"] == 5.0]
    assert np.allclose(small_leaks["leak_lps"], 5.0, rtol=0.02)
    assert ((meta["leak_lps"] <= meta["size_lps"] * 1.001) & (meta["leak_lps"] > 0.5 * meta["size_lps"])).all()
    plain = run_batch(ScenarioBatch(batch.inp_text, SENSORS, batch.scenarios, demand_compensated=False))
    assert (plain[list(SENSORS)].to_numpy() > -1e-3).all()      # a leak only lowers pressure
    big = meta[(meta["element"] == "22") & (meta["size_lps"] == 15.0)]
    small = meta[(meta["element"] == "22") & (meta["size_lps"] == 5.0)]
    assert (big["P-22"].to_numpy() > 2 * small["P-22"].to_numpy()).all()
    assert (big[list(SENSORS)].idxmax(axis=1) == "P-22").all()
    # A leak in the middle of pipe 111 (between junctions 11 and 21) is not a leak at 22.
    mid = meta[(meta["element"] == "111") & (meta["size_lps"] == 15.0)]
    assert not np.allclose(mid[list(SENSORS)].to_numpy(), big[list(SENSORS)].to_numpy(), atol=0.01)


def test_demand_compensation_removes_the_spread_of_the_leak_flow(batch):
    plain = run_batch(ScenarioBatch(batch.inp_text, SENSORS, batch.scenarios, demand_compensated=False))
    compensated = run_batch(batch)
    # Scaling demand to metered inflow spreads the leak's flow over every junction; the
    # residual of a far logger is then smaller than the raw drop.
    assert (compensated["P-31"] < plain["P-31"] + 1e-6).all()
    assert (compensated["P-31"] < plain["P-31"] - 1e-3).any()


def test_pool_gives_the_same_results_as_one_process_and_perturbation_changes_them(batch):
    batches = split_batches(batch, 7)
    assert sum(len(b.scenarios) for b in batches) == len(batch.scenarios)
    serial = run_scenarios(batches, workers=1)
    pooled = run_scenarios(batches, workers=2)
    pd.testing.assert_frame_equal(serial, pooled)
    other = run_batch(ScenarioBatch(batch.inp_text, SENSORS, batch.scenarios,
                                    perturbation=Perturbation(0.1, 0.1, seed=3)))
    assert not np.allclose(other[list(SENSORS)].to_numpy(), serial[list(SENSORS)].to_numpy(), atol=1e-4)
    assert raw_toolkit_time(batch) > 0


def test_results_keep_the_batch_order_across_hours(batch):
    shuffled = batch.scenarios.sample(frac=1.0, random_state=3)
    out = run_batch(ScenarioBatch(batch.inp_text, SENSORS, shuffled))
    assert list(out.index) == list(shuffled["scenario_id"])
