"""Synthetic SCADA: leak schedules, the demonstration network, and EPANET toolkit stepping with leaks."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import wntr

from conftest import shared_file
from hydraulic_models.brunei_muara import SENSOR_MAP, network_path
from leakdet.errors import InputFileError
from leakdet.synth.leak_schedule import LeakSpec, read_leak_schedule
from leakdet.synth.scada_sim import simulate_scada


def test_csv_schedule_and_bad_row_names_line(tmp_path):
    f = tmp_path / "leaks.csv"
    f.write_text("link_id,start,end,diameter_m,type,peak\n"
                 "P-1,2025-01-01 08:00,2025-01-05 00:00,0.02,abrupt,\n"
                 "P-2,2025-01-02 00:00,2025-01-05 00:00,0.01,incipient,2025-01-03 00:00\n")
    leaks = read_leak_schedule(f)
    assert leaks[0].start == pd.Timestamp("2025-01-01 00:00", tz="UTC")     # 08:00 Brunei
    assert leaks[1].kind == "incipient" and leaks[1].peak > leaks[1].start
    f.write_text("link_id,start,end,diameter_m,type,peak\nP-1,2025-01-01,2025-01-05,big,abrupt,\n")
    with pytest.raises(InputFileError, match=r"leaks.csv:2: field diameter_m"):
        read_leak_schedule(f)


def test_battledim_schedule():
    leaks = read_leak_schedule(shared_file("networks", "ltown-2018-leaks.yalm"), tz="UTC")
    assert len(leaks) >= 14
    p257 = next(l for l in leaks if l.link_id == "p257")
    assert p257.kind == "incipient" and p257.diameter_m == pytest.approx(0.011843)
    assert p257.peak == pd.Timestamp("2018-01-25 08:30", tz="UTC")


def test_demo_network_and_sensor_map():
    wn = wntr.network.WaterNetworkModel(str(network_path()))
    assert len(wn.junction_name_list) >= 500
    sensors = pd.read_csv(SENSOR_MAP)
    nodes, links = set(wn.node_name_list), set(wn.link_name_list)
    for row in sensors.itertuples():
        assert row.element_id in (links if row.kind == "flow" else nodes)
    share = (sensors["kind"] == "pressure").sum() / len(wn.junction_name_list)
    assert 0.02 <= share <= 0.05
    assert set(sensors.loc[sensors["kind"] == "level", "element_id"]) == set(wn.tank_name_list)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One leak-free and one leaky day of the demo network, same seed."""
    tmp = tmp_path_factory.mktemp("synth")
    sensors = pd.read_csv(SENSOR_MAP)
    start, end = pd.Timestamp("2025-01-06"), pd.Timestamp("2025-01-07")
    leaks = [LeakSpec("P-712", pd.Timestamp("2025-01-06 04:00", tz="UTC"), pd.Timestamp("2025-01-06 12:00", tz="UTC"),
                      0.02, "abrupt", pd.Timestamp("2025-01-06 04:00", tz="UTC")),
             LeakSpec("P-305", pd.Timestamp("2025-01-06 00:00", tz="UTC"), pd.Timestamp("2025-01-07 00:00", tz="UTC"),
                      0.016, "incipient", pd.Timestamp("2025-01-06 12:00", tz="UTC"))]
    base = simulate_scada(network_path(), sensors, start, end, tmp / "base", seed=1)
    leaky = simulate_scada(network_path(), sensors, start, end, tmp / "leaky", leaks, seed=1)
    again = simulate_scada(network_path(), sensors, start, end, tmp / "again", leaks, seed=1)
    return tmp, sensors


def test_exports_have_local_time_units_and_gaps(runs):
    tmp, sensors = runs
    day = pd.read_csv(tmp / "leaky" / "scada_2025-01-06.csv")
    assert list(day.columns) == ["timestamp", *sensors["sensor_id"]]
    assert day["timestamp"].iloc[0] == "2025-01-06 00:00:00" and len(day) == 288
    bar = sensors.loc[sensors["unit"] == "bar", "sensor_id"].iloc[0]
    metres = sensors.loc[(sensors["kind"] == "pressure") & (sensors["unit"] == "m"), "sensor_id"].iloc[0]
    assert day[bar].median() < 15 < day[metres].median()          # bar values are ~10x smaller
    assert day.isna().sum().sum() > 0                             # gaps and an outage


def test_leaks_follow_schedule_and_lower_pressure(runs):
    tmp, sensors = runs
    flows = pd.read_csv(tmp / "leaky" / "ground_truth_leak_flows.csv", index_col=0)
    t = pd.to_datetime(flows.index, utc=True)
    abrupt, incipient = flows.columns
    inside = (t >= pd.Timestamp("2025-01-06 04:00", tz="UTC")) & (t < pd.Timestamp("2025-01-06 12:00", tz="UTC"))
    assert (flows[abrupt][inside] > 3).all()
    # EPANET 2.2 settles a closed emitter over one or two steps after the repair.
    settled = t < pd.Timestamp("2025-01-06 04:00", tz="UTC")
    settled |= t >= pd.Timestamp("2025-01-06 12:15", tz="UTC")
    assert (flows[abrupt][settled] == 0).all()
    growth = flows[incipient].to_numpy()
    assert growth[90] == 0 < growth[110] < growth[170] < growth[235]      # starts 00:00Z (row 96)
    assert growth[250] == pytest.approx(growth[280], rel=0.1)             # full size after 12:00Z
    base = pd.read_csv(tmp / "base" / "scada_2025-01-06.csv")
    leaky = pd.read_csv(tmp / "leaky" / "scada_2025-01-06.csv")
    metres = sensors.loc[(sensors["kind"] == "pressure") & (sensors["unit"] == "m"), "sensor_id"]
    drop = (base[metres] - leaky[metres])[inside[:288]].mean()
    assert drop.max() > 0.3                     # some logger sees the leak
    truth = pd.read_csv(tmp / "leaky" / "ground_truth_leaks.csv")
    assert set(truth["kind"]) == {"abrupt", "incipient"} and (truth["max_flow_lps"] > 0).all()


def test_same_seed_same_output(runs):
    tmp, _ = runs
    a = (tmp / "leaky" / "scada_2025-01-06.csv").read_text()
    assert a == (tmp / "again" / "scada_2025-01-06.csv").read_text()


def test_yearly_demand_swing_scales_demand_and_keeps_the_seeds_draws():
    from leakdet.synth.truth_model import perturb

    hours = 2200                              # a quarter of a year and a bit
    plain = perturb(wntr.network.WaterNetworkModel(str(network_path())), np.random.default_rng(5), hours)
    swung = perturb(wntr.network.WaterNetworkModel(str(network_path())), np.random.default_rng(5), hours,
                    seasonal_amplitude=0.1)
    ratio = swung.multipliers / np.where(plain.multipliers > 0, plain.multipliers, np.nan)
    ratio = np.nanmedian(ratio, axis=0)
    # Same random draws; only the deterministic swing differs: +5 % a month in, +10 % a quarter in.
    year_h = 365.25 * 24
    assert ratio[0] == pytest.approx(1.0)
    assert ratio[round(year_h / 12)] == pytest.approx(1.05, abs=1e-3)
    assert ratio[round(year_h / 4)] == pytest.approx(1.1, abs=1e-3)
