"""Small shared test helpers: a tiny real network (EPANET Net1, shipped inside wntr) in PostGIS."""
from __future__ import annotations

import os
from pathlib import Path

import wntr

NET1 = Path(os.path.dirname(wntr.__file__)) / "library" / "networks" / "Net1.inp"
NET1_SENSORS = """sensor_id,kind,element_id,unit
P-10,pressure,10,m
P-22,pressure,22,bar
P-31,pressure,31,psi
F-10,flow,10,L/s
L-2,level,2,m
"""


def import_net1(tmp_path: Path, name: str = "net1") -> Path:
    """Import Net1 placed near Bandar Seri Begawan (its coordinates are in feet; fine for tests)."""
    from leakdet.network.georef import Georeference
    from leakdet.network.inp_import import import_network
    from leakdet.network.sensor_map import import_sensor_map

    import_network(NET1, name, Georeference(origin=(4.89, 114.94), anchor="centre"))
    smap = tmp_path / f"{name}-sensors.csv"
    smap.write_text(NET1_SENSORS)
    import_sensor_map(smap, name)
    return smap


def net1_scada_csv(out: Path, start_local: str, days: int, leak_node: str | None = None,
                   leak_from_step: int | None = None, leak_lps: float = 20.0, seed: int = 0) -> Path:
    """A wide historian CSV for Net1 sensors simulated with EPANET, optionally with a leak.

    The leak is an extra demand at ``leak_node`` from 5-minute step ``leak_from_step`` on.
    """
    import numpy as np
    import pandas as pd

    wn = wntr.network.WaterNetworkModel(str(NET1))
    n = days * 288
    wn.options.time.duration = n * 300 - 300
    wn.options.time.hydraulic_timestep = wn.options.time.report_timestep = 300
    wn.options.time.pattern_timestep = 300
    wn.options.quality.parameter = "NONE"
    base = wn.get_pattern("1")
    # Real demand changes smoothly; interpolate Net1's 2-hour steps to 5 minutes.
    hourly2 = np.asarray(base.multipliers, dtype=float)
    x = np.arange(days * 288) / 24.0                  # position in 2-hour pattern steps
    base.multipliers = list(np.interp(x % len(hourly2), np.arange(len(hourly2) + 1),
                                      np.append(hourly2, hourly2[0])))
    if leak_node:
        mult = np.zeros(n)
        mult[leak_from_step:] = 1.0
        wn.add_pattern("leak", list(mult))
        wn.get_node(leak_node).add_demand(leak_lps / 1000.0, "leak")
    res = wntr.sim.EpanetSimulator(wn).run_sim(file_prefix=str(out.parent / f"net1-{seed}"))
    idx = pd.Timestamp(start_local) + pd.to_timedelta(res.node["pressure"].index, unit="s")
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"timestamp": idx.strftime("%Y-%m-%d %H:%M:%S")})
    for node in ("10", "22", "31", "13"):
        frame[f"P-{node}"] = (res.node["pressure"][node].to_numpy() + rng.normal(0, 0.05, len(idx))).round(3)
    frame["F-9"] = (res.link["flowrate"]["9"].to_numpy() * 1000).round(3)
    frame["L-2"] = (res.node["head"]["2"].to_numpy() - wn.get_node("2").elevation).round(3)
    frame.to_csv(out, index=False)
    return out


NET1_DAILY_SENSORS = """sensor_id,kind,element_id,unit
P-10,pressure,10,m
P-22,pressure,22,m
P-31,pressure,31,m
P-13,pressure,13,m
F-9,flow,9,L/s
L-2,level,2,m
"""


def import_net1_with_scada(tmp_path: Path, name: str, start_local: str, days: int, **leak) -> None:
    from leakdet.network.georef import Georeference
    from leakdet.network.inp_import import import_network
    from leakdet.network.sensor_map import import_sensor_map
    from leakdet.scada.ingest import ingest_file

    import_network(NET1, name, Georeference(origin=(4.89, 114.94), anchor="centre"))
    smap = tmp_path / f"{name}-sensors.csv"
    smap.write_text(NET1_DAILY_SENSORS)
    import_sensor_map(smap, name)
    ingest_file(net1_scada_csv(tmp_path / f"{name}.csv", start_local, days, **leak), name)


def import_net1_network(tmp_path: Path, name: str) -> None:
    """Net1 and its daily-run sensor map, without readings (they arrive through an inbox)."""
    from leakdet.network.georef import Georeference
    from leakdet.network.inp_import import import_network
    from leakdet.network.sensor_map import import_sensor_map

    import_network(NET1, name, Georeference(origin=(4.89, 114.94), anchor="centre"))
    smap = tmp_path / f"{name}-sensors.csv"
    smap.write_text(NET1_DAILY_SENSORS)
    import_sensor_map(smap, name)


# The leak run's results for one network, rows in a fixed order and without surrogate keys,
# so two databases (or two moments) can be compared table by table.
LEAK_TABLES = {
    "leak_events": """SELECT e.event_key, e.run_day, e.detected_at, e.estimated_start, e.status, e.est_flow_lps,
                             e.detector, e.model_version, e.details::text
                      FROM water.leak_events e JOIN water.networks n ON n.id = e.network_id
                      WHERE n.name = :n ORDER BY e.event_key""",
    "leak_candidates": """SELECT e.event_key, c.rank, c.link_id, c.probability
                          FROM water.leak_candidates c JOIN water.leak_events e ON e.id = c.event_id
                          JOIN water.networks n ON n.id = e.network_id WHERE n.name = :n
                          ORDER BY e.event_key, c.rank""",
    "leak_event_updates": """SELECT e.event_key, u.run_day, u.observed_at, u.est_flow_lps, u.candidates::text
                             FROM water.leak_event_updates u JOIN water.leak_events e ON e.id = u.event_id
                             JOIN water.networks n ON n.id = e.network_id WHERE n.name = :n
                             ORDER BY e.event_key, u.observed_at""",
    "detector_state": """SELECT d.detector, d.as_of_day, d.state::text FROM water.detector_state d
                         JOIN water.networks n ON n.id = d.network_id WHERE n.name = :n
                         ORDER BY d.detector, d.as_of_day""",
    "sensor_day_status": """SELECT s.sensor_id, d.day, d.n_readings, d.coverage, d.residual_mean, d.residual_std,
                                   d.flag
                            FROM water.sensor_day_status d JOIN water.sensors s ON s.id = d.sensor_pk
                            JOIN water.networks n ON n.id = s.network_id WHERE n.name = :n
                            ORDER BY s.sensor_id, d.day""",
}


def leak_state(conn, network: str) -> dict:
    """{table: (row count, md5 of the ordered rows)} of a network's leak results."""
    from sqlalchemy import text

    out = {}
    for table, query in LEAK_TABLES.items():
        row = conn.execute(text(f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY ord), '')) "
                                f"FROM (SELECT q.*, row_number() OVER () AS ord FROM ({query}) q) t"),
                           {"n": network}).one()
        out[table] = (row[0], row[1])
    return out
