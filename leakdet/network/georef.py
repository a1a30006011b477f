"""Place network coordinates on the globe: from a named CRS, or local metres around an origin."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pyproj import CRS, Transformer

from leakdet.errors import LeakdetError


MAX_LONLAT_EXTENT_DEG = 2.0


@dataclass(frozen=True)
class Georeference:
    """How model coordinates map to WGS84 (EPSG:4326).

    Parameters
    ----------
    crs : str, optional
        CRS of the model coordinates, e.g. ``"EPSG:5247"`` (Brunei BRSO).
    origin : (float, float), optional
        ``(lat, lon)`` in degrees of the point that local metre coordinates are measured from.
    anchor : {"zero", "centre"}
        With ``origin``: whether the origin is the model's (0, 0) or the centre of its extent.
    """

    crs: str | None = None
    origin: tuple[float, float] | None = None
    anchor: str = "zero"

    def describe(self) -> str:
        if self.crs:
            return self.crs
        if self.origin:
            return f"local-metres origin={self.origin[0]:.6f},{self.origin[1]:.6f} anchor={self.anchor}"
        return "EPSG:4326"

    def to_wgs84(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Transform model coordinates to (lon, lat) in degrees."""
        x, y = np.asarray(x, float), np.asarray(y, float)
        if self.crs:
            tr = Transformer.from_crs(CRS.from_user_input(self.crs), CRS.from_epsg(4326), always_xy=True)
            return tr.transform(x, y)
        if self.origin:
            lat0, lon0 = self.origin
            if self.anchor == "centre":
                x = x - (x.min() + x.max()) / 2
                y = y - (y.min() + y.max()) / 2
            # A transverse Mercator centred on the origin keeps local distances true to < 0.1 % over 50 km.
            local = CRS.from_proj4(f"+proj=tmerc +lat_0={lat0} +lon_0={lon0} +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m")
            tr = Transformer.from_crs(local, CRS.from_epsg(4326), always_xy=True)
            return tr.transform(x, y)
        # Plausible lon/lat: inside the globe and no wider than a region (a water network
        # spanning more than ~2 degrees, 200 km, is local or projected coordinates).
        in_globe = np.all(np.abs(x) <= 180) and np.all(np.abs(y) <= 90)
        if in_globe and np.ptp(x) <= MAX_LONLAT_EXTENT_DEG and np.ptp(y) <= MAX_LONLAT_EXTENT_DEG:
            return x, y
        raise LeakdetError(
            "network coordinates are not longitude/latitude; give --crs EPSG:xxxx for projected "
            "coordinates or --origin LAT,LON for local metre coordinates")


def parse_origin(text: str) -> tuple[float, float]:
    try:
        lat, lon = (float(v) for v in text.split(","))
    except ValueError:
        raise LeakdetError(f"--origin must be LAT,LON in degrees, got {text!r}") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise LeakdetError(f"--origin {text!r} is outside the globe")
    return lat, lon
