"""Synthetic SCADA on real EPANET runs: exports, units, gaps, leaks, reproducibility."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import wntr

from conftest import shared_file
from hydraulic_models.brunei_muara import SENSOR_MAP, network_path
from leakdet.synth.leak_schedule import LeakSpec, read_leak_schedule
from leakdet.synth.scada_sim import simulate_scada
from leakdet.synth.stepping import emitter_coefficient

DAY = pd.Timestamp("2025-01-06")               # local (Asia/Brunei) midnight = 2025-01-05 16:00 UTC
ABRUPT = ("P-712", "2025-01-06 06:00", "2025-01-06 14:00")          # UTC window
INCIPIENT = ("P-305", "2025-01-05 18:00", "2025-01-06 08:00")       # UTC start, peak


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Local days of the demo network, same seed: leak-free, both leaks, abrupt leak only, a repeat."""
    tmp = tmp_path_factory.mktemp("scada")
    sensors = pd.read_csv(SENSOR_MAP)
    leaks = [LeakSpec(ABRUPT[0], utc(ABRUPT[1]), utc(ABRUPT[2]), 0.025, "abrupt", utc(ABRUPT[1])),
             LeakSpec(INCIPIENT[0], utc(INCIPIENT[1]), utc("2025-01-10"), 0.016, "incipient", utc(INCIPIENT[2]))]
    end = DAY + pd.Timedelta(days=1)
    runs = {"base": [], "leaky": leaks, "abrupt": leaks[:1], "again": leaks}
    out = {name: simulate_scada(network_path(), sensors, DAY, end, tmp / name, these, seed=3)
           for name, these in runs.items()}
    return out, sensors, leaks


def test_daily_export_columns_local_time_and_units(runs):
    out, sensors, _ = runs
    res = out["leaky"]
    assert [p.name for p in res.files] == ["scada_2025-01-06.csv"] and res.n_steps == 288
    day = pd.read_csv(res.files[0])
    assert list(day.columns) == ["timestamp", *sensors["sensor_id"]]
    assert day["timestamp"].iloc[0] == "2025-01-06 00:00:00" and day["timestamp"].iloc[-1] == "2025-01-06 23:55:00"
    assert res.readings.index[0] == utc("2025-01-05 16:00")                  # UTC+8, no offset written
    unit = sensors.set_index("sensor_id")["unit"]
    kind = sensors.set_index("sensor_id")["kind"]
    med = day.drop(columns="timestamp").median()
    metres = med[(kind == "pressure") & (unit == "m") & (med > 10)]           # skip the pump-suction gauge
    assert metres.between(15, 110).all()
    assert med[(kind == "pressure") & (unit == "bar")].between(1.5, 11).all()
    assert med[(kind == "pressure") & (unit == "kPa")].between(20, 1100).all()
    # FT-PS2 reports in m3/h: 3.6 x its L/s value (pump 1, in L/s, is off part of the day).
    assert 10 < med["FT-PS2"] / 3.6 < 100 and 0 <= med["FT-PS1"] < 200
    assert med[kind == "level"].between(20, 35).all()                        # KY4 tanks are ~30 m deep


def test_gaps_and_an_outage(runs):
    out, _, _ = runs
    missing = out["leaky"].readings.isna()
    assert 0.003 < missing.to_numpy().mean() < 0.05
    longest = max(_longest_run(missing[c].to_numpy()) for c in missing)
    assert longest >= 12                                                     # at least an hour dark


def _longest_run(flags: np.ndarray) -> int:
    best = run = 0
    for f in flags:
        run = run + 1 if f else 0
        best = max(best, run)
    return best


def test_abrupt_leak_flows_only_in_its_window_and_lowers_pressure(runs):
    out, sensors, leaks = runs
    flows = pd.read_csv(out["leaky"].out_dir / "ground_truth_leak_flows.csv", index_col="timestamp_utc")
    t = pd.to_datetime(flows.index, utc=True)
    q = flows[leaks[0].leak_id].to_numpy()
    inside = (t >= utc(ABRUPT[1])) & (t < utc(ABRUPT[2]))
    assert (q[inside] > 3).all()                                             # L/s through a 25 mm hole
    # A repaired emitter is closed to a negligible orifice; EPANET settles it within a few steps.
    settled = (t < utc(ABRUPT[1])) | (t >= utc(ABRUPT[2]) + pd.Timedelta(minutes=15))
    assert (q[settled] == 0).all()
    head = 0.75 * np.pi * 0.025 ** 2 / 4 * np.sqrt(2 * 9.81) * 1000
    assert emitter_coefficient(0.025) == pytest.approx(head)
    assert q[inside].max() < emitter_coefficient(0.025) * np.sqrt(120)       # Q = C·√p, p < 120 m

    base, leaky = out["base"].readings, out["abrupt"].readings
    before = t < utc(ABRUPT[1])
    assert ((base - leaky)[before].abs().max() < 1e-6).all()                  # same seed, same day
    # The leak drains tank T-3 sooner, so pump 1 may start earlier and lift every pressure:
    # compare only while pump 1 runs (or rests) in both runs.
    pump_same = ((base["FT-PS1"].ffill() > 1) == (leaky["FT-PS1"].ffill() > 1)).to_numpy()
    assert (inside & pump_same).sum() >= 36                                  # 3 h to compare
    metres = sensors.loc[(sensors["kind"] == "pressure") & (sensors["unit"] == "m"), "sensor_id"]
    drop = (base - leaky)[inside & pump_same][metres].mean()
    nearest = "PT-014"                                                       # 400 m from P-712
    assert drop[nearest] > 0.3 and (drop > 0).mean() > 0.8                   # lower, nearly everywhere
    # In the first minutes, before tank levels drift apart, the leak's head loss shows near it.
    diff = base - leaky
    onset = diff[(t >= utc(ABRUPT[1])) & (t < utc(ABRUPT[1]) + pd.Timedelta(minutes=10))][metres].mean()
    onset -= diff[(t < utc(ABRUPT[1])) & (t >= utc(ABRUPT[1]) - pd.Timedelta(minutes=10))][metres].mean()
    assert onset[nearest] > 0.25 and onset[nearest] > 2 * onset.median()     # pumps sag a little for all

    truth = pd.read_csv(out["leaky"].out_dir / "ground_truth_leaks.csv")
    assert list(truth.columns) == ["leak_id", "link_id", "leak_node", "start_utc", "end_utc", "peak_utc", "kind",
                                   "diameter_m", "max_flow_lps", "mean_flow_lps"]
    row = truth.set_index("link_id").loc[ABRUPT[0]]
    assert row["start_utc"] == "2025-01-06T06:00:00Z" and row["leak_node"] == "LEAK_P-712"
    assert row["max_flow_lps"] == pytest.approx(q.max(), abs=1e-3)
    wn = wntr.network.WaterNetworkModel(str(network_path()))
    assert ABRUPT[0] in wn.pipe_name_list and row["leak_node"] not in wn.node_name_list    # split at run time only


