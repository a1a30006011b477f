"""Gridded-rainfall feed (IMERG/GSMaP NetCDF or GeoTIFF) into ``hazard.rain_grid_cells``/``rain_grid_values``.

The grid must cover Brunei (``BRUNEI_BOX``, cell edges); only the cells touching the box
(plus one cell of margin) are stored, ~14 × 11 at 0.1°. Values are mm in the period
ending at ``ts`` (UTC). A negative value or an intensity above 250 mm/h is quarantined
with its record number (1-based, time-major over the stored cells) and position; a
missing value (fill) is skipped and counted. Re-ingesting the same file changes
nothing; a corrected file updates its cells and marks the already-scored hours it changes.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import text

from disaster.errors import FeedFileError
from disaster.feeds.common import MAX_INTENSITY_MM_H, Rejects, batch, mark_late, skipped
from disaster.feeds.grid_read import Grid, read_grid
from platform_core import ingest_log
from platform_core.db import copy_rows, frame_to_tsv, get_engine

SOURCE = "rain_grid"
BRUNEI_BOX = (114.0, 4.0, 115.4, 5.1)        # west, south, east, north (degrees)


def check_extent(path: Path, g: Grid) -> None:
    dx, dy = g.res
    w, e = g.lon.min() - dx / 2, g.lon.max() + dx / 2
    s, n = g.lat.min() - dy / 2, g.lat.max() + dy / 2
    W, S, E, N = BRUNEI_BOX
    if w > W + 1e-6 or e < E - 1e-6 or s > S + 1e-6 or n < N - 1e-6:
        raise FeedFileError(path, None, f"grid covers {w:.2f}–{e:.2f} E, {s:.2f}–{n:.2f} N; it must cover Brunei "
                                        f"({W}–{E} E, {S}–{N} N): wrong extent or wrong CRS")


def crop(g: Grid) -> Grid:
    dx, dy = g.res
    W, S, E, N = BRUNEI_BOX
    ix = np.flatnonzero((g.lon + dx / 2 > W - dx) & (g.lon - dx / 2 < E + dx))
    iy = np.flatnonzero((g.lat + dy / 2 > S - dy) & (g.lat - dy / 2 < N + dy))
    return Grid(g.mm[:, iy][:, :, ix], g.lat[iy], g.lon[ix], g.period_end, g.period_s, g.variable)


def validate(g: Grid) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Long table (t, iy, ix, rain_mm) of valid values, the rejects, and the count of missing values."""
    nt, ny, nx = g.mm.shape
    flat = g.mm.reshape(-1)
    record = np.arange(1, flat.size + 1)
    t_i, y_i, x_i = np.unravel_index(np.arange(flat.size), g.mm.shape)
    missing = np.isnan(flat)
    intensity = flat / (g.period_s / 3600.0)
    rej = Rejects()
    for mask, reason in ((~missing & (flat < 0), lambda v: "negative rainfall"),
                         (~missing & (flat >= 0) & (intensity > MAX_INTENSITY_MM_H),
                          lambda v: f"physically impossible intensity: {v:.0f} mm/h > {MAX_INTENSITY_MM_H:.0f}")):
        k = np.flatnonzero(mask)
        if len(k):
            field = [f"{g.variable}[{g.period_end[t]:%Y-%m-%dT%H:%MZ}, {g.lat[y]:.3f}N, {g.lon[x]:.3f}E]"
                     for t, y, x in zip(t_i[k], y_i[k], x_i[k])]
            rej.add(record[k], field, [f"{v:g}" for v in flat[k]], [reason(v) for v in intensity[k]])
    ok = ~missing & (flat >= 0) & (intensity <= MAX_INTENSITY_MM_H)
    good = pd.DataFrame({"t": t_i[ok], "iy": y_i[ok], "ix": x_i[ok], "rain_mm": flat[ok]})
    return good, rej.frame(), int(missing.sum())


