"""Disaster feeds on a real PostGIS: every kind loads valid rows, quarantines bad ones with the
reason, converts time to UTC, and re-ingesting changes nothing."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from disaster import pipeline
from disaster.errors import FeedFileError
from feed_files import grid_nc, grid_nc_projected, grid_tif, open_meteo, sensorthings
from platform_core.db import get_engine


@pytest.fixture(scope="module", autouse=True)
def own_db(db_url):
    """A database of this module's own, so no other test's stations or grids interfere."""
    from platform_core.db import temporary_database

    with temporary_database("bnw_feeds_t") as url:
        yield url


def q(sql, **params):
    with get_engine().connect() as conn:
        return conn.execute(text(sql), params).all()


def quarantine(batch_id) -> dict:
    return {(r.line, r.field): (r.raw_value, r.reason)
            for r in q("SELECT line, field, raw_value, reason FROM ingest.quarantine WHERE batch_id = :b", b=batch_id)}


def test_gauge_json_quarantines_bad_records_and_matches_csv(tmp_path):
    obs = [{"station": "J-1", "lat": 4.9, "lon": 114.9, "time": "2025-05-01 09:00", "mm": 3.5},       # 1 good
           {"station": "J-1", "lat": 4.9, "lon": 114.9, "time": "2025-05-01T02:00Z", "mm": 1.0},      # 2 good, UTC
           {"station": "J-1", "lat": 4.9, "lon": 114.9, "time": "2025-05-01 11:00", "mm": -2},        # 3 negative
           {"station": "J-1", "lat": 4.9, "lon": 114.9, "time": "2025-05-01 12:00", "mm": 500},       # 4 500 mm/h
           {"station": "J-1", "lat": 4.9, "time": "2025-05-01 13:00", "mm": 1},                       # 5 no lon
           {"station": "J-1", "lat": 4.9, "lon": 114.9, "time": "2025-05-01 14:00",                   # 6 126 mm in 30 min
            "mm": 126, "period_min": 30}]
    f = tmp_path / "gauges.json"
    f.write_text(json.dumps({"observations": obs}))
    res = pipeline.ingest_feed(f, "rain_gauge")
    assert (res["loaded"], res["quarantined"]) == (2, 4)
    reasons = {line: reason for (line, field), (raw, reason) in quarantine(res["batch_id"]).items()}
    assert reasons[3] == "negative rainfall" and reasons[4].startswith("physically impossible intensity: 500")
    assert reasons[5] == "missing value" and reasons[6].startswith("physically impossible intensity: 252")
    stored = q("SELECT ts, rain_mm FROM hazard.rainfall_obs WHERE station_id = 'J-1' ORDER BY ts")
    # naive 09:00 is Brunei time (01:00 UTC); 02:00Z stays 02:00 UTC
    assert [(pd.Timestamp(t).tz_convert("UTC").hour, mm) for t, mm in stored] == [(1, 3.5), (2, 1.0)]
    assert pipeline.ingest_feed(f, "rain_gauge")["status"] == "skipped"
    csv = tmp_path / "same.csv"
    csv.write_text("station,lat,lon,time,mm\nJ-1,4.9,114.9,2025-05-01 09:00,3.5\n")
    assert pipeline.ingest_feed(csv, "rain_gauge")["loaded"] == 0          # same observation: nothing changes


def test_grid_netcdf_half_hourly_rates_become_hourly_depths_and_bad_cells_are_quarantined(tmp_path):
    rates = np.full((2, 13, 16), 8.0)            # 8 mm/hr for two half-hours = 8 mm in the hour
    rates[0, 5, 5] = -1.0                          # negative
    rates[1, 6, 6] = 300.0                         # 300 mm/h: impossible
    rates[1, 7, 7] = np.nan                        # missing (fill)
    f = grid_nc(tmp_path / "imerg.nc4", "2025-05-02T00:00", rates, period_min=30)
    res = pipeline.ingest_feed(f, "rain_grid")
    assert res["cells"] == 16 * 13 and res["period_min"] == 30 and res["missing"] == 1
    assert res["quarantined"] == 2 and res["loaded"] == 2 * 16 * 13 - 3
    bad = quarantine(res["batch_id"])
    fields = {field: reason for (line, field), (raw, reason) in bad.items()}
    assert any("4.450N, 114.450E" in k and v == "negative rainfall" for k, v in fields.items())
    assert any("T01:00Z" in k and v.startswith("physically impossible intensity: 300") for k, v in fields.items())
    with get_engine().connect() as conn:
        from disaster.risk.grid_rain import hourly_cell_rain

        hourly = hourly_cell_rain(conn, pd.Timestamp("2025-05-02T00:00Z"), pd.Timestamp("2025-05-02T01:00Z"))
    values = hourly.iloc[0].dropna()
    assert np.allclose(values.median(), 8.0) and len(values) == 16 * 13 - 3   # cells with a bad half-hour are incomplete
    assert pipeline.ingest_feed(f, "rain_grid")["status"] == "skipped"
    again = pipeline.ingest_feed(f, "rain_grid", force=True)
    assert again["loaded"] == 0 and q("SELECT count(*) FROM hazard.rain_grid_cells")[0][0] == 16 * 13


def test_grid_depth_units_geotiff_and_reprojection(tmp_path):
    f = grid_nc(tmp_path / "gsmap_depth.nc", "2025-05-03T00:00", [5.0], period_min=60, units="mm", bounds=False)
    res = pipeline.ingest_feed(f, "rain_grid")
    assert res["loaded"] == 16 * 13 and res["last"] == "2025-05-03T01:00:00+00:00"   # time = start of period
    assert q("SELECT DISTINCT rain_mm FROM hazard.rain_grid_values WHERE ts = '2025-05-03T01:00Z'") == [(5.0,)]
    tif = pipeline.ingest_feed(grid_tif(tmp_path / "one_hour.tif", "2025-05-03T01:00", 12.0), "rain_grid")
    assert tif["loaded"] == 16 * 13 and tif["period_min"] == 60
    # A grid in UTM 50N (declared) is reprojected onto lon/lat and keeps its rain.
    utm = pipeline.ingest_feed(grid_tif(tmp_path / "utm.tif", "2025-05-03T02:00", 7.0, crs="EPSG:32650"), "rain_grid")
    assert utm["status"] == "loaded" and utm["loaded"] > 100
    vals = q("SELECT min(rain_mm), max(rain_mm) FROM hazard.rain_grid_values WHERE ts = '2025-05-03T03:00Z'")[0]
    assert vals == pytest.approx((7.0, 7.0), abs=0.01)
    nc = pipeline.ingest_feed(grid_nc_projected(tmp_path / "utm.nc", "2025-05-03T03:00", 3.0), "rain_grid")
    assert nc["loaded"] > 100
    vals = q("SELECT min(rain_mm), max(rain_mm) FROM hazard.rain_grid_values WHERE ts = '2025-05-03T04:00Z'")[0]
    assert vals == pytest.approx((3.0, 3.0), abs=0.01)


@pytest.mark.parametrize("case, message", [
    ("extent", r"small.nc: grid covers 114\.40–114\.90 E.*must cover Brunei"),
    ("no_crs_tif", r"nocrs.tif: GeoTIFF declares no CRS"),
    ("xy_no_crs", r"xy.nc: grid is on y/x coordinates but declares no CRS"),
    ("units", r"units.nc: unsupported rain units 'inches'"),
])
def test_bad_grids_are_refused_naming_the_file(tmp_path, case, message):
    import warnings

    if case == "extent":
        f = grid_nc(tmp_path / "small.nc", "2025-05-04T00:00", [1.0], lon=np.arange(114.45, 114.9, 0.1))
    elif case == "no_crs_tif":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = grid_tif(tmp_path / "nocrs.tif", "2025-05-04T00:00", 1.0, crs=None)
    elif case == "xy_no_crs":
        f = grid_nc(tmp_path / "xy.nc", "2025-05-04T00:00", [1.0], xy=True)
    else:
        f = grid_nc(tmp_path / "units.nc", "2025-05-04T00:00", [1.0], units="inches")
    with pytest.raises(FeedFileError, match=message):
        pipeline.ingest_feed(f, "rain_grid")


def test_open_meteo_forecast_lead_hours_and_quarantine(tmp_path):
    points = [(4.9, 114.9), (4.6, 114.6)]
    f = open_meteo(tmp_path / "om.json", "2025-05-05 06:00", points, lambda t: 2.0)
    doc = json.loads(f.read_text())
    doc[0]["hourly"]["precipitation"][10] = None        # 11:00 local: missing
    doc[1]["hourly"]["precipitation"][11] = -0.5         # 12:00 local: negative
    f.write_text(json.dumps(doc))
    res = pipeline.ingest_feed(f, "forecast")
    assert res["issued_at"] == "2025-05-04T22:00:00+00:00"          # 06:00 Brunei time
    assert res["past_hours_skipped"] == 2 * 6 and res["quarantined"] == 2 and res["loaded"] == 2 * 18 - 2
    leads = q("SELECT min(lead_h), max(lead_h), min(valid_ts) FROM hazard.rain_forecasts WHERE issued_at = :i",
              i=pd.Timestamp(res["issued_at"]).to_pydatetime())[0]
    assert leads[:2] == (1, 18) and pd.Timestamp(leads[2]) == pd.Timestamp("2025-05-04T23:00Z")
    reasons = {reason for raw, reason in quarantine(res["batch_id"]).values()}
    assert reasons == {"missing value", "negative rainfall"}
    assert pipeline.ingest_feed(f, "forecast")["status"] == "skipped"
    undated = tmp_path / "undated.json"
    undated.write_text(json.dumps([{k: v for k, v in doc[0].items() if k != "issued"}]))
    with pytest.raises(FeedFileError, match=r"undated.json: no issue time"):
        pipeline.ingest_feed(undated, "forecast")
    assert pipeline.ingest_feed(undated, "forecast", issued="2025-05-05 06:00")["loaded"] == 0   # same values


def test_river_sensorthings_and_csv_with_thresholds(tmp_path):
    th = {"alert_level": 2.0, "warning_level": 2.5, "danger_level": 3.0, "thresholds_source": "test"}
    f = sensorthings(tmp_path / "sta.json", [
        ("RV-1", "Sungai Test at A", 4.80, 114.65, th,
         [("2025-05-06T00:00:00Z", 1.5), ("2025-05-06T00:30:00Z/2025-05-06T01:00:00Z", 1.7),
          ("2025-05-06T01:30:00Z", "n/a"), ("", 1.0), ("2025-05-06T02:00:00Z", 99.0)]),
        ("RV-2", "Sungai Test at B", 4.70, 115.07, None, [("2025-05-06T00:00:00Z", 1.1)])])
    res = pipeline.ingest_feed(f, "river_gauge")
    assert res["loaded"] == 3 and res["quarantined"] == 3 and res["no_thresholds"] == ["RV-2"]
    reasons = sorted(reason for raw, reason in quarantine(res["batch_id"]).values())
    assert reasons == ["implausible level (outside -10 to 40 m)", "missing value", "non-numeric value"]
    assert q("SELECT alert_m, warning_m, danger_m FROM hazard.river_stations WHERE station_id = 'RV-1'") == [(2.0, 2.5, 3.0)]
    assert [pd.Timestamp(t).isoformat() for (t,) in q("SELECT ts FROM hazard.river_levels WHERE station_id = 'RV-1' "
                                                       "ORDER BY ts")] == ["2025-05-06T00:00:00+00:00",
                                                                           "2025-05-06T01:00:00+00:00"]
    stations = tmp_path / "stations.csv"
    stations.write_text("station,name,river,lat,lon,alert_m,warning_m,danger_m\n"
                        "RV-3,Sungai Brunei at X,Sungai Brunei,4.886,114.942,2.3,2.7,3.1\n"
                        "RV-4,Bad thresholds,Sungai Brunei,4.89,114.91,3.0,2.0,1.0\n")
    levels = tmp_path / "levels.csv"
    levels.write_text("station,time,level_m\nRV-3,2025-05-06 08:00,2.0\nRV-4,2025-05-06 08:00,1.0\n"
                      "RV-9,2025-05-06 08:00,1.0\n")
    res = pipeline.ingest_feed(levels, "river_gauge", stations=stations)
    assert res["loaded"] == 2 and res["no_thresholds"] == ["RV-4"]
    reasons = {field: reason for (line, field), (raw, reason) in quarantine(res["batch_id"]).items()}
    assert reasons["RV-4.thresholds"].startswith("thresholds not increasing")
    assert reasons["level_m.station"].startswith("unknown station")
    assert pd.Timestamp(q("SELECT ts FROM hazard.river_levels WHERE station_id = 'RV-3'")[0][0]).hour == 0  # 08:00 BNT
    assert pipeline.ingest_feed(levels, "river_gauge", stations=stations)["status"] == "skipped"


def test_unknown_kind_and_cli_simulate_writes_every_feed(tmp_path):
    from typer.testing import CliRunner

    from disaster.cli import app
    from disaster.errors import DisasterError

    with pytest.raises(DisasterError, match="supported: rain_gauge, rain_grid, forecast, river_gauge"):
        pipeline.ingest_feed(tmp_path / "x.csv", "radar")
    out = CliRunner().invoke(app, ["feeds", "simulate", "--start", "2025-05-07 00:00", "--end", "2025-05-07 06:00",
                                   "--out", str(tmp_path / "sim"), "--seed", "2"])
    assert out.exit_code == 0, out.output
    files = json.loads(out.output)
    assert set(files) == {"rain_gauge", "rain_grid", "forecast", "river_gauge", "river_stations"}
    assert [p.rsplit(".", 1)[-1] for p in files["rain_grid"]] == ["nc4", "tif"]
    again = pipeline.simulate_feeds("2025-05-07 00:00", "2025-05-07 06:00", tmp_path / "sim2", seed=2)
    for a, b in zip(files["river_gauge"] + files["rain_gauge"], again["river_gauge"] + again["rain_gauge"]):
        assert open(a).read() == open(b).read()                       # deterministic for a seed
    # The hourly DAG's landing directory: every kind recognised by name, loaded once.
    first = pipeline.ingest_landing_dir(tmp_path / "sim")
    assert len(first) == 2 + 2 + len(files["forecast"]) + 2 and {r["status"] for r in first} == {"loaded"}
    assert all(r["quarantined"] == 0 for r in first)
    assert {r["status"] for r in pipeline.ingest_landing_dir(tmp_path / "sim")} == {"skipped"}


def test_models_mirror_the_migration_and_0005_downgrades_cleanly(own_db):
    from alembic import command
    from alembic.config import Config

    from disaster.store import models
    from platform_core.db import MIGRATIONS_INI

    with get_engine().connect() as conn:
        for model in (models.RiskScore, models.RainGridCell, models.RainGridValue, models.AreaGridWeight,
                      models.ForecastPoint, models.RainForecast, models.RiverStation, models.RiverLevel,
                      models.RescoreHour):
            cols = set(conn.execute(text("SELECT column_name FROM information_schema.columns WHERE table_schema = "
                                         "'hazard' AND table_name = :t"), {"t": model.__tablename__}).scalars())
            assert cols == set(model.__table__.columns.keys()), model.__tablename__
    cfg = Config(str(MIGRATIONS_INI))
    cfg.set_main_option("script_location", str(MIGRATIONS_INI.parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", own_db.replace("%", "%%"))
    command.downgrade(cfg, "0004_disaster_bulletins")
    assert q("SELECT to_regclass('hazard.river_levels')")[0][0] is None
    assert "rain_source" not in {c for (c,) in q("SELECT column_name FROM information_schema.columns "
                                                  "WHERE table_name = 'risk_scores'")}
    command.upgrade(cfg, "head")
    assert q("SELECT to_regclass('hazard.river_levels')")[0][0] is not None
