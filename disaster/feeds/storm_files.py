"""The synthetic monsoon storm of :mod:`disaster.feeds.storm` in every feed format.

One storm field (a convective cell crossing Tutong and Brunei-Muara over light monsoon
rain) is sampled at rain gauges (CSV and the same observations as JSON), on an
IMERG-like 0.1° half-hourly NetCDF grid (the last hour as a GeoTIFF instead, as a
near-real-time product would arrive), as Open-Meteo-like forecasts issued every 6 h
(timing 1 h late and 20 % weak, as forecasts of convection are), and as river levels on
the Tutong, Belait, Brunei and Temburong rivers: a tide (M2, 12.42 h) plus the basin's
rain routed through a lagged unit hydrograph. All deterministic for a seed.
Station places are real; thresholds are synthetic placeholders, labelled as such.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from disaster.feeds.storm import gauge_sites, storm_rain, write_storm

LOCAL_TZ = "Asia/Brunei"
GRID_RES = 0.1
GRID_LON = np.round(np.arange(113.95, 115.46, GRID_RES), 2)       # cell centres, edges 113.9–115.5 E
GRID_LAT = np.round(np.arange(3.95, 5.16, GRID_RES), 2)           # edges 3.9–5.2 N
SYNTHETIC = "synthetic placeholder (the station owner's published levels replace it)"
# station, name, river, lat, lon, alert, warning, danger (m), tide amplitude (m), lag (h), gain (m per mm)
RIVER_STATIONS = [
    ("SG-TUT-01", "Sungai Tutong at Pekan Tutong", "Sungai Tutong", 4.8030, 114.6490, 2.2, 2.6, 3.0, 0.8, 6, 0.012),
    ("SG-TUT-02", "Sungai Tutong at Kampong Lamunin", "Sungai Tutong", 4.7060, 114.7180, 3.0, 3.5, 4.0, 0.2, 4, 0.014),
    ("SG-BLT-01", "Sungai Belait at Kuala Belait", "Sungai Belait", 4.5860, 114.1970, 2.0, 2.4, 2.8, 0.9, 8, 0.012),
    ("SG-BLT-02", "Sungai Belait at Kuala Balai", "Sungai Belait", 4.4660, 114.3600, 3.5, 4.0, 4.5, 0.3, 5, 0.020),
    ("SG-BRN-01", "Sungai Brunei at Bandar Seri Begawan", "Sungai Brunei", 4.8860, 114.9420, 2.3, 2.7, 3.1, 0.9, 3, 0.012),
    ("SG-BRN-02", "Sungai Kedayan at Jalan Tutong", "Sungai Brunei", 4.8980, 114.9180, 1.8, 2.2, 2.6, 0.6, 2, 0.012),
    ("SG-TEM-01", "Sungai Temburong at Bangar", "Sungai Temburong", 4.7090, 115.0710, None, None, None, 0.5, 5, 0.020),
]


def _local(t) -> pd.Timestamp:
    t = pd.Timestamp(t)
    return t.tz_localize(LOCAL_TZ) if t.tzinfo is None else t.tz_convert(LOCAL_TZ)


def _field(lon, lat, ends: pd.DatetimeIndex, seed: int, scale: float = 1.0) -> np.ndarray:
    """Rain (mm per hour) at points (columns) for hours ending at ``ends``, from the shared storm model."""
    sites = pd.DataFrame({"lon": np.ravel(lon), "lat": np.ravel(lat)})
    return storm_rain(sites, ends, seed) * scale


def write_gauge_json(csv_path: Path) -> Path:
    """The gauge CSV's observations as a JSON list (the telemetry format), same values."""
    frame = pd.read_csv(csv_path, dtype=str)
    path = csv_path.with_suffix(".json")
    path.write_text(json.dumps({"observations": frame.to_dict(orient="records")}, indent=0))
    return path


