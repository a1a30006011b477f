"""Readers for historian exports: wide CSV, long CSV and Parquet, into one long frame.

Every reader returns a :class:`ParsedExport`: the readings in long form (sensor tag,
UTC time, numeric value, source line) and the cells that could not be read, each
with its line, field, raw value and reason.  A file that cannot be parsed at all
raises :class:`~leakdet.errors.InputFileError` naming the file and line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from leakdet.errors import InputFileError

LONG_SENSOR = ("sensor_id", "sensor", "tag", "tagname", "point")
LONG_TIME = ("timestamp", "time", "datetime", "ts")
LONG_VALUE = ("value", "val", "reading")


@dataclass(frozen=True)
class ExportFormat:
    """How a historian export is laid out.

    Parameters
    ----------
    sep, decimal : str
        CSV field separator and decimal mark (``";"`` and ``","`` in many European exports).
    timestamp_column : str, optional
        Name of the time column; default: the first column (wide) or a column called
        timestamp/time/datetime (long).
    timestamp_format : str, optional
        ``strftime`` format of the timestamps; default: ISO-8601 inferred.
    timezone : str
        Zone of naive timestamps (Brunei is UTC+8 all year). Timestamps with an offset keep it.
    layout : {"auto", "wide", "long"}
    """

    sep: str = ","
    decimal: str = "."
    timestamp_column: str | None = None
    timestamp_format: str | None = None
    timezone: str = "Asia/Brunei"
    layout: str = "auto"


@dataclass
class ParsedExport:
    readings: pd.DataFrame            # sensor_id, ts (UTC), value, line
    rejects: pd.DataFrame             # line, field, raw_value, reason
    rows_total: int                   # values (cells) offered, excluding empty cells
    unknown_columns: list[str] = field(default_factory=list)


def _rejects(line, fld, raw, reason) -> pd.DataFrame:
    return pd.DataFrame({"line": line, "field": fld, "raw_value": raw, "reason": reason})


def _parse_times(raw: pd.Series, fmt: str | None, tz: str) -> pd.Series:
    """Parse to UTC; unparseable entries become NaT."""
    text = raw.astype("string").str.strip()
    has_offset = text.str.contains(r"(?:[+-]\d{2}:?\d{2}|Z)$", regex=True, na=False)
    if has_offset.all() and len(text):
        return pd.to_datetime(text, format=fmt or "ISO8601", errors="coerce", utc=True)
    parsed = pd.to_datetime(text.where(~has_offset), format=fmt or "ISO8601", errors="coerce")
    out = parsed.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
    if has_offset.any():
        out = out.where(~has_offset, pd.to_datetime(text.where(has_offset), format="ISO8601",
                                                     errors="coerce", utc=True))
    return out


def _numeric(col: pd.Series, decimal: str) -> tuple[np.ndarray, np.ndarray]:
    """Float values and a mask of non-empty cells that are not numbers."""
    if col.dtype.kind in "fiu":
        return col.to_numpy(dtype=float), np.zeros(len(col), dtype=bool)
    text = col.astype("string").str.strip()
    if decimal != ".":
        text = text.str.replace(decimal, ".", regex=False)
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    bad = (text.notna() & (text != "")).to_numpy(dtype=bool) & np.isnan(values)
    return values, bad


def _read_table(path: Path, fmt: ExportFormat) -> tuple[pd.DataFrame, int]:
    """The file as a frame, and the line number of its first data row."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        try:
            return pd.read_parquet(path), 1  # "line" = 1-based row number in a Parquet file
        except Exception as exc:
            raise InputFileError(path, None, f"not a readable Parquet file: {exc}") from None
    try:
        frame = pd.read_csv(path, sep=fmt.sep, decimal=fmt.decimal, skipinitialspace=True,
                            skip_blank_lines=False, low_memory=False)
    except pd.errors.EmptyDataError:
        raise InputFileError(path, 1, "file is empty") from None
    except pd.errors.ParserError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise InputFileError(path, int(m.group(1)) if m else None, f"cannot parse CSV: {exc}") from None
    except UnicodeDecodeError as exc:
        raise InputFileError(path, None, f"not a text file: {exc}") from None
    return frame, 2


def _find(columns, names) -> str | None:
    lower = {str(c).strip().lower(): c for c in columns}
    return next((lower[n] for n in names if n in lower), None)


