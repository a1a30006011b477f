"""Synthetic SCADA for a network already in the store (what ``leakdet scada simulate`` runs)."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from leakdet.hydraulics.model_store import fetch_network
from leakdet.network.sensor_map import load_sensors
from platform_core.db import get_engine


def simulate_stored_network(network: str, start: str, end: str, out_dir: str | Path,
                            leaks_file: str | Path | None = None, seed: int = 0, **options):
    """Simulate ``network`` from the store over local [start, end) and write historian exports.

    ``options`` go to :func:`leakdet.synth.scada_sim.simulate_scada` (noise levels, gaps, ...).
    """
    from leakdet.synth.leak_schedule import read_leak_schedule
    from leakdet.synth.scada_sim import simulate_scada

    with get_engine().connect() as conn:
        stored = fetch_network(conn, network)
        sensors = load_sensors(conn, network)[["sensor_id", "kind", "element_id", "unit"]]
    leaks = read_leak_schedule(leaks_file) if leaks_file else []
    with tempfile.TemporaryDirectory(prefix="bnw-synth-") as tmp:
        inp = Path(tmp) / f"{network}.inp"
        inp.write_text(stored.inp_text)
        return simulate_scada(inp, sensors, pd.Timestamp(start), pd.Timestamp(end), Path(out_dir),
                              leaks=leaks, seed=seed, **options)
