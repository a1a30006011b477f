"""Turn detector alarms into leak events with candidate pipes and an estimated flow, and store them."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
from sqlalchemy import text

from leakdet.detect.residual_cusum import Alarm
from leakdet.localize.nearest_pipes import candidate_pipes

GROUP_WINDOW = pd.Timedelta(hours=6)   # alarms this close together are one leak


def group_alarms(alarms: list[Alarm]) -> list[list[Alarm]]:
    groups: list[list[Alarm]] = []
    for alarm in sorted(alarms, key=lambda a: a.detected_at):
        if groups and alarm.detected_at - groups[-1][0].detected_at <= GROUP_WINDOW:
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
    """Extra inflow (L/s) between the estimated start and detection, against the hour-of-day baseline."""
    base = state.get("inflow_mu")
    if inflow is None or not base:
        return None
    window = inflow.loc[start:detected].dropna()
    if window.empty:
        return None
    hours = window.index.tz_convert("Asia/Brunei").hour
    expected = np.array([base[h] if base[h] is not None else np.nan for h in hours], dtype=float)
    extra = float(np.nanmean(window.to_numpy() - expected)) * 1000.0
    return round(extra, 2) if np.isfinite(extra) and extra > 0 else None


def build_events(alarms: list[Alarm], inflow: pd.Series | None, state: dict,
                 sensor_xy: pd.DataFrame, pipes_xy: pd.DataFrame, detector: str, localizer=None) -> list[dict]:
    """Group alarms into events; candidates from ``localizer`` (a fitted CorrelationLocalizer)
    when given and the signature covers enough loggers, else the pipes nearest the alarming loggers."""
    events = []
    for group in group_alarms(alarms):
        first = group[0]
        weights = pd.Series({a.sensor_id: max(a.drop_m, 0.0) for a in group})
        method = "nearest-to-alarming-loggers"
        if localizer is not None and len(first.signature) >= 3:
            cands, method = localizer.candidates(pd.Series(first.signature)), "sensitivity-correlation"
        elif len(sensor_xy.index.intersection(weights.index)):
            cands = candidate_pipes(sensor_xy.loc[sensor_xy.index.intersection(weights.index)], weights, pipes_xy)
        else:
            cands = pd.DataFrame(columns=["link_id", "probability"])
        start = min(a.estimated_start for a in group)
        events.append({
            "event_key": f"{detector}:{first.sensor_id}:{first.detected_at:%Y%m%dT%H%MZ}",
            "detected_at": first.detected_at, "estimated_start": start,
            "est_flow_lps": estimate_flow_lps(state, inflow, start, first.detected_at),
            "candidates": list(zip(cands["link_id"], cands["probability"].round(4))),
            "details": {"sensors": [a.sensor_id for a in group], "localization": method,
                        "pressure_drop_m": {a.sensor_id: round(a.drop_m, 3) for a in group}},
        })
    return events


def write_events(conn, network_id: int, day, detector: str, events: list[dict]) -> None:
    """Replace the events this detector produced for ``day`` (idempotent per data interval)."""
    conn.execute(text("DELETE FROM water.leak_events WHERE network_id = :n AND run_day = :d AND detector = :det"),
                 {"n": network_id, "d": day, "det": detector})
    for ev in events:
        event_id = conn.execute(text(
            """INSERT INTO water.leak_events (network_id, event_key, run_day, detected_at, estimated_start,
                                              status, est_flow_lps, detector, model_version, details)
               VALUES (:n, :k, :d, :det_at, :start, 'new', :flow, :det, :ver, CAST(:details AS jsonb))
               RETURNING id"""),
            {"n": network_id, "k": ev["event_key"], "d": day, "det_at": ev["detected_at"].to_pydatetime(),
             "start": ev["estimated_start"].to_pydatetime(), "flow": ev["est_flow_lps"], "det": detector,
             "ver": detector, "details": json.dumps(ev["details"])}).scalar_one()
        for rank, (link_id, prob) in enumerate(ev["candidates"], start=1):
            conn.execute(text("INSERT INTO water.leak_candidates VALUES (:e, :r, :l, :p)"),
                         {"e": event_id, "r": rank, "l": link_id, "p": float(prob)})
