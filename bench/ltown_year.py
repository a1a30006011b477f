"""The leak engine on a synthetic L-Town year: detection, localization, delay, € score, runtime.

Usage: uv run python -m bench.ltown_year [--days 365] [--seed 2018]

Needs ../shared/data/networks/L-TOWN.inp and ltown-2018-leaks.yalm. The "true" network
differs from the nominal model the engine gets (roughness ±5 %, junction demand bias ±5 %,
neighbourhood demand noise 5 %, day-to-day 3 %, sensor noise and gaps); the engine sees
only the nominal model, the 33 pressure loggers, the three inflow meters and the tank level.
Runtime of `leakdet detect` is compared with the raw EPANET time for the same days.
``--mismatch harsh`` triples the model error and adds a yearly swing of demand
(see ``MISMATCH``), to check that the engine holds on a network known worse than ours.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd

from bench.report import scratch_database, write_section
from platform_core.settings import REPO_ROOT, get_settings

SHARED = REPO_ROOT.parent / "shared" / "data" / "networks"
NETWORK = "l-town"
ENGINE = ("residual CUSUM per logger on an hour-of-week baseline (hour-of-day until each hour of the week is "
          "seen twice; k=1, h=50, baseline learning rate 0.1, 2 warm-up days) with measured "
          "boundary conditions; minimum-night-flow CUSUM over nights (alarms only with a logger drop of "
          ">= 10 robust spreads); night-signature scan (whitened matched filter per pipe over nights, "
          "CUSUM k 6, h 20, and a CUSUM per pipe on its own statistic, k 2, h 15) and night-drift scan, each reporting first the pipe a crew reaches the leak "
          "from soonest under the likelihood tempered by the alarm's unexplained energy; pressure events under 10 L/s wait for the night after them "
          "(a night event within 1000 m takes them in; one it does not, after a night the scans tested, is "
          "raised unconfirmed, without a crew); alarms within 300 m of an open event update it; "
          "localization by correlation with the demand-compensated sensitivity matrix")


# Truth-model settings (leakdet.synth.truth_model.perturb); "standard" is the function's defaults.
MISMATCH = {
    "standard": {},
    "harsh": {"roughness_sigma": 0.15, "demand_bias_sigma": 0.15, "demand_noise": 0.08, "daily_sigma": 0.05,
              "seasonal_amplitude": 0.10},
}


LEARNED = ("; trained first on the first days of the year (`leakdet train`, schedule leaks blanked as known), "
           "localization by the mean of the XGBoost pair and correlation probabilities (rank 1 = least expected distance)")


def mismatch_text(name: str) -> str:
    if name == "standard":
        return ""
    m = MISMATCH[name]
    return (f", **{name} mismatch**: roughness ±{m['roughness_sigma']:.0%}, junction demand bias "
            f"±{m['demand_bias_sigma']:.0%}, hourly demand noise {m['demand_noise']:.0%}, day-to-day "
            f"{m['daily_sigma']:.0%}, yearly demand swing ±{m['seasonal_amplitude']:.0%}")


def random_schedule(inp: Path, start: pd.Timestamp, end: pd.Timestamp, args) -> Path:
    """A schedule of ``args.n_leaks`` leaks drawn at random (seed ``args.random_leaks``) on L-Town's pipes,
    none in the training days; written to the work directory (the scorer reads the truth's copy)."""
    import wntr

    from leakdet.synth.random_schedule import random_leak_schedule, write_leak_schedule

    pipes = wntr.network.WaterNetworkModel(str(inp)).pipe_name_list
    local = "Asia/Brunei"
    leaks = random_leak_schedule(pipes, start.tz_localize(local), end.tz_localize(local), args.n_leaks,
                                 seed=args.random_leaks, quiet_days=max(args.train_days, 1) + 1)
    return write_leak_schedule(leaks, get_settings().work_dir / "bench" / "ltown" / "random-leaks.csv")


def schedule_text(args) -> str:
    if args.random_leaks is None:
        return "BattLeDIM 2018 leak schedule"
    return f"**{args.n_leaks} leaks drawn at random** (`--random-leaks {args.random_leaks}`, other pipes and dates)"


def sensor_map(yalm: Path, out: Path) -> Path:
    sections, current = {}, None
    for line in yalm.read_text().splitlines():
        if line and not line.startswith((" ", "-", "#")) and line.rstrip().endswith(":"):
            current = line.strip()[:-1]
            sections[current] = []
        elif current and line.strip().startswith("- ") and "," not in line:
            sections[current].append(line.strip()[2:].strip())
    rows = [(f"P_{n}", "pressure", n, "m") for n in sections.get("pressure_sensors", [])]
    rows += [(f"Q_{l}", "flow", l, "m3/h") for l in sections.get("flow_sensors", [])]
    rows += [(f"L_{t}", "level", t, "m") for t in sections.get("level_sensors", [])]
    pd.DataFrame(rows, columns=["sensor_id", "kind", "element_id", "unit"]).to_csv(out, index=False)
    return out


def events_table(per_event: pd.DataFrame) -> pd.DataFrame:
    """Each scored event with what raised it and how it was localized (for diagnosis)."""
    from sqlalchemy import text

    from platform_core.db import get_engine

    with get_engine().connect() as conn:
        details = pd.read_sql(text(
            """SELECT e.id AS event_id, details->'sensors' AS alarms, details->>'localization' AS localization,
                      details->'classical_candidates'->0->>0 AS classical_top, c.link_id AS final_top,
                      details->'pressure_recovered'->>'observed_at' AS pressure_recovered, est_flow_lps,
                      details->'signature_m' AS signature_m, estimated_start
               FROM water.leak_events e LEFT JOIN water.leak_candidates c ON c.event_id = e.id AND c.rank = 1"""),
            conn)
    return per_event.merge(details, on="event_id", how="left")


def flow_error(events_csv: Path, flows_csv: Path) -> str:
    """Median |estimated - true| leak flow (L/s) of the true positives, at their detection time."""
    events = pd.read_csv(events_csv, parse_dates=["detected_at"])
    tp = events[events["outcome"] == "TP"]
    if tp.empty:
        return "-"
    flows = pd.read_csv(flows_csv, parse_dates=["timestamp_utc"]).set_index("timestamp_utc")
    true = pd.Series([flows[l].asof(t) for l, t in zip(tp["leak_id"], tp["detected_at"])], index=tp.index)
    err = (tp["est_flow_lps"] - true).abs()
    return f"{err.median():.1f} L/s ({int(err.notna().sum())} of {len(tp)} with an estimate)"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=2018)
    ap.add_argument("--label", default="current", help="section name in docs/benchmarks.md (keeps earlier runs)")
    ap.add_argument("--train-days", type=int, default=0,
                    help="run `leakdet train` on the first N days (leaks of the schedule blanked as known), "
                         "then detect on the rest")
    ap.add_argument("--reuse-truth", action="store_true",
                    help="reuse the synthetic SCADA of an earlier run with the same days, seed and leaks")
    ap.add_argument("--zones", type=int, default=None, help="signature zones of the multivariate CUSUM (0 = off)")
    ap.add_argument("--n-candidates", type=int, default=None,
                    help="pipes the learned localizer scores per signature (default: the estimator's)")
    ap.add_argument("--profile", action="store_true",
                    help="profile `leakdet detect` (cProfile; top functions printed, stats in work/bench/ltown)")
    ap.add_argument("--leak-free", action="store_true",
                    help="simulate the year without any leak: every event is a false alarm (documents the FA rate)")
    ap.add_argument("--mismatch", choices=sorted(MISMATCH), default="standard",
                    help="how far the true network is from the nominal model (see MISMATCH)")
    ap.add_argument("--random-leaks", type=int, default=None, metavar="SEED",
                    help="instead of the BattLeDIM 2018 schedule, leaks drawn at random (seed SEED) on other pipes "
                         "and dates (leakdet.synth.random_schedule): does the engine hold on leaks it was not tuned on?")
    ap.add_argument("--n-leaks", type=int, default=14, help="leaks drawn with --random-leaks")
    ap.add_argument("--engine-model", type=Path, default=None,
                    help="INP the engine is given instead of the nominal L-Town (with --reuse-truth: the truth "
                         "stays the one drawn from the nominal model; e.g. bench.truth_inp's oracle model)")
    args = ap.parse_args()
    if args.engine_model is not None and not args.reuse_truth:
        raise SystemExit("--engine-model needs --reuse-truth: the truth is drawn from the engine's stored model")
    if args.zones is not None:
        import os

        os.environ["BNW_LEAK_ZONES"] = str(args.zones)
    inp, yalm = SHARED / "L-TOWN.inp", SHARED / "ltown-2018-leaks.yalm"
    if not inp.exists():
        raise SystemExit(f"{inp} not found: this benchmark needs ../shared")
    from leakdet.evaluate.run import evaluate_network
    from leakdet.network.georef import Georeference
    from leakdet.network.inp_import import import_network
    from leakdet.network.sensor_map import import_sensor_map
    from leakdet.pipeline.daily import run_range
    from leakdet.pipeline.synthetic import simulate_stored_network
    from leakdet.scada.ingest import ingest_file

    work = get_settings().work_dir / "bench" / "ltown"
    work.mkdir(parents=True, exist_ok=True)
    start = pd.Timestamp("2018-01-01")
    end = start + pd.Timedelta(days=args.days)
    timings = {}
    with scratch_database():
        import_network(args.engine_model or inp, NETWORK, Georeference(origin=(4.90, 114.93), anchor="centre"))
        import_sensor_map(sensor_map(yalm, work / "sensors.csv"), NETWORK)
        t = time.perf_counter()
        schedule = yalm
        if args.leak_free:
            schedule = work / "no-leaks.csv"
            schedule.write_text("link_id,start,end,diameter_m,type,peak\n")
        elif args.random_leaks is not None:
            schedule = random_schedule(inp, start, end, args)
        marker = work / "scada" / "truth.json"
        truth_id = {"days": args.days, "seed": args.seed, "leak_free": args.leak_free}
        if args.mismatch != "standard":     # old markers (no key) stay valid for the standard truth
            truth_id["mismatch"] = args.mismatch
        if args.random_leaks is not None:
            truth_id["random_leaks"] = [args.random_leaks, args.n_leaks]
        stored_truth = json.loads(marker.read_text()) if marker.exists() else {}
        # A truth of more days serves a shorter run (the same year from its start).
        if args.reuse_truth and stored_truth.get("days", 0) >= args.days and \
                {**stored_truth, "days": args.days} == truth_id:
            print("reusing the synthetic SCADA in", marker.parent)
        else:
            if args.engine_model is not None:
                raise SystemExit(f"no truth of these days and seed in {marker.parent} to reuse with --engine-model")
            if marker.exists():
                marker.unlink()
            simulate_stored_network(NETWORK, start.isoformat(), end.isoformat(), work / "scada", schedule,
                                    seed=args.seed, **MISMATCH[args.mismatch])
            marker.write_text(json.dumps(truth_id))
            timings["simulate_truth_s"] = time.perf_counter() - t
        t = time.perf_counter()
        for f in sorted((work / "scada").glob("scada_*.csv")):
            if start.date().isoformat() <= f.stem[6:] < end.date().isoformat():
                ingest_file(f, NETWORK)
        timings["ingest_s"] = time.perf_counter() - t
        detect_from = start + pd.Timedelta(days=args.train_days)
        if args.train_days:
            from leakdet.pipeline.train import train

            t = time.perf_counter()
            options = {"n_candidates": args.n_candidates} if args.n_candidates else {}
            trained = train(NETWORK, start.date(), (detect_from - pd.Timedelta(days=1)).date(),
                            known_leaks=schedule, **options)
            timings["train_s"] = time.perf_counter() - t
            print(json.dumps(trained, default=str))
        t = time.perf_counter()
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        days = run_range(NETWORK, detect_from.date(), (end - pd.Timedelta(days=1)).date(), maps=False)
        timings["detect_s"] = time.perf_counter() - t
        if profiler:
            import pstats

            profiler.disable()
            profiler.dump_stats(work / f"detect-{args.label}.prof")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        failed = [d for d in days if "error" in d]
        result = evaluate_network(NETWORK, work / "scada", start=detect_from.tz_localize("Asia/Brunei"))
        final = evaluate_network(NETWORK, work / "scada", start=detect_from.tz_localize("Asia/Brunei"), latest=True)
        # Events raised without a crew, scored alone: how many were real leaks (within 300 m of one running).
        doubt = evaluate_network(NETWORK, work / "scada", start=detect_from.tz_localize("Asia/Brunei"),
                                 statuses=("unconfirmed",)).per_event
        events_table(result.per_event).to_csv(work / f"events-{args.label}.csv", index=False)
    starts = pd.to_datetime(result.per_leak["start_utc"], utc=True)
    active = result.per_leak[starts < end.tz_localize("Asia/Brunei")]
    (work / "evaluation.json").write_text(json.dumps({"summary": result.summary, "timings": timings}, indent=2,
                                                     default=str))
    s = result.summary
    months = args.days / 30.4
    flow_err = flow_error(work / f"events-{args.label}.csv", work / "scada" / "ground_truth_leak_flows.csv")
    table = "\n".join(
        f"| {r.link_id} | {r.kind} | {'-' if pd.isna(r.delay_h) else f'{r.delay_h / 24:.1f}'} | "
        f"{'-' if pd.isna(r.distance_m) else f'{r.distance_m:.0f}'} | {r.score_eur:,.0f} |"
        for r in active.itertuples())
    body = f"""## Leak engine on a synthetic L-Town year (`bench/ltown_year.py`, run "{args.label}")

{args.days} days from 2018-01-01, {"NO leaks (false-alarm run)" if args.leak_free else f"{schedule_text(args)} ({len(active)} leaks starting in the period)"},
seed {args.seed}; true network perturbed from the nominal model (see the script's docstring){mismatch_text(args.mismatch)}.
Engine: {ENGINE}{LEARNED if args.train_days else ''}.

| measure | value | goal (issue 3) |
|---|---|---|
| leaks detected (TP / all) | {s['TP']} / {s['leaks']} ({100 * (s['detected_share'] or 0):.0f} %) | ≥ 90 % |
| false alarms | {s['FP']} ({s['FP'] / months:.1f} per month) | ≤ 1 per month |
| repeat detections | {s['repeats']} | |
| unconfirmed alarms (shown to the analyst, no crew; not scored) | {len(doubt)}, of which {int(doubt['outcome'].isin(['TP', 'repeat']).sum()) if len(doubt) else 0} within 300 m of a running leak | |
| median localization error (network distance, TPs) | {s['median_distance_m'] if s['median_distance_m'] is None else f"{s['median_distance_m']:.0f} m"} | ≤ 100 m |
| ... scoring each event's final rank-1 pipe (after re-localization) | {final.summary['TP']} TP, median {final.summary['median_distance_m'] if final.summary['median_distance_m'] is None else f"{final.summary['median_distance_m']:.0f} m"}, {final.summary['score_pct_of_perfect']} % of perfect | |
| median flow error, TPs (estimate vs true flow at detection) | {flow_err} | |
| median delay, abrupt | {s['median_delay_days_abrupt'] if s['median_delay_days_abrupt'] is None else f"{s['median_delay_days_abrupt']:.1f} d"} | ≤ 1 d |
| median delay, incipient | {s['median_delay_days_incipient'] if s['median_delay_days_incipient'] is None else f"{s['median_delay_days_incipient']:.1f} d"} | ≤ 7 d |
| BattLeDIM score | €{s['score_eur']:,.0f} of €{s['perfect_eur']:,.0f} perfect ({s['score_pct_of_perfect']} %) | |
| `leakdet detect` runtime | {timings['detect_s']:.0f} s for {len(days)} days ({len(failed)} failed) | ≤ 600 s / year |
| `leakdet train` (baseline over {args.train_days} days + scenario library + XGBoost fit) | {f"{timings['train_s']:.0f} s" if 'train_s' in timings else 'not run'} | |
| truth simulation (EPANET toolkit stepping) | {f"{timings['simulate_truth_s']:.0f} s" if 'simulate_truth_s' in timings else 'reused from an earlier run'} | |
| ingest of the exports | {timings['ingest_s']:.0f} s | |

| leak | type | delay (days) | distance (m) | € |
|---|---|---|---|---|
{table}
"""
    print(body)
    write_section(f"ltown-year-{args.label}", body)


if __name__ == "__main__":
    main()
