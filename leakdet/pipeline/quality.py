"""Data-quality checks on a network's day, run as orchestration tasks between residuals and detection.

They read what :func:`leakdet.pipeline.daily.compute_residuals` stored in
``water.sensor_day_status`` and raise :class:`DataQualityError` with every failing sensor
named, so a day with too little data or a broken model is stopped before it raises (or
hides) leak alarms.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import text

from platform_core.db import get_engine


class DataQualityError(RuntimeError):
    pass


@dataclass(frozen=True)
class Thresholds:
    min_coverage: float = 0.8        # share of expected readings a sensor must have had
    min_sensors_ok: float = 0.5      # share of sensors that must meet min_coverage
    max_abs_residual_mean: float = 10.0   # m: a larger mean offset means a wrong model or datum
    max_residual_std: float = 10.0        # m


def _day_status(network: str, day: date):
    with get_engine().connect() as conn:
        return conn.execute(text(
            """SELECT s.sensor_id, s.kind, d.coverage, d.residual_mean, d.residual_std, d.flag
               FROM water.sensor_day_status d JOIN water.sensors s ON s.id = d.sensor_pk
               JOIN water.networks n ON n.id = s.network_id
               WHERE n.name = :n AND d.day = :d ORDER BY s.sensor_id"""), {"n": network, "d": day}).all()


def check_day(network: str, day, thresholds: Thresholds = Thresholds()) -> dict:
    """Sensor coverage and residual sanity for one day; returns the figures or raises."""
    day = day if isinstance(day, date) else date.fromisoformat(str(day)[:10])
    rows = _day_status(network, day)
    if not rows:
        raise DataQualityError(f"network {network}, {day}: no sensor status stored (residuals not computed?)")
    ok = [r for r in rows if r.coverage >= thresholds.min_coverage]
    problems = []
    if len(ok) < thresholds.min_sensors_ok * len(rows):
        low = ", ".join(f"{r.sensor_id} {r.coverage:.0%}" for r in rows if r.coverage < thresholds.min_coverage)
        problems.append(f"only {len(ok)}/{len(rows)} sensors have {thresholds.min_coverage:.0%} coverage ({low})")
    for r in rows:
        if r.residual_mean is not None and abs(r.residual_mean) > thresholds.max_abs_residual_mean:
            problems.append(f"{r.sensor_id}: residual mean {r.residual_mean:+.2f} m "
                            f"beyond ±{thresholds.max_abs_residual_mean} m")
        if r.residual_std is not None and r.residual_std > thresholds.max_residual_std:
            problems.append(f"{r.sensor_id}: residual std {r.residual_std:.2f} m above {thresholds.max_residual_std} m")
    if problems:
        raise DataQualityError(f"network {network}, {day}: " + "; ".join(problems))
    return {"network": network, "day": day.isoformat(), "sensors": len(rows), "sensors_ok": len(ok),
            "max_abs_residual_mean": max((abs(r.residual_mean) for r in rows if r.residual_mean is not None),
                                         default=None)}
