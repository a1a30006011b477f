"""``leakdet evaluate``: score a network's stored events against a ground-truth folder."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import text

from leakdet.errors import InputFileError
from leakdet.evaluate.battledim import Evaluation, evaluate
from leakdet.evaluate.network_distance import PipeDistance
from leakdet.hydraulics.model_store import fetch_network
from leakdet.store.models import EVENT_STATUSES, UNCONFIRMED
from platform_core.db import get_engine


def load_truth(folder: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    folder = Path(folder)
    leaks_file, flows_file = folder / "ground_truth_leaks.csv", folder / "ground_truth_leak_flows.csv"
    for f in (leaks_file, flows_file):
        if not f.exists():
            raise InputFileError(f, None, "ground-truth file not found (written by `leakdet scada simulate`)")
    leaks = pd.read_csv(leaks_file)
    flows = pd.read_csv(flows_file, index_col=0)
    return leaks, flows


def as_utc(ts) -> pd.Timestamp:
    """``ts`` in UTC; a naive time is taken to be UTC already."""
    ts = pd.Timestamp(ts)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


# A crew was sent: every status but an analyst's false alarm and the detector's unconfirmed alarm.
SCORED_STATUSES = tuple(s for s in EVENT_STATUSES if s not in ("false_alarm", UNCONFIRMED))


def evaluate_network(network: str, truth_dir: str | Path, start=None, end=None, latest: bool = False,
                     statuses: tuple[str, ...] = SCORED_STATUSES) -> Evaluation:
    """Evaluate the top candidate of every stored event of ``network`` (optionally within [start, end)).

    By default the pipe reported at detection time is scored (BattLeDIM rules). With
    ``latest`` the event's current rank-1 pipe (after refinement and daily re-localization)
    is scored at the same detection time: how good the crew's final search area is.
    ``statuses``: the events scored; by default those a crew was sent to, so an "unconfirmed"
    event is not a detection (``statuses=("unconfirmed",)`` scores those alone, to see what
    they were).
    """
    leaks, flows = load_truth(truth_dir)
    with get_engine().connect() as conn:
        stored = fetch_network(conn, network)
        events = pd.read_sql(text(
            # The pipe reported at detection time, not a later refinement (see detect.events._refine).
            f"""SELECT e.id AS event_id, {"c.link_id" if latest else "COALESCE(e.details->>'initial_top', c.link_id)"}
                      AS link_id, e.detected_at
               FROM water.leak_events e
               JOIN water.leak_candidates c ON c.event_id = e.id AND c.rank = 1
               WHERE e.network_id = :n AND e.status = ANY(:statuses) ORDER BY e.detected_at, e.id"""),
            conn, params={"n": stored.id, "statuses": list(statuses)})
    events["detected_at"] = pd.to_datetime(events["detected_at"], utc=True)
    if start is not None:
        start = as_utc(start)
        events = events[events["detected_at"] >= start]
        # A leak that was over before the evaluated period (e.g. during training) cannot be found.
        leaks = leaks[pd.to_datetime(leaks["end_utc"], utc=True) >= start]
    if end is not None:
        events = events[events["detected_at"] < as_utc(end)]
    return evaluate(events, leaks, flows, PipeDistance(stored.load()))
