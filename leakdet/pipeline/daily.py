"""The daily leak run for one network and one local day: the functions the DAG tasks call.

Each step takes and returns plain values (names, dates, paths), so they can run as
separate Airflow tasks; each is idempotent for its day: re-running replaces that day's
results and nothing else.

Steps: :func:`compute_residuals` → :func:`detect_day` → :func:`render_day_map`;
:func:`run_day` does all three and :func:`run_range` loops over days (the batch CLI).
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import text

from leakdet.detect.residual_cusum import ResidualCusum
from leakdet.detect.sensor_health import sensor_health
from leakdet.hydraulics.boundary import LOOKBACK, apply_boundary
from leakdet.hydraulics.model_store import fetch_network
from leakdet.hydraulics.operating_state import StateElements, operating_state, read_state, write_state
from leakdet.hydraulics.simulate import SimulationFailed, prepare_day, run_simulation, sample_sensors
from leakdet.localize.sensitivity import MATRIX_HOUR
from leakdet.network.sensor_map import load_sensors
from leakdet.scada.query import readings_frame
from platform_core.db import get_engine
from platform_core.settings import get_settings

log = logging.getLogger(__name__)
DETECTOR = "residual_cusum_v1"
RESIDUALS_FILE = "residuals.parquet"      # the day's measured - simulated values, per sensor and 5-minute step
STATE_FILE = "operating_state.json"     # the network's night operating state, beside the day's residuals


def as_day(day: str | date) -> date:
    return day if isinstance(day, date) else date.fromisoformat(str(day)[:10])


def day_bounds(day: str | date) -> tuple[pd.Timestamp, pd.Timestamp]:
    """UTC start and end of a local (Asia/Brunei) day."""
    tz = get_settings().local_timezone
    start = pd.Timestamp(as_day(day)).tz_localize(tz).tz_convert("UTC")
    return start, start + pd.Timedelta(days=1)


def day_dir(network: str, day: str | date) -> Path:
    path = get_settings().work_dir / "leakdet" / network / as_day(day).isoformat()
    path.mkdir(parents=True, exist_ok=True)
    return path


def compute_residuals(network: str, day: str | date) -> dict:
    """Simulate the day with measured boundary conditions; store residuals and sensor health.

    Returns ``{"residuals_path", "flagged", "boundary"}``.
    """
    day = as_day(day)
    start, end = day_bounds(day)
    engine = get_engine()
    with engine.connect() as conn:
        stored = fetch_network(conn, network)
        sensors = load_sensors(conn, network)
        data = readings_frame(conn, network, start - LOOKBACK, end)
    wn = stored.load()
    prepare_day(wn)
    tank_bottoms = {t: wn.get_node(t).elevation for t in wn.tank_name_list}
    elements = StateElements.of(wn)
    boundary = apply_boundary(wn, start, data, sensors)
    results = run_simulation(wn, f"network {network}, day {day}")
    simulated = sample_sensors(results, wn, sensors, start, tank_bottoms)
    # Localization takes leak signatures in the state the network was in at night (model time 0
    # is local midnight), not in the model's initial one.
    write_state(day_dir(network, day) / STATE_FILE, operating_state(results, elements, MATRIX_HOUR * 3600))
    measured = data.get("pressure", pd.DataFrame(index=simulated.index)).reindex(simulated.index)
    health = sensor_health(measured)
    residuals = measured - simulated[measured.columns]
    flagged = health["flag"].dropna()
    residuals.loc[:, list(flagged.index)] = np.nan
    frame = residuals.add_prefix("res:")
    if boundary.inflow is not None:
        frame["inflow_m3s"] = boundary.inflow.reindex(frame.index)
    out = day_dir(network, day) / RESIDUALS_FILE
    frame.to_parquet(out)
    _store_health(network, day, sensors, health, residuals)
    return {"residuals_path": str(out), "flagged": {k: v for k, v in flagged.items()},
            "boundary": boundary.describe()}


def _store_health(network, day, sensors, health, residuals) -> None:
    pks = sensors.set_index("sensor_id")["pk"]
    with get_engine().begin() as conn:
        conn.execute(text("DELETE FROM water.sensor_day_status WHERE day = :d AND sensor_pk = ANY(:p)"),
                     {"d": day, "p": [int(p) for p in pks.reindex(health.index)]})
        for sid, row in health.iterrows():
            r = residuals[sid] if sid in residuals else pd.Series(dtype=float)
            conn.execute(text(
                "INSERT INTO water.sensor_day_status VALUES (:pk, :d, :n, :c, :m, :s, :f)"),
                {"pk": int(pks[sid]), "d": day, "n": int(row.n_readings), "c": float(row.coverage),
                 "m": None if r.isna().all() else float(r.mean()), "s": None if r.isna().all() else float(r.std()),
                 # pandas 3 holds a healthy sensor's flag as NaN in a column with any flag set
                 "f": row.flag if isinstance(row.flag, str) else None})


def _load_state(conn, network_id: int, day: date, detector: ResidualCusum) -> dict:
    row = conn.execute(text(
        "SELECT as_of_day, state FROM water.detector_state WHERE network_id = :n AND detector = :d "
        "AND as_of_day < :day ORDER BY as_of_day DESC LIMIT 1"), {"n": network_id, "d": DETECTOR, "day": day}).first()
    if row is None:
        return detector.initial_state()
    if row.as_of_day != day - timedelta(days=1):
        log.warning("detector state for %s is from %s, not the day before %s: days were skipped",
                    network_id, row.as_of_day, day)
    return row.state


def detect_day(network: str, day: str | date, residuals_path: str, detector: ResidualCusum | None = None) -> dict:
    """Run the causal detector over the day; replace the day's events and store the state."""
    from leakdet.detect.events import (build_events, mark_recovered, merge_into_open, open_events,
                                       recoveries, update_inflow_baseline, write_events)
    from leakdet.detect.night_flow import NIGHT_FLOW_KEY, NightFlowStep
    from leakdet.detect.night_drift import NIGHT_DRIFT_KEY, NightDriftScan
    from leakdet.detect.night_drift import SENSOR_ID as DRIFT_ID
    from leakdet.detect.night_confirm import HELD_KEY, confirm_at_night, from_state, is_urgent, sources, to_state
    from leakdet.detect.night_signature import NIGHT_SIGNATURE_KEY, NightSignatureScan
    from leakdet.detect.nights import night_end, night_residuals
    from leakdet.localize.nearest_pipes import network_points
    from leakdet.localize.relocalize import relocalize_open_events, save_night_deviation

    day = as_day(day)
    frame = pd.read_parquet(residuals_path)
    residuals = frame.filter(like="res:").rename(columns=lambda c: c[4:])
    with get_engine().connect() as conn:
        stored = fetch_network(conn, network)
        sensor_xy, pipes_xy = network_points(conn, stored.id)
        sensors = load_sensors(conn, network)
        detector = detector or detector_for(network, stored, sensors, "inflow_m3s" in frame)
        state = _load_state(conn, stored.id, day, detector)
    alarms, new_state = detector.step_day(residuals, state)
    # Minimum night flow: a second, independent detector on the district's net inflow.
    night_alarms, new_state[NIGHT_FLOW_KEY] = NightFlowStep().step_day(frame, state.get(NIGHT_FLOW_KEY))
    save_night_deviation(day_dir(network, day), detector.night_deviation(residuals, state))
    inflow = frame["inflow_m3s"] if "inflow_m3s" in frame else None
    # The daily run scales demand to metered consumption exactly when the inflow is metered.
    ends = night_end(day)
    with get_engine().connect() as conn:
        opened = open_events(conn, stored.id, day_bounds(day)[0].to_pydatetime())
    state_at_night = read_state(Path(residuals_path).with_name(STATE_FILE))
    localizers = _localizers(network, stored, sensors, "inflow_m3s" in frame, state_at_night, pipes_xy)
    localize = (localizers.primary, localizers.classical) if localizers else (None, None)
    signature_alarms, rises, drift_alarms, drift, night_tested = [], [], [], None, False
    if localizers is not None:
        # Third detector: the loggers' night drops tested for each pipe's leak shape.
        scan = NightSignatureScan(localizers.correlation.pipe_signatures(),
                                  sized=localizers.correlation.pipe_signatures, distance=_pipe_distance(stored))
        signature_alarms, new_state[NIGHT_SIGNATURE_KEY] = scan.step_day(frame, state.get(NIGHT_SIGNATURE_KEY))
        rises = [r for r in new_state[NIGHT_SIGNATURE_KEY]["rises"] if r["day"] == day.isoformat()]
        night_tested = (state.get(NIGHT_SIGNATURE_KEY, {}).get("n_accepted", 0) >= scan.min_nights
                        and night_residuals(frame) is not None)
        # Fourth: slow drift against a fixed reference, every known leak's change explained.
        drift = NightDriftScan(scan.signatures, sized=scan.sized, distance=scan.distance)
        drift_alarms, new_state[NIGHT_DRIFT_KEY] = drift.step_day(frame, state.get(NIGHT_DRIFT_KEY))
    pressure = build_events(alarms, inflow, new_state, sensor_xy, pipes_xy, DETECTOR, *localize)
    # Night alarms are built apart: grouped with a pressure alarm of the same hours they would
    # lose their own (night) signature. One of a leak already seen localizes near it and becomes
    # its update below; one localized elsewhere is a leak of its own (measured: the night
    # signature often localizes better than the alarm that came first).
    nightly = [e for group in (night_alarms, signature_alarms, drift_alarms)
               for e in build_events(group, inflow, new_state, sensor_xy, pipes_xy, DETECTOR, *localize)]
    held = from_state(state)
    updates, distance = [], None
    if pressure or nightly or held or (rises and opened):
        distance = _pipe_distance(stored)
    # Small daytime leaks wait for the night after them, which localizes them better.
    urgent = [e for e in pressure if is_urgent(e)]
    later = [e for e in pressure if not is_urgent(e) and e["detected_at"] > ends]
    # One the night scans tested and did not confirm goes to the analyst, not a crew.
    raised, nightly = confirm_at_night(held + [e for e in pressure if not is_urgent(e) and e["detected_at"] <= ends],
                                       nightly, distance, ends, tested=night_tested)
    events = urgent + raised + nightly + later
    if events:
        events, updates = merge_into_open(events, opened, distance)
    recovered = recoveries(opened, rises, distance) if rises and opened else []
    waiting = {e["event_key"] for e in later}
    new_state[HELD_KEY] = to_state([e for e in events if e["event_key"] in waiting])
    updates = [u for u in updates if u["event_key"] not in waiting]
    # The drift scan explains every new leak found (its own alarms it has already taken in), so
    # that it does not find it again, from the day it was first seen: a held event is noted on
    # the day of its alarm, not again when it is raised.
    noted = {e["event_key"] for e in held}
    if drift is not None and any(e["details"]["sensors"] != [DRIFT_ID] and not (sources(e) & noted) for e in events):
        drift.note_event(new_state[NIGHT_DRIFT_KEY], day.isoformat())
    events = [e for e in events if e["event_key"] not in waiting]
    if not alarms:
        update_inflow_baseline(new_state, inflow)
    version = localizers.version if localizers else None
    with get_engine().begin() as conn:
        write_events(conn, stored.id, day, DETECTOR, events, updates, model_version=version)
        marked = mark_recovered(conn, recovered)
        relocalized = relocalize_open_events(conn, stored.id, day, lambda d: day_dir(network, d),
                                             localizers.primary) if localizers else 0
        store_detector_state(conn, stored.id, day, new_state)
    return {"events": [e["event_key"] for e in events], "n_events": len(events), "n_updates": len(updates),
            "relocalized": relocalized, "recovered": marked, "model_version": version}


