"""Localization: the sensitivity matrix from EPANET and the correlation localizer (sklearn-style)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import wntr

from helpers import NET1
from leakdet.localize.correlation import CorrelationLocalizer
from leakdet.localize.sensitivity import sensitivity_matrix

LOGGERS = {"P-10": "10", "P-22": "22", "P-31": "31", "P-13": "13", "P-23": "23"}


def test_sensitivity_is_largest_at_the_leak_and_repeatable():
    wn = wntr.network.WaterNetworkModel(str(NET1))
    S = sensitivity_matrix(wn, LOGGERS, candidates=["22", "31", "22"])
    assert S.iloc[:, 0].idxmax() == "P-22" and S.iloc[:, 1].idxmax() == "P-31"
    np.testing.assert_allclose(S.iloc[:, 0], S.iloc[:, 2])          # no state leaks between solves
    S = S.iloc[:, :2]
    compensated = sensitivity_matrix(wn, LOGGERS, candidates=["22"], demand_compensated=True)
    assert (compensated["22"] < S["22"]).all()                       # spread demand explains part of the drop


def test_localizer_ranks_pipes_at_the_leak_first():
    wn = wntr.network.WaterNetworkModel(str(NET1))
    S = sensitivity_matrix(wn, LOGGERS)
    ends = {n: (p.start_node_name, p.end_node_name) for n, p in wn.pipes()}
    loc = CorrelationLocalizer(top_k=3).fit(S, ends)
    rng = np.random.default_rng(0)
    observed = pd.DataFrame([S["31"] * 4 + rng.normal(0, 0.01, len(S))], columns=S.index)
    proba = loc.predict_proba(observed)
    assert np.isclose(proba.sum(axis=1).iloc[0], 1.0)
    assert loc.predict(observed)[0] in {"31", "121", "122"}          # pipes touching junction 31
    top = loc.candidates(observed.iloc[0])
    assert len(top) == 3 and top["probability"].is_monotonic_decreasing
    # a logger with no data is ignored, not taken as zero drop
    partial = observed.copy()
    partial["P-10"] = np.nan
    assert loc.predict(partial)[0] in {"31", "121", "122"}


def test_leak_flow_is_the_scale_of_the_pipe_signature():
    from leakdet.localize.sensitivity import PROBE_LEAK_LPS

    wn = wntr.network.WaterNetworkModel(str(NET1))
    S = sensitivity_matrix(wn, LOGGERS)
    ends = {n: (p.start_node_name, p.end_node_name) for n, p in wn.pipes()}
    loc = CorrelationLocalizer().fit(S, ends)
    pipe = (S["21"] + S["22"]) / 2                          # pipe 21 joins junctions 21 and 22
    assert loc.leak_flow(pipe * 2.5, "21") == round(2.5 * PROBE_LEAK_LPS, 2)
    partial = (pipe * 2.5).copy()
    partial["P-10"] = np.nan                                # a silent logger is left out, not taken as 0
    assert loc.leak_flow(partial, "21") == round(2.5 * PROBE_LEAK_LPS, 2)
    assert loc.leak_flow(-pipe, "21") is None               # pressure rose: no leak flow to report
    assert loc.leak_flow(pipe, "no-such-pipe") is None


def test_localizer_with_pipe_positions_ranks_for_a_crew():
    wn = wntr.network.WaterNetworkModel(str(NET1))
    S = sensitivity_matrix(wn, LOGGERS)
    ends = {n: (p.start_node_name, p.end_node_name) for n, p in wn.pipes()}
    xy = pd.DataFrame({n: np.mean([wn.get_node(u).coordinates, wn.get_node(v).coordinates], axis=0)
                       for n, (u, v) in ends.items()}, index=["x", "y"]).T
    plain = CorrelationLocalizer(top_k=3).fit(S, ends)
    crew = CorrelationLocalizer(top_k=3).fit(S, ends, pipe_xy=xy)
    observed = S["31"] * 4
    top = crew.candidates(observed)
    assert top.attrs["search_radius_m"] >= 0 and len(top) == 3
    # Rank 1 is where the crew's expected walk to the leak is shortest under the probabilities.
    p = crew.predict_proba(observed.to_frame().T).iloc[0]
    short = p.nlargest(60)
    short = short / short.sum()
    pts = xy.loc[short.index].to_numpy()
    expected = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1)) @ short.to_numpy()
    assert top["link_id"].iloc[0] == short.index[int(np.argmin(expected))]
    assert "search_radius_m" not in plain.candidates(observed).attrs      # no positions: most probable first
    # Positions missing for some pipe: the plain ranking, not a crash.
    assert CorrelationLocalizer().fit(S, ends, pipe_xy=xy.iloc[1:]).pipe_xy_ is None


def test_a_large_leak_is_fitted_with_signatures_of_its_own_size():
    from leakdet.localize.leak_size import SIZES_LPS, at_leak_size, nearest_size
    from leakdet.localize.sensitivity import PROBE_LEAK_LPS

    assert nearest_size(None) == nearest_size(-1.0) == PROBE_LEAK_LPS and nearest_size(20.0) == 24.0
    calls = []

    def sized(lps):
        calls.append(lps)
        return sensitivity_matrix(wntr.network.WaterNetworkModel(str(NET1)), LOGGERS, leak_lps=lps)

    S = sized(PROBE_LEAK_LPS)
    ends = {n: (p.start_node_name, p.end_node_name) for n, p in wntr.network.WaterNetworkModel(str(NET1)).pipes()}
    big = sized(SIZES_LPS[-1])
    drop = (big["21"] + big["22"]) / 2                      # a 24 L/s leak on pipe 21
    calls.clear()
    probe_only = CorrelationLocalizer().fit(S, ends).leak_flow(drop, "21")
    assert calls == []                                      # no other size asked for without ``sized``
    loc = CorrelationLocalizer().fit(S, ends, sized=sized)
    assert abs(loc.leak_flow(drop, "21") - 24.0) < 0.1 < abs(probe_only - 24.0)
    assert calls == [SIZES_LPS[-1]]                        # simulated once, then reused
    assert loc.predict(drop.to_frame().T)[0] in {"21", "22", "111"}   # pipes at junctions 21 and 22
    small = (S["21"] + S["22"]) / 2
    assert loc.leak_flow(small, "21") == PROBE_LEAK_LPS     # a probe-sized leak stays at the probe size
    # The size follows the fitted flow and stops where they agree (at most ``rounds`` re-rankings).
    assert at_leak_size(lambda size: (size, 11.0)) == (12.0, 12.0)
    assert at_leak_size(lambda size: (size, 1.0)) == (PROBE_LEAK_LPS, PROBE_LEAK_LPS)


def test_crew_start_is_the_middle_of_near_tied_pipes_and_the_clear_best_otherwise():
    from leakdet.localize.crew import crew_start

    # Five pipes in a row, 100 m apart; a far one at 2 km.
    pos = {"a": 0.0, "b": 100.0, "c": 200.0, "d": 300.0, "e": 400.0, "far": 2000.0}
    distance = lambda x, y: abs(pos[x] - pos[y])          # noqa: E731
    # The largest statistic is at one end of a run of near-ties (noise picks the end).
    tied = pd.Series({"a": 30.0, "b": 29.99, "c": 29.99, "d": 29.99, "e": 29.98, "far": 5.0})
    assert tied.idxmax() == "a" and crew_start(tied, distance) == "c"
    clear = pd.Series({"a": 30.0, "b": 26.0, "c": 25.0, "d": 20.0, "e": 10.0, "far": 5.0})
    assert crew_start(clear, distance) == "a"
    assert crew_start(pd.Series({"a": 3.0, "b": -1.0}), distance) == "a"


def test_crew_start_tempering_flattens_with_model_error():
    from leakdet.detect.night_signature import tempering_for
    from leakdet.localize.crew import GLR_TEMPERING

    stats = pd.DataFrame({"t": [12.0, 11.5, 3.0]}, index=["a", "b", "c"])
    # 33 loggers: noise alone leaves about 32 of whitened energy after the best pipe's fit.
    stats.attrs.update(energy=144.0 + 30.0, n=33)
    assert tempering_for(stats) == GLR_TEMPERING
    # Four times that much unexplained: the nominal model misses the drop; the ranking flattens.
    stats.attrs.update(energy=144.0 + 128.0)
    assert tempering_for(stats) == pytest.approx(GLR_TEMPERING / 4)
    assert tempering_for(pd.DataFrame({"t": [1.0]})) == GLR_TEMPERING     # no energy known
