"""Was a missed leak visible at all? Each leak of a kept L-Town year beside its pipe's coverage.

For every leak of the run's schedule: its largest true flow, the flow the night-signature scan
needs at that pipe to alarm within a week (:func:`leakdet.pipeline.coverage.network_coverage`,
as of the night before the leak began), and what the engine made of it. A leak found although
below its pipe's week flow was found by another detector (or grew past it); one missed although
well above it is the engine's failure, not physics.

    uv run python -m bench.leak_visibility --database NAME --work-dir DIR
"""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

NETWORK = "l-town"


def visibility(truth_dir: Path, start) -> pd.DataFrame:
    """Per leak of the evaluated run (index ``leak_id``): pipe, kind, peak flow (L/s), the pipe's
    one-week flow as of the day before the leak began (L/s), delay (d), distance (m), €."""
    from leakdet.errors import LeakdetError
    from leakdet.evaluate.run import evaluate_network, load_truth
    from leakdet.pipeline.coverage import network_coverage

    result = evaluate_network(NETWORK, truth_dir, start=start)
    _, flows = load_truth(truth_dir)
    rows = []
    for r in result.per_leak.itertuples():
        begun = pd.Timestamp(r.start_utc)
        begun = (begun.tz_localize("UTC") if begun.tzinfo is None else begun).tz_convert("Asia/Brunei")
        try:
            cover = network_coverage(NETWORK, (begun - pd.Timedelta(days=1)).date())
            week = float(cover.loc[r.link_id, "lps_within_7_nights"])
        except (LeakdetError, ValueError, KeyError):    # too few reference nights that day: unknown, not zero
            week = float("nan")
        rows.append({"leak_id": r.leak_id, "link_id": r.link_id,
                     "kind": r.kind, "start": begun.date(), "peak_lps": float(flows[r.leak_id].max()),
                     "week_lps": week, "delay_d": r.delay_h / 24, "distance_m": r.distance_m,
                     "score_eur": r.score_eur})
    return pd.DataFrame(rows).set_index("leak_id")


def markdown(table: pd.DataFrame) -> str:
    def num(v, fmt):
        return "-" if pd.isna(v) else format(v, fmt)
    lines = ["| leak | type | start | peak (L/s) | needs in a week (L/s) | delay (d) | distance (m) | € |",
             "|---|---|---|---|---|---|---|---|"]
    for r in table.itertuples():
        lines.append(f"| {r.link_id} | {r.kind} | {r.start} | {r.peak_lps:.2f} | {num(r.week_lps, '.2f')} | "
                     f"{num(r.delay_d, '.1f')} | {num(r.distance_m, '.0f')} | {r.score_eur:,.0f} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database", required=True)
    ap.add_argument("--work-dir", required=True, type=Path)
    ap.add_argument("--train-days", type=int, default=14)
    args = ap.parse_args()

    from bench.report import use_kept_run

    use_kept_run(args.database, args.work_dir)
    start = (pd.Timestamp("2018-01-01") + pd.Timedelta(days=args.train_days)).tz_localize("Asia/Brunei")
    table = visibility(args.work_dir / "bench" / "ltown" / "scada", start)
    print(markdown(table))


if __name__ == "__main__":
    main()