_MODEL_FACTS: dict = {}


def _model_facts(stored) -> dict:
    """What detection reads of the stored model's topology (pipe ends; the pipe-distance graph,
    built when first asked for), parsed once per process and model version: parsing a big INP
    costs more than a quiet day's detection. Never mutated."""
    if stored.inp_sha256 not in _MODEL_FACTS:
        wn = stored.load()
        _MODEL_FACTS.clear()
        _MODEL_FACTS[stored.inp_sha256] = {
            "model": wn, "pipe_ends": {name: (p.start_node_name, p.end_node_name) for name, p in wn.pipes()}}
    return _MODEL_FACTS[stored.inp_sha256]


def _pipe_distance(stored):
    """Network distances between pipes of the stored model (see :func:`_model_facts`)."""
    from leakdet.evaluate.network_distance import PipeDistance

    facts = _model_facts(stored)
    if "distance" not in facts:
        facts["distance"] = PipeDistance(facts["model"])
    return facts["distance"]


def store_detector_state(conn, network_id: int, day: date, state: dict) -> None:
    """The detector state as of the end of ``day`` (what the next day starts from)."""
    conn.execute(text(
        "INSERT INTO water.detector_state VALUES (:n, :d, :day, CAST(:s AS jsonb)) "
        "ON CONFLICT (network_id, detector, as_of_day) DO UPDATE SET state = EXCLUDED.state"),
        {"n": network_id, "d": DETECTOR, "day": day, "s": json.dumps(state)})


