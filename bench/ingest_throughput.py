"""SCADA ingest throughput against a raw COPY of the same rows, in the same run and database.

Usage: uv run python -m bench.ingest_throughput [--sensors 100] [--days 30] [--repeat 3]

The raw baseline COPYs pre-serialised rows straight into ``water.readings`` (same
partitions and primary key); the pipeline reads the wide CSV, validates, converts
units and time zones, writes the batch row, and loads. The ratio is raw time / pipeline time.
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import text

from bench.report import scratch_database, write_section


def make_export(path: Path, n_sensors: int, days: int, start: str) -> tuple[list[str], int]:
    rng = np.random.default_rng(1)
    ts = pd.date_range(start, periods=days * 288, freq="5min")
    tags = [f"PT-{i:03d}" for i in range(n_sensors)]
    data = pd.DataFrame(rng.normal(45, 3, (len(ts), n_sensors)).round(3), columns=tags)
    data.insert(0, "timestamp", ts.strftime("%Y-%m-%d %H:%M:%S"))
    data.to_csv(path, index=False)
    return tags, len(ts) * n_sensors


def setup_network(engine, name: str, tags: list[str], tmp: Path) -> None:
    from leakdet.network.inp_import import import_network
    from leakdet.network.georef import Georeference
    from leakdet.network.sensor_map import import_sensor_map
    import os, wntr

    net1 = Path(os.path.dirname(wntr.__file__)) / "library" / "networks" / "Net1.inp"
    import_network(net1, name, Georeference(origin=(4.89, 114.94), anchor="centre"), engine)
    smap = tmp / f"{name}.csv"
    smap.write_text("sensor_id,kind,element_id,unit\n" + "".join(f"{t},pressure,10,m\n" for t in tags))
    import_sensor_map(smap, name, engine)


def raw_copy(engine, network: str, export: Path, binary: bool) -> float:
    """Time a COPY of the same rows (already serialised, text or binary format) into water.readings."""
    from platform_core.db import arrow_to_tsv, binary_copy_payload, copy_rows

    wide = pd.read_csv(export)
    ts = pd.to_datetime(wide.pop("timestamp")).dt.tz_localize("Asia/Brunei").dt.tz_convert("UTC")
    with engine.connect() as conn:
        pks = dict(conn.execute(text("SELECT s.sensor_id, s.id FROM water.sensors s JOIN water.networks n "
                                     "ON n.id = s.network_id WHERE n.name = :n"), {"n": network}).all())
    values = wide.to_numpy()
    table = pa.table({
        "sensor_pk": pa.array(np.tile([pks[c] for c in wide.columns], len(wide)), pa.int32()),
        "ts": pa.array(np.repeat(ts.to_numpy(), wide.shape[1])).cast(pa.timestamp("us", "UTC")),
        "value": pa.array(values.ravel(), pa.float64()),
        "quality": pa.array(np.zeros(values.size, np.int16)),
        "batch_id": pa.array(np.zeros(values.size, np.int32)),
    })
    payload = binary_copy_payload([
        (table["sensor_pk"].to_numpy(), "int4"), (table["ts"].cast(pa.int64()).to_numpy() * 1000, "timestamptz"),
        (table["value"].to_numpy(), "float8"), (table["quality"].to_numpy(), "int2"),
        (table["batch_id"].to_numpy(), "int4")]) if binary else arrow_to_tsv(table)
    with engine.begin() as conn:
        conn.execute(text("SELECT water.ensure_reading_partitions(:a, :b)"),
                     {"a": ts.min().to_pydatetime(), "b": ts.max().to_pydatetime()})
    t0 = time.perf_counter()
    with engine.begin() as conn:
        copy_rows(conn, "water.readings", ("sensor_pk", "ts", "value", "quality", "batch_id"), payload, binary)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sensors", type=int, default=100)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from leakdet.scada.ingest import ingest_file
    from platform_core.db import get_engine

    raw_t, text_t, pipe_t, upsert_t = [], [], [], []
    with TemporaryDirectory() as tmpdir, scratch_database() as url:
        tmp = Path(tmpdir)
        engine = get_engine(url)
        for i in range(args.repeat):
            # Each repetition writes a fresh month range so both paths load into empty ranges.
            start = f"{2030 + i}-01-01"
            export = tmp / f"export_{i}.csv"
            tags, n_rows = make_export(export, args.sensors, args.days, start)
            setup_network(engine, f"raw{i}", tags, tmp)
            setup_network(engine, f"pipe{i}", tags, tmp)
            setup_network(engine, f"text{i}", tags, tmp)
            raw_t.append(raw_copy(engine, f"raw{i}", export, binary=True))
            text_t.append(raw_copy(engine, f"text{i}", export, binary=False))
            t0 = time.perf_counter()
            res = ingest_file(export, f"pipe{i}", engine=engine)
            pipe_t.append(time.perf_counter() - t0)
            assert res.rows_loaded == n_rows, res
            t0 = time.perf_counter()
            res = ingest_file(export, f"pipe{i}", engine=engine, force=True)   # all rows collide: staged upsert
            upsert_t.append(time.perf_counter() - t0)
            assert res.rows_loaded == 0
    raw, txt, pipe, ups = (statistics.median(x) for x in (raw_t, text_t, pipe_t, upsert_t))
    body = f"""## SCADA ingest throughput (`bench/ingest_throughput.py`)

Wide CSV, {args.sensors} sensors x {args.days} days at 5 min = {n_rows:,} values per file; median of {args.repeat} runs.
Raw COPY = the same rows, already serialised, COPYed into `water.readings` in the same database and run.
The baseline is the faster binary COPY; raw text COPY is shown for reference.

| path | time (s) | rows/s | vs raw COPY |
|---|---|---|---|
| raw binary COPY (baseline) | {raw:.2f} | {n_rows / raw:,.0f} | 100 % |
| raw text COPY | {txt:.2f} | {n_rows / txt:,.0f} | {100 * raw / txt:.0f} % |
| `leakdet scada ingest` (parse, validate, SI/UTC, batch, COPY) | {pipe:.2f} | {n_rows / pipe:,.0f} | **{100 * raw / pipe:.0f} %** |
| re-ingest with `--force` (every row collides: staged upsert, no change) | {ups:.2f} | {n_rows / ups:,.0f} | {100 * raw / ups:.0f} % |

Goal: pipeline at least 50 % of raw COPY speed -> {"met" if raw / pipe >= 0.5 else "NOT met"}.
"""
    print(body)
    write_section("ingest", body)


if __name__ == "__main__":
    main()
