"""Files a simulation leaves behind: daily historian exports and the leak ground truth."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from leakdet.synth.leak_schedule import LeakSpec

LOCAL_FORMAT = "%Y-%m-%d %H:%M:%S"        # historian style: local wall-clock time, no offset
UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"         # ISO-8601 for ground truth


def write_daily_exports(readings: pd.DataFrame, tz: str, out_dir: Path) -> list[Path]:
    """Write ``scada_YYYY-MM-DD.csv`` per local day: ``timestamp`` (local) + one column per sensor.

    ``readings`` is indexed by UTC time with one column per sensor, in the sensors' units.
    """
    local = readings.index.tz_convert(tz)
    frame = readings.round(4).reset_index(drop=True)
    frame.insert(0, "timestamp", local.strftime(LOCAL_FORMAT))
    files = []
    for day, part in frame.groupby(local.date):
        path = out_dir / f"scada_{day}.csv"
        part.to_csv(path, index=False)
        files.append(path)
    return files


def write_truth(leaks: list[LeakSpec], leak_nodes: list[str], flows: pd.DataFrame, out_dir: Path) -> pd.DataFrame:
    """Write ``ground_truth_leaks.csv`` (one row per leak) and ``ground_truth_leak_flows.csv`` (L/s).

    Returns the per-leak summary (times as ISO-8601 UTC strings, flows in L/s).
    """
    iso = lambda t: t.strftime(UTC_FORMAT)  # noqa: E731
    rows = []
    for leak, node, col in zip(leaks, leak_nodes, flows.columns):
        q = flows[col].to_numpy()
        active = q > 1e-6
        rows.append({"leak_id": leak.leak_id, "link_id": leak.link_id, "leak_node": node,
                     "start_utc": iso(leak.start), "end_utc": iso(leak.end), "peak_utc": iso(leak.peak),
                     "kind": leak.kind, "diameter_m": leak.diameter_m,
                     "max_flow_lps": round(float(q.max()), 3) if len(q) else 0.0,
                     "mean_flow_lps": round(float(q[active].mean()), 3) if active.any() else 0.0})
    truth = pd.DataFrame(rows, columns=["leak_id", "link_id", "leak_node", "start_utc", "end_utc", "peak_utc",
                                        "kind", "diameter_m", "max_flow_lps", "mean_flow_lps"])
    truth.to_csv(out_dir / "ground_truth_leaks.csv", index=False)
    table = pd.DataFrame(np.round(flows.to_numpy(), 4), columns=flows.columns)
    table.insert(0, "timestamp_utc", flows.index.strftime(UTC_FORMAT))
    table.to_csv(out_dir / "ground_truth_leak_flows.csv", index=False)
    return truth
