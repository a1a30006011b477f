"""SCADA ingest against a real PostGIS: formats, units, time zones, quarantine, idempotency."""
from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import text

from helpers import import_net1
from leakdet.errors import InputFileError
from leakdet.scada.formats import ExportFormat
from leakdet.scada.ingest import ingest_file


@pytest.fixture()
def net(db_url, tmp_path, request):
    name = f"net1-{request.node.name[:40]}"
    import_net1(tmp_path, name)
    return name


def readings(engine, network):
    with engine.connect() as conn:
        return pd.read_sql(text(
            """SELECT s.sensor_id, r.ts, r.value FROM water.readings r JOIN water.sensors s ON s.id = r.sensor_pk
               JOIN water.networks n ON n.id = s.network_id WHERE n.name = :n ORDER BY 1, 2"""),
            conn, params={"n": network})


def quarantine(engine, batch_id):
    with engine.connect() as conn:
        return pd.read_sql(text("SELECT line, field, raw_value, reason FROM ingest.quarantine "
                                "WHERE batch_id = :b ORDER BY line, field"), conn, params={"b": batch_id})


def test_wide_csv_units_timezone_and_idempotency(engine, net, tmp_path):
    f = tmp_path / "wide.csv"
    f.write_text("timestamp,P-10,P-22,F-10,L-2\n"
                 "2024-03-01 08:00:00,50.0,5.0,100,30.0\n"
                 "2024-03-01 08:05:00,50.5,,101,30.1\n")
    r = ingest_file(f, net)
    assert (r.status, r.rows_loaded, r.rows_quarantined) == ("loaded", 7, 0)
    df = readings(engine, net)
    p22 = df[df.sensor_id == "P-22"].iloc[0]
    assert p22.value == pytest.approx(5.0 * 100 / 9.80665)            # bar -> m head
    assert df[df.sensor_id == "F-10"].value.iloc[0] == pytest.approx(0.1)  # L/s -> m3/s
    assert p22.ts == pd.Timestamp("2024-03-01 00:00", tz="UTC")        # Asia/Brunei is UTC+8
    again = ingest_file(f, net)
    assert again.status == "skipped" and again.batch_id == r.batch_id
    forced = ingest_file(f, net, force=True)
    assert forced.rows_loaded == 0                                       # upsert changes nothing
    assert len(readings(engine, net)) == 7


def test_european_csv_format(engine, net, tmp_path):
    f = tmp_path / "eu.csv"
    f.write_text("Zeit;P-10;L-2\n01.03.2024 08:00;50,25;3,5\n01.03.2024 08:05;50,5;3,6\n")
    r = ingest_file(f, net, ExportFormat(sep=";", decimal=",", timestamp_format="%d.%m.%Y %H:%M",
                                         timezone="UTC"))
    assert r.rows_loaded == 4
    df = readings(engine, net)
    assert df[df.sensor_id == "P-10"].value.tolist() == [50.25, 50.5]
    assert df.ts.min() == pd.Timestamp("2024-03-01 08:00", tz="UTC")


def test_long_csv_and_parquet(engine, net, tmp_path):
    f = tmp_path / "long.csv"
    f.write_text("sensor,timestamp,value\nP-10,2024-03-02T00:00:00+08:00,40\nP-31,2024-03-02T00:00:00+08:00,60\n")
    assert ingest_file(f, net).rows_loaded == 2
    p = tmp_path / "wide.parquet"
    pd.DataFrame({"timestamp": pd.date_range("2024-03-03", periods=3, freq="5min"),
                  "P-10": [41.0, 42.0, 43.0]}).to_parquet(p)
    assert ingest_file(p, net).rows_loaded == 3
    df = readings(engine, net)
    assert df[df.sensor_id == "P-31"].value.iloc[0] == pytest.approx(60 * 6.894757 / 9.80665)


def test_bad_rows_are_quarantined_with_reason_and_good_rows_kept(engine, net, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("timestamp,P-10,GHOST,F-10\n"
                 "2024-03-04 00:00:00,50,1,0.5\n"       # line 2: GHOST unknown
                 "2024-03-04 00:05:00,abc,2,0.5\n"      # line 3: non-numeric
                 "2024-03-04 00:10:00,900,3,0.5\n"      # line 4: impossible pressure
                 "not-a-time,50,4,0.5\n"                 # line 5: bad timestamp
                 "2024-03-04 00:00:00,51,5,0.6\n")      # line 6: duplicate of line 2
    r = ingest_file(f, net)
    q = quarantine(engine, r.batch_id)
    reasons = {(row.line, row.field): row.reason for row in q.itertuples()}
    assert reasons[(2, "GHOST")].startswith("unknown sensor")
    assert reasons[(3, "P-10")] == "non-numeric value"
    assert reasons[(4, "P-10")].startswith("physically impossible value")
    assert reasons[(5, "timestamp")] == "unparseable timestamp"
    assert reasons[(6, "P-10")].startswith("duplicate") and "line 2" in reasons[(6, "P-10")]
    df = readings(engine, net)
    # good values survive: P-10 at 00:00 (first wins), F-10 at 00:00/05/10
    assert df[df.sensor_id == "P-10"].value.tolist() == [50.0]
    assert len(df[df.sensor_id == "F-10"]) == 3
    assert r.rows_loaded == 4 and r.rows_quarantined == len(q)


def test_unparseable_file_names_file_and_line_and_writes_nothing(engine, net, tmp_path):
    f = tmp_path / "broken.csv"
    f.write_text("timestamp,P-10\n2024-03-05 00:00:00,50\n2024-03-05 00:05:00,50,7,8\n")
    with pytest.raises(InputFileError) as err:
        ingest_file(f, net)
    assert "broken.csv:3" in str(err.value)
    assert readings(engine, net).empty
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ingest.batches WHERE file_name = :f"),
                            {"f": str(f)}).scalar() == 0


def test_overlapping_export_updates_only_changed_values(engine, net, tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("timestamp,P-10\n2024-03-06 00:00:00,50\n2024-03-06 00:05:00,51\n")
    b = tmp_path / "b.csv"
    b.write_text("timestamp,P-10\n2024-03-06 00:05:00,51\n2024-03-06 00:10:00,52\n")
    ingest_file(a, net)
    assert ingest_file(b, net).rows_loaded == 1
    assert readings(engine, net).value.tolist() == [50, 51, 52]
