"""Fused risk on a real PostGIS: gauge → grid fallback, late data, rivers, forecast, exposure,
batch == hourly, real boundaries down to kampongs."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from conftest import shared_file
from disaster import pipeline
from feed_files import gauge_csv, grid_nc
from platform_core.db import get_engine
from platform_core.offline_map import external_references

KIANGGEH = (4.9012, 114.943)
PEKAN_TUTONG = (4.8002, 114.6637)


@pytest.fixture(scope="module", autouse=True)
def own_db(db_url):
    from platform_core.db import temporary_database

    with temporary_database("bnw_risk_t") as url:
        pipeline.load_demo_areas()
        yield url


def q(sql, **params):
    with get_engine().connect() as conn:
        return conn.execute(text(sql), params).all()


def utc(local: str) -> pd.Timestamp:
    return pd.Timestamp(local, tz="Asia/Brunei").tz_convert("UTC")


def rows(area: str, start: str, end: str):
    return q("""SELECT r.ts, r.level, r.score, r.rain_1h_mm, r.rain_source, r.drivers, r.inputs, r.exposure,
                       r.river_station, r.river_pct_danger, r.forecast_6h_mm
                FROM hazard.risk_scores r JOIN hazard.admin_areas a ON a.id = r.area_id
                WHERE a.name = :n AND r.ts > :a AND r.ts <= :b ORDER BY r.ts""", n=area, a=utc(start), b=utc(end))


def all_rows(start: str, end: str):
    return q("SELECT * FROM hazard.risk_scores WHERE ts > :a AND ts <= :b ORDER BY area_id, ts",
             a=utc(start), b=utc(end))


@pytest.fixture(scope="module")
def june1(tmp_path_factory):
    """A gauge in Kianggeh that reports 01:00-03:00 then falls silent, a 4 mm/h grid, a tank, pump and open leak."""
    tmp = tmp_path_factory.mktemp("june1")
    with get_engine().begin() as conn:
        net = conn.execute(text("""INSERT INTO water.networks (name, source_file, inp_sha256, inp_text, imported_at)
                                   VALUES ('t', 't.inp', 'x', '', now()) RETURNING id""")).scalar()
        lat, lon = KIANGGEH
        conn.execute(text("""INSERT INTO water.nodes (network_id, node_id, node_type, geom) VALUES
                             (:n, 'T1', 'tank', ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"""),
                     {"n": net, "lat": lat, "lon": lon})
        conn.execute(text("""INSERT INTO water.links (network_id, link_id, link_type, start_node, end_node, geom)
                             VALUES (:n, 'PU1', 'pump', 'a', 'b', ST_MakeLine(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326),
                                     ST_SetSRID(ST_MakePoint(:lon + 0.001, :lat), 4326)))"""),
                     {"n": net, "lat": lat, "lon": lon})
        ev = conn.execute(text("""INSERT INTO water.leak_events (network_id, event_key, run_day, detected_at, detector)
                                  VALUES (:n, 'e1', '2025-05-31', '2025-05-31T12:00Z', 't') RETURNING id"""),
                          {"n": net}).scalar()
        conn.execute(text("INSERT INTO water.leak_candidates VALUES (:e, 1, 'PU1', 0.9)"), {"e": ev})
    pipeline.ingest_feed(gauge_csv(tmp / "k.csv", "K-1", *KIANGGEH, "2025-06-01 00:00", [5, 25, 5]), "rain_gauge")
    pipeline.ingest_feed(grid_nc(tmp / "g.nc", "2025-05-31T16:00", [4.0] * 8), "rain_grid")
    return pipeline.score_hours("2025-06-01 00:00", "2025-06-01 08:00")


def test_silent_gauge_falls_back_to_grid_and_says_so(june1):
    r = rows("Mukim Kianggeh", "2025-06-01 00:00", "2025-06-01 08:00")
    assert [x.rain_source for x in r[:3]] == ["gauges"] * 3 and [x.rain_1h_mm for x in r[:3]] == [5.0, 25.0, 5.0]
    assert all(x.rain_source == "grid" and x.rain_1h_mm == pytest.approx(4.0) for x in r[3:])
    assert "gauge K-1 silent since 03:00; using satellite grid" in r[4].drivers
    assert r[1].level == "yellow" and "25 mm in the last hour" in r[1].drivers
    # A far mukim with no gauge within 10 km uses the grid throughout.
    far = rows("Mukim Labi", "2025-06-01 00:00", "2025-06-01 08:00")
    assert {x.rain_source for x in far} == {"grid"} and "using satellite grid" in far[0].drivers


def test_exposure_names_water_assets_and_open_leaks(june1):
    r = rows("Mukim Kianggeh", "2025-06-01 00:00", "2025-06-01 08:00")
    assert r[1].exposure["tanks"] == 1 and r[1].exposure["pumps"] == 1 and r[1].exposure["open_leaks"] == 1
    assert "exposed: 1 tank, 1 pump, 1 open leak" in r[1].drivers          # yellow: exposure is named
    assert "exposed" not in r[0].drivers                                      # green: not


def test_hold_down_keeps_yellow_for_three_calm_hours(june1):
    r = rows("Mukim Kianggeh", "2025-06-01 00:00", "2025-06-01 08:00")
    assert [x.level for x in r[:5]] == ["green", "yellow", "yellow", "yellow", "green"]
    assert "held at yellow" in r[2].drivers
    # Six wet hours in a row (gauge, then grid) are yellow again: MetMalaysia's continuous-rain rule.
    assert r[5].level == "yellow" and "rain for 6 h in a row" in r[5].drivers


def test_late_observation_marks_hours_and_rescoring_is_idempotent(tmp_path):
    start, end = "2025-06-02 00:00", "2025-06-02 08:00"
    pipeline.ingest_feed(gauge_csv(tmp_path / "a.csv", "L-1", *PEKAN_TUTONG, start, [0, 0, 30, None, 0, 0, 0, 0]),
                         "rain_gauge")
    pipeline.score_hours(start, end)
    late = pipeline.ingest_feed(gauge_csv(tmp_path / "late.csv", "L-1", *PEKAN_TUTONG, start,
                                          [None, None, None, 40]), "rain_gauge")
    assert late["loaded"] == 1 and late["late_hours_marked"] == 5          # 04:00 … 08:00 were already scored
    res = pipeline.rescore_stale()
    assert res["rescored_hours"] == 5
    after = all_rows(start, end)
    tut = rows("Mukim Pekan Tutong", start, end)
    assert tut[3].rain_1h_mm == 40.0 and tut[3].level == "orange"          # 70 mm in 2 h, 40 mm/h
    # The same as scoring with the data on time, and a second rescore does nothing.
    with get_engine().begin() as conn:
        conn.execute(text("DELETE FROM hazard.risk_scores WHERE ts > :a"), {"a": utc(start)})
    pipeline.score_hours(start, end)
    assert all_rows(start, end) == after
    assert pipeline.rescore_stale()["rescored_hours"] == 0
    assert q("SELECT count(*) FROM hazard.rescore_hours")[0][0] == 0


@pytest.fixture(scope="module")
def storm(tmp_path_factory):
    """Every simulated feed over 12 hours (gauges, grid, forecasts, rivers), scored in one batch."""
    out = tmp_path_factory.mktemp("storm")
    start, end = "2025-06-10 00:00", "2025-06-10 12:00"
    files = pipeline.simulate_feeds(start, end, out, seed=1)
    for kind in ("rain_gauge", "rain_grid", "forecast"):
        for f in files[kind]:
            pipeline.ingest_feed(f, kind)
    for f in files["river_gauge"]:
        pipeline.ingest_feed(f, "river_gauge", stations=files["river_stations"][0])
    pipeline.score_hours(start, end)
    return start, end


def test_batch_equals_hourly_with_every_feed(storm):
    start, end = storm
    batch = all_rows(start, end)
    sources = {r.rain_source for r in batch}
    assert {"gauges", "grid"} <= sources
    assert any(r.inputs["river_level"] != "green" for r in batch)            # rivers raised some levels
    assert any(r.forecast_6h_mm and r.forecast_6h_mm > 0 for r in batch)
    with get_engine().begin() as conn:
        conn.execute(text("DELETE FROM hazard.risk_scores WHERE ts > :a"), {"a": utc(start)})
    from typer.testing import CliRunner

    from disaster.cli import app

    for h in range(12):                      # hour by hour through the command line, as an operator would
        t = pd.Timestamp(start) + pd.Timedelta(hours=h)
        res = CliRunner().invoke(app, ["risk", "run", "--start", f"{t:%Y-%m-%d %H:%M}",
                                       "--end", f"{t + pd.Timedelta(hours=1):%Y-%m-%d %H:%M}"])
        assert res.exit_code == 0, res.output
    assert all_rows(start, end) == batch


def test_rivers_in_drivers_and_station_without_thresholds_cannot_raise(storm):
    start, end = storm
    tutong = rows("Mukim Pekan Tutong", start, end)
    said = [x.drivers for x in tutong if "Sungai Tutong at Pekan Tutong" in x.drivers]
    assert said and all("% of danger level" in d for d in said)
    assert max(x.river_pct_danger or 0 for x in tutong) > 70
    bangar = rows("Mukim Bangar", start, end)              # served by the Temburong gauge only
    assert all(x.inputs["river_level"] == "green" for x in bangar)
    assert any("Sungai Temburong at Bangar" in x.drivers and "(no thresholds)" in x.drivers for x in bangar)


def test_risk_map_shows_rivers_gauges_and_assets(storm, tmp_path):
    start, end = storm
    html = open(pipeline.render_risk_map(pd.Timestamp(end) - pd.Timedelta(hours=3), tmp_path / "m.html")).read()
    assert external_references(html) == []
    for needle in ("Sungai Tutong at Pekan Tutong", "% of danger", "River gauges", "Rain gauges",
                   "Rain 24 h", "no thresholds"):
        assert needle in html, needle


def test_real_boundaries_down_to_kampongs_get_grid_rain(tmp_path):
    districts = shared_file("brunei", "brunei-districts.geojson")
    mukims = shared_file("brunei", "brunei-mukims.geojson")
    kampongs = shared_file("brunei", "brunei-kampongs.geojson")
    for f, level in ((districts, "district"), (mukims, "mukim"), (kampongs, "kampong")):
        pipeline.import_area_file(f, level)
    n_kampongs = q("SELECT count(*) FROM hazard.admin_areas WHERE level = 'kampong'")[0][0]
    assert n_kampongs >= 400
    pipeline.ingest_feed(grid_nc(tmp_path / "g.nc", "2025-06-20T00:00", [6.0, 6.0]), "rain_grid")
    pipeline.score_hours(pd.Timestamp("2025-06-20T00:00Z"), pd.Timestamp("2025-06-20T02:00Z"))
    got = q("""SELECT count(*), min(r.rain_1h_mm), max(r.rain_1h_mm) FROM hazard.risk_scores r
               JOIN hazard.admin_areas a ON a.id = r.area_id
               WHERE a.level = 'kampong' AND r.ts = '2025-06-20T02:00Z' AND r.rain_source = 'grid'""")[0]
    assert got[0] >= 0.95 * n_kampongs and got[1] == pytest.approx(6.0) and got[2] == pytest.approx(6.0)
    cover = q("""SELECT min(s), max(s) FROM (SELECT sum(w.fraction) AS s FROM hazard.area_grid_weights w
                 JOIN hazard.admin_areas a ON a.id = w.area_id WHERE a.level = 'kampong' GROUP BY w.area_id) x""")[0]
    assert cover[0] > 0.98 and cover[1] < 1.0001                      # cell fractions of each kampong sum to 1
