"""Load historian exports into ``water.readings``: validate, convert to SI/UTC, COPY, upsert.

One file is one transaction and one ``ingest.batches`` row.  Rows that fail a check
go to ``ingest.quarantine`` with the reason:

- ``unknown sensor``: the tag is not in the network's sensor map (for a wide file,
  one quarantine row per unknown column, with the number of values it held);
- ``unparseable timestamp`` / ``non-numeric value``;
- ``physically impossible value``: outside :data:`leakdet.units.PLAUSIBLE` after conversion;
- ``duplicate``: a second value for the same sensor and time in the same file.

Re-ingesting a file already loaded is a no-op; values for a (sensor, time) already
stored are updated only if they differ, so overlapping exports are safe.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from leakdet import units
from leakdet.network.sensor_map import load_sensors
from leakdet.scada.formats import ExportFormat, ParsedExport, read_export
from platform_core import ingest_log
from platform_core.db import binary_copy_payload, copy_rows, get_engine

SOURCE = "scada"
READING_COLUMNS = ("sensor_pk", "ts", "value", "quality", "batch_id")


@dataclass
class IngestResult:
    file: str
    batch_id: int | None
    status: str              # loaded | skipped (already loaded)
    rows_total: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    first_ts: str | None = None
    last_ts: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def validate(parsed: ParsedExport, sensors: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split parsed readings into loadable rows (sensor_pk, ts, value in SI) and rejects."""
    rd = parsed.readings
    rejects = [parsed.rejects]
    meta = sensors.set_index("sensor_id")
    # Readers give tags as a Categorical: resolve each distinct tag once, then use integer codes.
    tags = rd["sensor_id"].astype("category")
    tag_to_meta = meta.index.get_indexer(tags.cat.categories)
    codes_all = tag_to_meta[tags.cat.codes.to_numpy()]
    known = codes_all >= 0
    if (~known).any():
        unknown = rd[~known]
        by_tag = unknown.assign(sensor_id=unknown["sensor_id"].astype(str)).groupby("sensor_id", sort=True)
        # A wide file's unknown column is one problem, not thousands: summarise it per tag.
        rejects.append(pd.DataFrame({
            "line": by_tag["line"].min().to_numpy(),
            "field": by_tag.size().index.to_numpy(),
            "raw_value": [f"{n} values" for n in by_tag.size().to_numpy()],
            "reason": "unknown sensor (not in the network's sensor map)",
        }) if by_tag.ngroups < len(unknown) / 2 else pd.DataFrame({
            "line": unknown["line"].to_numpy(), "field": unknown["sensor_id"].astype(str).to_numpy(),
            "raw_value": unknown["value"].astype(str).to_numpy(),
            "reason": "unknown sensor (not in the network's sensor map)"}))
    rd = rd[known]
    codes = codes_all[known]
    kinds = meta["kind"].to_numpy()
    lo_s = np.array([units.PLAUSIBLE[k][0] for k in kinds])
    hi_s = np.array([units.PLAUSIBLE[k][1] for k in kinds])
    si = rd["value"].to_numpy() * meta["factor"].to_numpy()[codes]
    lo, hi = lo_s[codes], hi_s[codes]
    bad = (si < lo) | (si > hi) | ~np.isfinite(si)
    if bad.any():
        rejects.append(pd.DataFrame({
            "line": rd["line"].to_numpy()[bad], "field": meta.index.to_numpy()[codes][bad],
            "raw_value": rd["value"].to_numpy()[bad].astype(str),
            "reason": [f"physically impossible value: {v:.6g} {units.STORED_UNIT[k]} outside [{a}, {b}]"
                       for v, k, a, b in zip(si[bad], kinds[codes[bad]], lo[bad], hi[bad])]}))
    good = pd.DataFrame({"sensor_pk": meta["pk"].to_numpy()[codes][~bad].astype(np.int32),
                         "ts": pd.to_datetime(rd["ts"].dt.as_unit("ns").array.asi8[~bad], utc=True), "value": si[~bad],
                         "line": rd["line"].to_numpy()[~bad], "sensor_id": meta.index.to_numpy()[codes][~bad]})
    dup = good.duplicated(["sensor_pk", "ts"], keep="first").to_numpy()
    if dup.any():
        first = good[~dup].set_index(["sensor_pk", "ts"])["line"]
        d = good[dup]
        first_lines = first.reindex(pd.MultiIndex.from_frame(d[["sensor_pk", "ts"]])).to_numpy()
        rejects.append(pd.DataFrame({
            "line": d["line"].to_numpy(), "field": d["sensor_id"].to_numpy(), "raw_value": d["value"].astype(str),
            "reason": [f"duplicate: second value for this sensor and time (first at line {f})" for f in first_lines]}))
        good = good[~dup]
    rej = pd.concat([r for r in rejects if len(r)], ignore_index=True) if any(len(r) for r in rejects) \
        else pd.DataFrame(columns=["line", "field", "raw_value", "reason"])
    return good[["sensor_pk", "ts", "value"]].reset_index(drop=True), rej


