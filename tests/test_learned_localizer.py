"""The learned (XGBoost) localizer and ``leakdet train`` on Net1, with real EPANET, XGBoost and PostGIS."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from helpers import NET1, import_net1_with_scada
from leakdet.localize.learned import XGBoostLocalizer
from leakdet.localize.pair_features import FEATURES, Reference, signature_features
from leakdet.scenarios.engine import Perturbation, ScenarioBatch, run_batch
from leakdet.scenarios.library import build_library, leak_scenarios
from platform_core.db import get_engine

SENSORS = {"P-10": "10", "P-22": "22", "P-31": "31", "P-13": "13"}


def net1_xy():
    import wntr

    wn = wntr.network.WaterNetworkModel(str(NET1))
    xy = {n: wn.get_node(n).coordinates for n in wn.node_name_list}
    pipes = pd.DataFrame({p: np.mean([xy[l.start_node_name], xy[l.end_node_name]], axis=0) for p, l in wn.pipes()},
                         index=["x", "y"]).T
    sensors = pd.DataFrame({s: xy[n] for s, n in SENSORS.items()}, index=["x", "y"]).T
    return wn, pipes, sensors


@pytest.fixture(scope="module")
def trained():
    wn, pipes, sensors = net1_xy()
    library = build_library(NET1.read_text(), SENSORS, workers=1, sizes_lps=(5.0, 15.0), hours=(3, 14), n_models=2)
    ref = Reference.from_library(library, list(SENSORS), pipes, sensors)
    loc = XGBoostLocalizer(n_estimators=60, noise_m=(0.005, 0.02), random_state=1).fit(library, ref)
    return wn, loc


def test_features_rank_the_true_pipe_among_candidates(trained):
    _, loc = trained
    x = loc.reference_.night[:, list(loc.reference_.pipes).index("21")] * 10.0
    idx, feats = signature_features(x, loc.reference_, 5)
    assert list(feats.columns) == FEATURES and len(feats) == 5
    assert loc.reference_.pipes[idx[0]] == "21"            # a perfect signature matches its own pipe first
    assert feats["cos_night"].iloc[0] == pytest.approx(1.0)
    assert feats["log_flow"].iloc[0] == pytest.approx(1.0, abs=0.05)   # 10 L/s


def test_localizes_unseen_leaks_on_a_perturbed_model_with_calibrated_probabilities(trained):
    wn, loc = trained
    from leakdet.evaluate.network_distance import PipeDistance

    rng = np.random.default_rng(7)
    pipes = ["10", "11", "12", "21", "22", "31", "111", "112", "113", "121", "122"]
    scen = pd.DataFrame({"scenario_id": range(len(pipes)), "kind": "pipe", "element": pipes,
                         "size_lps": rng.uniform(6, 14, len(pipes)), "hour": 9})
    test = run_batch(ScenarioBatch(NET1.read_text(), SENSORS, scen, perturbation=Perturbation(0.05, 0.05, 42)))
    drops = test[list(SENSORS)] + rng.normal(0, 0.01, (len(pipes), len(SENSORS)))
    proba = loc.predict_proba(drops)
    assert np.allclose(proba.sum(axis=1), loc.recall_)       # mass left for "not among the candidates"
    assert (proba.to_numpy() >= 0).all()
    dist = PipeDistance(wn)
    errors = [dist(p, t) for p, t in zip(loc.predict(drops), pipes)]
    # Net1's pipes are ~1.6 km (5,280 ft) long; within one pipe of the leak most of the time.
    assert np.median(errors) <= 1700
    assert 0.05 < loc.temperature_ < 20
    cands = loc.candidates(drops.iloc[0])
    assert list(cands.columns) == ["link_id", "probability"] and len(cands) == loc.top_k
    assert cands["probability"].iloc[1:].is_monotonic_decreasing      # rank 1: least expected distance
    assert cands.attrs["search_radius_m"] >= 0


def test_train_learns_baseline_excluding_known_leaks_and_stores_a_versioned_localizer(db_url, tmp_path):
    from leakdet.pipeline.daily import run_day
    from leakdet.pipeline.train import train

    import_net1_with_scada(tmp_path, "net1-train", "2024-05-01 00:00", 4, leak_node="22", leak_from_step=2 * 288)
    known = tmp_path / "known.csv"
    known.write_text("link_id,start,end,diameter_m,type\n21,2024-05-03 00:00,2024-05-04 23:55,0.02,abrupt\n")
    out = train("net1-train", "2024-05-01", "2024-05-04", known_leaks=known, workers=1,
                sizes_lps=(10.0,), hours=(3,), n_models=1, n_estimators=20, copies=1)
    assert out["baseline"]["days"] == 4 and out["baseline"]["known_leaks"] == 1
    assert out["baseline"]["blanked_samples"] == 2 * 288
    assert out["localizer"]["version"].startswith("xgb-") and out["localizer"]["n_scenarios"] > 0
    with get_engine().connect() as conn:
        state = conn.execute(text(
            """SELECT s.state FROM water.detector_state s JOIN water.networks n ON n.id = s.network_id
               WHERE n.name = 'net1-train' AND s.as_of_day = '2024-05-04'""")).scalar_one()
    assert state["days_seen"] == 4 and state["S"] == {}          # learned, never scanned
    # The leak days were blanked: the baseline learned only the two leak-free days.
    assert max(state["n"]["P-22"]) == 1
    # Detection the next day uses the stored state; events record the localizer version.
    import_net1_with_scada(tmp_path, "net1-train", "2024-05-01 00:00", 6, leak_node="22", leak_from_step=2 * 288)
    run_day("net1-train", "2024-05-05", maps=False)
    with get_engine().connect() as conn:
        versions = conn.execute(text(
            """SELECT DISTINCT e.model_version FROM water.leak_events e JOIN water.networks n ON n.id = e.network_id
               WHERE n.name = 'net1-train'""")).scalars().all()
    assert versions == [out["localizer"]["version"] + "+correlation"]   # learned and classical, averaged


def test_ensemble_averages_both_localizers(trained):
    from leakdet.localize.correlation import CorrelationLocalizer
    from leakdet.localize.ensemble import EnsembleLocalizer

    wn, loc = trained
    classical = CorrelationLocalizer()
    classical.sensors_, classical.pipes_, classical.signatures_ = (loc.reference_.sensors, loc.reference_.pipes,
                                                                   loc.reference_.night)
    ens = EnsembleLocalizer(loc, classical)
    x = pd.DataFrame([loc.reference_.night[:, list(loc.reference_.pipes).index("21")] * 10.0],
                     columns=loc.reference_.sensors)
    proba = ens.predict_proba(x)
    assert proba.to_numpy().sum() == pytest.approx(1.0) and (proba.to_numpy() >= 0).all()
    cands = ens.candidates(x.iloc[0])
    assert cands["link_id"].iloc[0] == "21" and cands.attrs["search_radius_m"] >= 0
    assert list(ens.predict(x)) == ["21"]
