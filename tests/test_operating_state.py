"""Operating state: read from a simulation, applied to a snapshot, and what it does to leak signatures."""
from __future__ import annotations

import numpy as np
import pytest
import wntr

from helpers import NET1
from leakdet.hydraulics.operating_state import (ACTIVE, BETWEEN, CLOSED, EMPTY, FULL, OPEN, OperatingState,
                                                StateElements, operating_state, read_state, write_state)
from leakdet.localize.sensitivity import cached_sensitivity, sensitivity_matrix

LOGGERS = {"P-10": "10", "P-22": "22", "P-31": "31", "P-13": "13", "P-23": "23"}


@pytest.fixture(scope="module")
def day_results(tmp_path_factory):
    wn = wntr.network.WaterNetworkModel(str(NET1))
    wn.options.time.duration = 24 * 3600
    wn.options.time.hydraulic_timestep = wn.options.time.report_timestep = 3600
    wn.options.quality.parameter = "NONE"
    prefix = str(tmp_path_factory.mktemp("net1-day") / "run")      # EPANET's files out of the checkout
    return wn, wntr.sim.EpanetSimulator(wn).run_sim(file_prefix=prefix)


def test_state_is_read_from_the_simulation(day_results):
    wn, res = day_results
    elements = StateElements.of(wn)
    assert elements.links == {"9": False} and set(elements.tanks) == {"2"}
    # Net1's pump follows its tank's level, so over a day it is seen both running and off.
    seen = set()
    for hour in range(24):
        state = operating_state(res, elements, hour * 3600)
        assert state.links == (("9", OPEN if res.link["status"].at[hour * 3600, "9"] >= 1 else CLOSED),)
        seen.add(state.links[0][1])
        assert state.tanks == (("2", BETWEEN),)
    assert seen == {OPEN, CLOSED}


def test_full_tank_and_regulating_valve():
    from leakdet.hydraulics.operating_state import _tank_position

    assert _tank_position(9.98, 1.0, 10.0) == FULL            # closed to inflow in the snapshot
    assert _tank_position(1.02, 1.0, 10.0) == EMPTY
    assert _tank_position(9.7, 1.0, 10.0) == BETWEEN
    wn = wntr.network.WaterNetworkModel(str(NET1))
    wn.add_junction("J-PRV", base_demand=0.0, elevation=wn.get_node("12").elevation)
    wn.add_valve("PRV-T", "12", "J-PRV", diameter=0.2, valve_type="PRV", initial_setting=20.0)
    tank = wn.get_node("2")
    OperatingState((("9", OPEN), ("PRV-T", ACTIVE)), (("2", FULL),)).apply(wn)
    # An active valve keeps regulating at its setting (forcing it open would bypass it).
    assert wn.get_link("PRV-T").initial_status == wntr.network.base.LinkStatus.Active
    assert tank.init_level == tank.max_level
    init = float(tank.init_level)
    OperatingState((), (("2", BETWEEN),)).apply(wn)
    assert tank.min_level < tank.init_level < tank.max_level and tank.init_level != init


def test_state_round_trips_and_keys(tmp_path):
    state = OperatingState((("PU-1", CLOSED), ("V-2", ACTIVE)), (("T-1", FULL),))
    write_state(tmp_path / "s.json", state)
    assert read_state(tmp_path / "s.json") == state
    assert read_state(tmp_path / "missing.json") is None
    assert state.key() == OperatingState.from_dict(state.to_dict()).key() != ""
    assert OperatingState((("PU-1", OPEN), ("V-2", ACTIVE)), (("T-1", FULL),)).key() != state.key()
    assert OperatingState().key() == ""                        # nothing to describe: the plain model


def test_applied_state_changes_where_a_leak_draws_its_water(tmp_path):
    wn = wntr.network.WaterNetworkModel(str(NET1))
    pump_off = OperatingState((("9", CLOSED),), (("2", BETWEEN),))
    pump_on = OperatingState((("9", OPEN),), (("2", BETWEEN),))
    model = wntr.network.WaterNetworkModel(str(NET1))
    pump_off.apply(model)
    assert not model.control_name_list                         # a snapshot in a state must not switch
    assert model.get_link("9").initial_status == wntr.network.base.LinkStatus.Closed
    off = sensitivity_matrix(model, LOGGERS)
    model = wntr.network.WaterNetworkModel(str(NET1))
    pump_on.apply(model)
    on = sensitivity_matrix(model, LOGGERS)
    # A leak beside the pump's outlet draws through the running pump (its head falls along its
    # curve); with the pump off the tank feeds it from the far side and the outlet barely notices.
    assert on.at["P-10", "10"] > 2 * off.at["P-10", "10"]
    assert float(np.median(np.abs(on.to_numpy() - off.to_numpy()) / on.to_numpy().clip(1e-3))) > 0.1
    # Cached per state: each state gets its own matrix, and a state is computed only once.
    calls = []

    def load():
        calls.append(1)
        return wntr.network.WaterNetworkModel(str(NET1))

    text = NET1.read_text()
    a = cached_sensitivity(text, load, LOGGERS, tmp_path, state=pump_off)
    b = cached_sensitivity(text, load, LOGGERS, tmp_path, state=pump_on)
    again = cached_sensitivity(text, load, LOGGERS, tmp_path, state=pump_off)
    assert len(calls) == 2 and len(list(tmp_path.glob("sensitivity_*.parquet"))) == 2
    np.testing.assert_allclose(a.to_numpy(), off.to_numpy())
    np.testing.assert_allclose(b.to_numpy(), on.to_numpy())
    assert again is a
