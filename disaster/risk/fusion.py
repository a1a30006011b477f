"""Fuse rain, antecedent rain, river levels and forecast rain into one level and score per area.

Vectorised over areas for one hour. The rain rules are MetMalaysia's (``levels.raw_level``);
the others, and why, are in docs/risk.md:

* wet ground: ≥ ``ANTECEDENT_MM`` in the 72 h before the last 24 h raises a yellow or
  orange rain level by one (soils and drains are already full);
* river: the station owner's alert / warning / danger levels give yellow / orange / red;
* forecast: ≥ ``levels.ORANGE_6H`` forecast for the next 6 h gives at least yellow
  (a forecast alone never gives more: convective forecasts are uncertain).

The score (0–1) is the largest of: the rain score (``levels.score``), the river reading
as a fraction of its danger level, and half the forecast's fraction of the orange
6-hour threshold. Exposure does not change level or score (it is reported beside them).
"""
from __future__ import annotations

import numpy as np

from disaster.risk import levels

ANTECEDENT_MM = 100.0


def rain_level(r1, r3, r6, r24, wet) -> np.ndarray:
    """The index (0 green … 3 red) ``levels.raw_level`` gives, for arrays."""
    red = (r24 >= levels.RED_24H) | (r3 >= levels.RED_3H)
    orange = (r6 >= levels.ORANGE_6H) | (r1 >= levels.ORANGE_1H)
    yellow = (r1 >= levels.YELLOW_1H) | (wet >= levels.WET_HOURS)
    return np.select([red, orange, yellow], [3, 2, 1], default=0)


def antecedent_raise(rain_lvl, antecedent) -> np.ndarray:
    return ((antecedent >= ANTECEDENT_MM) & (rain_lvl >= 1) & (rain_lvl <= 2)).astype(int)


def forecast_level(fc6) -> np.ndarray:
    return np.where(np.nan_to_num(fc6) >= levels.ORANGE_6H, 1, 0)


def fused_score(r1, r3, r6, r24, river_pct, fc6) -> np.ndarray:
    rain = np.minimum(1.0, np.maximum.reduce([r24 / levels.RED_24H, r3 / levels.RED_3H,
                                              0.75 * r6 / levels.ORANGE_6H, 0.5 * r1 / levels.YELLOW_1H]))
    river = np.nan_to_num(river_pct) / 100.0
    fc = 0.5 * np.minimum(1.0, np.nan_to_num(fc6) / levels.ORANGE_6H)
    return np.round(np.minimum(1.0, np.maximum.reduce([rain, river, fc])), 3)


def hold(raw, prev, calm) -> tuple[np.ndarray, np.ndarray]:
    """``levels.held_level`` for arrays; ``prev`` is -1 where an area has no previous level."""
    prev = np.where(prev < 0, raw, prev)
    up = raw >= prev
    calm = np.where(up, 0, calm + 1)
    step = ~up & (calm >= levels.HOLD_HOURS)
    level = np.where(up, raw, np.where(step, np.maximum(raw, prev - 1), prev))
    return level, np.where(step, 0, calm)
