"""Read gridded rainfall (GPM IMERG, GSMaP and alike) from NetCDF or GeoTIFF into one plain form.

The result, :class:`Grid`, is rain depth in mm per period on a regular lon/lat grid
(EPSG:4326, cell centres ascending), with the UTC end of each period. Readers are
xarray/netCDF4 and rasterio; nothing here parses binary formats by hand.

Units come from the ``units`` attribute (NetCDF variable, or GeoTIFF tag / band unit):
rates (``mm/hr``, ``mm h-1``, ``kg m-2 s-1``) are multiplied by the period; depths
(``mm``, ``kg m-2``) are per period. Periods come from time bounds, else a
``period_minutes`` attribute, else the spacing of the time axis. Without bounds a time is
taken as the START of its period (IMERG and GSMaP convention) unless the file says
``time_label = end``. A GeoTIFF's time is its ``end_time`` tag (or ``start_time`` +
``period_minutes``), else an IMERG-style name ``YYYYMMDD-SHHMMSS-EHHMMSS``. A grid in
another CRS is reprojected (area-average resampling, which keeps rain volume) when the
CRS is declared; a grid whose coordinates are not degrees and that declares no CRS is
an error naming the file.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from disaster.errors import FeedFileError

RATE_UNITS = {"mm/hr", "mm/h", "mmh-1", "mmhr-1", "mm/hour", "mmhour-1", "mm.h-1", "mm.hr-1"}
DEPTH_UNITS = {"mm", "kgm-2", "kg/m2", "kg/m^2", "mm/period"}
SI_RATE = {"kgm-2s-1", "kg/m2/s", "mm/s", "mms-1"}
VARIABLES = ("precipitation", "precipitationcal", "hourlypreciprate", "hourlyprecipirategc", "hourlyprecipirate",
             "precip", "precipitation_amount", "rain", "rainfall", "pr", "tp")
LAT_NAMES, LON_NAMES = ("lat", "latitude", "nlat"), ("lon", "longitude", "nlon")


@dataclass
class Grid:
    """Rain depth ``mm[t, iy, ix]`` (mm per period, NaN = missing) at cell centres ``lat``/``lon`` (degrees)."""

    mm: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    period_end: pd.DatetimeIndex      # UTC
    period_s: int
    variable: str

    @property
    def res(self) -> tuple[float, float]:
        dx = float(np.median(np.diff(self.lon))) if len(self.lon) > 1 else 0.1
        dy = float(np.median(np.diff(self.lat))) if len(self.lat) > 1 else dx
        return dx, dy


def _unit_factor(path: Path, units: str | None, period_s: int) -> float:
    """Factor from the file's unit to mm per period."""
    if not units:
        raise FeedFileError(path, None, "rain variable has no 'units' attribute (need mm/hr, mm or kg m-2 s-1)")
    u = re.sub(r"\s+", "", units.lower()).replace("**", "").replace("^", "")
    if u in RATE_UNITS:
        return period_s / 3600.0
    if u in SI_RATE:
        return float(period_s)
    if u in DEPTH_UNITS or re.fullmatch(r"mm/?\(?\d+(min|h|hr)\)?", u):
        return 1.0
    if u == "m":
        return 1000.0
    raise FeedFileError(path, None, f"unsupported rain units {units!r} (need mm/hr, mm or kg m-2 s-1)")


def read_grid(path: str | Path) -> Grid:
    path = Path(path)
    if not path.exists():
        raise FeedFileError(path, None, "file not found")
    suffix = path.suffix.lower()
    if suffix in (".nc", ".nc4", ".netcdf", ".h5", ".hdf5"):
        return _read_netcdf(path)
    if suffix in (".tif", ".tiff"):
        return _read_geotiff(path)
    raise FeedFileError(path, None, "unknown grid format (need NetCDF .nc/.nc4 or GeoTIFF .tif)")


# --- NetCDF ------------------------------------------------------------------------------------

