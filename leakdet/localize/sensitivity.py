"""Leak sensitivity matrix: how much each pressure logger drops for a leak at each junction.

For each junction, EPANET solves one night-time snapshot (03:00, low demand: the hour at
which leak signatures stand out most) of the nominal model with a small emitter of about
``leak_lps`` at that junction, and records the pressure drop at every logger. The matrix
is cached per model text and sensor set, so it is computed once per model version.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import wntr
from wntr.epanet.toolkit import ENepanet

EN_EMITTER, EN_DEMAND, EN_PRESSURE = 3, 9, 11
EN_DEMANDMULT = 4          # EPANET 2.2 option code (EN_TRIALS=0, EN_ACCURACY=1, ...)
PROBE_LEAK_LPS = 3.0       # leak (L/s) each column of the matrix describes
MATRIX_HOUR = 3            # local hour of the snapshot: low, steady night demand


def _snapshot_model(wn: wntr.network.WaterNetworkModel, hour: int) -> None:
    wn.options.time.duration = 0
    wn.options.time.pattern_start = hour * 3600
    wn.options.time.start_clocktime = hour * 3600
    wn.options.quality.parameter = "NONE"


def set_demand_multiplier(en: ENepanet, value: float) -> None:
    """Set the global demand multiplier of an open project."""
    _set_option(en, EN_DEMANDMULT, value)


def _set_option(en: ENepanet, code: int, value: float) -> None:
    # wntr's toolkit wrapper has no ENsetoption; call the EPANET 2.2 library directly.
    err = en.ENlib.EN_setoption(en._project, ctypes.c_int(code), ctypes.c_double(value))
    if err:
        raise RuntimeError(f"EPANET EN_setoption({code}) failed with error {err}")


def sensitivity_matrix(wn: wntr.network.WaterNetworkModel, sensor_nodes: dict[str, str],
                       leak_lps: float = PROBE_LEAK_LPS,
                       hour: int = MATRIX_HOUR, candidates: list[str] | None = None,
                       demand_compensated: bool = False) -> pd.DataFrame:
    """Pressure drop (m) at each logger (rows: sensor_id) for a leak at each junction (columns).

    Parameters
    ----------
    sensor_nodes : dict
        sensor_id -> junction it measures.
    leak_lps : float
        Leak size (L/s) at the junction's nominal night pressure.
    demand_compensated : bool
        The daily run scales demand to metered consumption, which spreads a leak's extra
        inflow over every junction; the residual then shows the leak's own drop minus the
        drop of that spread. With ``True`` the matrix holds that difference, which is what
        residuals will look like.
    """
    candidates = candidates or list(wn.junction_name_list)
    _snapshot_model(wn, hour)
    with tempfile.TemporaryDirectory(prefix="bnw-sens-") as tmp:
        inp = Path(tmp) / "snap.inp"
        wntr.network.io.write_inpfile(wn, str(inp), units="LPS")
        en = ENepanet()
        en.ENopen(str(inp), str(inp.with_suffix(".rpt")), str(inp.with_suffix(".bin")))
        try:
            s_idx = [en.ENgetnodeindex(n) for n in sensor_nodes.values()]
            c_idx = [en.ENgetnodeindex(n) for n in candidates]
            en.ENopenH()

            def solve(node: int | None, coeff: float) -> np.ndarray:
                if node is not None:
                    en.ENsetnodevalue(node, EN_EMITTER, coeff)
                en.ENinitH(0)
                en.ENrunH()
                out = np.array([en.ENgetnodevalue(i, EN_PRESSURE) for i in s_idx])
                if node is not None:
                    en.ENsetnodevalue(node, EN_EMITTER, 0.0)
                return out

            base = solve(None, 0.0)
            spread = np.zeros(len(s_idx))
            if demand_compensated:
                total = sum(en.ENgetnodevalue(en.ENgetnodeindex(j), EN_DEMAND) for j in wn.junction_name_list)
                if total > 0:
                    mult = wn.options.hydraulic.demand_multiplier
                    _set_option(en, EN_DEMANDMULT, mult * (1 + leak_lps / total))
                    spread = base - solve(None, 0.0)
                    _set_option(en, EN_DEMANDMULT, mult)
            all_p = {}
            for name, idx in zip(candidates, c_idx):
                all_p[name] = max(en.ENgetnodevalue(idx, EN_PRESSURE), 1.0)
            drops = np.empty((len(s_idx), len(c_idx)))
            for j, (name, idx) in enumerate(zip(candidates, c_idx)):
                drops[:, j] = base - solve(idx, leak_lps / np.sqrt(all_p[name])) - spread
            en.ENcloseH()
        finally:
            en.ENclose()
    return pd.DataFrame(drops, index=list(sensor_nodes), columns=candidates)


def cached_sensitivity(inp_text: str, load_model, sensor_nodes: dict[str, str],
                       cache_dir: Path, demand_compensated: bool = False, state=None,
                       leak_lps: float | None = None) -> pd.DataFrame:
    """:func:`sensitivity_matrix`, computed once per model text, logger set, compensation,
    operating state and leak size (``leak_lps``, None: the probe's).

    ``load_model`` is called (no arguments) for a fresh WNTR model only when the matrix is
    not cached yet: loading a big model costs more than reading the cache. ``state`` (an
    :class:`~leakdet.hydraulics.operating_state.OperatingState`, taken at the matrix's hour)
    puts the model's pumps, valves and tanks where the network really was; None keeps the
    model's initial state.
    """
    state_key = state.key() if state is not None else ""
    size_key = "" if leak_lps in (None, PROBE_LEAK_LPS) else f"lps={leak_lps:g}"     # probe keys unchanged
    key = hashlib.sha256((inp_text + repr(sorted(sensor_nodes.items())) + str(demand_compensated) + state_key
                          + size_key).encode()).hexdigest()[:16]
    path = cache_dir / f"sensitivity_{key}.parquet"
    if path in _READ:
        _READ[path] = _READ.pop(path)                # most recently used last
        return _READ[path]
    if path.exists():
        matrix = pd.read_parquet(path)
    else:
        wn = load_model()
        if state is not None:
            state.apply(wn)
        matrix = sensitivity_matrix(wn, sensor_nodes, leak_lps=leak_lps or PROBE_LEAK_LPS,
                                    demand_compensated=demand_compensated)
        cache_dir.mkdir(parents=True, exist_ok=True)
        # Written whole under a temporary name, then renamed: a parallel run never reads half a file.
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        matrix.to_parquet(tmp)
        os.replace(tmp, path)
    # The daily run asks for the same few matrices several times a day (the nominal one for the
    # detector's zones, the night's state for localization); the files never change under a key.
    _READ[path] = matrix
    while len(_READ) > _READ_KEEP:
        _READ.pop(next(iter(_READ)))
    return matrix


_READ: dict = {}
_READ_KEEP = 8