def write_grid(start, end, out: Path, seed: int) -> list[Path]:
    """IMERG-like half-hourly NetCDF up to the last hour, and the last hour as a GeoTIFF (mm/hr)."""
    import rasterio
    import xarray as xr
    from rasterio.transform import from_origin

    start, end = _local(start), _local(end)
    ends = pd.date_range(start + pd.Timedelta(hours=1), end, freq="1h")
    lon, lat = np.meshgrid(GRID_LON, GRID_LAT)
    hourly = _field(lon, lat, ends, seed + 100, scale=0.9).reshape(len(ends), len(GRID_LAT), len(GRID_LON))
    # Two half-hours per hour, the second wetter, the same hourly total; rates in mm/hr.
    halves = np.stack([hourly * 0.8, hourly * 1.2], axis=1).reshape(-1, len(GRID_LAT), len(GRID_LON))
    h_start = pd.date_range(start, periods=2 * len(ends), freq="30min").tz_convert("UTC").tz_localize(None)
    nc_n = 2 * (len(ends) - 1)
    ds = xr.Dataset(
        {"precipitation": (("time", "lon", "lat"), halves[:nc_n].transpose(0, 2, 1).astype("float32"),
                           {"units": "mm/hr", "long_name": "synthetic IMERG-like precipitation rate"}),
         "time_bnds": (("time", "nv"), np.stack([h_start[:nc_n], h_start[:nc_n] + pd.Timedelta(minutes=30)], 1))},
        coords={"time": ("time", h_start[:nc_n], {"bounds": "time_bnds"}),
                "lon": ("lon", GRID_LON, {"units": "degrees_east"}), "lat": ("lat", GRID_LAT, {"units": "degrees_north"})},
        attrs={"title": "synthetic monsoon storm, IMERG-like half-hourly 0.1 degree grid", "source": "disaster.feeds"})
    for v in ("time", "time_bnds"):
        ds[v].encoding["units"] = "seconds since 1970-01-01 00:00:00"
    nc = out / f"rain_grid_{start:%Y%m%dT%H%M}.nc4"
    ds.to_netcdf(nc, engine="netcdf4")
    last_start = (ends[-1] - pd.Timedelta(hours=1)).tz_convert("UTC")
    tif = out / f"rain_grid_{last_start:%Y%m%d}-S{last_start:%H%M%S}-E{last_start + pd.Timedelta(minutes=59, seconds=59):%H%M%S}.tif"
    with rasterio.open(tif, "w", driver="GTiff", width=len(GRID_LON), height=len(GRID_LAT), count=1, dtype="float32",
                       crs="EPSG:4326", nodata=-9999.0,
                       transform=from_origin(GRID_LON[0] - GRID_RES / 2, GRID_LAT[-1] + GRID_RES / 2, GRID_RES, GRID_RES)) as dst:
        dst.write(hourly[-1][::-1].astype("float32"), 1)
        dst.update_tags(units="mm/hr", start_time=last_start.isoformat(),
                        end_time=(last_start + pd.Timedelta(hours=1)).isoformat())
    return [nc, tif]


def write_forecasts(start, end, out: Path, seed: int, every_h: int = 6) -> list[Path]:
    """Open-Meteo-like JSON (list of locations) issued every ``every_h`` hours, 48 h from local midnight."""
    start, end = _local(start), _local(end)
    lons, lats = np.meshgrid(np.arange(114.25, 115.3, 0.25), np.arange(4.25, 5.05, 0.25))
    paths = []
    for issued in pd.date_range(start, end - pd.Timedelta(hours=1), freq=f"{every_h}h"):
        day0 = issued.normalize()
        valid = pd.date_range(day0 + pd.Timedelta(hours=1), periods=48, freq="1h")
        # Forecasts of convection: an hour late and a fifth too weak.
        rain = _field(lons, lats, valid - pd.Timedelta(hours=1), seed + 200, scale=0.8)
        locs = [{"latitude": round(float(la), 4), "longitude": round(float(lo), 4), "utc_offset_seconds": 28800,
                 "timezone": LOCAL_TZ, "timezone_abbreviation": "+08", "elevation": 10.0,
                 "issued": issued.strftime("%Y-%m-%dT%H:%M"),
                 "hourly_units": {"time": "iso8601", "precipitation": "mm"},
                 "hourly": {"time": [t.strftime("%Y-%m-%dT%H:%M") for t in valid],
                            "precipitation": [round(float(v), 1) for v in rain[:, k]]}}
                for k, (lo, la) in enumerate(zip(lons.ravel(), lats.ravel()))]
        path = out / f"forecast_{issued:%Y%m%dT%H%M}.json"
        path.write_text(json.dumps(locs))
        paths.append(path)
    return paths


