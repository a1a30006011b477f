"""Turn detector alarms into leak events with candidate pipes and an estimated flow, and store them."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
from sqlalchemy import text

from leakdet.detect.night_drift import SENSOR_ID as NIGHT_DRIFT_ID
from leakdet.detect.night_flow import SENSOR_ID as NIGHT_FLOW_ID
from leakdet.detect.night_signature import SENSOR_ID as NIGHT_SIGNATURE_ID
from leakdet.detect.night_signature import NightSignatureScan
from leakdet.detect.nights import NIGHT_HOURS
from leakdet.detect.residual_cusum import Alarm
from leakdet.localize.nearest_pipes import candidate_pipes
from leakdet.store.models import EVENT_STATUSES, UNCONFIRMED

GROUP_WINDOW = pd.Timedelta(hours=6)   # alarms this close together are one leak
LOCALIZATION_METHODS = {"CorrelationLocalizer": "sensitivity-correlation", "XGBoostLocalizer": "xgboost-pairs",
                        "EnsembleLocalizer": "xgboost-pairs+correlation",
                        "night-signature": "whitened matched filter over nights",
                        "night-drift": "whitened matched filter on unexplained drift"}


def group_alarms(alarms: list[Alarm]) -> list[list[Alarm]]:
    groups: list[list[Alarm]] = []
    for alarm in sorted(alarms, key=lambda a: (a.detected_at, a.part)):
        # The second leak of a split alarm is a leak of its own, not the first seen again.
        if groups and not alarm.part and alarm.detected_at - groups[-1][0].detected_at <= GROUP_WINDOW:
            groups[-1].append(alarm)
        else:
            groups.append([alarm])
    return groups


def update_inflow_baseline(state: dict, inflow: pd.Series | None, alpha: float = 0.3) -> None:
    """Learn typical inflow (m³/s) per local hour of day, from days without alarms (causal)."""
    if inflow is None or inflow.isna().all():
        return
    hourly = inflow.groupby(inflow.index.tz_convert("Asia/Brunei").hour).mean().reindex(range(24)).to_numpy()
    old = np.array(state.get("inflow_mu") or [np.nan] * 24, dtype=float)
    new = np.where(np.isnan(old), hourly, np.where(np.isnan(hourly), old, (1 - alpha) * old + alpha * hourly))
    state["inflow_mu"] = [None if np.isnan(v) else float(v) for v in new]


def estimate_flow_lps(state: dict, inflow: pd.Series | None, start: pd.Timestamp, detected: pd.Timestamp) -> float | None:
    """Extra inflow (L/s) between the estimated start and detection, against the hour-of-day baseline.

    Night hours (minimum night flow) are used when the window holds any, since daytime
    consumption varies far more than a small leak; otherwise all hours of the window.
    """
    base = state.get("inflow_mu")
    if inflow is None or not base:
        return None
    window = inflow.loc[start:detected].dropna()
    if window.empty:
        return None
    hours = window.index.tz_convert("Asia/Brunei").hour
    night = np.isin(hours, NIGHT_HOURS)
    if night.any():
        window, hours = window[night], hours[night]
    expected = np.array([base[h] if base[h] is not None else np.nan for h in hours], dtype=float)
    extra = float(np.nanmean(window.to_numpy() - expected)) * 1000.0
    return round(extra, 2) if np.isfinite(extra) and extra > 0 else None


def build_events(alarms: list[Alarm], inflow: pd.Series | None, state: dict,
                 sensor_xy: pd.DataFrame, pipes_xy: pd.DataFrame, detector: str, localizer=None,
                 classical=None) -> list[dict]:
    """Group alarms into events.

    Candidates come from ``localizer`` (any fitted localizer with ``candidates(signature)``)
    when the signature covers enough loggers, else from the pipes nearest the alarming
    loggers. ``classical``, when given, localizes the same signature for comparison; its
    top pipes are kept in the event's details.

    The flow is the one the alarm measured (a night-flow step), else the scale of the
    reported pipe's simulated signature that fits the observed drop, else the extra inflow
    against the hour-of-day baseline; ``details.flow_source`` says which.
    """
    events = []
    for group in group_alarms(alarms):
        first = group[0]
        weights = pd.Series({a.sensor_id: max(a.drop_m, 0.0) for a in group})
        method = "nearest-to-alarming-loggers"
        extra = {}
        if first.candidates:
            # The detector ranked the pipes itself (night-signature scan).
            cands = pd.DataFrame(first.candidates, columns=["link_id", "probability"])
            method = LOCALIZATION_METHODS.get(first.sensor_id, first.sensor_id)
            if classical is not None and len(first.signature) >= 3:
                extra["classical_candidates"] = [[l, round(float(p), 4)] for l, p in
                                                 classical.candidates(pd.Series(first.signature)).itertuples(index=False)]
        elif localizer is not None and len(first.signature) >= 3:
            signature = pd.Series(first.signature)
            cands, method = localizer.candidates(signature), LOCALIZATION_METHODS.get(
                type(localizer).__name__, type(localizer).__name__)
            if "search_radius_m" in cands.attrs:
                extra["search_radius_m"] = round(cands.attrs["search_radius_m"], 1)
            if classical is not None:
                extra["classical_candidates"] = [[l, round(float(p), 4)] for l, p in
                                                 classical.candidates(signature).itertuples(index=False)]
        elif len(sensor_xy.index.intersection(weights.index)):
            cands = candidate_pipes(sensor_xy.loc[sensor_xy.index.intersection(weights.index)], weights, pipes_xy)
        else:
            cands = pd.DataFrame(columns=["link_id", "probability"])
        start = min(a.estimated_start for a in group)
        flow, source = first.flow_lps, "night-flow step"
        fitter = classical if classical is not None else localizer
        if flow is None and len(cands) and hasattr(fitter, "leak_flow") and len(first.signature) >= 3:
            flow, source = fitter.leak_flow(pd.Series(first.signature), cands["link_id"].iloc[0]), "signature fit"
        if flow is None:
            flow, source = estimate_flow_lps(state, inflow, start, first.detected_at), "inflow vs hour-of-day"
        events.append({
            "event_key": f"{detector}:{first.sensor_id}:{first.detected_at:%Y%m%dT%H%MZ}"
                         + (f":{first.part}" if first.part else ""),
            "detected_at": first.detected_at, "estimated_start": start,
            "est_flow_lps": flow,
            "candidates": list(zip(cands["link_id"], cands["probability"].round(4))),
            "details": {"sensors": [a.sensor_id for a in group], "localization": method,
                        "flow_source": source if flow is not None else None,
                        "signature_norm_m": round(float(np.linalg.norm(list(first.signature.values()))), 4)
                        if first.signature else 0.0,
                        "pressure_drop_m": {a.sensor_id: round(a.drop_m, 3) for a in group},
                        "signature_m": first.signature, **extra},
        })
    return events


# Events a crew may still be looking for: alarms near one update it, and it is mapped and re-localized.
OPEN_STATUSES = ("new", "confirmed")
# A new alarm this close (along the network) to an open event updates it; farther away it points a
# crew somewhere else: 300 m is the reach of one search visit (BattLeDIM uses the same radius).
MERGE_RADIUS_M = 300.0
MERGE_WINDOW = pd.Timedelta(days=30)   # ... if that event was seen within this window
# In the first days after a leak is found, loggers and zones that had not alarmed on it keep
# seeing it and raise it again, localized from daytime residuals: on the L-Town years these
# landed 300-600 m from the event's pipe and were false alarms (docs/benchmarks.md, session 16).
# A second leak that near, that soon, is rare; a night scan's alarm (localized at night, and the
# scans have already moved their reference past the known leak) keeps the crew radius.
FRESH_WINDOW = pd.Timedelta(days=7)
FRESH_RADIUS_M = 600.0
NIGHT_SCANS = (NIGHT_SIGNATURE_ID, NIGHT_DRIFT_ID)
# An unconfirmed event (raised without a crew, see leakdet.detect.night_confirm) takes in the
# daytime pressure alarms that repeat it, as an open event would; an alarm of a night detector
# is the night confirming something there, so it never disappears into an unconfirmed event.
NIGHT_DETECTORS = (*NIGHT_SCANS, NIGHT_FLOW_ID)
# A night-signature alarm that places an open event's leak farther than this from where the event
# sent the crew is a new dispatch (:func:`relocates`): a new event (details ``relocates``), not a
# silent change of the old one's candidates. The crew has searched the old place; the analyst must
# see that the leak is probably elsewhere, and a second leak near the first (L-Town 2018: p810
# beside p183) is found at all. Four L-Town years: +10 points of score in all, all of it from moves
# of 100-200 m (at 200 m: no change; session 18).
RELOCATE_M = 100.0
# A night-signature alarm near an open event the scan itself has not seen for this long is a new
# leak beside a known one, not the known one growing: the scan's reference moved past the known
# leak when it was found, and it ranks an alarm as the growth of an earlier one only within
# ``NightSignatureScan.grown_days`` (30). Random L-Town schedules: a 7.8 L/s leak 155 m from a 9.6 L/s
# leak found 3.5 months before was taken in by that leak's event (session 24).
STALE_SCAN = pd.Timedelta(days=NightSignatureScan.grown_days)
# A later night-signature alarm this many times stronger than the one that localized an event
# relocates even that event when it places the leak beyond RELOCATE_M: the scan's first fit of an
# incipient leak is made on its faintest nights, and an event placed just beyond the crew's reach
# otherwise keeps taking in the better fits of the same scan. Seven L-Town years (session 25): the
# 2018 schedule found p628 and p31 (11 -> 13 of 14 leaks, 71.6 -> 74.6 %), no year lost score.
RELOCATE_GROWTH = 2.0


def merge_radius(event: dict, opened: dict) -> float:
    """How near (m) ``event`` must be to the open event ``opened`` to be that leak seen again."""
    first = opened.get("detected_at")
    fresh = first is not None and event["detected_at"] - pd.Timestamp(first) <= FRESH_WINDOW
    scanned = any(s in NIGHT_SCANS for s in event.get("details", {}).get("sensors", []))
    return FRESH_RADIUS_M if fresh and not scanned else MERGE_RADIUS_M


def open_events(conn, network_id: int, before) -> list[dict]:
    """Open events detected before ``before``, with their top pipe (and the one first reported,
    ``initial_top``, when it was refined since) and when they were last seen; oldest first, so
    that every run (a batch, or day by day) sees them in the same order. Unconfirmed events come
    too (``status``): they take in the daytime alarms that repeat them (see :func:`merge_into_open`)."""
    rows = conn.execute(text(
        """SELECT e.id, e.event_key, e.status, c.link_id, e.details->>'initial_top' AS initial_top, e.est_flow_lps, e.detected_at,
                  e.details->>'localization' AS localization,
                  COALESCE((e.details->>'signature_norm_m')::float, 0) AS signature_norm_m,
                  GREATEST(e.detected_at, COALESCE(MAX(u.observed_at), e.detected_at)) AS last_seen,
                  MAX(u.observed_at) FILTER (WHERE u.details->'sensors' ? :scan) AS last_scanned
           FROM water.leak_events e
           JOIN water.leak_candidates c ON c.event_id = e.id AND c.rank = 1
           LEFT JOIN water.leak_event_updates u ON u.event_id = e.id AND u.observed_at < :before
           WHERE e.network_id = :n AND e.status = ANY(:statuses) AND e.detected_at < :before
           GROUP BY e.id, c.link_id
           ORDER BY e.detected_at, e.event_key"""),
        {"n": network_id, "before": before, "statuses": [*OPEN_STATUSES, UNCONFIRMED],
         "scan": NIGHT_SIGNATURE_ID}).mappings().all()
    return [dict(r) for r in rows]


RECOVERY_SHARE = 0.5    # a rise must give back at least half the event's flow to look like its repair


def mark_recovered(conn, recovered: list[tuple[dict, dict]]) -> int:
    """Record on each open event the rise that looks like its repair (``details.pressure_recovered``),
    from the pairs :func:`recoveries` found; returns how many events were marked.

    This is a hint for the analyst (the map shows it), not a status change and not a reason to stop
    merging alarms into the event: on the L-Town year about a third of the rises near open
    events came while the leak still ran (measured in run s9-repairs, docs/benchmarks.md).
    """
    for ev, r in recovered:
        evidence = {"observed_at": r["end"], "pipe": r["pipe"], "flow_lps": r["flow_lps"]}
        conn.execute(text("UPDATE water.leak_events SET details = details || jsonb_build_object("
                          "'pressure_recovered', CAST(:r AS jsonb)) WHERE id = :e"),
                     {"r": json.dumps(evidence), "e": ev["id"]})
    return len(recovered)


def recoveries(opened: list[dict], rises: list[dict], distance) -> list[tuple[dict, dict]]:
    """Each open event with the first of ``rises`` shaped like its repair: within
    :data:`MERGE_RADIUS_M` of its top pipe and giving back at least :data:`RECOVERY_SHARE` of its
    estimated flow. ``rises`` are the night-signature scan's ({"day", "end", "pipe", "flow_lps"}).
    Unconfirmed events are left out: no crew was sent, so nobody repaired them."""
    out = []
    for ev in opened:
        if ev.get("status") == UNCONFIRMED:
            continue
        flow = ev.get("est_flow_lps")
        near = [r for r in rises if flow and r["flow_lps"] >= RECOVERY_SHARE * flow
                and distance(r["pipe"], ev["link_id"]) <= MERGE_RADIUS_M]
        if near:
            out.append((ev, near[0]))
    return out


def _localized(event: dict) -> dict:
    """How an event was localized, as :func:`refines` compares it."""
    details = event.get("details", {})
    return {"localization": details.get("localization"), "signature_norm_m": details.get("signature_norm_m", 0.0)}


def merge_into_open(events: list[dict], opened: list[dict], distance) -> tuple[list[dict], list[dict]]:
    """Split today's events into new ones and updates of open events (same leak seen again).

    ``distance(a, b)`` is the network distance in metres between two pipes. An event within
    reach of several open ones updates the nearest (the oldest of equals). Events made earlier
    today also absorb later ones.
    """
    new, updates = [], []
    pool = [dict(o) for o in opened]
    for ev in sorted(events, key=lambda e: e["detected_at"]):
        top = ev["candidates"][0][0] if ev["candidates"] else None
        match, nearest = None, None
        if top is not None:
            night = any(s in NIGHT_DETECTORS for s in ev.get("details", {}).get("sensors", []))
            for o in pool:
                if ev["detected_at"] - pd.Timestamp(o["last_seen"]) > MERGE_WINDOW:
                    continue
                if night and o.get("status") == UNCONFIRMED:
                    continue
                # Near where the event is localized now or where it was first reported: a later
                # refinement can move its top pipe away from where the leak's alarms keep pointing
                # (L-Town, run s12-merge-initial: 14 -> 9 and 11 -> 9 false alarms a year).
                places = {o["link_id"], o.get("initial_top") or o["link_id"]}
                near = min(distance(top, p) for p in places)
                if near <= merge_radius(ev, o) and (nearest is None or near < nearest):
                    match, nearest = o, near
        if match is not None and relocates(ev, match, distance):
            ev = {**ev, "details": {**ev.get("details", {}), "relocates": match["event_key"]}}
            match = None
        if match is not None and beside(ev, match):
            ev = {**ev, "details": {**ev.get("details", {}), "beside": match["event_key"]}}
            match = None
        if match is None:
            new.append(ev)
            if top is not None:
                pool.append({"id": None, "event_key": ev["event_key"], "link_id": top, "last_seen": ev["detected_at"],
                             "detected_at": ev["detected_at"], "last_scanned": None, **_localized(ev)})
        else:
            match["last_seen"] = ev["detected_at"]
            if NIGHT_SIGNATURE_ID in ev.get("details", {}).get("sensors", []):
                match["last_scanned"] = ev["detected_at"]
            if refines(ev, match):          # as write_events will store it
                match.update(initial_top=match.get("initial_top") or match["link_id"], link_id=top, **_localized(ev))
            updates.append({"event_key": match["event_key"], "event": ev})
    return new, updates


def write_events(conn, network_id: int, day, detector: str, events: list[dict], updates: list[dict] = (),
                 model_version: str | None = None) -> None:
    """Store the events and updates this detector produced for ``day`` (idempotent per data interval).

    Events are matched by key: a re-run keeps their id and the status an analyst set;
    events the re-run no longer produces are removed, and the day's updates are replaced.
    A new event is stored with its ``status`` key when it has one ("unconfirmed", see
    :mod:`leakdet.detect.night_confirm`), else as "new".
    """
    existing = dict(conn.execute(text(
        "SELECT event_key, id FROM water.leak_events WHERE network_id = :n AND run_day = :d AND detector = :det"),
        {"n": network_id, "d": day, "det": detector}).all())
    keep = {ev["event_key"] for ev in events}
    gone = [i for k, i in existing.items() if k not in keep]
    if gone:
        conn.execute(text("DELETE FROM water.leak_events WHERE id = ANY(:ids)"), {"ids": gone})
    conn.execute(text("""DELETE FROM water.leak_event_updates u USING water.leak_events e
                         WHERE u.event_id = e.id AND e.network_id = :n AND u.run_day = :d"""),
                 {"n": network_id, "d": day})
    for ev in events:
        refined = _later_refinement(conn, network_id, ev["event_key"], ev["detected_at"])
        details = {**ev["details"], **refined} if refined else ev["details"]
        params = {"n": network_id, "k": ev["event_key"], "d": day, "det_at": ev["detected_at"].to_pydatetime(),
                  "start": ev["estimated_start"].to_pydatetime(), "flow": ev["est_flow_lps"], "det": detector,
                  "ver": model_version or detector, "details": json.dumps(details), "status": ev.get("status", "new")}
        event_id = conn.execute(text(
            """INSERT INTO water.leak_events (network_id, event_key, run_day, detected_at, estimated_start,
                                              status, est_flow_lps, detector, model_version, details)
               VALUES (:n, :k, :d, :det_at, :start, :status, :flow, :det, :ver, CAST(:details AS jsonb))
               ON CONFLICT (network_id, event_key) DO UPDATE SET detected_at = EXCLUDED.detected_at,
                   estimated_start = EXCLUDED.estimated_start, est_flow_lps = EXCLUDED.est_flow_lps,
                   model_version = EXCLUDED.model_version, details = EXCLUDED.details
               RETURNING id"""), params).scalar_one()
        if refined:
            continue        # a later day's run refined the candidates: re-running this day keeps them
        replace_candidates(conn, event_id, ev["candidates"])
    for up in updates:
        ev = up["event"]
        _refine(conn, network_id, up["event_key"], ev)
        conn.execute(text(
            """INSERT INTO water.leak_event_updates (event_id, run_day, observed_at, est_flow_lps, candidates, details)
               SELECT id, :d, :t, :flow, CAST(:c AS jsonb), CAST(:details AS jsonb) FROM water.leak_events
               WHERE network_id = :n AND event_key = :k
               ON CONFLICT (event_id, observed_at) DO NOTHING"""),
            {"d": day, "t": ev["detected_at"].to_pydatetime(), "flow": ev["est_flow_lps"],
             "c": json.dumps([[l, float(p)] for l, p in ev["candidates"]]), "details": json.dumps(ev["details"]),
             "n": network_id, "k": up["event_key"]})


def replace_candidates(conn, event_id: int, candidates) -> None:
    """Store an event's ranked candidates ((link_id, probability) pairs, best first)."""
    conn.execute(text("DELETE FROM water.leak_candidates WHERE event_id = :e"), {"e": event_id})
    for rank, (link_id, prob) in enumerate(candidates, start=1):
        conn.execute(text("INSERT INTO water.leak_candidates VALUES (:e, :r, :l, :p)"),
                     {"e": event_id, "r": rank, "l": link_id, "p": round(float(prob), 4)})