def _sensitivity(network: str, stored, sensors: pd.DataFrame, demand_compensated: bool,
                 state=None, leak_lps: float | None = None) -> pd.DataFrame | None:
    """The network's sensitivity matrix for its pressure loggers on nodes (cached) in operating
    ``state`` (None: the model's initial state), or None with fewer than 3 loggers."""
    from leakdet.localize.sensitivity import cached_sensitivity

    loggers = sensors[(sensors["kind"] == "pressure") & (sensors["element_type"] == "node")]
    if len(loggers) < 3:
        return None
    return cached_sensitivity(stored.inp_text, stored.load, dict(zip(loggers["sensor_id"], loggers["element_id"])),
                              get_settings().work_dir / "leakdet" / network, demand_compensated, state,
                              leak_lps=leak_lps)


def detector_for(network: str, stored, sensors: pd.DataFrame, demand_compensated: bool) -> ResidualCusum:
    """The detector with the network's signature zones (multivariate CUSUM) when it has enough loggers."""
    from leakdet.detect.zones import cached_zones

    matrix = _sensitivity(network, stored, sensors, demand_compensated)
    n_zones = int(os.environ.get("BNW_LEAK_ZONES", "24"))      # 0 turns the zone CUSUMs off
    if matrix is None or n_zones <= 0:
        return ResidualCusum()
    return ResidualCusum(zones=cached_zones(matrix, get_settings().work_dir / "leakdet" / network, n_zones))


