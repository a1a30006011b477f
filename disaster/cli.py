"""``disaster``: the command line of the disaster-risk engine (the same functions the DAGs call)."""
from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pandas as pd
import typer
from rich.console import Console

from platform_core.cli import one_line_errors as one_line_errors_for

from disaster import pipeline
from disaster.errors import DisasterError

app = typer.Typer(help="Rain and flood feeds, area risk, maps.", no_args_is_help=True)
areas_app = typer.Typer(help="Administrative areas.", no_args_is_help=True)
feeds_app = typer.Typer(help="Rain and river feeds.", no_args_is_help=True)
risk_app = typer.Typer(help="Risk scores and maps.", no_args_is_help=True)
bulletins_app = typer.Typer(help="CAP 1.2 bulletins, HTML bulletins and their Atom feed.", no_args_is_help=True)
app.add_typer(areas_app, name="areas")
app.add_typer(feeds_app, name="feeds")
app.add_typer(risk_app, name="risk")
app.add_typer(bulletins_app, name="bulletins")
console, err = Console(), Console(stderr=True)


one_line_errors = partial(one_line_errors_for, DisasterError)


def show(result) -> None:
    console.print_json(json.dumps(result, default=str))


@areas_app.command("import")
@one_line_errors()
def areas_import(file: Path, level: str = typer.Option(..., help="district | mukim | kampong")):
    """Load boundaries (GeoJSON, Shapefile, GeoPackage); repairs geometry; idempotent."""
    show(pipeline.import_area_file(file, level))


@areas_app.command("approximate")
@one_line_errors()
def areas_approximate():
    """Load approximate districts and mukims built from public centroids (no boundary file needed)."""
    show(pipeline.load_demo_areas())


@feeds_app.command("ingest")
@one_line_errors()
def feeds_ingest(file: Path, kind: str = typer.Option("rain_gauge", help="rain_gauge | rain_grid | forecast | river_gauge"),
                 force: bool = typer.Option(False, help="Re-read a file already loaded"),
                 stations: Path = typer.Option(None, help="river_gauge: station CSV (station,name,river,lat,lon,"
                                                          "alert_m,warning_m,danger_m)"),
                 issued: str = typer.Option(None, help="forecast: issue time (naive = Brunei local)")):
    """Ingest a feed file; bad rows go to quarantine with the reason. Naive times are Brunei local (UTC+8)."""
    show(pipeline.ingest_feed(file, kind, force, stations=stations, issued=issued))


@feeds_app.command("simulate")
@one_line_errors()
def feeds_simulate(start: str = typer.Option(..., help="Local start"), end: str = typer.Option(..., help="Local end"),
                   out: Path = typer.Option(..., "--out"), seed: int = typer.Option(0)):
    """Write a synthetic monsoon storm: gauges (CSV, JSON), grid (NetCDF, GeoTIFF), forecast, river levels."""
    show(pipeline.simulate_feeds(start, end, out, seed))


@risk_app.command("run")
@one_line_errors()
def risk_run(start: str = typer.Option(..., help="Local start (exclusive hour end)"),
             end: str = typer.Option(..., help="Local end (inclusive hour end)")):
    """Score every area for each hour ending in (start, end]; same results hourly or in batch."""
    show(pipeline.score_hours(start, end))


@risk_app.command("rescore")
@one_line_errors()
def risk_rescore():
    """Score again the hours that late or corrected observations changed since they were scored."""
    show(pipeline.rescore_stale())


@risk_app.command("map")
@one_line_errors()
def risk_map(at: str = typer.Option(..., help="Hour end, local time"), out: Path = typer.Option(..., "--out")):
    """Render the offline risk map for one hour."""
    console.print(pipeline.render_risk_map(at, out))


@bulletins_app.command("issue")
@one_line_errors()
def bulletins_issue(at: str = typer.Option(..., help="Hour end, local time"),
                    out: Path = typer.Option(..., "--out", help="Directory for CAP, HTML and bulletins.atom"),
                    through: str = typer.Option(None, help="Also issue every later hour up to this one, in order"),
                    area_level: str = typer.Option("mukim", help="Areas a bulletin lists: mukim | kampong | district")):
    """Issue the bulletins for an hour (Alert/Update/Cancel per district); idempotent for the same hour."""
    if through is None:
        result = pipeline.issue_bulletins(at, out, area_level)
        show({k: result[k] for k in ("hour", "alerts", "updates", "cancels", "messages", "files", "feed")})
    else:
        from disaster.bulletins.issue import hour_end

        show(pipeline.issue_bulletins_through(hour_end(at) - pd.Timedelta(hours=1), through, out, area_level))


if __name__ == "__main__":
    app()