def keep_initial_top(conn, event_id: int, details: dict) -> None:
    """Before candidates change, remember the pipe reported at detection: scoring must not use
    later evidence."""
    if "initial_top" not in details:
        details["initial_top"] = conn.execute(text(
            "SELECT link_id FROM water.leak_candidates WHERE event_id = :e AND rank = 1"), {"e": event_id}).scalar()


REFINEMENT_KEYS = ("initial_top", "signature_norm_m", "refined_at", "localization", "search_radius_m")


def _later_refinement(conn, network_id: int, event_key: str, detected_at: pd.Timestamp) -> dict:
    """The refinement fields of a stored event that a later alarm refined (empty if none)."""
    details = conn.execute(text(
        "SELECT details FROM water.leak_events WHERE network_id = :n AND event_key = :k"),
        {"n": network_id, "k": event_key}).scalar()
    if not details or "refined_at" not in details or pd.Timestamp(details["refined_at"]) <= detected_at:
        return {}
    return {k: details[k] for k in REFINEMENT_KEYS if k in details}


NIGHT_SIGNATURE_METHOD = LOCALIZATION_METHODS["night-signature"]


def refines(update: dict, event: dict) -> bool:
    """Whether alarm ``update`` of an open event localizes it better than ``event`` (its stored
    ``localization`` and ``signature_norm_m``) is: see :func:`_refine`."""
    details = update.get("details", {})
    if not update["candidates"] or event.get("localization") == NIGHT_SIGNATURE_METHOD:
        return False
    if details.get("localization") == NIGHT_SIGNATURE_METHOD:
        return True
    return float(details.get("signature_norm_m", 0.0)) > float(event.get("signature_norm_m") or 0.0)