def _read_netcdf(path: Path) -> Grid:
    import xarray as xr

    try:
        ds = xr.open_dataset(path, engine="netcdf4", decode_times=True)
    except Exception as exc:
        raise FeedFileError(path, None, f"cannot read NetCDF: {exc}") from None
    with ds:
        name = next((v for v in ds.data_vars if v.lower() in VARIABLES), None)
        if name is None:
            cands = [v for v in ds.data_vars if ds[v].ndim >= 2 and "bnds" not in v and "bounds" not in v]
            if len(cands) != 1:
                raise FeedFileError(path, None, f"cannot tell the rain variable among {list(ds.data_vars)}")
            name = cands[0]
        var = ds[name]
        tdim = next((d for d in var.dims if d.lower() in ("time", "t")), None)
        if tdim is None:
            raise FeedFileError(path, None, f"variable {name!r} has no time dimension")
        times = pd.DatetimeIndex(pd.to_datetime(ds[tdim].values))
        times = times.tz_localize("UTC") if times.tz is None else times.tz_convert("UTC")
        period_s, ends = _periods(path, ds, tdim, times)
        factor = _unit_factor(path, var.attrs.get("units"), period_s)
        ydim = next((d for d in var.dims if d.lower() in LAT_NAMES), None)
        xdim = next((d for d in var.dims if d.lower() in LON_NAMES), None)
        crs = _netcdf_crs(ds, var)
        if ydim is None or xdim is None:
            ydim = next((d for d in var.dims if d.lower() in ("y", "rlat", "northing")), None)
            xdim = next((d for d in var.dims if d.lower() in ("x", "rlon", "easting")), None)
            if ydim is None or xdim is None:
                raise FeedFileError(path, None, f"variable {name!r} has no lat/lon or y/x dimensions: {var.dims}")
            if crs is None:
                raise FeedFileError(path, None, f"grid is on {ydim}/{xdim} coordinates but declares no CRS "
                                                "(no grid_mapping with crs_wkt/spatial_ref); cannot place it")
        data = var.transpose(tdim, ydim, xdim).astype("float64").values * factor
        y, x = ds[ydim].values.astype(float), ds[xdim].values.astype(float)
    if crs is not None and not _is_wgs84(crs):
        data, y, x = _reproject(path, data, y, x, crs)
    return _ascending(Grid(data, y, x, ends, period_s, name))


def _netcdf_crs(ds, var):
    gm = var.attrs.get("grid_mapping")
    if gm and gm in ds.variables:
        attrs = ds[gm].attrs
        for key in ("crs_wkt", "spatial_ref"):
            if attrs.get(key):
                return attrs[key]
        if attrs.get("epsg_code"):
            return str(attrs["epsg_code"])
        if attrs.get("grid_mapping_name") == "latitude_longitude":
            return "EPSG:4326"
    return None


def _periods(path: Path, ds, tdim: str, times: pd.DatetimeIndex) -> tuple[int, pd.DatetimeIndex]:
    bounds = ds[tdim].attrs.get("bounds")
    if bounds and bounds in ds.variables:
        b = pd.DataFrame(ds[bounds].values)
        lo = pd.DatetimeIndex(pd.to_datetime(b.iloc[:, 0])).tz_localize("UTC")
        hi = pd.DatetimeIndex(pd.to_datetime(b.iloc[:, 1])).tz_localize("UTC")
        periods = (hi - lo).total_seconds().astype(int)
        if len(set(periods)) != 1 or periods[0] <= 0:
            raise FeedFileError(path, None, f"time bounds {bounds!r} do not give one positive period")
        return int(periods[0]), hi
    minutes = ds[tdim].attrs.get("period_minutes", ds.attrs.get("period_minutes"))
    if minutes is not None:
        period_s = int(round(float(minutes) * 60))
    elif len(times) > 1:
        steps = np.unique(np.diff(times.asi8)) // 10**9
        if len(steps) != 1 or steps[0] <= 0:
            raise FeedFileError(path, None, "irregular time axis and no time bounds: cannot tell the period")
        period_s = int(steps[0])
    else:
        raise FeedFileError(path, None, "one time step and no time bounds or period_minutes: cannot tell the period")
    label = str(ds[tdim].attrs.get("label", ds.attrs.get("time_label", "start"))).lower()
    return period_s, times if label == "end" else times + pd.Timedelta(seconds=period_s)


# --- GeoTIFF -----------------------------------------------------------------------------------

_IMERG_NAME = re.compile(r"(\d{8})-S(\d{6})-E(\d{6})")


