"""Night-scan localization alone: many leaks, a perturbed "true" model, real night noise.

A year run scores a dozen leaks, and one change moves its events chaotically, so it cannot
tell two ways of ranking pipes apart. This bench localizes hundreds of leaks with the
night scans' statistic and compares rank-1 rules on the same draws:

- the leak's drop: a sensitivity matrix of a perturbed "true" L-Town (roughness and
  junction demands drawn as the synthetic year draws them), at random junctions and
  several sizes, in the network's operating state of one night;
- the noise: drop vectors of ordinary nights of a kept ``bench.ltown_year`` run (the
  reference median minus the night, as the signature scan forms them; nights where no
  pipe's statistic reaches 8 either way), or Gaussian with the scan's own covariance;
- the ranking: the signature scan's statistic against the nominal model's matrices at the
  leak's own size, then each rule's rank-1 pipe, scored by network distance to the leak.

Needs a kept run: ``BNW_KEEP_SCRATCH=1 uv run python -m bench.ltown_year ...`` prints the
database it kept; then ``uv run python -m bench.night_localization --database NAME
--work-dir DIR`` (DIR is that run's ``BNW_WORK_DIR``).
"""
from __future__ import annotations

import argparse
import copy
from datetime import date, timedelta
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from bench.report import write_section