def upsert_cells(conn, g: Grid) -> np.ndarray:
    """Cell ids (ny × nx) for the grid's cells, inserting new ones (and forgetting stale area weights)."""
    dx, dy = g.res
    lon, lat = np.meshgrid(np.round(g.lon, 4), np.round(g.lat, 4))
    res = round(dx, 4)
    params = {"r": res, "dx": dx / 2, "dy": dy / 2, "x": lon.ravel().tolist(), "y": lat.ravel().tolist()}
    new = conn.execute(text(
        """INSERT INTO hazard.rain_grid_cells (res_deg, lon, lat, geom)
           SELECT :r, x, y, ST_MakeEnvelope(x - :dx, y - :dy, x + :dx, y + :dy, 4326)
           FROM unnest(CAST(:x AS float8[]), CAST(:y AS float8[])) AS c(x, y)
           ON CONFLICT (res_deg, lon, lat) DO NOTHING RETURNING cell_id"""), params).rowcount
    if new:
        # New cells change every overlapping area's fractions: computed again on the next scoring.
        conn.execute(text("DELETE FROM hazard.area_grid_weights_done"))
    ids = dict(((x, y), i) for i, x, y in conn.execute(text(
        "SELECT cell_id, lon, lat FROM hazard.rain_grid_cells WHERE res_deg = :r"), {"r": res}).all())
    return np.array([ids[(x, y)] for x, y in zip(lon.ravel(), lat.ravel())]).reshape(lon.shape)


def ingest_rain_grid(path: str | Path, engine=None, force: bool = False) -> dict:
    """Ingest one grid file; returns counts. Raises FeedFileError for a wrong extent/CRS/units."""
    path = Path(path)
    g = read_grid(path)
    check_extent(path, g)
    g = crop(g)
    good, rejects, missing = validate(g)
    engine = engine or get_engine()
    with batch(engine, SOURCE, path, force) as (conn, batch_id):
        if conn is None:
            return skipped(path, batch_id)
        cells = upsert_cells(conn, g)
        rows = pd.DataFrame({"cell_id": cells[good["iy"], good["ix"]],
                             "ts": g.period_end[good["t"].to_numpy()].strftime("%Y-%m-%d %H:%M:%S+00"),
                             "period_s": g.period_s, "rain_mm": good["rain_mm"].round(3), "batch_id": batch_id})
        conn.execute(text("CREATE TEMP TABLE grid_stage (LIKE hazard.rain_grid_values) ON COMMIT DROP"))
        copy_rows(conn, "grid_stage", list(rows.columns), frame_to_tsv(rows))
        changed = conn.execute(text(
            """INSERT INTO hazard.rain_grid_values AS v SELECT * FROM grid_stage
               ON CONFLICT (cell_id, ts) DO UPDATE SET period_s = EXCLUDED.period_s, rain_mm = EXCLUDED.rain_mm,
                   batch_id = EXCLUDED.batch_id
               WHERE (v.period_s, v.rain_mm) IS DISTINCT FROM (EXCLUDED.period_s, EXCLUDED.rain_mm)
               RETURNING v.ts""")).scalars().all()
        late = mark_late(conn, SOURCE, batch_id, set(changed))
        n_rej = ingest_log.write_quarantine(conn, batch_id, rejects)
        ingest_log.close_batch(conn, batch_id, rows_total=int(g.mm.size), rows_loaded=len(changed),
                               rows_quarantined=n_rej, message=f"{missing} missing values skipped" if missing else None)
    return {"file": str(path), "status": "loaded", "naive_times": "UTC (CF / satellite convention)",
            "batch_id": batch_id, "cells": int(cells.size),
            "times": len(g.period_end), "period_min": g.period_s // 60, "loaded": len(changed),
            "missing": missing, "quarantined": n_rej, "late_hours_marked": late,
            "first": g.period_end.min().isoformat(), "last": g.period_end.max().isoformat()}
