"""``leakdet``: the command line of the leak engine (the same functions the DAGs call)."""
from __future__ import annotations

import json
import sys
from functools import partial
from pathlib import Path
from typing import List, Optional

import pandas as pd
import typer
from rich.console import Console

from platform_core.cli import one_line_errors as one_line_errors_for
from rich.table import Table

from leakdet.errors import LeakdetError

app = typer.Typer(help="Water-network leak detection: networks, SCADA, daily runs, events.", no_args_is_help=True)
network_app = typer.Typer(help="EPANET network models.", no_args_is_help=True)
sensors_app = typer.Typer(help="Sensor maps (which element each SCADA tag measures).", no_args_is_help=True)
scada_app = typer.Typer(help="Historian exports: ingest and synthetic generation.", no_args_is_help=True)
events_app = typer.Typer(help="Leak events.", no_args_is_help=True)
app.add_typer(network_app, name="network")
app.add_typer(sensors_app, name="sensors")
app.add_typer(scada_app, name="scada")
app.add_typer(events_app, name="events")
console = Console()
err = Console(stderr=True)


one_line_errors = partial(one_line_errors_for, LeakdetError)


@network_app.command("import")
@one_line_errors()
def network_import(file: Path, name: str = typer.Option(..., "--name", help="Network name"),
                   crs: Optional[str] = typer.Option(None, help="CRS of the model coordinates, e.g. EPSG:5247"),
                   origin: Optional[str] = typer.Option(None, help="LAT,LON of local metre coordinates"),
                   anchor: str = typer.Option("zero", help="With --origin: 'zero' = model (0,0), 'centre' = extent centre")):
    """Load an EPANET .inp file into PostGIS."""
    from leakdet.network.georef import Georeference, parse_origin
    from leakdet.network.inp_import import import_network

    if crs and origin:
        raise LeakdetError("give either --crs or --origin, not both")
    geo = Georeference(crs=crs, origin=parse_origin(origin) if origin else None, anchor=anchor)
    res = import_network(file, name, geo)
    console.print(f"network [b]{res.name}[/b] (id {res.network_id}): {res.n_nodes} nodes, {res.n_links} links"
                  + ("" if res.changed else " — unchanged"))
    if res.orphan_sensors:
        err.print(f"[yellow]warning:[/yellow] sensors on elements no longer in the model: {', '.join(res.orphan_sensors)}")


@sensors_app.command("import")
@one_line_errors()
def sensors_import(file: Path, network: str = typer.Option(..., "--network")):
    """Load a sensor map CSV (sensor_id, kind, element_id, unit)."""
    from leakdet.network.sensor_map import import_sensor_map

    res = import_sensor_map(file, network)
    console.print(f"sensors for {network}: {res.inserted} new, {res.updated} updated, {res.unchanged} unchanged")


@scada_app.command("ingest")
@one_line_errors()
def scada_ingest(files: List[Path], network: str = typer.Option(..., "--network"),
                 sep: str = typer.Option(",", help="CSV separator"), decimal: str = typer.Option(".", help="Decimal mark"),
                 timestamp_column: Optional[str] = typer.Option(None, help="Time column (default: first / 'timestamp')"),
                 timestamp_format: Optional[str] = typer.Option(None, help="strftime format (default ISO-8601)"),
                 timezone: str = typer.Option("Asia/Brunei", help="Zone of naive timestamps"),
                 layout: str = typer.Option("auto", help="auto | wide | long"),
                 force: bool = typer.Option(False, help="Re-read files already loaded (upsert; no duplicates)")):
    """Ingest historian exports (wide/long CSV, Parquet) into the readings store."""
    from leakdet.scada.formats import ExportFormat
    from leakdet.scada.ingest import ingest_file

    fmt = ExportFormat(sep=sep, decimal=decimal, timestamp_column=timestamp_column,
                       timestamp_format=timestamp_format, timezone=timezone, layout=layout)
    table = Table("file", "status", "values", "loaded", "quarantined")
    for f in files:
        r = ingest_file(f, network, fmt, force=force)
        table.add_row(f.name, r.status, str(r.rows_total), str(r.rows_loaded), str(r.rows_quarantined))
    console.print(table)


@scada_app.command("simulate")
@one_line_errors()
def scada_simulate(network: str = typer.Option(..., "--network"), start: str = typer.Option(..., help="Local start date/time"),
                   end: str = typer.Option(..., help="Local end (exclusive)"), out: Path = typer.Option(..., "--out"),
                   leaks: Optional[Path] = typer.Option(None, help="Leak schedule (.csv or BattLeDIM .yalm)"),
                   seed: int = typer.Option(0, help="Random seed (noise, gaps)")):
    """Write synthetic historian exports and a ground-truth file for a stored network."""
    from leakdet.pipeline.synthetic import simulate_stored_network

    res = simulate_stored_network(network, start, end, out, leaks, seed)
    console.print(res)


