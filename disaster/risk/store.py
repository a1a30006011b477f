"""Read the hold-down state back from, and write scored rows to, ``hazard.risk_scores`` (idempotent)."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import text

from platform_core.db import copy_rows

COLUMNS = ["area_id", "ts", "score", "level", "rain_1h_mm", "rain_3h_mm", "rain_6h_mm", "rain_24h_mm", "drivers",
           "inputs", "rain_source", "antecedent_72h_mm", "forecast_3h_mm", "forecast_6h_mm", "river_station",
           "river_pct_danger", "exposure"]
TEXT = ["drivers", "inputs", "rain_source", "river_station", "exposure"]


def previous_state(conn, hour: pd.Timestamp) -> dict[int, tuple[str, int]]:
    """{area_id: (level, calm hours)} of the hour ending at ``hour``."""
    rows = conn.execute(text("SELECT area_id, level, inputs FROM hazard.risk_scores WHERE ts = :t"),
                        {"t": hour.to_pydatetime()}).all()
    return {r.area_id: (r.level, int((r.inputs or {}).get("calm_hours", 0))) for r in rows}


def _escape(col: pd.Series) -> pd.Series:
    # COPY text format: backslashes, tabs and newlines inside a value must be escaped.
    return (col.astype(object).str.replace("\\", "\\\\", regex=False).str.replace("\t", "\\t", regex=False)
            .str.replace("\n", "\\n", regex=False).str.replace("\r", "\\r", regex=False))


def write_scores(engine, frame: pd.DataFrame) -> int:
    """Upsert the rows (COPY into a staging table, then one INSERT … ON CONFLICT)."""
    if frame.empty:
        return 0
    data = frame[COLUMNS].copy()
    data["ts"] = pd.to_datetime(data["ts"], utc=True).dt.strftime("%Y-%m-%d %H:%M:%S+00")
    for col in TEXT:
        data[col] = _escape(data[col])
    # Built by hand: the CSV writer would quote the JSON's double quotes, which COPY text format keeps.
    cols = [data[c].astype(object).where(data[c].notna(), "\\N").astype(str).tolist() for c in COLUMNS]
    payload = ("\n".join("\t".join(r) for r in zip(*cols)) + "\n").encode()
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS[2:])
    with engine.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE risk_stage (LIKE hazard.risk_scores) ON COMMIT DROP"))
        copy_rows(conn, "risk_stage", COLUMNS, payload)
        conn.execute(text(f"INSERT INTO hazard.risk_scores ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} "
                          f"FROM risk_stage ON CONFLICT (area_id, ts) DO UPDATE SET {sets}"))
    return len(data)
