"""Which alarms make the leak engine's true and false detections, over kept year runs.

A year run scores events; tuning needs to know which path through the engine made each one:
the alarm that raised it (a daytime pressure or zone CUSUM, the minimum-night-flow step, the
night-signature or night-drift scan), whether a night event took in waiting daytime alarms,
whether it is the second part of a split alarm, a relocation of an open event or a new leak
beside one. This scores the kept runs (``BNW_KEEP_SCRATCH=1`` of ``bench.ltown_year``) by the
BattLeDIM rules and counts outcomes per path.

    uv run python -m bench.event_sources --run r1=DATABASE:WORK_DIR [--run ...] [--label L]

With ``--label`` the table is written to docs/benchmarks.md (section ``event-sources-L``).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

NETWORK = "l-town"
DAYTIME = "daytime pressure/zone"


def event_path(event_key: str, details: dict) -> str:
    """How an event was raised, in words: its first alarm's source, then what the merge made of it."""
    source = (details.get("sensors") or ["?"])[0]
    if source not in ("night-signature", "night-drift", "night-flow"):
        source = DAYTIME
    flags = [source]
    if details.get("daytime_alarms"):
        flags.append("took in daytime alarms")
    if event_key.rsplit(":", 1)[-1].isdigit():
        flags.append("second part of a split")
    if details.get("relocates"):
        flags.append("relocates an open event")
    if details.get("beside"):
        flags.append("beside an open event")
    return ", ".join(flags)


def outcomes(database: str, work_dir: Path) -> pd.DataFrame:
    """One row per scored event of a kept run: its path and BattLeDIM outcome (TP, FP, repeat)."""
    from sqlalchemy import text

    from bench.report import use_kept_run
    from leakdet.evaluate.run import evaluate_network
    from platform_core.db import get_engine

    use_kept_run(database, work_dir)
    evaluation = evaluate_network(NETWORK, Path(work_dir) / "bench" / "ltown" / "scada")
    with get_engine().connect() as conn:
        stored = pd.read_sql(text("SELECT id AS event_id, event_key, details FROM water.leak_events"), conn)
    rows = evaluation.per_event.merge(stored, on="event_id")
    rows["path"] = [event_path(k, d) for k, d in zip(rows["event_key"], rows["details"])]
    return rows[["event_id", "detected_at", "path", "outcome", "distance_m"]]


def table(per_run: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Outcome counts per path, summed over runs."""
    every = pd.concat([df.assign(run=name) for name, df in per_run.items()])
    counts = pd.crosstab(every["path"], every["outcome"]).reindex(columns=["TP", "FP", "repeat"], fill_value=0)
    counts["runs with it"] = every.groupby("path")["run"].nunique()
    return counts.sort_values(["TP", "FP"], ascending=False)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", action="append", required=True, metavar="NAME=DATABASE:WORK_DIR")
    ap.add_argument("--label", default=None)
    args = ap.parse_args()
    per_run = {}
    for spec in args.run:
        name, rest = spec.split("=", 1)
        database, work = rest.split(":", 1)
        per_run[name] = _in_subprocess(database, Path(work))
    counts = table(per_run)
    print(counts.to_string())
    if args.label:
        from bench.report import write_section

        lines = ["| path | TP | FP | repeat | runs |", "|---|---|---|---|---|"]
        lines += [f"| {p} | {r['TP']} | {r['FP']} | {r['repeat']} | {r['runs with it']} |" for p, r in counts.iterrows()]
        body = (f"### Event paths: {args.label} (`bench/event_sources.py`)\n\n"
                f"Scored events of the kept runs {', '.join(per_run)} by the alarm that raised them "
                "(BattLeDIM rules; unconfirmed events are not scored).\n\n" + "\n".join(lines))
        write_section(f"event-sources-{args.label}", body)


def _in_subprocess(database: str, work: Path) -> pd.DataFrame:
    """:func:`outcomes` in a child process: settings and the database engine are built once per
    process from the environment, and each run points them elsewhere."""
    import json
    import subprocess
    import sys

    code = ("import sys; from bench.event_sources import outcomes; "
            "df = outcomes(sys.argv[1], sys.argv[2]); df['detected_at'] = df['detected_at'].astype(str); "
            "print(df.to_json(orient='records'))")
    out = subprocess.run([sys.executable, "-c", code, database, str(work)], check=True, capture_output=True,
                         text=True, cwd=Path(__file__).resolve().parent.parent).stdout
    return pd.DataFrame(json.loads(out.strip().splitlines()[-1]))


if __name__ == "__main__":
    main()
