"""Daytime pressure events waiting for the night after them (pure functions, no database)."""
from __future__ import annotations

import json

import pandas as pd

from leakdet.detect.night_confirm import confirm_at_night, from_state, to_state
from leakdet.detect.nights import night_end

T = pd.Timestamp("2024-05-09 06:00", tz="UTC")              # 14:00 local
PLACES = {"a": 0.0, "e": 60.0, "d": 200.0, "b": 600.0, "c": 2500.0}   # pipes along a line (m)


def distance(p, q):
    return abs(PLACES[p] - PLACES[q])


def event(key, sensors, top, at, start=None, flow=3.0):
    return {"event_key": key, "detected_at": at, "estimated_start": start or at, "est_flow_lps": flow,
            "candidates": [(top, 0.6), ("x", 0.4)], "details": {"sensors": sensors}}


def test_night_end_is_five_in_the_morning_local():
    assert night_end("2024-05-10") == pd.Timestamp("2024-05-10 05:00", tz="Asia/Brunei")


def test_the_night_takes_in_a_daytime_event_near_it_and_raises_a_far_one_at_its_end():
    ends = night_end("2024-05-10")
    near = event("day-1", ["zone:4"], "b", T, start=T - pd.Timedelta(hours=3))
    far = event("day-2", ["P_n1"], "c", T + pd.Timedelta(hours=2))
    night = event("night-1", ["night-signature"], "a", ends, start=T)
    raised, nightly = confirm_at_night([far, near], [night], distance, ends, tested=True)
    # 600 m: the night event is the leak, localized by the night, started when the day's alarm saw it.
    assert [e["event_key"] for e in nightly] == ["night-1"]
    assert nightly[0]["details"]["sensors"] == ["night-signature", "zone:4"]
    assert nightly[0]["estimated_start"] == T - pd.Timedelta(hours=3)
    assert nightly[0]["details"]["daytime_alarms"][0]["top"] == "b"
    assert nightly[0]["candidates"][0][0] == "a"
    # 2500 m: a leak of its own, raised at the night's end with its first alarm kept.
    assert [(e["event_key"], e["detected_at"]) for e in raised] == [("day-2", ends)]
    assert raised[0]["details"]["first_alarm_at"] == far["detected_at"].isoformat()
    assert night["details"]["sensors"] == ["night-signature"]          # the input is not changed


def test_waiting_events_travel_in_the_json_state():
    held = [event("day-1", ["zone:4"], "b", T)]
    back = from_state(json.loads(json.dumps({"held_events": to_state(held)})))
    assert back[0]["detected_at"] == T and back[0]["candidates"][0] == ("b", 0.6)


def test_a_daytime_alarm_soon_after_an_event_is_that_leak_seen_again_farther_out():
    from leakdet.detect.events import merge_into_open

    found = T - pd.Timedelta(days=2)
    opened = [{"id": 1, "event_key": "open-1", "link_id": "a", "detected_at": found, "last_seen": found}]
    day = event("day-1", ["zone:14"], "b", T)                       # 600 m away, two days later
    night = event("night-1", ["night-signature"], "b", T)           # a night scan keeps the crew radius
    new, updates = merge_into_open([day, night], opened, distance)
    assert [(u["event_key"], u["event"]["event_key"]) for u in updates] == [("open-1", "day-1")]
    assert [e["event_key"] for e in new] == ["night-1"]
    # A week and more after the event was found, the crew radius again.
    old = [{**opened[0], "detected_at": T - pd.Timedelta(days=9)}]
    assert [e["event_key"] for e in merge_into_open([day], old, distance)[0]] == ["day-1"]