def read_export(path: str | Path, fmt: ExportFormat = ExportFormat()) -> ParsedExport:
    """Read one historian export file into long form (see module docstring)."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(path, None, "file not found")
    frame, first_line = _read_table(path, fmt)
    frame = frame.dropna(how="all")  # blank lines in CSV
    lines = frame.index.to_numpy() + first_line
    long_cols = (_find(frame.columns, LONG_SENSOR), _find(frame.columns, LONG_TIME), _find(frame.columns, LONG_VALUE))
    layout = fmt.layout
    if layout == "auto":
        layout = "long" if all(long_cols) and frame.shape[1] <= 5 else "wide"
    if layout == "long":
        return _read_long(path, frame, lines, long_cols, fmt)
    return _read_wide(path, frame, lines, fmt)


def _read_wide(path: Path, frame: pd.DataFrame, lines: np.ndarray, fmt: ExportFormat) -> ParsedExport:
    tcol = fmt.timestamp_column or frame.columns[0]
    if tcol not in frame.columns:
        raise InputFileError(path, 1, f"timestamp column {tcol!r} not found")
    if frame.shape[1] < 2:
        raise InputFileError(path, 1, "no sensor columns next to the timestamp column")
    ts = _parse_times(frame[tcol], fmt.timestamp_format, fmt.timezone)
    if len(ts) and ts.isna().all():
        raise InputFileError(path, int(lines[0]), f"field {tcol}: no timestamp could be parsed "
                                                  f"(first value {frame[tcol].iloc[0]!r})")
    bad_ts = ts.isna().to_numpy()
    rejects = [_rejects(lines[bad_ts], str(tcol), frame[tcol][bad_ts].astype("string"), "unparseable timestamp")]
    columns = [c for c in frame.columns if c != tcol]
    sensors = [str(c).strip() for c in columns]
    if len(set(sensors)) < len(sensors):  # " P1" and "P1": keep the raw headers so both are reported
        sensors = [str(c) for c in columns]
    values = np.empty((len(frame), len(sensors)))
    for j, (name, column) in enumerate(zip(sensors, columns)):
        col = frame[column]
        values[:, j], bad = _numeric(col, fmt.decimal)
        if bad.any():
            rejects.append(_rejects(lines[bad], name, col[bad].astype("string"), "non-numeric value"))
    keep = ~bad_ts
    n_rows = int(keep.sum())
    # Work on int64 nanoseconds: tz-aware .to_numpy() would build one Python object per value.
    long = pd.DataFrame({
        "sensor_id": pd.Categorical.from_codes(np.tile(np.arange(len(sensors), dtype=np.int32), n_rows),
                                               categories=sensors),
        "ts": pd.to_datetime(np.repeat(ts[keep].dt.as_unit("ns").array.asi8, len(sensors)), utc=True),
        "value": values[keep].ravel(),
        "line": np.repeat(lines[keep], len(sensors)),
    })
    long = long[~np.isnan(long["value"].to_numpy())]
    rej = pd.concat(rejects, ignore_index=True)
    total = len(long) + len(rej)
    return ParsedExport(long.reset_index(drop=True), rej, total)


def _read_long(path: Path, frame: pd.DataFrame, lines: np.ndarray, cols, fmt: ExportFormat) -> ParsedExport:
    scol, tcol, vcol = cols
    tcol = fmt.timestamp_column or tcol
    ts = _parse_times(frame[tcol], fmt.timestamp_format, fmt.timezone)
    if len(ts) and ts.isna().all():
        raise InputFileError(path, int(lines[0]), f"field {tcol}: no timestamp could be parsed")
    values, bad_val = _numeric(frame[vcol], fmt.decimal)
    bad_ts = ts.isna().to_numpy()
    rej = pd.concat([
        _rejects(lines[bad_ts], str(tcol), frame[tcol][bad_ts].astype("string"), "unparseable timestamp"),
        _rejects(lines[bad_val & ~bad_ts], str(vcol), frame[vcol][bad_val & ~bad_ts].astype("string"),
                 "non-numeric value"),
    ], ignore_index=True)
    ok = ~bad_ts & ~np.isnan(values)
    long = pd.DataFrame({"sensor_id": pd.Categorical(frame[scol].astype(str).str.strip().to_numpy()[ok]),
                         "ts": pd.to_datetime(ts.dt.as_unit("ns").array.asi8[ok], utc=True), "value": values[ok], "line": lines[ok]})
    return ParsedExport(long, rej, len(long) + len(rej))
