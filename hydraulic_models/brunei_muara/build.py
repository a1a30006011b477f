"""Build recipe for the Brunei-Muara demonstration network.

The project ships this recipe, not a network file: the model is derived at run time
from the public KY4 benchmark network that is installed with ``wntr``
(``wntr/library/networks/ky4.inp``), so nothing of someone else's file is committed.

Usage: ``python -m hydraulic_models.brunei_muara.build OUT.inp``
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import wntr

FT = 0.3048                      # metres per (international) foot; KY4 coordinates are in feet
STEP_S = 300                     # 5-minute SCADA: hydraulic and report step, s
PATTERN_STEP_S = 3600            # the diurnal pattern is hourly; 3600 is a multiple of STEP_S

# A tropical-city diurnal demand curve (hourly multipliers from 00:00 local time,
# normalised to mean 1 when applied): low at night, a morning peak at 06:00-08:00
# before work and school, and an evening peak at 18:00-20:00 (cooking, bathing).
DIURNAL = [0.55, 0.5, 0.48, 0.48, 0.55, 0.8, 1.25, 1.45, 1.3, 1.15, 1.05, 1.05,
           1.1, 1.05, 1.0, 1.0, 1.05, 1.2, 1.4, 1.35, 1.15, 0.95, 0.8, 0.65]


def source_inp() -> Path:
    """Path of the KY4 network file installed inside the ``wntr`` package."""
    return Path(wntr.__file__).parent / "library" / "networks" / "ky4.inp"


def _to_local_metres(wn: wntr.network.WaterNetworkModel) -> None:
    """Convert node and vertex coordinates from feet to metres, centred on (0, 0)."""
    xy = np.array([wn.get_node(n).coordinates for n in wn.node_name_list]) * FT
    # Centre of the bounding box, so that the georeference anchor "centre" is the map centre.
    cx, cy = (xy.min(axis=0) + xy.max(axis=0)) / 2

    def move(x: float, y: float) -> tuple[float, float]:
        return round(x * FT - cx, 2), round(y * FT - cy, 2)    # cm precision keeps the file diff-stable

    for name in wn.node_name_list:
        wn.get_node(name).coordinates = move(*wn.get_node(name).coordinates)
    for _, link in wn.links():
        link.vertices = [move(x, y) for x, y in link.vertices]


def build_network(out_path: str | Path) -> Path:
    """Write the demonstration network to ``out_path`` and return that path.

    Parameters
    ----------
    out_path : str or Path
        INP file to write; parent folders are created.

    Returns
    -------
    Path
        ``out_path``: EPANET INP in LPS units (L/s, heads in m), coordinates in metres
        relative to the network centre, 300 s hydraulic/report step, hourly ``DIURNAL``
        pattern on every junction, zero duration (callers set their own).

    Notes
    -----
    Deterministic: the same ``wntr`` version always writes the same file. KY4's own
    pump controls are kept; over a week T-3 and T-4 cycle with pump 1 while T-1 and
    T-2, fed by gravity from higher ground, stay full (EPANET closes a full tank's
    inlet, as an altitude valve would).
    """
    wn = wntr.network.WaterNetworkModel(str(source_inp()))
    _to_local_metres(wn)
    scale = float(np.mean(DIURNAL))
    wn.add_pattern("DIURNAL", [round(v / scale, 4) for v in DIURNAL])
    for _, junction in wn.junctions():
        for demand in junction.demand_timeseries_list:
            demand.pattern_name = "DIURNAL"
    opts = wn.options.time
    opts.hydraulic_timestep = opts.report_timestep = STEP_S
    opts.pattern_timestep = PATTERN_STEP_S
    opts.duration = 0
    wn.options.quality.parameter = "NONE"
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    wntr.network.io.write_inpfile(wn, str(out_path), units="LPS")
    # wntr stamps the writing time and source path into comments; drop them so that builds are
    # byte-identical on every machine.
    lines = out_path.read_text().splitlines(keepends=True)
    out_path.write_text("".join(line for line in lines if not line.startswith(("; Created:", "; Filename:"))))
    return out_path


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m hydraulic_models.brunei_muara.build OUT.inp")
    print(build_network(sys.argv[1]))
