"""Unit conversion of SCADA values to the units they are stored in, and physical plausibility bounds.

Stored ("SI") units, chosen to match what hydraulic models compute:

========  ===========  =====================================================
kind      stored unit  note
========  ===========  =====================================================
pressure  m            metres of water head (1 m = 9.80665 kPa at 1000 kg/m³)
flow      m3/s         positive in the link's modelled direction
level     m            water depth in a tank above its bottom
demand    m3/s         metered consumption at a node
========  ===========  =====================================================
"""
from __future__ import annotations

KPA_PER_M_HEAD = 9.80665

# factor: stored_value = raw_value * factor
_FACTORS: dict[str, dict[str, float]] = {
    "pressure": {"m": 1.0, "mh2o": 1.0, "kpa": 1 / KPA_PER_M_HEAD, "pa": 1e-3 / KPA_PER_M_HEAD,
                 "bar": 100 / KPA_PER_M_HEAD, "mbar": 0.1 / KPA_PER_M_HEAD, "psi": 6.894757 / KPA_PER_M_HEAD,
                 "ft": 0.3048},
    "flow": {"m3/s": 1.0, "l/s": 1e-3, "lps": 1e-3, "m3/h": 1 / 3600, "cmh": 1 / 3600, "l/min": 1e-3 / 60,
             "m3/d": 1 / 86400, "ml/d": 1000 / 86400, "gpm": 6.30902e-5, "mgd": 0.0438126},
    "level": {"m": 1.0, "cm": 0.01, "mm": 0.001, "ft": 0.3048},
}
_FACTORS["demand"] = _FACTORS["flow"]

STORED_UNIT = {"pressure": "m", "flow": "m3/s", "level": "m", "demand": "m3/s"}

# Values outside these stored-unit bounds cannot come from a working network; they are
# quarantined as "physically impossible" rather than silently clipped.
PLAUSIBLE = {
    "pressure": (-15.0, 250.0),   # vacuum limit ~ -10 m; 250 m is beyond any distribution main
    "flow": (-30.0, 30.0),        # 30 m³/s is a very large city's total production
    "level": (-0.5, 60.0),
    "demand": (-0.01, 5.0),
}


def normalise_unit(unit: str) -> str:
    return unit.strip().lower().replace("³", "3").replace(" ", "")


def known_units(kind: str) -> list[str]:
    return sorted(_FACTORS.get(kind, {}))


def factor_to_stored(kind: str, unit: str) -> float:
    """Multiplier that converts a value in ``unit`` to the stored unit of ``kind``.

    Raises
    ------
    KeyError
        If the kind or the unit is not known.
    """
    table = _FACTORS[kind]
    return table[normalise_unit(unit)]
