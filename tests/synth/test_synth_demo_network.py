"""The Brunei-Muara demonstration network: build recipe, week-long hydraulics, sensor map."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import wntr

from hydraulic_models.brunei_muara import ORIGIN, SENSOR_MAP, build_network, network_path
from hydraulic_models.brunei_muara.make_sensor_map import sensor_map
from leakdet import units


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_network(tmp_path_factory.mktemp("net") / "bm.inp")


def test_build_is_si_metric_five_minute_and_deterministic(built, tmp_path):
    assert build_network(tmp_path / "again.inp").read_bytes() == built.read_bytes()
    assert "LPS" in built.read_text().split("[OPTIONS]")[1].split("\n[")[0]
    wn = wntr.network.WaterNetworkModel(str(built))
    assert len(wn.junction_name_list) >= 500 and len(wn.tank_name_list) == 4
    assert wn.options.time.hydraulic_timestep == wn.options.time.report_timestep == 300
    xy = np.array([wn.get_node(n).coordinates for n in wn.node_name_list])
    span = xy.max(axis=0) - xy.min(axis=0)
    assert 12_000 < span[0] < 18_000 and 6_000 < span[1] < 12_000              # metres: ~15 km × 9 km
    assert np.allclose((xy.max(axis=0) + xy.min(axis=0)) / 2, 0, atol=1)      # centred
    assert 4.8 < ORIGIN[0] < 5.0 and 114.8 < ORIGIN[1] < 115.1                # Bandar Seri Begawan


def test_a_week_runs_with_sane_tanks_and_pressures(built):
    wn = wntr.network.WaterNetworkModel(str(built))
    wn.options.time.duration = 7 * 86400
    res = wntr.sim.EpanetSimulator(wn).run_sim(file_prefix=str(built.with_suffix("")))
    assert len(res.node["pressure"]) == 7 * 288 + 1
    for name in wn.tank_name_list:
        tank, level = wn.get_node(name), res.node["pressure"][name]
        assert tank.min_level - 0.01 <= level.min() and level.max() <= tank.max_level + 0.01, name
        assert level.iloc[-288:].min() > tank.min_level + 0.5, f"{name} drains to empty"
    # The pump-controlled tanks cycle every day rather than sitting at a limit.
    for name in ("T-3", "T-4"):
        daily_range = res.node["pressure"][name].iloc[288:].groupby(np.arange(6 * 288 + 1) // 288).agg(np.ptp)
        assert (daily_range.iloc[:6] > 1.0).all(), name
    pressure = res.node["pressure"][wn.junction_name_list]
    assert pressure.min().min() > 0 and pressure.median().median() > 20
    demand = res.node["demand"][wn.junction_name_list].sum(axis=1)
    by_hour = demand.groupby((demand.index // 3600) % 24).mean()
    assert by_hour.loc[6:8].mean() > 1.5 * by_hour.loc[1:4].mean()             # morning peak over night


def test_sensor_map_fits_the_network():
    wn = wntr.network.WaterNetworkModel(str(network_path()))
    sensors = pd.read_csv(SENSOR_MAP)
    assert list(sensors.columns) == ["sensor_id", "kind", "element_id", "unit"]
    assert sensors["sensor_id"].is_unique
    assert set(sensors["kind"]) <= {"pressure", "flow", "level", "demand"}
    for row in sensors.itertuples():
        where = wn.link_name_list if row.kind == "flow" else wn.node_name_list
        assert row.element_id in where, row.sensor_id
        units.factor_to_stored(row.kind, row.unit)                            # a known unit
    pressure = sensors[sensors["kind"] == "pressure"]
    assert 0.02 <= len(pressure) / len(wn.junction_name_list) <= 0.04
    assert set(pressure["element_id"]) <= set(wn.junction_name_list)
    assert {"bar", "kPa"} <= set(pressure["unit"]) and (pressure["unit"] == "m").mean() > 0.7
    assert set(sensors.loc[sensors["kind"] == "level", "element_id"]) == set(wn.tank_name_list)
    assert set(sensors.loc[sensors["kind"] == "flow", "element_id"]) == set(wn.pump_name_list)


def test_sensor_map_is_what_the_script_generates():
    generated = sensor_map(wntr.network.WaterNetworkModel(str(network_path())))
    pd.testing.assert_frame_equal(generated, pd.read_csv(SENSOR_MAP))
