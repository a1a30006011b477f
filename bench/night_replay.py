"""Replay the night-signature scan alone over a kept year run, with other parameters.

A year run takes 6-10 minutes and mixes four detectors, merging and holding; the
signature scan's own trade-off (how early it alarms on a growing leak against how often
it alarms with no leak) depends only on the nights it sees. This replays the scan over
the residual files a kept ``bench.ltown_year`` run left (``BNW_KEEP_SCRATCH=1``), each
night in that night's operating state, and scores its alarms with the BattLeDIM rules
(an alarm within 300 m of an earlier one in the last 30 days counts as its update, as
events merge in the daily run).

    uv run python -m bench.night_replay --database NAME --work-dir DIR --set k=6 --set h=20

Prints the summary and the per-leak table; nothing is written.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

MERGE_RADIUS_M, MERGE_DAYS = 300.0, 30


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database", required=True)
    ap.add_argument("--work-dir", required=True, type=Path)
    ap.add_argument("--set", action="append", default=[], help="scan parameter NAME=VALUE (repeatable)")
    ap.add_argument("--scan", choices=("signature", "drift"), default="signature")
    args = ap.parse_args()

    from bench.report import use_kept_run

    use_kept_run(args.database, args.work_dir)
    params = {k: float(v) if "." in v else int(v) for k, v in (s.split("=", 1) for s in args.set)}
    alarms = replay(args.work_dir, params, args.scan)
    summary, per_leak = score(alarms, args.work_dir / "bench" / "ltown" / "scada")
    print(params, summary)
    print(per_leak.to_string())


def replay(work: Path, params: dict, which: str = "signature") -> pd.DataFrame:
    """The scan's alarms over the kept run's days. The drift scan is told of the run's own
    events (other than its own) on the local day of their first alarm, as the daily run tells it."""
    from sqlalchemy import text

    from leakdet.detect.night_drift import NIGHT_DRIFT_KEY, NightDriftScan
    from leakdet.detect.night_drift import SENSOR_ID as DRIFT_ID
    from leakdet.detect.night_signature import NIGHT_SIGNATURE_KEY, NightSignatureScan
    from leakdet.hydraulics.model_store import fetch_network
    from leakdet.hydraulics.operating_state import read_state
    from leakdet.localize.nearest_pipes import network_points
    from leakdet.network.sensor_map import load_sensors
    from leakdet.pipeline import daily
    from platform_core.db import get_engine

    network = "l-town"
    with get_engine().connect() as conn:
        stored = fetch_network(conn, network)
        sensors = load_sensors(conn, network)
        _, pipes_xy = network_points(conn, stored.id)
        key = NIGHT_DRIFT_KEY if which == "drift" else NIGHT_SIGNATURE_KEY
        states = conn.execute(text(f"SELECT as_of_day, state->'{key}' FROM water.detector_state "
                                   "WHERE network_id = :n ORDER BY 1"), {"n": stored.id}).all()
        noted = {pd.Timestamp(r.first).tz_convert("Asia/Brunei").date() for r in conn.execute(text(
            "SELECT COALESCE(details->>'first_alarm_at', detected_at::text) AS first FROM water.leak_events "
            "WHERE network_id = :n AND details->'sensors' <> CAST(:d AS jsonb)"),
            {"n": stored.id, "d": f'["{DRIFT_ID}"]'})}
    # The first state is training's (leak-free nights learned); the scan is replayed from the day after.
    state, days = states[0][1], [r[0] for r in states[1:]]
    rows = []
    for day in days:
        folder = work / "leakdet" / network / day.isoformat()
        if not (folder / daily.RESIDUALS_FILE).exists():
            continue
        loc = daily._localizers(network, stored, sensors, True, read_state(folder / daily.STATE_FILE), pipes_xy)
        kind = NightDriftScan if which == "drift" else NightSignatureScan
        scan = kind(loc.correlation.pipe_signatures(), sized=loc.correlation.pipe_signatures,
                    distance=daily._pipe_distance(stored), **params)
        alarms, state = scan.step_day(pd.read_parquet(folder / daily.RESIDUALS_FILE), state)
        if which == "drift" and day in noted:
            scan.note_event(state, day.isoformat())
        rows += [{"detected_at": a.detected_at, "link_id": a.candidates[0][0], "strength": a.strength,
                  "start": a.estimated_start} for a in alarms]
    return pd.DataFrame(rows, columns=["detected_at", "link_id", "strength", "start"])


def score(alarms: pd.DataFrame, truth: Path) -> tuple[dict, pd.DataFrame]:
    from leakdet.evaluate.battledim import evaluate
    from leakdet.evaluate.network_distance import PipeDistance
    from leakdet.evaluate.run import load_truth
    from leakdet.hydraulics.model_store import fetch_network
    from platform_core.db import get_engine

    with get_engine().connect() as conn:
        distance = PipeDistance(fetch_network(conn, "l-town").load())
    kept = []
    for a in alarms.itertuples():
        if not any(a.detected_at - k.detected_at <= pd.Timedelta(days=MERGE_DAYS)
                   and distance(a.link_id, k.link_id) <= MERGE_RADIUS_M for k in kept):
            kept.append(a)
    events = pd.DataFrame([{"event_id": i, "link_id": a.link_id, "detected_at": a.detected_at}
                           for i, a in enumerate(kept)], columns=["event_id", "link_id", "detected_at"])
    leaks, flows = load_truth(truth)
    result = evaluate(events, leaks, flows, distance)
    s = result.summary
    return ({k: s[k] for k in ("TP", "FP", "repeats", "median_distance_m", "median_delay_days_abrupt",
                               "median_delay_days_incipient", "score_pct_of_perfect")} | {"alarms": len(alarms)},
            result.per_leak[["leak_id", "kind", "delay_h", "distance_m"]])


if __name__ == "__main__":
    main()
