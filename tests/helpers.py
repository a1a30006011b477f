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
