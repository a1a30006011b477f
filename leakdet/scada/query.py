"""Read stored readings back as time-indexed frames (WNTR style: index time, columns element)."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import text
from sqlalchemy.engine import Connection

from leakdet.network.sensor_map import network_id


def readings_frame(conn: Connection, network: str, start_utc: pd.Timestamp, end_utc: pd.Timestamp,
                   step: str = "5min") -> dict[str, pd.DataFrame]:
    """Readings in ``[start_utc, end_utc)`` per sensor kind, on a regular ``step`` grid.

    Returns
    -------
    dict of kind -> DataFrame
        Index: UTC times of the grid; columns: sensor_id; stored units; NaN where no data.
        Every sensor of the network has a column, even one with no data at all.
    """
    nid = network_id(conn, network)
    rows = pd.read_sql(text(
        """SELECT s.sensor_id, s.kind, r.ts, r.value FROM water.readings r
           JOIN water.sensors s ON s.id = r.sensor_pk
           WHERE s.network_id = :n AND r.ts >= :a AND r.ts < :b"""),
        conn, params={"n": nid, "a": start_utc.to_pydatetime(), "b": end_utc.to_pydatetime()})
    sensors = pd.read_sql(text("SELECT sensor_id, kind FROM water.sensors WHERE network_id = :n ORDER BY sensor_id"),
                          conn, params={"n": nid})
    grid = pd.date_range(start_utc, end_utc, freq=step, inclusive="left", name="ts")
    out = {}
    for kind, tags in sensors.groupby("kind")["sensor_id"]:
        sub = rows[rows["kind"] == kind]
        if len(sub):
            sub = sub.assign(ts=pd.to_datetime(sub["ts"], utc=True).dt.round(step))
            wide = sub.pivot_table(index="ts", columns="sensor_id", values="value", aggfunc="mean")
        else:
            wide = pd.DataFrame(index=grid)
        out[kind] = wide.reindex(index=grid, columns=list(tags))
    return out
