"""The night of a day's residual frame: the hours in which demand, and so model error, is lowest."""
from __future__ import annotations

import numpy as np
import pandas as pd

NIGHT_HOURS = (1, 2, 3, 4)     # local hours of minimum night flow: consumption is lowest and steadiest


def night_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame's rows in the local night hours."""
    return frame[np.isin(frame.index.tz_convert("Asia/Brunei").hour, NIGHT_HOURS)]


def night_residuals(frame: pd.DataFrame) -> dict | None:
    """The night's local day, weekday, end (UTC ISO) and each logger's mean residual (m) over it
    (loggers with at least half the night); None for a frame without night rows."""
    night = night_rows(frame)
    if len(night) == 0:
        return None
    local = frame.index.tz_convert("Asia/Brunei")
    res = night.filter(like="res:")
    means = res.mean()[res.notna().mean() >= 0.5]
    return {"day": local[0].date().isoformat(), "dow": int(local[0].day_of_week),
            "end": (night.index[-1] + pd.Timedelta(minutes=5)).isoformat(),
            "res": {c[4:]: round(float(v), 4) for c, v in means.items()}}


def lowered(res: dict, drop: pd.Series) -> dict:
    """A night's logger residuals (m) lowered by ``drop`` (a logger without a finite result is
    left out): after a leak is found, the reference nights move to the level it left."""
    out = {k: v - float(drop.get(k, 0.0)) for k, v in res.items()}
    return {k: round(v, 4) for k, v in out.items() if np.isfinite(v)}


def night_end(day) -> pd.Timestamp:
    """UTC end (05:00 local) of the night of local ``day`` (the night hours are the day's first)."""
    return (pd.Timestamp(str(day)[:10]).tz_localize("Asia/Brunei") + pd.Timedelta(hours=max(NIGHT_HOURS) + 1)
            ).tz_convert("UTC")


def rise_start(first_day: str) -> pd.Timestamp:
    """Estimated start (UTC) of a rise first seen in the night of local ``first_day``: it began
    after the end of the last night that did not show it, the day before's night end (05:00)."""
    return night_end(pd.Timestamp(first_day) - pd.Timedelta(days=1))
