"""Brunei-Muara demonstration network: a stand-in for the utility's own model.

Built at run time from the public KY4 benchmark network that ships inside the ``wntr``
package (959 junctions, 4 tanks, 1 source, 2 pumps), converted to SI units and metre
coordinates, and placed over Bandar Seri Begawan. See README.md in this folder.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import wntr

NETWORK_NAME = "brunei-muara-demo"
ORIGIN = (4.905, 114.935)        # lat, lon of the network's centre: Bandar Seri Begawan
BUILD_VERSION = 1                # bump when build_network changes, so caches are rebuilt
HERE = Path(__file__).resolve().parent
SENSOR_MAP = HERE / "sensors.csv"
DEMO_LEAKS = HERE / "demo_leaks.csv"
FT = 0.3048

# A tropical-city diurnal demand curve (hourly multipliers, mean 1): low at night,
# a morning peak around 06:00-08:00 and an evening peak around 18:00-20:00.
DIURNAL = [0.55, 0.5, 0.48, 0.48, 0.55, 0.8, 1.25, 1.45, 1.3, 1.15, 1.05, 1.05,
           1.1, 1.05, 1.0, 1.0, 1.05, 1.2, 1.4, 1.35, 1.15, 0.95, 0.8, 0.65]


def source_inp() -> Path:
    return Path(wntr.__file__).parent / "library" / "networks" / "ky4.inp"


def build_network(out_path: str | Path) -> Path:
    """Write the demonstration network (LPS units, metre coordinates centred on 0,0) to ``out_path``."""
    wn = wntr.network.WaterNetworkModel(str(source_inp()))
    xy = np.array([wn.get_node(n).coordinates for n in wn.node_name_list]) * FT
    centre = (xy.min(axis=0) + xy.max(axis=0)) / 2
    for name in wn.node_name_list:
        x, y = wn.get_node(name).coordinates
        wn.get_node(name).coordinates = (round(x * FT - centre[0], 2), round(y * FT - centre[1], 2))
    for _, link in wn.links():
        link.vertices = [(round(x * FT - centre[0], 2), round(y * FT - centre[1], 2)) for x, y in link.vertices]
    scale = float(np.mean(DIURNAL))
    wn.add_pattern("DIURNAL", [round(v / scale, 4) for v in DIURNAL])
    for _, junction in wn.junctions():
        for d in junction.demand_timeseries_list:
            d.pattern_name = "DIURNAL"
    opts = wn.options.time
    opts.hydraulic_timestep = opts.report_timestep = 300
    opts.pattern_timestep = 3600
    opts.duration = 0
    wn.options.quality.parameter = "NONE"
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    wntr.network.io.write_inpfile(wn, str(out_path), units="LPS")
    return out_path


def network_path() -> Path:
    """Path of the built network, building it on first use (cached per build version)."""
    root = Path(os.environ.get("BNW_WORK_DIR", HERE.parents[1] / "work")) / "hydraulic_models"
    path = root / f"{NETWORK_NAME}-v{BUILD_VERSION}.inp"
    if not path.exists():
        build_network(path)
    return path
