"""End-to-end demo: a week of the Brunei-Muara demonstration network and a monsoon storm.

Run by ``make demo``. It uses the same functions the CLIs and DAGs use; the daily leak run
goes through the real ``leak_daily`` Airflow DAG (``dag.test()``) unless ``--no-airflow``.
Demo data go to their own database (``bnwater`` by default) and to ``work/`` and ``reports/``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from platform_core.settings import REPO_ROOT, get_settings

console = Console(width=120)


def step(title: str):
    console.rule(f"[bold]{title}")
    return time.perf_counter()


def setup_airflow_home() -> None:
    home = get_settings().work_dir / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("AIRFLOW_HOME", str(home))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(REPO_ROOT / "dags"))
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    # The DAGs take the platform database from the bnw_postgis Airflow connection: give the demo's
    # runs the database the rest of the demo uses (a deployment defines the connection itself).
    os.environ.setdefault("AIRFLOW_CONN_BNW_POSTGIS",
                          get_settings().database_url.replace("postgresql+psycopg://", "postgresql://", 1))
    # As the DAG processor does for its bundle: the DAGs import their shared dags/_bnw_common.py.
    sys.path.insert(0, os.environ["AIRFLOW__CORE__DAGS_FOLDER"])


def leak_week(use_airflow: bool) -> tuple[str, pd.DataFrame]:
    from hydraulic_models.brunei_muara import DEMO_DAYS, DEMO_START, NETWORK_NAME, ORIGIN, network_path
    from leakdet.network.georef import Georeference
    from leakdet.network.inp_import import import_network
    from leakdet.network.sensor_map import import_sensor_map
    from leakdet.pipeline.synthetic import simulate_stored_network
    from leakdet.scada.ingest import ingest_file

    model_dir = REPO_ROOT / "hydraulic_models" / "brunei_muara"
    t = step("1. Network and sensor map → PostGIS")
    res = import_network(network_path(), NETWORK_NAME, Georeference(origin=ORIGIN, anchor="centre"))
    smap = import_sensor_map(model_dir / "sensors.csv", NETWORK_NAME)
    console.print(f"{res.name}: {res.n_nodes} nodes, {res.n_links} links; sensors: {smap}  ({time.perf_counter() - t:.1f} s)")

    t = step(f"2. Synthetic SCADA for {DEMO_DAYS} days (a week of history, then the demo week with the leaks in "
             f"{model_dir / 'demo_leaks.csv'})")
    scada_dir = get_settings().work_dir / "demo" / "scada"
    end = DEMO_START + timedelta(days=DEMO_DAYS)
    sim = simulate_stored_network(NETWORK_NAME, DEMO_START.isoformat(), end.isoformat(), scada_dir,
                                  model_dir / "demo_leaks.csv", seed=7)
    console.print(f"{sim}  ({time.perf_counter() - t:.1f} s)")

    t = step("3. Ingest historian exports")
    table = Table("file", "status", "loaded", "quarantined")
    for f in sorted(scada_dir.glob("scada_*.csv")):
        r = ingest_file(f, NETWORK_NAME)
        table.add_row(f.name, r.status, str(r.rows_loaded), str(r.rows_quarantined))
    console.print(table)
    console.print(f"({time.perf_counter() - t:.1f} s)")

    t = step("4. Daily leak runs" + (" through the leak_daily Airflow DAG" if use_airflow else ""))
    days = [DEMO_START + timedelta(days=i) for i in range(DEMO_DAYS)]
    if use_airflow:
        import pendulum
        from airflow.models import DagBag
        from airflow.utils import db as airflow_db

        airflow_db.initdb()
        dag = DagBag(dag_folder=str(REPO_ROOT / "dags")).get_dag("leak_daily")
        for day in days:
            # A run triggered at Brunei midnight processes the day that just ended.
            after = pendulum.datetime(day.year, day.month, day.day, tz="Asia/Brunei").add(days=1)
            run = dag.test(logical_date=after, run_conf={"network": NETWORK_NAME})
            console.print(f"{day}: leak_daily {run.state}")
            if run.state != "success":
                raise SystemExit(f"leak_daily failed for {day}")
    else:
        from leakdet.pipeline.daily import run_day

        for day in days:
            out = run_day(NETWORK_NAME, day)
            console.print(f"{day}: {out['n_events']} new event(s); flagged sensors: {out['flagged'] or 'none'}")
    console.print(f"({time.perf_counter() - t:.1f} s)")
    truth = pd.read_csv(scada_dir / "ground_truth_leaks.csv")
    return NETWORK_NAME, truth


def leak_summary(network: str, truth: pd.DataFrame) -> list[Path]:
    from leakdet.detect.export import events_frame

    step("Leak events (times in Brunei local time)")
    ev = events_frame(network)
    table = Table("event", "detected", "est. start", "flow L/s", "top candidate pipes (p)")
    for event_id, grp in ev.groupby("event_id", sort=False):
        first = grp.iloc[0]
        bnt = lambda s: pd.Timestamp(s).tz_convert("Asia/Brunei").strftime("%a %d %H:%M")  # noqa: E731
        table.add_row(str(event_id), bnt(first.detected_at), bnt(first.estimated_start),
                      "-" if pd.isna(first.est_flow_lps) else f"{first.est_flow_lps:.1f}",
                      ", ".join(f"{r.link_id} ({r.probability:.2f})" for r in grp.head(3).itertuples()))
    console.print(table)
    console.print("Ground truth, with the nearest event's top candidate:")
    table = Table("leak", "type", "started", "peak L/s", "detected", "delay", "top candidate", "distance")
    for leak in truth.itertuples():
        start = pd.Timestamp(leak.start_utc)
        hits = ev[(ev["rank"] == 1) & (pd.to_datetime(ev["detected_at"]) >= start)]
        best = _nearest_candidate(network, leak.link_id, hits["link_id"].tolist()) if len(hits) else None
        row = hits[hits["link_id"] == best[0]].iloc[0] if best else None
        table.add_row(leak.link_id, leak.kind, start.tz_convert("Asia/Brunei").strftime("%a %d %H:%M"),
                      f"{leak.max_flow_lps:.1f}",
                      pd.Timestamp(row.detected_at).tz_convert("Asia/Brunei").strftime("%a %d %H:%M") if best else "missed",
                      f"{(pd.Timestamp(row.detected_at) - start).total_seconds() / 3600:.1f} h" if best else "-",
                      best[0] if best else "-", f"{best[1]:.0f} m" if best else "-")
    console.print(table)
    from leakdet.evaluate.run import evaluate_network

    score = evaluate_network(network, get_settings().work_dir / "demo" / "scada").summary
    console.print("BattLeDIM-style score of the week: " + ", ".join(
        f"{k} {v}" for k, v in score.items() if k in ("TP", "FP", "FN", "median_distance_m", "score_eur",
                                                    "perfect_eur", "score_pct_of_perfect")))
    reports = get_settings().reports_dir / "leaks" / network
    return sorted(reports.glob("*.html"))


def _nearest_candidate(network: str, true_link: str, candidates: list[str]) -> tuple[str, float] | None:
    """The candidate pipe closest to the true leaking pipe (straight line between midpoints, metres)."""
    from sqlalchemy import text

    from platform_core.db import get_engine

    with get_engine().connect() as conn:
        row = conn.execute(text(
            """SELECT c.link_id, ST_Distance(ST_LineInterpolatePoint(c.geom, 0.5)::geography,
                                             ST_LineInterpolatePoint(t.geom, 0.5)::geography) AS d
               FROM water.links c JOIN water.links t ON t.network_id = c.network_id
               JOIN water.networks n ON n.id = c.network_id
               WHERE n.name = :n AND t.link_id = :t AND c.link_id = ANY(:c) ORDER BY d LIMIT 1"""),
            {"n": network, "t": true_link, "c": candidates}).first()
    return (row.link_id, row.d) if row else None


def storm() -> list[Path]:
    from disaster import pipeline as dp

    t = step("5. Mukim areas (approximation), storm feeds (gauges, grid, forecast, rivers), hourly risk")
    areas = dp.load_demo_areas()
    console.print(areas)
    storm_dir = get_settings().work_dir / "demo" / "rain"
    start, end = pd.Timestamp("2025-01-10 00:00", tz="Asia/Brunei"), pd.Timestamp("2025-01-12 00:00", tz="Asia/Brunei")
    files = dp.simulate_feeds(start, end, storm_dir, seed=3)
    for kind in ("rain_gauge", "rain_grid", "forecast", "river_gauge"):
        for f in files[kind][:1] if kind == "rain_gauge" else files[kind]:     # the JSON repeats the CSV
            res = dp.ingest_feed(f, kind, stations=files["river_stations"][0] if kind == "river_gauge" else None)
            console.print({k: res.get(k) for k in ("file", "status", "loaded", "quarantined", "no_thresholds")
                           if k in res})
    summary = dp.score_hours(start, end)
    console.print(summary)
    peak = pd.Timestamp(summary["peak_hour"]) if summary.get("peak_hour") else end - pd.Timedelta(hours=1)
    out = get_settings().reports_dir / "risk" / f"risk_{peak.tz_convert('Asia/Brunei'):%Y%m%dT%H%M}.html"
    path = dp.render_risk_map(peak, out)
    console.print(f"({time.perf_counter() - t:.1f} s)")
    t = step("6. CAP 1.2 bulletins: Alert, Updates, then Cancel once the storm has passed")
    # Levels fall only after the hold-down, so score some dry hours after the storm.
    after = end + pd.Timedelta(hours=12)
    dp.score_hours(end, after)
    # The demo replays a synthetic storm: start its bulletin history afresh, since an earlier demo
    # run (e.g. with other feeds) may have issued different messages for the same hours, and
    # bulletins refuse to rewrite history that later messages reference.
    from sqlalchemy import text

    from platform_core.db import get_engine

    with get_engine().begin() as conn:
        conn.execute(text("DELETE FROM hazard.bulletins WHERE sent >= :s"), {"s": start.to_pydatetime()})
    bulletins = dp.issue_bulletins_through(start, after)
    console.print({k: bulletins[k] for k in ("hours", "alerts", "updates", "cancels", "feed")})
    console.print(f"({time.perf_counter() - t:.1f} s)")
    return [Path(path), Path(bulletins["feed"])]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--no-airflow", action="store_true", help="call the daily functions directly")
    args = ap.parse_args()
    setup_airflow_home()
    t0 = time.perf_counter()
    network, truth = leak_week(use_airflow=not args.no_airflow)
    leak_maps = leak_summary(network, truth)
    risk_maps = storm()
    step("Maps")
    for p in leak_maps + risk_maps:
        console.print(str(p))
    console.print(f"[green]Demo finished in {time.perf_counter() - t0:.0f} s.[/green]")


if __name__ == "__main__":
    main()