@app.command("run-day")
@one_line_errors()
def run_day_cmd(network: str = typer.Option(..., "--network"), day: str = typer.Option(..., help="Local day YYYY-MM-DD")):
    """The daily run for one day: residuals, detection, events, map."""
    from leakdet.pipeline.daily import run_day

    console.print_json(json.dumps(run_day(network, day), default=str))


@app.command("train")
@one_line_errors()
def train_cmd(network: str = typer.Option(..., "--network"), start: str = typer.Option(..., help="First local day"),
              end: str = typer.Option(..., help="Last local day"),
              known_leaks: Optional[Path] = typer.Option(None, "--known-leaks",
                                                         help="Leak schedule (CSV or .yalm) of known or repaired "
                                                              "leaks, excluded from the baseline"),
              workers: int = typer.Option(2, help="Processes for the scenario library")):
    """Learn the detector baseline from --start..--end and train the learned localizer."""
    from leakdet.pipeline.train import train

    console.print_json(json.dumps(train(network, start, end, known_leaks, workers), default=str))


@app.command("detect")
@one_line_errors()
def detect_cmd(network: str = typer.Option(..., "--network"), start: str = typer.Option(...), end: str = typer.Option(...),
               maps: bool = typer.Option(False, help="Also render each day's map")):
    """Batch detection from --start to --end (local days); same code and results as daily runs."""
    from leakdet.pipeline.daily import run_range

    results = run_range(network, start, end, maps=maps)
    failed = [r for r in results if "error" in r]
    console.print(f"{len(results)} day(s), {sum(r.get('n_events', 0) for r in results)} new event(s), "
                  f"{len(failed)} failed day(s)")
    for r in failed:
        err.print(f"[red]{r['day']}:[/red] {r['error']}")


@app.command("coverage")
@one_line_errors()
def coverage_cmd(network: str = typer.Option(..., "--network"),
                 day: Optional[str] = typer.Option(None, help="Local day YYYY-MM-DD (default: the latest run)"),
                 format: str = typer.Option("csv", help="csv | geojson"),
                 out: Optional[Path] = typer.Option(None, help="File (default: stdout)")):
    """The smallest leak (L/s) the night scan finds at each pipe within 1, 3 and 7 nights."""
    from leakdet.pipeline.coverage import export_coverage

    text = export_coverage(network, day, format)
    if out:
        out.write_text(text)
    else:
        sys.stdout.write(text)


@app.command("evaluate")
@one_line_errors()
def evaluate_cmd(network: str = typer.Option(..., "--network"),
                 truth: Path = typer.Option(..., help="Folder with ground_truth_leaks.csv and ground_truth_leak_flows.csv"),
                 out: Optional[Path] = typer.Option(None, help="Write the summary and tables as JSON")):
    """Score stored events BattLeDIM-style: TP/FP/FN, distances, delays, € and % of perfect."""
    from leakdet.evaluate.run import evaluate_network

    result = evaluate_network(network, truth)
    table = Table("leak", "type", "detected", "delay (h)", "distance (m)", "€")
    for r in result.per_leak.itertuples():
        table.add_row(r.link_id, r.kind, "-" if pd.isna(r.detected_at) else f"{r.detected_at:%Y-%m-%d %H:%M}Z",
                      "-" if pd.isna(r.delay_h) else f"{r.delay_h:.1f}",
                      "-" if pd.isna(r.distance_m) else f"{r.distance_m:.0f}", f"{r.score_eur:,.0f}")
    console.print(table)
    console.print_json(json.dumps(result.summary))
    if out:
        out.write_text(json.dumps({"summary": result.summary,
                                   "per_leak": json.loads(result.per_leak.to_json(orient="records", date_format="iso")),
                                   "per_event": json.loads(result.per_event.to_json(orient="records", date_format="iso"))},
                                  indent=2))


@events_app.command("set-status")
@one_line_errors()
def events_set_status(event_id: int, status: str = typer.Option(..., help="confirmed | repaired | closed | false_alarm | unconfirmed"),
                      note: Optional[str] = typer.Option(None, help="Why (crew report, work order, ...)")):
    """Record an analyst's decision on a leak event; open events absorb later alarms of the same leak."""
    from leakdet.detect.events import set_status
    from platform_core.db import get_engine

    with get_engine().begin() as conn:
        set_status(conn, event_id, status, note)
    console.print(f"event {event_id}: {status}")


@events_app.command("export")
@one_line_errors()
def events_export(network: str = typer.Option(..., "--network"), format: str = typer.Option("csv", help="csv | geojson"),
                  out: Optional[Path] = typer.Option(None, help="File (default: stdout)")):
    """Export leak events with their top candidate pipe."""
    from leakdet.detect.export import export_events

    text = export_events(network, format)
    if out:
        out.write_text(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    app()
