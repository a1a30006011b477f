"""Sensor maps: which network element each SCADA tag measures, in which unit.

A sensor map is a CSV with one row per sensor: ``sensor_id, kind, element_id, unit``.
Every problem in the file is reported with its line before anything is written.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from leakdet import units
from leakdet.errors import InputFileError, LeakdetError
from platform_core.db import get_engine

REQUIRED = ("sensor_id", "kind", "element_id", "unit")
NODE_KINDS = {"pressure", "level", "demand"}


@dataclass
class SensorImportResult:
    network: str
    inserted: int
    updated: int
    unchanged: int


def network_id(conn: Connection, name: str) -> int:
    nid = conn.execute(text("SELECT id FROM water.networks WHERE name = :n"), {"n": name}).scalar()
    if nid is None:
        raise LeakdetError(f"network {name!r} is not imported; run `leakdet network import` first")
    return nid


def read_sensor_map(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, skipinitialspace=True, keep_default_na=False)
    except FileNotFoundError:
        raise InputFileError(path, None, "file not found") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputFileError(path, None, f"not a readable CSV: {exc}") from None
    frame.columns = [c.strip().lower() for c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InputFileError(path, 1, f"missing column(s) {', '.join(missing)}; need {', '.join(REQUIRED)}")
    frame = frame[list(REQUIRED)].apply(lambda s: s.str.strip())
    frame["kind"] = frame["kind"].str.lower()
    frame["line"] = range(2, len(frame) + 2)
    return frame


def validate_sensor_map(path: Path, frame: pd.DataFrame, nodes: dict[str, str], links: set[str]) -> None:
    """Raise one error listing every bad row (file:line field: problem)."""
    problems = []
    for row in frame.itertuples(index=False):
        where = f"{path}:{row.line}"
        if not row.sensor_id:
            problems.append(f"{where} sensor_id: empty")
        if row.kind not in units.STORED_UNIT:
            problems.append(f"{where} kind: {row.kind!r} is not one of {', '.join(units.STORED_UNIT)}")
            continue
        try:
            units.factor_to_stored(row.kind, row.unit)
        except KeyError:
            problems.append(f"{where} unit: {row.unit!r} is not a {row.kind} unit "
                            f"(known: {', '.join(units.known_units(row.kind))})")
        if row.kind in NODE_KINDS:
            node_type = nodes.get(row.element_id)
            if node_type is None:
                problems.append(f"{where} element_id: node {row.element_id!r} is not in the network")
            elif row.kind == "level" and node_type != "tank":
                problems.append(f"{where} element_id: level sensor on {node_type} {row.element_id!r}, not a tank")
        elif row.element_id not in links:
            problems.append(f"{where} element_id: link {row.element_id!r} is not in the network")
    dup = frame[frame.duplicated("sensor_id", keep="first")]
    problems += [f"{path}:{r.line} sensor_id: duplicate {r.sensor_id!r}" for r in dup.itertuples()]
    if problems:
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        raise LeakdetError(f"sensor map does not match network: {shown}")


def import_sensor_map(path: str | Path, network: str, engine: Engine | None = None) -> SensorImportResult:
    """Validate the sensor map against the network and upsert it (idempotent)."""
    path = Path(path)
    frame = read_sensor_map(path)
    engine = engine or get_engine()
    with engine.begin() as conn:
        nid = network_id(conn, network)
        nodes = dict(conn.execute(text("SELECT node_id, node_type FROM water.nodes WHERE network_id=:n"),
                                  {"n": nid}).all())
        links = set(conn.execute(text("SELECT link_id FROM water.links WHERE network_id=:n"),
                                 {"n": nid}).scalars())
        validate_sensor_map(path, frame, nodes, links)
        before = {r.sensor_id: tuple(r[1:]) for r in conn.execute(text(
            "SELECT sensor_id, kind, element_id, unit FROM water.sensors WHERE network_id=:n"), {"n": nid})}
        counts = {"inserted": 0, "updated": 0, "unchanged": 0}
        for row in frame.itertuples(index=False):
            etype = "node" if row.kind in NODE_KINDS else "link"
            new = (row.kind, row.element_id, row.unit)
            old = before.get(row.sensor_id)
            if old == new:
                counts["unchanged"] += 1
                continue
            counts["inserted" if old is None else "updated"] += 1
            conn.execute(text(
                """INSERT INTO water.sensors (network_id, sensor_id, kind, element_type, element_id, unit, si_unit)
                   VALUES (:n, :s, :k, :et, :e, :u, :si)
                   ON CONFLICT (network_id, sensor_id) DO UPDATE SET kind=EXCLUDED.kind,
                     element_type=EXCLUDED.element_type, element_id=EXCLUDED.element_id,
                     unit=EXCLUDED.unit, si_unit=EXCLUDED.si_unit"""),
                {"n": nid, "s": row.sensor_id, "k": row.kind, "et": etype, "e": row.element_id,
                 "u": row.unit, "si": units.STORED_UNIT[row.kind]})
    return SensorImportResult(network, **counts)


def load_sensors(conn: Connection, network: str) -> pd.DataFrame:
    """The network's sensors: pk, sensor_id, kind, element_type, element_id, unit, factor to stored unit."""
    nid = network_id(conn, network)
    frame = pd.DataFrame(conn.execute(text(
        "SELECT id AS pk, sensor_id, kind, element_type, element_id, unit FROM water.sensors "
        "WHERE network_id=:n ORDER BY sensor_id"), {"n": nid}).mappings().all(),
        columns=["pk", "sensor_id", "kind", "element_type", "element_id", "unit"])
    frame["factor"] = [units.factor_to_stored(k, u) for k, u in zip(frame["kind"], frame["unit"])]
    return frame