def river_levels(start, end, seed: int, step_min: int = 30) -> pd.DataFrame:
    """Level (m) per station and time: base + M2 tide + basin rain through a lagged gamma unit hydrograph."""
    start, end = _local(start), _local(end)
    times = pd.date_range(start + pd.Timedelta(minutes=step_min), end, freq=f"{step_min}min")
    hours = pd.date_range(start - pd.Timedelta(hours=24), end, freq="1h")[1:]
    rng = np.random.default_rng(seed + 300)
    rows = []
    for sid, name, river, lat, lon, alert, warning, danger, tide, lag, gain in RIVER_STATIONS:
        # The basin: points up to ~15 km upstream (inland, to the south) of the gauge.
        blon, blat = lon + np.array([0, -0.05, 0.05, 0, -0.08, 0.08]), lat - np.array([0.02, 0.06, 0.06, 0.12, 0.1, 0.1])
        basin = _field(blon, blat, hours, seed).mean(axis=1)
        k = np.arange(0, 4 * lag)
        uh = (k / lag) ** 2 * np.exp(-2 * k / lag)
        runoff = np.convolve(basin, uh / uh.sum(), mode="full")[:len(basin)] * gain * lag * 2
        flow = np.interp(times.asi8, hours.asi8, runoff)
        base = (alert or 2.0) * 0.55
        phase = rng.uniform(0, 2 * np.pi)
        h = (times - pd.Timestamp("2025-01-01", tz="UTC")).total_seconds() / 3600
        level = base + tide * np.cos(2 * np.pi * h / 12.42 + phase) + flow + rng.normal(0, 0.01, len(times))
        rows += [(sid, t, round(float(v), 3)) for t, v in zip(times, level)]
    return pd.DataFrame(rows, columns=["station", "time", "level_m"])


def write_rivers(start, end, out: Path, seed: int) -> list[Path]:
    """SensorThings JSON for Tutong, Belait and Temburong; CSV + station CSV for the Brunei river."""
    levels = river_levels(start, end, seed)
    things, csv_ids = [], [s[0] for s in RIVER_STATIONS if s[2] == "Sungai Brunei"]
    for sid, name, river, lat, lon, alert, warning, danger, *_ in RIVER_STATIONS:
        if sid in csv_ids:
            continue
        props = {"river": river}
        if danger is not None:
            props.update(alert_level=alert, warning_level=warning, danger_level=danger, thresholds_source=SYNTHETIC)
        obs = levels[levels["station"] == sid]
        things.append({"@iot.id": sid, "name": name, "properties": {"station_id": sid},
                       "Locations": [{"name": name, "encodingType": "application/geo+json",
                                      "location": {"type": "Point", "coordinates": [lon, lat]}}],
                       "Datastreams": [{"name": f"{name} water level", "unitOfMeasurement":
                                        {"name": "metre", "symbol": "m", "definition": "http://qudt.org/vocab/unit/M"},
                                        "properties": props,
                                        "Observations": [{"phenomenonTime": t.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ"),
                                                          "result": v} for t, v in zip(obs["time"], obs["level_m"])]}]})
    start = _local(start)
    sta = out / f"river_sensorthings_{start:%Y%m%dT%H%M}.json"
    sta.write_text(json.dumps({"value": things}))
    st_csv = out / "river_stations.csv"
    pd.DataFrame([(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], SYNTHETIC) for s in RIVER_STATIONS if s[0] in csv_ids],
                 columns=["station", "name", "river", "lat", "lon", "alert_m", "warning_m", "danger_m",
                          "thresholds_source"]).to_csv(st_csv, index=False)
    lv = levels[levels["station"].isin(csv_ids)].copy()
    lv["time"] = lv["time"].dt.strftime("%Y-%m-%d %H:%M")          # naive = Brunei local time
    lv_csv = out / f"river_levels_{start:%Y%m%dT%H%M}.csv"
    lv.to_csv(lv_csv, index=False)
    return [sta, lv_csv], st_csv


def write_all(start, end, out_dir, seed: int = 0, n_gauges: int = 20) -> dict[str, list[Path]]:
    """Every feed of one storm; returns {kind: [paths]} in ingest order, plus the river station CSV
    (under ``river_stations``: pass it as ``--stations`` with the river-level CSV)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    gauges = write_storm(start, end, out, seed, n_gauges)
    rivers, stations = write_rivers(start, end, out, seed)
    return {"rain_gauge": [gauges, write_gauge_json(gauges)], "rain_grid": write_grid(start, end, out, seed),
            "forecast": write_forecasts(start, end, out, seed), "river_gauge": rivers, "river_stations": [stations]}