@dataclass
class Localizers:
    """The localizer whose candidates an event reports, the classical one kept beside it for
    comparison, and the version recorded with the event."""

    primary: object
    classical: object | None
    version: str

    @property
    def correlation(self):
        """The sensitivity-correlation localizer (primary when no learned model exists)."""
        return self.classical if self.classical is not None else self.primary


_CLASSICAL: dict = {}      # fitted correlation localizers by model, loggers and operating state


def _localizers(network: str, stored, sensors: pd.DataFrame, demand_compensated: bool,
                state=None, pipes_xy: pd.DataFrame | None = None) -> Localizers | None:
    """The learned localizer of the network's current model when one was trained (``leakdet
    train``), with the sensitivity-correlation localizer beside it; else correlation alone.

    The correlation localizer (and so the night-signature scan) uses the sensitivity matrix of
    the night's operating ``state``; the detector's zones stay on the model's own, so that
    their CUSUMs keep one meaning from day to day. ``pipes_xy`` (pipe midpoints, m) lets the
    correlation localizer rank its candidates for a crew when it is the primary one."""
    from leakdet.localize.correlation import CorrelationLocalizer
    from leakdet.localize.registry import latest_version, load_localizer

    matrix = _sensitivity(network, stored, sensors, demand_compensated, state)
    if matrix is None:
        return None
    key = (stored.inp_sha256, tuple(matrix.index), demand_compensated, state.key() if state else "")
    if key not in _CLASSICAL:
        while len(_CLASSICAL) >= 8:
            _CLASSICAL.pop(next(iter(_CLASSICAL)))
        # Matrices at other leak sizes are simulated only when a large leak is localized.
        sized = partial(_sensitivity, network, stored, sensors, demand_compensated, state)
        _CLASSICAL[key] = CorrelationLocalizer().fit(matrix, _model_facts(stored)["pipe_ends"], pipes_xy,
                                                     sized=lambda lps: sized(leak_lps=lps))
    classical = _CLASSICAL[key]
    with get_engine().connect() as conn:
        version = latest_version(conn, stored.id, stored.inp_sha256)
        learned = load_localizer(conn, stored.id, version) if version else None
    if learned is None:
        return Localizers(classical, None, "correlation-v1")
    from leakdet.localize.ensemble import EnsembleLocalizer

    return Localizers(EnsembleLocalizer(learned, classical), classical, f"{version}+correlation")


def render_day_map(network: str, day: str | date) -> str:
    from leakdet.report.daily_map import render_daily_map

    day = as_day(day)
    out = get_settings().reports_dir / "leaks" / network / f"{day.isoformat()}.html"
    return str(render_daily_map(network, day, out))


def run_day(network: str, day: str | date, maps: bool = True) -> dict:
    """All steps for one day; raises :class:`SimulationFailed` if EPANET cannot solve it."""
    res = compute_residuals(network, day)
    det = detect_day(network, day, res["residuals_path"])
    return {"day": as_day(day).isoformat(), **res, **det, **({"map": render_day_map(network, day)} if maps else {})}


def run_range(network: str, start: str | date, end: str | date, maps: bool = True) -> list[dict]:
    """Run every local day in ``[start, end]``; a day whose simulation fails is reported and skipped."""
    out, day = [], as_day(start)
    while day <= as_day(end):
        try:
            out.append(run_day(network, day, maps))
        except SimulationFailed as exc:
            log.error("%s", exc)
            out.append({"day": day.isoformat(), "error": str(exc)})
        day += timedelta(days=1)
    return out
