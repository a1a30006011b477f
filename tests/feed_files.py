"""Small feed files for the disaster tests: grids (NetCDF, GeoTIFF), gauges, forecasts, river levels."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

LON = np.round(np.arange(113.95, 115.46, 0.1), 2)     # 16 cells, edges 113.9–115.5 E
LAT = np.round(np.arange(3.95, 5.16, 0.1), 2)         # 13 cells, edges 3.9–5.2 N


def grid_nc(path: Path, start_utc: str, rain_mm_h, period_min: int = 60, units: str = "mm/hr",
            lon=LON, lat=LAT, bounds: bool = True, xy: bool = False) -> Path:
    """NetCDF like IMERG (time, lon, lat); ``rain_mm_h`` is one value per step or an array (t, lat, lon)."""
    import xarray as xr

    n = len(rain_mm_h) if np.ndim(rain_mm_h) == 1 else np.shape(rain_mm_h)[0]
    data = (np.asarray(rain_mm_h, float)[:, None, None] * np.ones((n, len(lat), len(lon)))
            if np.ndim(rain_mm_h) == 1 else np.asarray(rain_mm_h, float))
    t0 = pd.date_range(pd.Timestamp(start_utc), periods=n, freq=f"{period_min}min")
    ydim, xdim = ("y", "x") if xy else ("lat", "lon")
    ds = xr.Dataset({"precipitation": (("time", xdim, ydim), data.transpose(0, 2, 1).astype("float32"),
                                       {"units": units})},
                    coords={"time": ("time", t0), xdim: (xdim, lon), ydim: (ydim, lat)})
    if bounds:
        ds["time_bnds"] = (("time", "nv"), np.stack([t0, t0 + pd.Timedelta(minutes=period_min)], 1))
        ds["time"].attrs["bounds"] = "time_bnds"
        for v in ("time", "time_bnds"):
            ds[v].encoding["units"] = "seconds since 1970-01-01"
    else:
        ds["time"].attrs["period_minutes"] = period_min
        ds["time"].encoding["units"] = "seconds since 1970-01-01"
    ds.to_netcdf(path, engine="netcdf4")
    return path


def grid_tif(path: Path, start_utc: str, mm_h: float, crs="EPSG:4326", period_min: int = 60) -> Path:
    """One-band GeoTIFF of uniform rain (mm/hr), in ``crs`` (None = no CRS), covering Brunei and around."""
    import rasterio
    from pyproj import Transformer
    from rasterio.transform import from_origin

    if crs in (None, "EPSG:4326"):
        transform, w, h = from_origin(113.9, 5.2, 0.1, 0.1), 16, 13
    else:   # the same box in the projected CRS, 10 km cells
        x0, y1 = Transformer.from_crs(4326, crs, always_xy=True).transform(113.8, 5.3)
        x1, y0 = Transformer.from_crs(4326, crs, always_xy=True).transform(115.6, 3.8)
        transform, w, h = from_origin(x0, y1, 10_000, 10_000), int((x1 - x0) // 10_000) + 1, int((y1 - y0) // 10_000) + 1
    start = pd.Timestamp(start_utc, tz="UTC")
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=1, dtype="float32", crs=crs,
                       transform=transform) as dst:
        dst.write(np.full((h, w), mm_h, "float32"), 1)
        dst.update_tags(units="mm/hr", start_time=start.isoformat(),
                        end_time=(start + pd.Timedelta(minutes=period_min)).isoformat())
    return path


def gauge_csv(path: Path, station: str, lat: float, lon: float, start_local: str, rain, period_min: int = 60) -> Path:
    t0 = pd.Timestamp(start_local)
    rows = ["station,lat,lon,time,mm,period_min"] + [
        f"{station},{lat},{lon},{t0 + pd.Timedelta(minutes=period_min * i):%Y-%m-%d %H:%M},{mm},{period_min}"
        for i, mm in enumerate(rain, start=1) if mm is not None]
    path.write_text("\n".join(rows) + "\n")
    return path


def open_meteo(path: Path, issued_local: str, points, rain_per_hour, hours: int = 24) -> Path:
    """Open-Meteo-like list of locations; hourly times local (UTC+8) from the issue day's midnight."""
    issued = pd.Timestamp(issued_local)
    times = pd.date_range(issued.normalize() + pd.Timedelta(hours=1), periods=hours, freq="1h")
    locs = [{"latitude": la, "longitude": lo, "utc_offset_seconds": 28800, "timezone": "Asia/Brunei",
             "issued": issued.strftime("%Y-%m-%dT%H:%M"), "hourly_units": {"precipitation": "mm"},
             "hourly": {"time": [t.strftime("%Y-%m-%dT%H:%M") for t in times],
                        "precipitation": [rain_per_hour(t) for t in times]}} for la, lo in points]
    path.write_text(json.dumps(locs))
    return path


def sensorthings(path: Path, stations) -> Path:
    """stations: [(id, name, lat, lon, thresholds dict or None, [(time, result), ...]), ...]."""
    things = [{"@iot.id": sid, "name": name, "properties": {"station_id": sid},
               "Locations": [{"location": {"type": "Point", "coordinates": [lon, lat]}}],
               "Datastreams": [{"name": "level", "unitOfMeasurement": {"symbol": "m"},
                                "properties": {"river": "Sungai Test", **(th or {})},
                                "Observations": [{"phenomenonTime": t, "result": v} for t, v in obs]}]}
              for sid, name, lat, lon, th, obs in stations]
    path.write_text(json.dumps({"value": things}))
    return path


def grid_nc_projected(path: Path, start_utc: str, mm_h: float, epsg: int = 32650) -> Path:
    """NetCDF on y/x metres in a projected CRS declared through a CF grid_mapping variable (crs_wkt)."""
    import xarray as xr
    from pyproj import CRS, Transformer

    crs = CRS.from_epsg(epsg)
    tr = Transformer.from_crs(4326, crs, always_xy=True)
    (x0, y1), (x1, y0) = tr.transform(113.8, 5.3), tr.transform(115.6, 3.8)
    x, y = np.arange(x0, x1, 10_000.0), np.arange(y0, y1, 10_000.0)
    ds = xr.Dataset({"precipitation": (("time", "y", "x"), np.full((1, len(y), len(x)), mm_h),
                                       {"units": "mm/hr", "grid_mapping": "crs"}),
                     "crs": ((), 0, {"crs_wkt": crs.to_wkt()})},
                    coords={"time": ("time", pd.to_datetime([start_utc]), {"period_minutes": 60}), "x": x, "y": y})
    ds.to_netcdf(path)
    return path
