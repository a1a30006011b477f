"""Load an EPANET network into PostGIS: the model text, its nodes as points and links as lines.

Re-importing the same file under the same name and placement changes nothing; a changed
model replaces the network's nodes and links in one transaction (sensors are kept and
re-validated against the new model).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import wntr
from sqlalchemy import text
from sqlalchemy.engine import Engine

from leakdet.errors import InputFileError
from leakdet.network.georef import Georeference
from platform_core.db import copy_rows, frame_to_tsv, get_engine


@dataclass
class NetworkImportResult:
    name: str
    network_id: int
    n_nodes: int
    n_links: int
    changed: bool
    orphan_sensors: list[str]


def read_model(path: Path) -> wntr.network.WaterNetworkModel:
    try:
        return wntr.network.WaterNetworkModel(str(path))
    except FileNotFoundError:
        raise InputFileError(path, None, "file not found") from None
    except Exception as exc:  # wntr raises ENSyntaxError / KeyError / ValueError with a line in the text
        raise InputFileError(path, getattr(exc, "line_num", None), f"not a valid EPANET model: {exc}") from None


def model_tables(wn: wntr.network.WaterNetworkModel, geo: Georeference) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nodes and links of ``wn`` as frames with WGS84 EWKT geometries and SI attributes."""
    node_names = list(wn.node_name_list)
    coords = np.array([wn.get_node(n).coordinates for n in node_names], dtype=float)
    # Vertices go through the same transform as nodes so that placement is consistent.
    vert_names, vert_xy = [], []
    for name in wn.link_name_list:
        for v in wn.get_link(name).vertices:
            vert_names.append(name)
            vert_xy.append(v)
    all_xy = np.vstack([coords] + ([np.array(vert_xy, float)] if vert_xy else []))
    lon, lat = geo.to_wgs84(all_xy[:, 0], all_xy[:, 1])
    lonlat = dict(zip(node_names, zip(lon[: len(node_names)], lat[: len(node_names)])))
    verts: dict[str, list[tuple[float, float]]] = {}
    for name, x, y in zip(vert_names, lon[len(node_names):], lat[len(node_names):]):
        verts.setdefault(name, []).append((x, y))

    nodes = []
    for name in node_names:
        node = wn.get_node(name)
        kind = node.node_type.lower()
        elev = getattr(node, "elevation", None)
        if kind == "reservoir":
            elev = node.base_head
        demand = node.base_demand * 1000.0 if kind == "junction" else None
        x, y = lonlat[name]
        nodes.append((name, kind, elev, demand, f"SRID=4326;POINT({x:.8f} {y:.8f})"))
    node_frame = pd.DataFrame(nodes, columns=["node_id", "node_type", "elevation_m", "base_demand_lps", "geom"])

    links = []
    for name in wn.link_name_list:
        link = wn.get_link(name)
        kind = link.link_type.lower()
        pts = [lonlat[link.start_node_name], *verts.get(name, []), lonlat[link.end_node_name]]
        wkt = "SRID=4326;LINESTRING(" + ", ".join(f"{x:.8f} {y:.8f}" for x, y in pts) + ")"
        links.append((name, kind, link.start_node_name, link.end_node_name,
                      getattr(link, "length", None), getattr(link, "diameter", None),
                      getattr(link, "roughness", None), wkt))
    link_frame = pd.DataFrame(links, columns=["link_id", "link_type", "start_node", "end_node",
                                              "length_m", "diameter_m", "roughness", "geom"])
    return node_frame, link_frame


def import_network(path: str | Path, name: str, geo: Georeference | None = None,
                   engine: Engine | None = None) -> NetworkImportResult:
    """Import (or re-import) the EPANET file ``path`` as network ``name``."""
    path = Path(path)
    geo = geo or Georeference()
    raw = path.read_bytes() if path.exists() else None
    wn = read_model(path)
    sha = hashlib.sha256(raw + geo.describe().encode()).hexdigest()
    nodes, links = model_tables(wn, geo)
    engine = engine or get_engine()
    with engine.begin() as conn:
        existing = conn.execute(text("SELECT id, inp_sha256 FROM water.networks WHERE name = :n FOR UPDATE"),
                                {"n": name}).first()
        if existing and existing.inp_sha256 == sha:
            return NetworkImportResult(name, existing.id, len(nodes), len(links), False, [])
        params = {"n": name, "f": str(path), "crs": geo.describe(), "sha": sha,
                  "txt": raw.decode("utf-8", errors="replace"), "at": datetime.now(timezone.utc)}
        if existing:
            net_id = existing.id
            conn.execute(text("UPDATE water.networks SET source_file=:f, source_crs=:crs, inp_sha256=:sha, "
                              "inp_text=:txt, imported_at=:at WHERE id=:id"), {**params, "id": net_id})
            conn.execute(text("DELETE FROM water.nodes WHERE network_id=:id"), {"id": net_id})
            conn.execute(text("DELETE FROM water.links WHERE network_id=:id"), {"id": net_id})
        else:
            net_id = conn.execute(text("INSERT INTO water.networks (name, source_file, source_crs, inp_sha256, "
                                       "inp_text, imported_at) VALUES (:n, :f, :crs, :sha, :txt, :at) RETURNING id"),
                                  params).scalar_one()
        nodes.insert(0, "network_id", net_id)
        links.insert(0, "network_id", net_id)
        copy_rows(conn, "water.nodes", list(nodes.columns), frame_to_tsv(nodes))
        copy_rows(conn, "water.links", list(links.columns), frame_to_tsv(links))
        orphans = conn.execute(text(
            """SELECT s.sensor_id FROM water.sensors s WHERE s.network_id = :id AND NOT EXISTS (
                   SELECT 1 FROM water.nodes n WHERE n.network_id = s.network_id AND n.node_id = s.element_id
                   AND s.element_type = 'node'
                 UNION ALL
                   SELECT 1 FROM water.links l WHERE l.network_id = s.network_id AND l.link_id = s.element_id
                   AND s.element_type = 'link')"""), {"id": net_id}).scalars().all()
    return NetworkImportResult(name, net_id, len(nodes), len(links), True, list(orphans))