def relocates(update: dict, event: dict, distance) -> bool:
    """Whether alarm ``update`` of the open ``event`` is a new dispatch: a night-signature scan
    places the leak (the localization the engine trusts most, see :func:`_refine`) farther than
    :data:`RELOCATE_M` from where the event sent the crew. Daytime alarms are not trusted with
    that: their stronger signatures wander by hundreds of metres around a known leak (L-Town,
    run relocate-2018: p257 raised 20 times). An event the scan itself placed moves only for an
    alarm at least :data:`RELOCATE_GROWTH` times as strong as the one that placed it."""
    night = update.get("details", {}).get("localization") == NIGHT_SIGNATURE_METHOD
    if not night or not update["candidates"]:
        return False
    grown = (event.get("localization") == NIGHT_SIGNATURE_METHOD
             and float(update["details"].get("signature_norm_m", 0.0))
             >= RELOCATE_GROWTH * float(event.get("signature_norm_m") or 0.0) > 0.0)
    return (refines(update, event) or grown) and distance(update["candidates"][0][0], event["link_id"]) > RELOCATE_M


def beside(update: dict, event: dict) -> bool:
    """Whether night-signature alarm ``update``, near the open ``event`` that scan localized, is a
    new leak beside it: the scan last saw that event (found it, or an update) longer than
    :data:`STALE_SCAN` ago, so the alarm is not the event's leak growing (see :data:`STALE_SCAN`)."""
    if update.get("details", {}).get("localization") != NIGHT_SIGNATURE_METHOD:
        return False
    if event.get("localization") != NIGHT_SIGNATURE_METHOD:
        return False
    seen = [pd.Timestamp(t) for t in (event.get("detected_at"), event.get("last_scanned")) if t is not None]
    return bool(seen) and update["detected_at"] - max(seen) > STALE_SCAN


