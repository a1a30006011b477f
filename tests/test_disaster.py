"""Disaster thin slice on a real PostGIS: areas, rain-gauge ingest, risk levels, risk map."""
from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import text

from conftest import shared_file
from disaster import pipeline
from disaster.errors import FeedFileError
from platform_core.db import get_engine
from platform_core.offline_map import external_references


@pytest.fixture(scope="module")
def areas(db_url):
    return pipeline.load_demo_areas()


def q(sql, **params):
    with get_engine().connect() as conn:
        return conn.execute(text(sql), params).all()


def test_approximate_areas_are_valid_linked_and_idempotent(areas):
    rows = q("SELECT level, count(*), bool_and(ST_IsValid(geom)), bool_and(is_approximation) "
             "FROM hazard.admin_areas WHERE is_approximation GROUP BY level ORDER BY level")
    assert [(r[0], r[1]) for r in rows] == [("district", 4), ("mukim", 39)]
    assert all(r[2] and r[3] for r in rows)
    orphans = q("SELECT count(*) FROM hazard.admin_areas WHERE level = 'mukim' AND is_approximation AND parent_id IS NULL")
    assert orphans[0][0] == 0
    assert pipeline.load_demo_areas() == {"inserted": 0, "updated": 0, "unchanged": 43}


def test_real_boundaries_import_repairs_and_links(db_url, tmp_path):
    districts = shared_file("brunei", "brunei-districts.geojson")
    kampongs = shared_file("brunei", "brunei-kampongs.geojson")
    mukims = shared_file("brunei", "brunei-mukims.geojson")
    # Official boundaries replace the approximations of the same areas (same codes).
    d = pipeline.import_area_file(districts, "district")
    m = pipeline.import_area_file(mukims, "mukim")
    assert d["inserted"] + d["updated"] == 4 and m["inserted"] + m["updated"] == 39
    assert q("SELECT count(*) FROM hazard.admin_areas WHERE is_approximation")[0][0] == 0
    res = pipeline.import_area_file(kampongs, "kampong")
    assert res["repaired"] >= 1 and res["inserted"] >= 400
    again = pipeline.import_area_file(kampongs, "kampong")
    assert again["inserted"] == 0 and again["updated"] == 0
    bad = q("SELECT count(*) FROM hazard.admin_areas WHERE NOT ST_IsValid(geom)")[0][0]
    unlinked = q("SELECT count(*) FROM hazard.admin_areas WHERE level = 'kampong' AND NOT is_approximation "
                 "AND parent_id IS NULL")[0][0]
    assert bad == 0 and unlinked <= 5


def test_gauge_ingest_quarantines_bad_rows(db_url, tmp_path):
    f = tmp_path / "gauges.csv"
    f.write_text("station,lat,lon,time,mm\n"
                 "QA-1,4.90,114.94,2025-02-01 09:00,5.0\n"      # 2 good
                 "QA-1,4.90,114.94,2025-02-01 10:00,-1\n"       # 3 negative
                 "QA-1,4.90,114.94,2025-02-01 11:00,500\n"      # 4 impossible
                 "QA-2,1.30,103.80,2025-02-01 09:00,1\n"        # 5 outside Brunei
                 "QA-1,4.90,114.94,yesterday,1\n"               # 6 bad time
                 "QA-1,4.90,114.94,2025-02-01 12:00,lots\n"     # 7 non-numeric
                 "QA-1,4.90,114.94,2025-02-01 09:00,6.0\n")     # 8 duplicate of 2
    res = pipeline.ingest_rain_file(f)
    assert (res["loaded"], res["quarantined"]) == (1, 6)
    reasons = dict((r.line, r.reason) for r in q("SELECT line, reason FROM ingest.quarantine WHERE batch_id = :b",
                                                   b=res["batch_id"]))
    assert reasons[3] == "negative rainfall" and reasons[4].startswith("physically impossible intensity")
    assert reasons[5].startswith("outside Brunei") and reasons[6] == "unparseable time"
    assert reasons[7] == "non-numeric value" and reasons[8].startswith("duplicate")
    obs = q("SELECT ts, rain_mm FROM hazard.rainfall_obs WHERE station_id = 'QA-1'")
    assert obs == [(pd.Timestamp("2025-02-01 01:00", tz="UTC").to_pydatetime(), 5.0)]
    assert pipeline.ingest_rain_file(f)["status"] == "skipped"


def test_unreadable_gauge_file_names_file_and_line(db_url, tmp_path):
    f = tmp_path / "broken.csv"
    f.write_text("station,lat,lon,when,mm\nX,4.9,114.9,2025-01-01,1\n")
    with pytest.raises(FeedFileError, match=r"broken.csv:1: missing column\(s\) time"):
        pipeline.ingest_rain_file(f)


def _storm_csv(path, station="ST-1", rain=()):
    rows = ["station,lat,lon,time,mm"]
    t0 = pd.Timestamp("2025-03-01 00:00")
    for i, mm in enumerate(rain, start=1):
        rows.append(f"{station},4.89,114.94,{(t0 + pd.Timedelta(hours=i)):%Y-%m-%d %H:%M},{mm}")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_levels_rise_at_once_fall_after_hold_down_and_batch_equals_hourly(areas, tmp_path):
    # 3 dry hours, a 45 mm hour (orange), 35 + 30 mm (red: 110 mm in 3 h), then dry hours.
    rain = [0, 0, 0, 45, 35, 30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    pipeline.ingest_rain_file(_storm_csv(tmp_path / "storm.csv", rain=rain))
    start, end = "2025-03-01 00:00", "2025-03-01 16:00"
    pipeline.score_hours(start, end)
    sql = ("SELECT r.ts, r.level, r.drivers, r.score FROM hazard.risk_scores r JOIN hazard.admin_areas a "
           "ON a.id = r.area_id WHERE a.name = 'Mukim Kianggeh' AND r.ts > :a AND r.ts <= :b ORDER BY r.ts")
    a = pd.Timestamp(start, tz="Asia/Brunei").tz_convert("UTC")
    b = pd.Timestamp(end, tz="Asia/Brunei").tz_convert("UTC")
    batch = q(sql, a=a, b=b)
    levels = [r.level for r in batch]
    assert levels[:3] == ["green"] * 3 and levels[3] == "orange" and levels[5] == "red"
    assert "mm in 3 h" in batch[5].drivers and "mm in the last hour" in batch[3].drivers
    assert levels[6] == "red" and levels[7] == "red" and "held at red" in batch[6].drivers
    assert "green" not in levels[6:10]                     # steps down one level at a time
    # hour by hour gives the same rows
    with get_engine().begin() as conn:
        conn.execute(text("DELETE FROM hazard.risk_scores WHERE ts > :a AND ts <= :b"), {"a": a, "b": b})
    for h in range(16):
        t = pd.Timestamp(start) + pd.Timedelta(hours=h)
        pipeline.score_hours(t, t + pd.Timedelta(hours=1))
    assert q(sql, a=a, b=b) == batch


def test_risk_map_is_offline_and_names_areas(areas, tmp_path):
    out = pipeline.render_risk_map("2025-03-01 06:00", tmp_path / "risk.html")
    html = open(out).read()
    assert external_references(html) == [] and "Mukim Kianggeh" in html
    approximate = q("SELECT bool_or(is_approximation) FROM hazard.admin_areas")[0][0]
    assert ("APPROXIMATION" in html) == approximate