def _read_geotiff(path: Path) -> Grid:
    import rasterio

    try:
        src = rasterio.open(path)
    except Exception as exc:
        raise FeedFileError(path, None, f"cannot read GeoTIFF: {exc}") from None
    with src:
        if src.crs is None:
            raise FeedFileError(path, None, "GeoTIFF declares no CRS; cannot place the grid")
        tags = {k.lower(): v for k, v in src.tags().items()}
        ends, period_s = [], None
        for band in range(1, src.count + 1):
            btags = {k.lower(): v for k, v in src.tags(band).items()} if src.count > 1 else tags
            end, p = _tiff_time(path, btags)
            ends.append(end)
            period_s = period_s or p
            if p != period_s:
                raise FeedFileError(path, None, f"band {band} has period {p} s, others {period_s} s")
        units = tags.get("units") or (src.units[0] if src.units and src.units[0] else None)
        factor = _unit_factor(path, units, period_s)
        data = src.read(masked=True).astype("float64").filled(np.nan)
        data = data * np.asarray(src.scales)[:, None, None] + np.asarray(src.offsets)[:, None, None]
        data *= factor
        t = src.transform
        if t.b != 0 or t.d != 0:
            raise FeedFileError(path, None, "rotated GeoTIFF grids are not supported")
        x = t.c + t.a * (np.arange(src.width) + 0.5)
        y = t.f + t.e * (np.arange(src.height) + 0.5)
        crs = src.crs
    if not _is_wgs84(crs):
        data, y, x = _reproject(path, data, y, x, crs)
    return _ascending(Grid(data, y, x, pd.DatetimeIndex(ends), int(period_s), tags.get("variable", "band")))


def _tiff_time(path: Path, tags: dict) -> tuple[pd.Timestamp, int]:
    def utc(v):
        t = pd.Timestamp(v)
        return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")

    minutes = tags.get("period_minutes")
    if "end_time" in tags and "start_time" in tags:
        end, start = utc(tags["end_time"]), utc(tags["start_time"])
        return end, int((end - start).total_seconds())
    if minutes is not None and ("end_time" in tags or "start_time" in tags):
        p = int(round(float(minutes) * 60))
        return (utc(tags["end_time"]), p) if "end_time" in tags else (utc(tags["start_time"]) + pd.Timedelta(seconds=p), p)
    m = _IMERG_NAME.search(path.name)
    if m:
        start = pd.Timestamp(f"{m.group(1)}T{m.group(2)}", tz="UTC")
        end = pd.Timestamp(f"{m.group(1)}T{m.group(3)}", tz="UTC") + pd.Timedelta(seconds=1)
        return end, int((end - start).total_seconds())
    raise FeedFileError(path, None, "no time: need tags start_time+end_time (or one of them + period_minutes) "
                                    "or an IMERG-style name YYYYMMDD-SHHMMSS-EHHMMSS")


# --- shared ------------------------------------------------------------------------------------

def _is_wgs84(crs) -> bool:
    from pyproj import CRS

    c = CRS.from_user_input(crs if isinstance(crs, str) else crs.to_wkt())
    return c.is_geographic and c.equals(CRS.from_epsg(4326), ignore_axis_order=True)


def _reproject(path: Path, data: np.ndarray, y: np.ndarray, x: np.ndarray, crs):
    """Resample a regular grid in ``crs`` onto a lon/lat grid of about the same cell size."""
    from rasterio.crs import CRS as RioCRS
    from rasterio.transform import from_origin
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    src_crs = RioCRS.from_user_input(crs if isinstance(crs, str) else crs.to_wkt())
    if len(x) < 2 or len(y) < 2:
        raise FeedFileError(path, None, "grid too small to reproject")
    dx, dy = float(x[1] - x[0]), float(y[1] - y[0])
    order = slice(None, None, -1) if dy > 0 else slice(None)        # rasterio wants north-up rows
    data, y = data[:, order, :], y[order]
    transform = from_origin(x[0] - dx / 2, y[0] + abs(dy) / 2, dx, abs(dy))
    h, w = data.shape[1:]
    left, top = transform.c, transform.f
    dst_t, dw, dh = calculate_default_transform(src_crs, "EPSG:4326", w, h, left, top - abs(dy) * h,
                                                left + dx * w, top)
    out = np.full((data.shape[0], dh, dw), np.nan)
    for i in range(data.shape[0]):
        reproject(data[i], out[i], src_transform=transform, src_crs=src_crs, dst_transform=dst_t,
                  dst_crs="EPSG:4326", resampling=Resampling.average, src_nodata=np.nan, dst_nodata=np.nan)
    lon = dst_t.c + dst_t.a * (np.arange(dw) + 0.5)
    lat = dst_t.f + dst_t.e * (np.arange(dh) + 0.5)
    return out, lat, lon


def _ascending(g: Grid) -> Grid:
    if len(g.lat) > 1 and g.lat[1] < g.lat[0]:
        g.mm, g.lat = g.mm[:, ::-1, :], g.lat[::-1]
    if len(g.lon) > 1 and g.lon[1] < g.lon[0]:
        g.mm, g.lon = g.mm[:, :, ::-1], g.lon[::-1]
    g.lon = np.where(g.lon > 180, g.lon - 360, g.lon)      # 0-360 longitudes (some GSMaP files)
    return g