def _has_overlap(conn: Connection, rows: pd.DataFrame) -> bool:
    pks = [int(p) for p in np.unique(rows["sensor_pk"].to_numpy())]
    return bool(conn.execute(text(
        "SELECT EXISTS (SELECT 1 FROM water.readings WHERE sensor_pk = ANY(:p) AND ts BETWEEN :a AND :b)"),
        {"p": pks, "a": rows["ts"].min().to_pydatetime(), "b": rows["ts"].max().to_pydatetime()}).scalar())


def reading_payload(rows: pd.DataFrame, batch_id: int) -> bytes:
    """Binary COPY payload of readings (sensor_pk, ts, value, quality 0, batch_id)."""
    n = len(rows)
    return binary_copy_payload([
        (rows["sensor_pk"].to_numpy(), "int4"),
        (rows["ts"].dt.as_unit("ns").array.asi8, "timestamptz"),
        (rows["value"].to_numpy(), "float8"),
        (np.zeros(n, np.int16), "int2"),
        (np.full(n, batch_id, np.int32), "int4"),
    ])


def load_readings(conn: Connection, rows: pd.DataFrame, batch_id: int) -> int:
    """Write readings in the open transaction; returns the number of rows inserted or changed."""
    if rows.empty:
        return 0
    conn.execute(text("SELECT water.ensure_reading_partitions(:a, :b)"),
                 {"a": rows["ts"].min().to_pydatetime(), "b": rows["ts"].max().to_pydatetime()})
    payload = reading_payload(rows, batch_id)
    if not _has_overlap(conn, rows):
        # Nothing stored yet for these sensors in this time range: COPY straight into the
        # partitions (the common case of new data), skipping the staging round trip.
        copy_rows(conn, "water.readings", READING_COLUMNS, payload, binary=True)
        return len(rows)
    conn.execute(text("CREATE TEMP TABLE IF NOT EXISTS readings_stage (LIKE water.readings) ON COMMIT DROP"))
    conn.execute(text("TRUNCATE readings_stage"))
    copy_rows(conn, "readings_stage", READING_COLUMNS, payload, binary=True)
    return conn.execute(text(
        """INSERT INTO water.readings AS r (sensor_pk, ts, value, quality, batch_id)
           SELECT sensor_pk, ts, value, quality, batch_id FROM readings_stage
           ON CONFLICT (sensor_pk, ts) DO UPDATE
             SET value = EXCLUDED.value, quality = EXCLUDED.quality, batch_id = EXCLUDED.batch_id
             WHERE (r.value, r.quality) IS DISTINCT FROM (EXCLUDED.value, EXCLUDED.quality)""")).rowcount


def ingest_file(path: str | Path, network: str, fmt: ExportFormat = ExportFormat(),
                engine: Engine | None = None, force: bool = False) -> IngestResult:
    """Ingest one historian export for ``network`` (see module docstring)."""
    path = Path(path)
    engine = engine or get_engine()
    sha = ingest_log.file_sha256(path) if path.exists() else ""
    with engine.connect() as conn:
        sensors = load_sensors(conn, network)
        done = ingest_log.find_loaded_batch(conn, SOURCE, network, sha)
    if done is not None and not force:
        return IngestResult(str(path), done, "skipped")
    parsed = read_export(path, fmt)          # raises InputFileError before anything is written
    rows, rejects = validate(parsed, sensors)
    with engine.begin() as conn:
        batch_id = ingest_log.open_batch(conn, SOURCE, network, path, sha)
        loaded = load_readings(conn, rows, batch_id)
        n_rej = ingest_log.write_quarantine(conn, batch_id, rejects)
        ingest_log.close_batch(conn, batch_id, rows_total=parsed.rows_total, rows_loaded=loaded,
                               rows_quarantined=n_rej)
    first = rows["ts"].min().isoformat() if len(rows) else None
    last = rows["ts"].max().isoformat() if len(rows) else None
    return IngestResult(str(path), batch_id, "loaded", parsed.rows_total, loaded, n_rej, first, last)
