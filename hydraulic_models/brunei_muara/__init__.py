"""Brunei-Muara demonstration network: a stand-in for the utility's own model.

Built at run time from the public KY4 benchmark network that ships inside the ``wntr``
package (959 junctions, 4 tanks, 1 source, 2 pumps), converted to SI units and metre
coordinates, and placed over Bandar Seri Begawan (recipe in ``build.py``). See README.md
in this folder.
"""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from hydraulic_models.brunei_muara.build import DIURNAL, build_network, source_inp

NETWORK_NAME = "brunei-muara-demo"
ORIGIN = (4.905, 114.935)        # lat, lon of the network's centre: Bandar Seri Begawan
BUILD_VERSION = 1                # bump when build.py changes its output, so caches are rebuilt
HERE = Path(__file__).resolve().parent
SENSOR_MAP = HERE / "sensors.csv"
DEMO_LEAKS = HERE / "demo_leaks.csv"
# The demo's days (local Brunei days): a week of leak-free history for the detector to learn each
# logger's normal residual by hour of the week, then the demo week (6-12 January 2025) with the
# two leaks of DEMO_LEAKS. `make demo` and the demo-week backfill test both run these days.
DEMO_START = date(2024, 12, 30)     # a Monday
DEMO_DAYS = 14


def network_path() -> Path:
    """Path of the built network, building it on first use (cached per build version).

    The cache is ``$BNW_WORK_DIR/hydraulic_models/`` (default ``work/`` in the repository).
    The file is written under a temporary name and renamed, so parallel test workers
    never read a half-written model.
    """
    root = Path(os.environ.get("BNW_WORK_DIR", HERE.parents[1] / "work")) / "hydraulic_models"
    path = root / f"{NETWORK_NAME}-v{BUILD_VERSION}.inp"
    if not path.exists():
        tmp = build_network(root / f".{path.name}.{os.getpid()}.tmp")
        os.replace(tmp, path)
    return path


__all__ = ["BUILD_VERSION", "DEMO_DAYS", "DEMO_LEAKS", "DEMO_START", "DIURNAL", "NETWORK_NAME", "ORIGIN", "SENSOR_MAP",
           "build_network", "network_path", "source_inp"]
