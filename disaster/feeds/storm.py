"""Synthetic monsoon storm on rain gauges, for the demo and the tests.

A north-east monsoon day: light stratiform rain over the whole country, then a
convective cell that crosses Tutong and Brunei-Muara from the south-west, with a core
of about 70 mm/h and a radius of ~12 km, as in the October 2018 Brunei-Muara flash flood.
Gauges sit near mukim centroids (from the public facts table) with a small offset.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer

from disaster.areas.approximate import FACTS

_TO_GRID = Transformer.from_crs(4326, 5247, always_xy=True)


def gauge_sites(n: int = 20, seed: int = 0) -> pd.DataFrame:
    """Stations near mukim centroids, weighted towards the populous Brunei-Muara and Tutong."""
    facts = pd.read_csv(FACTS)
    mukims = facts[facts["level"] == "mukim"].copy()
    weight = mukims["district"].map({"Brunei-Muara": 3.0, "Tutong": 2.0, "Belait": 1.0, "Temburong": 1.0})
    rng = np.random.default_rng(seed)
    pick = (mukims.sample(n=n, weights=weight, random_state=seed) if n < len(mukims) else mukims).sort_values("name")
    spread = np.full(len(pick), 0.01)
    if n > len(mukims):
        # More gauges than mukims (benchmarks): extra gauges in the same mukims, further from the centroid.
        extra = mukims.sample(n=n - len(mukims), weights=weight, replace=True, random_state=seed + 1)
        pick, spread = pd.concat([pick, extra]), np.concatenate([spread, np.full(len(extra), 0.03)])
    counts = pick.groupby("name").cumcount().to_numpy()
    return pd.DataFrame({
        "station": [f"RG-{i:02d}" for i in range(1, len(pick) + 1)],
        "name": [f"{m} gauge" + (f" {c + 1}" if c else "") for m, c in zip(pick["name"], counts)],
        "lat": (pick["lat"] + rng.normal(0, 1, len(pick)) * spread).round(5).to_numpy(),
        "lon": (pick["lon"] + rng.normal(0, 1, len(pick)) * spread).round(5).to_numpy()})


def storm_rain(sites: pd.DataFrame, hours: pd.DatetimeIndex, seed: int = 0, peak_mm_h: float = 70.0,
               radius_km: float = 12.0, crossing_h: int = 6) -> np.ndarray:
    """Hourly rain (mm) per site (columns) and hour (rows) for a cell crossing the country."""
    rng = np.random.default_rng(seed)
    x, y = _TO_GRID.transform(sites["lon"].to_numpy(), sites["lat"].to_numpy())
    x0, y0 = _TO_GRID.transform(114.55, 4.55)          # enters over inland Tutong
    x1, y1 = _TO_GRID.transform(115.05, 4.95)          # leaves over Muara
    n = len(hours)
    mid = n // 2
    first = mid - crossing_h // 2
    frac = np.clip((np.arange(n) - first) / crossing_h, 0, 1)   # ~10 km/h, like a squall line
    cx, cy = x0 + frac * (x1 - x0), y0 + frac * (y1 - y0)
    active = (np.arange(n) >= first) & (np.arange(n) <= first + crossing_h)
    d2 = (x[None, :] - cx[:, None]) ** 2 + (y[None, :] - cy[:, None]) ** 2
    core = peak_mm_h * np.exp(-d2 / (2 * (radius_km * 1000) ** 2)) * active[:, None]
    background = rng.gamma(0.6, 1.5, size=(n, len(x))) * (rng.random((n, len(x))) < 0.45)
    return np.round(core * rng.uniform(0.85, 1.15, core.shape) + background, 1)


def write_storm(start: pd.Timestamp, end: pd.Timestamp, out_dir: str | Path, seed: int = 0,
                n_gauges: int = 20, tz: str = "Asia/Brunei") -> Path:
    """Write ``rain_gauges_<start>.csv`` (local naive times, hourly mm) and return its path."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    start = start.tz_localize(tz) if start.tzinfo is None else start.tz_convert(tz)
    end = end.tz_localize(tz) if end.tzinfo is None else end.tz_convert(tz)
    hours = pd.date_range(start + pd.Timedelta(hours=1), end, freq="1h")      # period ends
    sites = gauge_sites(n_gauges, seed)
    rain = storm_rain(sites, hours, seed)
    rows = [(s.station, s.name, s.lat, s.lon, t.strftime("%Y-%m-%d %H:%M"), rain[i, j], 60)
            for i, t in enumerate(hours) for j, s in enumerate(sites.itertuples())]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"rain_gauges_{start:%Y%m%dT%H%M}.csv"
    pd.DataFrame(rows, columns=["station", "name", "lat", "lon", "time", "mm", "period_min"]).to_csv(path, index=False)
    return path
