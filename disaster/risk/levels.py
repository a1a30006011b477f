"""Rain thresholds → risk levels, with the reasons in words.

Thresholds (observed areal rainfall, mm), after MetMalaysia's public warning criteria,
which Brunei's neighbour issues for the same monsoon climate:

=======  =====================================================================
level    raised when
=======  =====================================================================
red      ≥ 150 mm in 24 h (MetMalaysia red: "danger"), or ≥ 100 mm in 3 h
         (flash-flood intensity: 98 mm fell in one hour in Brunei-Muara on
         23 October 2018)
orange   ≥ 60 mm in 6 h (MetMalaysia orange: "severe"), or ≥ 40 mm in 1 h
yellow   ≥ 20 mm in 1 h (MetMalaysia thunderstorm: > 20 mm/h), or rain
         (≥ 1 mm/h) in each of the last 6 hours (MetMalaysia yellow: rain
         lasting more than 6 h)
green    otherwise
=======  =====================================================================

The score (0-1) is the largest fraction of the red thresholds reached, so areas can be
ranked within a level. Levels rise at once but fall only after ``HOLD_HOURS`` hours in a
row below the current level (rivers and drains keep rising after the rain stops).
"""
from __future__ import annotations

LEVELS = ("green", "yellow", "orange", "red")
HOLD_HOURS = 3
RED_24H, RED_3H = 150.0, 100.0
ORANGE_6H, ORANGE_1H = 60.0, 40.0
YELLOW_1H, WET_HOUR_MM, WET_HOURS = 20.0, 1.0, 6


def raw_level(r1: float, r3: float, r6: float, r24: float, wet_hours: int) -> tuple[str, list[str]]:
    """Level from accumulations alone, and the drivers that set it."""
    why = []
    if r24 >= RED_24H:
        why.append(f"{r24:.0f} mm in 24 h (red ≥ {RED_24H:.0f})")
    if r3 >= RED_3H:
        why.append(f"{r3:.0f} mm in 3 h (red ≥ {RED_3H:.0f})")
    if why:
        return "red", why
    if r6 >= ORANGE_6H:
        why.append(f"{r6:.0f} mm in 6 h (orange ≥ {ORANGE_6H:.0f})")
    if r1 >= ORANGE_1H:
        why.append(f"{r1:.0f} mm in the last hour (orange ≥ {ORANGE_1H:.0f})")
    if why:
        return "orange", why
    if r1 >= YELLOW_1H:
        why.append(f"{r1:.0f} mm in the last hour (yellow ≥ {YELLOW_1H:.0f})")
    if wet_hours >= WET_HOURS:
        why.append(f"rain for {wet_hours} h in a row")
    return ("yellow", why) if why else ("green", [])


def score(r1: float, r3: float, r6: float, r24: float) -> float:
    # Orange (6 h) and yellow (1 h) criteria count as 3/4 and 1/2 of the way to red.
    return round(min(1.0, max(r24 / RED_24H, r3 / RED_3H, 0.75 * r6 / ORANGE_6H,
                              0.5 * r1 / YELLOW_1H)), 3)


def held_level(raw: str, previous: str | None, calm_hours: int) -> tuple[str, int]:
    """Apply the hold-down. Returns (level, consecutive hours the raw level has been below it)."""
    if previous is None or LEVELS.index(raw) >= LEVELS.index(previous):
        return raw, 0
    calm_hours += 1
    if calm_hours >= HOLD_HOURS:
        # Step down one level at a time, so red → orange → yellow each holds too.
        return LEVELS[max(LEVELS.index(raw), LEVELS.index(previous) - 1)], 0
    return previous, calm_hours