def _refine(conn, network_id: int, event_key: str, update: dict) -> None:
    """Replace an open event's candidates when a later alarm of the same leak localizes it better.

    A night-signature localization (a test on whole nights that knows the loggers' noise)
    replaces any other and is not replaced itself: a later scan alarm of the same leak sees
    only its growth since the reference moved, and daytime alarms carry larger drops but more
    model error (measured: p628 went from 65 m to 327 m, p538 from 237 m to 338 m, run
    s9-repairs). Among other alarms the stronger signature wins: an incipient leak is
    localized better as it grows.
    """
    row = conn.execute(text(
        "SELECT id, details FROM water.leak_events WHERE network_id = :n AND event_key = :k"),
        {"n": network_id, "k": event_key}).first()
    if row is None or not update["candidates"]:
        return
    details = dict(row.details or {})
    new = float(update["details"].get("signature_norm_m", 0.0))
    # A re-run of the day that made the refinement (a backfill, a new localizer) replaces it.
    rerun = details.get("refined_at") == update["detected_at"].isoformat()
    if not rerun and not refines(update, details):
        return
    keep_initial_top(conn, row.id, details)
    replace_candidates(conn, row.id, update["candidates"])
    details.update({"signature_norm_m": new, "refined_at": update["detected_at"].isoformat(),
                    "localization": update["details"].get("localization")})
    details.pop("search_radius_m", None)
    if "search_radius_m" in update["details"]:
        details["search_radius_m"] = update["details"]["search_radius_m"]
    conn.execute(text("UPDATE water.leak_events SET details = CAST(:d AS jsonb) WHERE id = :e"),
                 {"d": json.dumps(details), "e": row.id})


def set_status(conn, event_id: int, status: str, note: str | None = None) -> None:
    """Record an analyst's decision on an event (confirmed, repaired, closed, false_alarm)."""
    from leakdet.errors import LeakdetError

    if status not in EVENT_STATUSES:
        raise LeakdetError(f"status must be one of {', '.join(EVENT_STATUSES)}, not {status!r}")
    done = conn.execute(text(
        "UPDATE water.leak_events SET status = :s, status_note = :note, status_changed_at = now() WHERE id = :id"),
        {"s": status, "note": note, "id": event_id}).rowcount
    if not done:
        raise LeakdetError(f"no leak event with id {event_id}")