def test_incipient_leak_grows_until_its_peak(runs):
    out, _, leaks = runs
    q = out["leaky"].leak_flows[leaks[1].leak_id]
    assert (q[q.index < utc(INCIPIENT[1])] == 0).all()
    growing = q[(q.index > utc(INCIPIENT[1])) & (q.index < utc(INCIPIENT[2]))]
    hourly = growing.resample("2h").mean()
    assert (hourly.diff().dropna() > 0).all()                                # area grows linearly
    assert growing.iloc[0] < 0.2 * q[q.index >= utc(INCIPIENT[2])].mean()
    after = q[q.index >= utc(INCIPIENT[2])]
    assert after.max() < 1.2 * after.min()                                   # full size: only pressure varies


def test_same_seed_same_files_other_seed_differs(runs, tmp_path):
    out, sensors, _ = runs
    name = "scada_2025-01-06.csv"
    assert (out["leaky"].out_dir / name).read_bytes() == (out["again"].out_dir / name).read_bytes()
    truth = "ground_truth_leak_flows.csv"
    assert (out["leaky"].out_dir / truth).read_bytes() == (out["again"].out_dir / truth).read_bytes()
    other = simulate_scada(network_path(), sensors, DAY, DAY + pd.Timedelta(hours=2), tmp_path, seed=4)
    assert not np.allclose(other.readings.fillna(0).to_numpy(),
                           out["base"].readings.iloc[:24].fillna(0).to_numpy())


def test_demand_pattern_follows_local_time(tmp_path):
    """Starting at local 06:00 (22:00 UTC) the run sees the morning peak, not midnight's trough."""
    sensors = pd.DataFrame({"sensor_id": ["D1", "F1"], "kind": ["demand", "flow"],
                            "element_id": ["J-100", "~@Pump-2"], "unit": ["L/s", "m3/h"]})
    quiet = dict(gap_fraction=0, outages=0, demand_noise=0, daily_sigma=0, demand_bias_sigma=0, flow_noise_rel=0)
    morning = simulate_scada(network_path(), sensors, "2025-01-06 06:00", "2025-01-06 08:00", tmp_path / "m", **quiet)
    night = simulate_scada(network_path(), sensors, "2025-01-06 02:00", "2025-01-06 04:00", tmp_path / "n", **quiet)
    assert morning.readings["D1"].mean() > 2 * night.readings["D1"].mean()
    assert pd.read_csv(morning.files[0])["timestamp"].iloc[0] == "2025-01-06 06:00:00"


def test_bad_sensor_map_is_reported_whole(tmp_path):
    sensors = pd.DataFrame({"sensor_id": ["A", "B"], "kind": ["pressure", "flow"],
                            "element_id": ["NOPE", "~@Pump-1"], "unit": ["m", "gallons"]})
    with pytest.raises(ValueError, match=r"(?s)A: pressure element 'NOPE'.*B: unit 'gallons'"):
        simulate_scada(network_path(), sensors, DAY, DAY + pd.Timedelta(hours=1), tmp_path)


def test_ltown_battledim_leak_in_network_clock(tmp_path):
    inp = shared_file("networks", "L-TOWN.inp")
    schedule = read_leak_schedule(shared_file("networks", "ltown-2018-leaks.yalm"), tz="UTC")
    p257 = next(l for l in schedule if l.link_id == "p257")                  # incipient from 2018-01-08 13:30
    sensors = pd.DataFrame({"sensor_id": ["n1", "n4", "T1", "PUMP"], "kind": ["pressure", "pressure", "level", "flow"],
                            "element_id": ["n1", "n4", "T1", "PUMP_1"], "unit": ["m", "psi", "m", "m3/h"]})
    res = simulate_scada(inp, sensors, "2018-01-08 12:00", "2018-01-08 18:00", tmp_path, [p257], tz="UTC", seed=1)
    q = res.leak_flows[p257.leak_id]
    assert (q[q.index < p257.start] == 0).all()
    # Growing in area over 17 days, the hole passes only mL/s in its first hours (no start-up spike).
    early = q[p257.start + pd.Timedelta(hours=1)]
    assert q[q.index > p257.start].max() == q.iloc[-1] > 3 * early > 0
    day = pd.read_csv(res.files[0])
    assert day["timestamp"].iloc[0] == "2018-01-08 12:00:00" and len(day) == 72
    assert day["n4"].median() == pytest.approx(res.readings["n4"].median(), rel=1e-3)
    assert 20 < day["n4"].median() * 0.703 < 120                             # psi -> m head