SIZES_TRUE = (2.0, 4.0, 8.0)       # L/s: leaks at the edge of detection, typical, large
MIN_T = 8.0                        # a night the signature scan would alarm on (its allowance k)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database", required=True, help="database kept by a bench.ltown_year run")
    ap.add_argument("--work-dir", required=True, type=Path, help="BNW_WORK_DIR of that run")
    ap.add_argument("--day", default="2018-03-01", help="night whose operating state and noise are used")
    ap.add_argument("--junctions", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--label", default="night-localization")
    args = ap.parse_args()

    from bench.report import use_kept_run

    use_kept_run(args.database, args.work_dir)
    result = run(args.work_dir, date.fromisoformat(args.day), args.junctions, args.seed)
    write_section(args.label, report(result, args))
    print(report(result, args))


def run(work: Path, day: date, n_junctions: int, seed: int) -> pd.DataFrame:
    from sklearn.covariance import LedoitWolf
    from sqlalchemy import text

    from leakdet.detect.night_signature import NOISE_FLOOR_M, NightSignatureScan
    from leakdet.detect.nights import night_residuals
    from leakdet.hydraulics.model_store import fetch_network
    from leakdet.hydraulics.operating_state import read_state
    from leakdet.localize.crew import crew_start
    from leakdet.localize.nearest_pipes import network_points
    from leakdet.localize.sensitivity import sensitivity_matrix
    from leakdet.network.sensor_map import load_sensors
    from leakdet.pipeline import daily
    from leakdet.synth.truth_model import perturb
    from platform_core.db import get_engine

    network, rng = "l-town", np.random.default_rng(seed)
    with get_engine().connect() as conn:
        stored = fetch_network(conn, network)
        sensors = load_sensors(conn, network)
        _, pipes_xy = network_points(conn, stored.id)
        states = {r.as_of_day: r.state for r in conn.execute(text(
            "SELECT as_of_day, state FROM water.detector_state WHERE network_id = :n"), {"n": stored.id})}
    night_state = read_state(work / "leakdet" / network / day.isoformat() / daily.STATE_FILE)
    localizers = daily._localizers(network, stored, sensors, True, night_state, pipes_xy)
    corr = localizers.correlation
    scan = NightSignatureScan(corr.pipe_signatures(), sized=corr.pipe_signatures)
    loggers = list(scan.signatures.index)
    reference = states[day - timedelta(days=1)]["night_signature"]["nights"]

    # Noise 1: ordinary nights of the run, as the scan saw them (reference median minus the night).
    real = []
    for d in sorted(states):
        f = work / "leakdet" / network / d.isoformat() / daily.RESIDUALS_FILE
        prev = states.get(d - timedelta(days=1))
        if prev is None or not f.exists():
            continue
        night = night_residuals(pd.read_parquet(f))
        tested = scan.statistics(prev["night_signature"]["nights"], night["res"]) if night else None
        if tested is not None and tested[0]["t"].max() < MIN_T and -tested[0]["t"].min() < MIN_T:
            real.append(tested[1].reindex(loggers).fillna(0.0).to_numpy())
    # Noise 2: Gaussian, with the covariance the scan estimates from its reference nights.
    hist = pd.DataFrame([n["res"] for n in reference]).reindex(columns=loggers)
    hist = hist.fillna(hist.median())
    ref_median = hist.median()           # the scan's reference level (see NightSignatureScan.statistics)
    diffs = np.diff(hist.to_numpy(), axis=0) / np.sqrt(2.0)
    cov = LedoitWolf().fit(diffs).covariance_ + NOISE_FLOOR_M ** 2 * np.eye(len(loggers))

    # The "true" network: the nominal one with perturbed roughness and junction demands.
    wn = stored.load()
    night_state.apply(wn)
    noise = perturb(wn, np.random.default_rng(10_000 + seed), 24)
    for name, category, row in zip(noise.junctions, noise.categories, noise.multipliers):
        wn.get_node(name).demand_timeseries_list[category - 1].base_value *= float(row[3])
    sensor_nodes = dict(zip(sensors["sensor_id"], sensors["element_id"]))
    sensor_nodes = {s: sensor_nodes[s] for s in loggers}
    leaks = list(rng.choice(wn.junction_name_list, size=n_junctions, replace=False))
    true = {q: sensitivity_matrix(copy.deepcopy(wn), sensor_nodes, leak_lps=q, candidates=leaks,
                                  demand_compensated=True) for q in SIZES_TRUE}

    distance = daily._pipe_distance(stored)

    def to_leak(pipe_set: list[str], junction: str) -> list[float]:
        # Midpoint of each reported pipe to the leaking junction, along the network.
        dj = nx.single_source_dijkstra_path_length(distance.graph, junction, weight="w")
        inf = float("inf")
        return [distance.half[p] + min(dj.get(distance.ends[p][0], inf), dj.get(distance.ends[p][1], inf))
                for p in pipe_set]

    rows = []
    for junction in leaks:
        for q in SIZES_TRUE:
            x0 = true[q][junction].to_numpy()
            for kind in ("real", "gaussian"):
                e = real[rng.integers(len(real))] if kind == "real" else rng.multivariate_normal(np.zeros(len(x0)), cov)
                current = ref_median - (x0 + e)          # the night that shows drop x0 + e
                seen = scan._at_leak_size(reference, current.to_dict())
                t = seen[0]["t"]
                if t.max() < MIN_T:
                    continue
                # The scan's whitened energy of the drop (its statistics carry it), less the best fit's.
                resid = max(seen[0].attrs["energy"] - float(t.max()) ** 2, 1e-9)
                adaptive = min(1.0, (seen[0].attrs["n"] - 1) / resid)     # reduced chi-square of the best fit
                picks = {"largest t": str(t.idxmax()),
                         "softmax t/max t (session 13)": _softmax_crew(t, pipes_xy),
                         **{f"crew start, tempering {g}": crew_start(t, distance, tempering=g)
                            for g in (0.2, 0.4, 0.8)},
                         "crew start, tempering (n-1)/residual": crew_start(t, distance, tempering=adaptive)}
                d = dict(zip(picks, to_leak(list(picks.values()), junction)))
                rows.append({"junction": junction, "size_lps": q, "noise": kind, "t_max": float(t.max()), **d})
    out = pd.DataFrame(rows)
    out.attrs.update(n_real=len(real), day=day.isoformat())
    return out


def _softmax_crew(t: pd.Series, pipes_xy: pd.DataFrame) -> str:
    """Session 13's variant (2): least expected straight-line distance under a softmax (40) on t / max t."""
    from leakdet.localize.crew import crew_candidates

    top = t.nlargest(60)
    p = np.exp(40.0 * (top / top.max() - 1.0)).to_numpy()
    xy = pipes_xy.loc[top.index, ["x", "y"]].to_numpy(dtype=float)
    return str(crew_candidates(top.index.to_numpy(), xy, p / p.sum(), 1, 0.8)["link_id"].iloc[0])


def report(df: pd.DataFrame, args) -> str:
    rules = [c for c in df.columns if c not in ("junction", "size_lps", "noise", "t_max")]
    lines = [f"## Night-scan localization alone (`bench/night_localization.py`, run \"{args.label}\")", "",
             f"{args.junctions} random L-Town junctions x leaks of {', '.join(f'{q:g}' for q in SIZES_TRUE)} L/s, "
             f"seed {args.seed}, operating state and reference nights of {df.attrs['day']}; a perturbed true model "
             f"(roughness and demands as in the synthetic year); noise drawn from {df.attrs['n_real']} ordinary "
             f"nights of the kept run (\"real\") or Gaussian with the scan's own covariance; only draws whose "
             f"largest statistic reaches {MIN_T:g} (a night the scan would act on). Distance: network distance from "
             f"the rank-1 pipe's midpoint to the leak.", ""]
    for kind, part in df.groupby("noise"):
        lines += [f"**{kind} noise** ({len(part)} draws)", "",
                  "| rank-1 rule | median m | mean m | within 100 m | within 300 m |", "|---|---|---|---|---|"]
        for r in rules:
            v = part[r]
            lines.append(f"| {r} | {v.median():.0f} | {v.mean():.0f} | {(v <= 100).mean():.1%} | {(v <= 300).mean():.1%} |")
        lines.append("")
        by_size = part.groupby("size_lps")[rules].median().round(0)
        lines += ["Median by leak size (L/s):", "", "| size | " + " | ".join(rules) + " |",
                  "|---" * (len(rules) + 1) + "|"]
        lines += [f"| {q:g} | " + " | ".join(f"{v:.0f}" for v in row) + " |" for q, row in by_size.iterrows()]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
