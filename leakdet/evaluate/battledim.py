"""Score leak events the way BattLeDIM 2020 did.

- A detection is a **true positive** if its time lies inside a leak's active period and
  its reported pipe (the top candidate) is within 300 m of the leaking pipe, measured along
  the network between pipe midpoints.
- Each true positive earns the water saved from detection to the end of the period
  (the leak's true outflow after detection) at €0.80/m³, minus €500 × distance / 300 m
  for the crew's search.
- A false positive costs €500; a repeat detection of a leak already found scores 0.
- The perfect score detects every leak at its start, on the right pipe.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from leakdet.evaluate.network_distance import PipeDistance

EUR_PER_M3 = 0.80
CREW_EUR = 500.0
RADIUS_M = 300.0
FP_EUR = 500.0


@dataclass
class Evaluation:
    per_leak: pd.DataFrame
    per_event: pd.DataFrame
    summary: dict = field(default_factory=dict)


def _volume_m3(flows_lps: pd.Series, since: pd.Timestamp) -> float:
    """Leak volume (m³) from ``since`` to the end of the flow series (5-minute steps assumed regular)."""
    after = flows_lps[flows_lps.index >= since]
    if len(after) < 2:
        return 0.0
    step_s = float(np.median(np.diff(after.index.as_unit("ns").asi8)) / 1e9)
    return float(after.sum() * step_s / 1000.0)


def evaluate(events: pd.DataFrame, leaks: pd.DataFrame, flows: pd.DataFrame, distance: PipeDistance) -> Evaluation:
    """Score ``events`` against the truth.

    Parameters
    ----------
    events : DataFrame
        One row per event: event_id, link_id (top candidate), detected_at (UTC).
    leaks : DataFrame
        leak_id, link_id, start_utc, end_utc, kind (from ``ground_truth_leaks.csv``).
    flows : DataFrame
        Index UTC time, one column per leak_id, leak outflow in L/s.
    """
    leaks = leaks.copy()
    for col in ("start_utc", "end_utc"):
        leaks[col] = pd.to_datetime(leaks[col], utc=True)
    flows = flows.copy()
    flows.index = pd.to_datetime(flows.index, utc=True)
    # Only leaks that start within the evaluated data can be scored.
    leaks = leaks[leaks["start_utc"] <= flows.index.max()] if len(flows) else leaks
    found: dict[str, dict] = {}
    rows = []
    # Events raised at the same time count in the order they were made (stable sort; SQL orders by id).
    for ev in events.sort_values("detected_at", kind="stable").itertuples():
        t = pd.Timestamp(ev.detected_at)
        active = leaks[(leaks["start_utc"] <= t) & (leaks["end_utc"] >= t)]
        dists = {lk.leak_id: distance(ev.link_id, lk.link_id) for lk in active.itertuples()}
        near = {k: d for k, d in dists.items() if d <= RADIUS_M}
        new = {k: d for k, d in near.items() if k not in found}
        if new:
            leak_id = min(new, key=new.get)
            saved = _volume_m3(flows[leak_id], t) if leak_id in flows else 0.0
            score = EUR_PER_M3 * saved - CREW_EUR * new[leak_id] / RADIUS_M
            found[leak_id] = {"event_id": ev.event_id, "detected_at": t, "distance_m": new[leak_id],
                              "saved_m3": saved, "score_eur": score}
            rows.append((ev.event_id, t, ev.link_id, "TP", leak_id, new[leak_id], score))
        elif near:
            leak_id = min(near, key=near.get)
            rows.append((ev.event_id, t, ev.link_id, "repeat", leak_id, near[leak_id], 0.0))
        else:
            nearest = min(dists.values()) if dists else float("nan")
            rows.append((ev.event_id, t, ev.link_id, "FP", None, nearest, -FP_EUR))
    per_event = pd.DataFrame(rows, columns=["event_id", "detected_at", "link_id", "outcome", "leak_id",
                                            "distance_m", "score_eur"])
    per_leak = []
    for lk in leaks.itertuples():
        hit = found.get(lk.leak_id)
        perfect = EUR_PER_M3 * _volume_m3(flows[lk.leak_id], lk.start_utc) if lk.leak_id in flows else 0.0
        per_leak.append({"leak_id": lk.leak_id, "link_id": lk.link_id, "kind": lk.kind, "start_utc": lk.start_utc,
                         "detected_at": hit["detected_at"] if hit else pd.NaT,
                         "delay_h": (hit["detected_at"] - lk.start_utc).total_seconds() / 3600 if hit else np.nan,
                         "distance_m": hit["distance_m"] if hit else np.nan,
                         "score_eur": hit["score_eur"] if hit else 0.0, "perfect_eur": perfect})
    # A leak-free year is a valid labelled dataset (every event is a false alarm): keep the columns.
    per_leak = pd.DataFrame(per_leak, columns=["leak_id", "link_id", "kind", "start_utc", "detected_at", "delay_h",
                                               "distance_m", "score_eur", "perfect_eur"])
    tp = int((per_event["outcome"] == "TP").sum())
    fp = int((per_event["outcome"] == "FP").sum())
    total = float(per_event["score_eur"].sum())
    perfect = float(per_leak["perfect_eur"].sum())

    def median_delay(kind):
        d = per_leak.loc[per_leak["kind"] == kind, "delay_h"].dropna()
        return float(d.median() / 24) if len(d) else None

    summary = {
        "leaks": len(leaks), "events": len(per_event), "TP": tp, "FP": fp, "FN": len(leaks) - tp,
        "repeats": int((per_event["outcome"] == "repeat").sum()),
        "detected_share": tp / len(leaks) if len(leaks) else None,
        "median_distance_m": float(per_leak["distance_m"].median()) if tp else None,
        "median_delay_days_abrupt": median_delay("abrupt"), "median_delay_days_incipient": median_delay("incipient"),
        "score_eur": round(total, 0), "perfect_eur": round(perfect, 0),
        "score_pct_of_perfect": round(100 * total / perfect, 1) if perfect > 0 else None,
    }
    return Evaluation(per_leak, per_event, summary)
