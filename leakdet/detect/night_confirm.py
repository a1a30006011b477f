"""Daytime pressure alarms wait for the night that follows them, unless they are bursts.

A pressure alarm in the day is localized from daytime residuals, where demand, and so model
error, is highest; the night after it sees the same leak in the quiet network and the night
scans usually localize it better. On the L-Town years most false alarms were real leaks that
a daytime alarm had placed 400-700 m away; in the three such cases checked, the next night's
scan placed them within 300 m (docs/benchmarks.md, session 15, which also reports the case
where the night did worse). A crew sent to the wrong place costs more than the water of a
small leak over a few hours, so:

- a new event from pressure alarms whose estimated flow is below :data:`URGENT_FLOW_LPS` is
  raised at the end of the first night after its alarm (``hold``), not at once;
- at that night's end, a night event (night-signature, night-drift or night-flow alarm) within
  :data:`CONFIRM_RADIUS_M` of it takes it in: one event, localized by the night, whose estimated
  start is the earlier of the two and whose details keep the daytime alarm;
- otherwise it is raised then, with its own candidates, as "unconfirmed" (shown to the analyst,
  no crew sent) when the night scans could test that night, and as a leak when they could not
  (warm-up, no night data). A night that tests for every pipe's leak shape and finds nothing near
  the alarm is evidence against it: on seven L-Town years 12 of the 20 such alarms raised with a
  crew were false alarms (336-1335 m from the nearest running leak, or none running); of the 6
  leaks among them, three were found 1-2 days later by a night alarm, two came before the scans
  tested, and a slow 1.2 L/s leak of the 2018 schedule found after 220 days was lost
  (docs/benchmarks.md, session 27). Many are drops after a repair: the loggers' hour-of-week
  baselines learn, while a leak runs for weeks, the offset its demand compensation puts on loggers
  away from it; once it is repaired those loggers sit below what they learned, for days, mostly by
  day (session 20, which first doubted only the alarms within 10 days of a recognised repair).

Bursts (at or above :data:`URGENT_FLOW_LPS`) are raised at once: a crew goes out for them
whatever the localization. Everything is decided from data up to the night's end, so a batch
run gives the same events as daily runs; the held events travel in the detector state.
"""
from __future__ import annotations

import pandas as pd

from leakdet.store.models import UNCONFIRMED

HELD_KEY = "held_events"
URGENT_FLOW_LPS = 10.0
# Daytime localizations of L-Town leaks were off by up to about 700 m: a night event this near is the same leak.
CONFIRM_RADIUS_M = 1000.0


def is_urgent(event: dict) -> bool:
    return event["est_flow_lps"] is not None and event["est_flow_lps"] >= URGENT_FLOW_LPS


def confirm_at_night(waiting: list[dict], night_events: list[dict], distance, at: pd.Timestamp, *,
                     tested: bool) -> tuple[list[dict], list[dict]]:
    """Resolve pressure events ``waiting`` for the night that ends ``at``.

    Returns ``(raised, night_events)``: the waiting events no night event took in, raised at
    ``at`` (status "unconfirmed" when the night scans ``tested`` that night); and the night
    events, each with the waiting events it took in (the nearest night event within
    :data:`CONFIRM_RADIUS_M` of the waiting event's top pipe takes it).
    """
    night_events = [dict(e, details=dict(e["details"])) for e in night_events]
    raised = []
    for ev in sorted(waiting, key=lambda e: e["detected_at"]):
        top = ev["candidates"][0][0] if ev["candidates"] else None
        near = [(distance(top, n["candidates"][0][0]), i) for i, n in enumerate(night_events)
                if top is not None and n["candidates"]]
        near = [(d, i) for d, i in near if d <= CONFIRM_RADIUS_M]
        if not near:
            raised.append({**ev, "detected_at": max(ev["detected_at"], at),
                           "details": {**ev["details"], "first_alarm_at": ev["detected_at"].isoformat()},
                           **({"status": UNCONFIRMED} if tested else {})})
            continue
        n = night_events[min(near)[1]]
        n["estimated_start"] = min(n["estimated_start"], ev["estimated_start"])
        n["details"]["sensors"] = list(n["details"]["sensors"]) + [
            s for s in ev["details"]["sensors"] if s not in n["details"]["sensors"]]
        n["details"].setdefault("daytime_alarms", []).append(
            {"event_key": ev["event_key"], "detected_at": ev["detected_at"].isoformat(), "top": top,
             "est_flow_lps": ev["est_flow_lps"]})
    return raised, night_events


def sources(event: dict) -> set[str]:
    """Keys of the event and of the waiting events it took in."""
    return {event["event_key"], *(d["event_key"] for d in event["details"].get("daytime_alarms", []))}


def to_state(events: list[dict]) -> list[dict]:
    """Held events as JSON (the detector state is stored as JSON between daily runs)."""
    return [{**e, "detected_at": e["detected_at"].isoformat(), "estimated_start": e["estimated_start"].isoformat(),
             "candidates": [[l, float(p)] for l, p in e["candidates"]]} for e in events]


def from_state(state: dict) -> list[dict]:
    return [{**e, "detected_at": pd.Timestamp(e["detected_at"]), "estimated_start": pd.Timestamp(e["estimated_start"]),
             "candidates": [(l, p) for l, p in e["candidates"]]} for e in state.get(HELD_KEY, [])]