def test_a_better_localization_far_from_where_the_crew_was_sent_is_a_new_dispatch():
    from leakdet.detect.events import NIGHT_SIGNATURE_METHOD, merge_into_open

    found = T - pd.Timedelta(days=2)
    opened = [{"id": 1, "event_key": "open-1", "link_id": "a", "detected_at": found, "last_seen": found,
               "localization": "xgboost-pairs+correlation", "signature_norm_m": 0.5}]
    night = lambda key, top: {**event(key, ["night-signature"], top, T),  # noqa: E731
                              "details": {"sensors": ["night-signature"], "localization": NIGHT_SIGNATURE_METHOD}}
    # 200 m from the open event's pipe, placed by a night scan: the crew must go somewhere else.
    new, updates = merge_into_open([night("night-1", "d")], opened, distance)
    assert updates == [] and [e["event_key"] for e in new] == ["night-1"]
    assert new[0]["details"]["relocates"] == "open-1"
    # 60 m away: the same search area; the event is refined, not doubled.
    new, updates = merge_into_open([night("night-2", "e")], opened, distance)
    assert new == [] and [u["event"]["event_key"] for u in updates] == ["night-2"]
    # Daytime alarms refine an event (the stronger signature wins) but never move the crew.
    for norm in (0.2, 0.9):
        day = {**event("day-1", ["zone:3"], "d", T), "details": {"sensors": ["zone:3"], "signature_norm_m": norm}}
        new, updates = merge_into_open([day], opened, distance)
        assert new == [] and [u["event"]["event_key"] for u in updates] == ["day-1"]
    # An event already placed by a night scan is not moved by anything (see events._refine).
    placed = [{**opened[0], "localization": NIGHT_SIGNATURE_METHOD}]
    assert merge_into_open([night("night-3", "d")], placed, distance)[0] == []
    # ... unless a later scan alarm at least RELOCATE_GROWTH times as strong places it elsewhere:
    # the first fit of an incipient leak came from its faintest nights.
    def scanned(key, top, norm):
        alarm = night(key, top)
        return {**alarm, "details": {**alarm["details"], "signature_norm_m": norm}}
    new, updates = merge_into_open([scanned("night-4", "d", 1.0)], placed, distance)
    assert updates == [] and new[0]["details"]["relocates"] == "open-1"
    assert merge_into_open([scanned("night-5", "d", 0.9)], placed, distance)[0] == []
    assert merge_into_open([scanned("night-6", "e", 5.0)], placed, distance)[0] == []   # 60 m: same place


def test_a_night_scan_alarm_near_a_leak_it_has_not_seen_for_a_month_is_a_new_leak_beside_it():
    from leakdet.detect.events import NIGHT_SIGNATURE_METHOD, merge_into_open

    night = {**event("night-1", ["night-signature"], "e", T),      # 60 m from the open event's pipe
             "details": {"sensors": ["night-signature"], "localization": NIGHT_SIGNATURE_METHOD}}
    found = T - pd.Timedelta(days=90)
    placed = {"id": 1, "event_key": "open-1", "link_id": "a", "detected_at": found, "last_seen": T - pd.Timedelta(days=1),
              "localization": NIGHT_SIGNATURE_METHOD, "last_scanned": None}
    new, updates = merge_into_open([night], [placed], distance)
    assert updates == [] and new[0]["details"]["beside"] == "open-1"
    # The scan saw that leak (grow) ten days ago: this is it growing, an update.
    recent = {**placed, "last_scanned": T - pd.Timedelta(days=10)}
    new, updates = merge_into_open([night], [recent], distance)
    assert new == [] and [u["event_key"] for u in updates] == ["open-1"]
    # An event localized from daytime residuals is refined as before (not a leak the scan knows).
    daytime = {**placed, "localization": "xgboost-pairs+correlation", "signature_norm_m": 0.5}
    assert merge_into_open([night], [daytime], distance)[0] == []


def test_an_alarm_within_reach_of_two_open_events_updates_the_nearest_in_any_order():
    from leakdet.detect.events import merge_into_open

    found = T - pd.Timedelta(days=2)
    at_a = {"id": 1, "event_key": "open-a", "link_id": "a", "detected_at": found, "last_seen": found}
    at_b = {"id": 2, "event_key": "open-b", "link_id": "b", "detected_at": found, "last_seen": found}
    day = event("day-1", ["zone:14"], "d", T)          # 200 m from a, 400 m from b: both within reach
    day_near_b = event("day-2", ["zone:14"], "b", T)
    for opened in ([at_a, at_b], [at_b, at_a]):
        _, updates = merge_into_open([day], opened, distance)
        assert [u["event_key"] for u in updates] == ["open-a"]
        _, updates = merge_into_open([day_near_b], opened, distance)
        assert [u["event_key"] for u in updates] == ["open-b"]


def test_an_alarm_the_tested_night_did_not_confirm_goes_to_the_analyst_not_a_crew():
    ends = night_end("2024-05-10")
    far = event("day-2", ["P_n1"], "c", T)
    night = event("night-1", ["night-signature"], "a", ends, start=T)
    raised, _ = confirm_at_night([far], [night], distance, ends, tested=True)
    assert [(e["event_key"], e["status"]) for e in raised] == [("day-2", "unconfirmed")]
    # Without a tested night (the scans' warm-up, or no night data) nothing speaks against it.
    raised, _ = confirm_at_night([far], [night], distance, ends, tested=False)
    assert [e["event_key"] for e in raised] == ["day-2"] and "status" not in raised[0]
    assert "status" not in far                                        # the input is not changed
