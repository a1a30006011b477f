"""``leakdet train``: learn a network's detector baseline from history and train its localizer.

1. Baseline: every day of the training period is simulated with its measured boundary
   conditions, and the detector learns the residual each logger shows per hour of the
   week (the model's systematic error) without raising alarms. Times when a known leak
   was active are blanked, so a leak in the history is not learned as normal.
2. Localizer: a scenario library (every pipe, several leak sizes and hours, on the nominal
   and on perturbed copies of the model) is simulated on a process pool and an
   :class:`~leakdet.localize.learned.XGBoostLocalizer` is fitted on it, then stored with
   a version that every event it localizes records.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import text

from leakdet.detect.residual_cusum import ResidualCusum
from leakdet.hydraulics.model_store import fetch_network
from leakdet.hydraulics.simulate import SimulationFailed
from leakdet.network.sensor_map import load_sensors
from leakdet.detect.night_flow import NIGHT_FLOW_KEY, NightFlowStep
from leakdet.detect.night_drift import NIGHT_DRIFT_KEY, NightDriftScan
from leakdet.detect.night_signature import NIGHT_SIGNATURE_KEY, NightSignatureScan
from leakdet.pipeline.daily import DETECTOR, as_day, compute_residuals, store_detector_state
from platform_core.db import get_engine

log = logging.getLogger(__name__)


def known_leak_periods(path: str | Path | None) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """(start, end) UTC of each known or repaired leak in a schedule file (CSV or BattLeDIM yalm)."""
    if path is None:
        return []
    from leakdet.synth.leak_schedule import read_leak_schedule

    return [(leak.start, leak.end) for leak in read_leak_schedule(path)]


def learn_baseline(network: str, start, end, known_leaks=None, detector: ResidualCusum | None = None) -> dict:
    """Learn the detector baseline over the local days ``[start, end]``; store it as of ``end``."""
    from leakdet.detect.events import update_inflow_baseline

    detector = detector or ResidualCusum()
    periods = known_leak_periods(known_leaks)
    state, day, learned, failed, blanked = detector.initial_state(), as_day(start), 0, [], 0
    compensated = False
    while day <= as_day(end):
        try:
            frame = pd.read_parquet(compute_residuals(network, day)["residuals_path"])
        except SimulationFailed as exc:
            log.error("%s", exc)
            failed.append(day.isoformat())
            day += timedelta(days=1)
            continue
        compensated = compensated or "inflow_m3s" in frame
        residuals = frame.filter(like="res:").rename(columns=lambda c: c[4:])
        mask = np.zeros(len(residuals), dtype=bool)
        for a, b in periods:
            mask |= (residuals.index >= a) & (residuals.index <= b)
        residuals.loc[mask] = np.nan
        blanked += int(mask.sum())
        _, state = detector.step_day(residuals, state, learn_only=True)
        if not mask.any() and "inflow_m3s" in frame:
            update_inflow_baseline(state, frame["inflow_m3s"])
            # Nights with a known leak would teach the night-flow reference a leak.
            _, state[NIGHT_FLOW_KEY] = NightFlowStep().step_day(frame, state.get(NIGHT_FLOW_KEY), learn_only=True)
        if not mask.any():
            _, state[NIGHT_SIGNATURE_KEY] = NightSignatureScan().step_day(frame, state.get(NIGHT_SIGNATURE_KEY),
                                                                          learn_only=True)
            # Leak-free nights are the drift scan's fixed reference (it raises nothing before it has one).
            _, state[NIGHT_DRIFT_KEY] = NightDriftScan().learn_day(frame, state.get(NIGHT_DRIFT_KEY))
        learned += 1
        day += timedelta(days=1)
    with get_engine().begin() as conn:
        stored = fetch_network(conn, network)
        store_detector_state(conn, stored.id, as_day(end), state)
    return {"days": learned, "failed_days": failed, "blanked_samples": blanked,
            "known_leaks": len(periods), "demand_compensated": compensated}


@dataclass
class TrainingInputs:
    """What a localizer is trained for: the stored model, its pressure loggers on junctions
    (sensor_id -> junction) and the coordinates of loggers and pipes."""

    stored: object
    sensor_nodes: dict
    sensor_xy: pd.DataFrame
    pipe_xy: pd.DataFrame


def training_inputs(network: str) -> TrainingInputs:
    """Read the network's model and loggers; at least 3 pressure loggers on junctions are needed."""
    from leakdet.localize.nearest_pipes import network_points

    with get_engine().connect() as conn:
        stored = fetch_network(conn, network)
        sensors = load_sensors(conn, network)
        sensor_xy, pipe_xy = network_points(conn, stored.id)
    wn = stored.load()
    loggers = sensors[(sensors["kind"] == "pressure") & sensors["element_id"].isin(wn.junction_name_list)]
    if len(loggers) < 3:
        raise SimulationFailed(f"network {network}: {len(loggers)} pressure loggers on junctions; "
                               "localization needs at least 3")
    return TrainingInputs(stored, dict(zip(loggers["sensor_id"], loggers["element_id"])), sensor_xy, pipe_xy)


def split_estimator_options(options: dict) -> tuple[dict, dict]:
    """(estimator options, library options) from one keyword dict."""
    from leakdet.localize.learned import XGBoostLocalizer

    names = XGBoostLocalizer().get_params()
    return ({k: v for k, v in options.items() if k in names}, {k: v for k, v in options.items() if k not in names})


def fit_localizer(inputs: TrainingInputs, library: pd.DataFrame, demand_compensated: bool = True,
                  **estimator_options) -> dict:
    """Fit, validate and store the learned localizer on a simulated library; returns version and metrics."""
    from leakdet.localize.learned import XGBoostLocalizer
    from leakdet.localize.pair_features import Reference
    from leakdet.localize.registry import save_localizer

    reference = Reference.from_library(library, list(inputs.sensor_nodes), inputs.pipe_xy, inputs.sensor_xy)
    estimator = XGBoostLocalizer(**estimator_options).fit(library, reference)
    metrics = {"heldout_top1": estimator.heldout_top1_, "candidate_recall": estimator.recall_,
               "temperature": estimator.temperature_, "n_pipes": len(reference.pipes),
               "demand_compensated": demand_compensated}
    stored = inputs.stored
    with get_engine().begin() as conn:
        version = save_localizer(conn, stored.id, stored.inp_sha256, estimator, len(library), metrics)
    return {"version": version, "n_scenarios": len(library), **metrics}


def train_localizer(network: str, demand_compensated: bool = True, workers: int = 2, **options) -> dict:
    """Simulate the scenario library on a local process pool and fit, validate and store the
    learned localizer (the Airflow DAG does the same with one task per batch, see
    :mod:`leakdet.pipeline.model_refresh`)."""
    from leakdet.scenarios.library import build_library

    inputs = training_inputs(network)
    estimator_options, library_options = split_estimator_options(options)
    library = build_library(inputs.stored.inp_text, inputs.sensor_nodes, list(inputs.pipe_xy.index),
                            workers=workers, demand_compensated=demand_compensated, **library_options)
    return fit_localizer(inputs, library, demand_compensated, **estimator_options)


def train(network: str, start, end, known_leaks=None, workers: int = 2, **options) -> dict:
    """Both steps; the summary names the baseline period and the localizer version."""
    baseline = learn_baseline(network, start, end, known_leaks)
    localizer = train_localizer(network, baseline["demand_compensated"] or baseline["days"] == 0, workers, **options)
    return {"network": network, "baseline": {"start": as_day(start).isoformat(), "end": as_day(end).isoformat(),
                                             **baseline}, "localizer": localizer}
