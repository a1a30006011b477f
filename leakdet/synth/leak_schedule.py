"""Leak schedules: which pipe leaks, when, how big, abrupt or incipient.

Two formats are read:

- CSV with columns ``link_id, start, end, diameter_m, type, peak`` (``type`` is
  ``abrupt`` or ``incipient``; ``peak`` is when an incipient leak reaches full size);
- the BattLeDIM ``.yalm`` schedule, whose ``leakages:`` list holds lines
  ``- linkID, startTime, endTime, leakDiameter (m), leakType, peakTime``.

Naive times are read in ``tz`` (default Asia/Brunei); times with an offset keep it.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from leakdet.errors import InputFileError

KINDS = ("abrupt", "incipient")


@dataclass(frozen=True)
class LeakSpec:
    """One leak. Times are UTC; ``diameter_m`` is the equivalent orifice diameter."""

    link_id: str
    start: pd.Timestamp
    end: pd.Timestamp
    diameter_m: float
    kind: str
    peak: pd.Timestamp

    @property
    def leak_id(self) -> str:
        return f"{self.link_id}@{self.start:%Y%m%dT%H%MZ}"


def _time(value: str, tz: str) -> pd.Timestamp:
    t = pd.Timestamp(str(value).strip())
    return (t.tz_localize(tz) if t.tzinfo is None else t).tz_convert("UTC")


def _spec(path: Path, line: int, link, start, end, diameter, kind, peak, tz: str) -> LeakSpec:
    field = "link_id"
    try:
        link = str(link).strip()
        if not link:
            raise ValueError("empty")
        field = "start"
        t0 = _time(start, tz)
        field = "end"
        t1 = _time(end, tz)
        field = "diameter_m"
        d = float(diameter)
        if not 0 < d < 1:
            raise ValueError(f"{d} m is not a plausible leak diameter")
        field = "type"
        kind = str(kind).strip().lower()
        if kind not in KINDS:
            raise ValueError(f"{kind!r} is not abrupt or incipient")
        field = "peak"
        tp = _time(peak, tz) if str(peak).strip() not in ("", "nan", "None") else t0
        if kind == "incipient" and tp < t0:
            raise ValueError("an incipient leak cannot peak before it starts")
        if t1 <= t0:
            field = "end"
            raise ValueError("end is not after start")
    except (ValueError, TypeError) as exc:
        raise InputFileError(path, line, f"field {field}: {exc}") from None
    return LeakSpec(link, t0, t1, d, kind, tp if kind == "incipient" else t0)


def read_leak_schedule(path: str | Path, tz: str = "Asia/Brunei") -> list[LeakSpec]:
    """Read a leak schedule (CSV or BattLeDIM ``.yalm``) into :class:`LeakSpec` objects.

    Parameters
    ----------
    path : str or Path
        ``.csv`` (columns ``link_id,start,end,diameter_m,type,peak``) or ``.yalm``/``.yaml``.
    tz : str
        Time zone of naive times in the file (BattLeDIM files carry none; pass the
        network's clock, e.g. ``"UTC"``). Times with an offset keep it.

    Returns
    -------
    list of LeakSpec
        In file order; times tz-aware UTC, diameters in m.

    Raises
    ------
    InputFileError
        Naming the file, the line and the field of the first bad row.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(path, None, "file not found")
    if path.suffix.lower() in (".yalm", ".yaml", ".yml"):
        return _read_yalm(path, tz)
    with path.open(newline="") as f:
        reader = csv.DictReader(f, skipinitialspace=True)
        header = [c.strip() for c in reader.fieldnames or []]
        missing = [c for c in ("link_id", "start", "end", "diameter_m", "type") if c not in header]
        if missing:
            raise InputFileError(path, 1, f"missing column(s) {', '.join(missing)}")
        reader.fieldnames = header
        leaks = []
        for row in reader:
            # line_num counts the physical lines read so far: right even after blank lines
            if None in row:
                raise InputFileError(path, reader.line_num, f"{len(header) + len(row[None])} fields, "
                                     f"expected {len(header)}")
            leaks.append(_spec(path, reader.line_num, row["link_id"], row["start"], row["end"],
                               row["diameter_m"], row["type"], row.get("peak") or "", tz))
    return leaks


def leak_table(leaks: list[LeakSpec]) -> pd.DataFrame:
    """The schedule as a DataFrame indexed by ``leak_id`` (UTC times, diameters in m)."""
    cols = ["link_id", "start", "end", "diameter_m", "kind", "peak"]
    frame = pd.DataFrame([[getattr(l, c) for c in cols] for l in leaks], columns=cols)
    frame.index = pd.Index([l.leak_id for l in leaks], name="leak_id")
    return frame

def _read_yalm(path: Path, tz: str) -> list[LeakSpec]:
    leaks, inside = [], False
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not raw.startswith((" ", "-", "\t")) and line.endswith(":"):
            inside = line == "leakages:"
            continue
        if not inside or not line.startswith("-"):
            continue
        body = line[1:].split("#", 1)[0].strip()
        if not body:
            continue
        parts = [p.strip() for p in body.split(",")]
        if len(parts) != 6:
            raise InputFileError(path, number, f"expected 6 fields (linkID, start, end, diameter, type, peak), got {len(parts)}")
        leaks.append(_spec(path, number, *parts, tz))
    return leaks
