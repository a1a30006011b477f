"""Leak schedules: which pipe leaks, when, how big, abrupt or incipient.

Two formats are read:

- CSV with columns ``link_id, start, end, diameter_m, type, peak`` (``type`` is
  ``abrupt`` or ``incipient``; ``peak`` is when an incipient leak reaches full size);
- the BattLeDIM ``.yalm`` schedule, whose ``leakages:`` list holds lines
  ``- linkID, startTime, endTime, leakDiameter (m), leakType, peakTime``.

Naive times are read in ``tz`` (default Asia/Brunei); times with an offset keep it.
"""
from __future__ import annotations

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
        if t1 <= t0:
            field = "end"
            raise ValueError("end is not after start")
    except (ValueError, TypeError) as exc:
        raise InputFileError(path, line, f"field {field}: {exc}") from None
    return LeakSpec(link, t0, t1, d, kind, tp if kind == "incipient" else t0)


def read_leak_schedule(path: str | Path, tz: str = "Asia/Brunei") -> list[LeakSpec]:
    """Read a leak schedule (CSV or BattLeDIM .yalm) into :class:`LeakSpec` objects."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(path, None, "file not found")
    if path.suffix.lower() in (".yalm", ".yaml", ".yml"):
        return _read_yalm(path, tz)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    need = ["link_id", "start", "end", "diameter_m", "type"]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise InputFileError(path, 1, f"missing column(s) {', '.join(missing)}")
    return [_spec(path, i + 2, r["link_id"], r["start"], r["end"], r["diameter_m"], r["type"], r.get("peak", ""), tz)
            for i, r in frame.iterrows()]


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
