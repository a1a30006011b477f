"""The migrated schema: PostGIS present, partitions made on demand, quarantine escaping."""
import pandas as pd
from sqlalchemy import text

from platform_core import ingest_log


def test_postgis_and_schemas(engine):
    with engine.connect() as conn:
        assert conn.execute(text("select postgis_version()")).scalar()
        schemas = set(conn.execute(text("select schema_name from information_schema.schemata")).scalars())
    assert {"water", "hazard", "ingest"} <= schemas


def test_reading_partitions_created_on_demand_and_idempotent(engine):
    with engine.begin() as conn:
        made = conn.execute(text(
            "select water.ensure_reading_partitions('2031-01-15'::timestamptz, '2031-03-02'::timestamptz)")).scalar()
        again = conn.execute(text(
            "select water.ensure_reading_partitions('2031-01-15'::timestamptz, '2031-03-02'::timestamptz)")).scalar()
        parts = conn.execute(text(
            "select count(*) from pg_inherits where inhparent = 'water.readings'::regclass "
            "and inhrelid::regclass::text like 'water.readings_2031_%'")).scalar()
    assert made == 3 and again == 0 and parts == 3


def test_quarantine_keeps_awkward_text(engine, tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("a\n")
    with engine.begin() as conn:
        bid = ingest_log.open_batch(conn, "test", "scope", f, ingest_log.file_sha256(f))
        n = ingest_log.write_quarantine(conn, bid, pd.DataFrame(
            {"line": [2], "field": ["s\t1"], "raw_value": ["x\\y\nz"], "reason": ["non-numeric value"]}))
        row = conn.execute(text("select field, raw_value from ingest.quarantine where batch_id=:b"),
                           {"b": bid}).one()
    assert n == 1 and row == ("s\t1", "x\\y\nz")
