"""WGS-84 ↔ GCJ-02 (the offset coordinates of Amap/高德): shift for drawing on Amap tiles, and undo the shift of
imported data declared GCJ-02 — stored data is always WGS-84."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323


def _delta_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    result = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    result += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    result += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    result += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return result


def _delta_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    result = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    result += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    result += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    result += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return result


def wgs84_to_gcj02(coords: np.ndarray) -> np.ndarray:
    """Shift an (N, 2) array of WGS-84 lon/lat to GCJ-02 (about 470 m ESE around Beibei)."""
    lon, lat = coords[:, 0], coords[:, 1]
    x, y = lon - 105.0, lat - 35.0
    rad_lat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = _delta_lat(x, y) * 180.0 / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = _delta_lon(x, y) * 180.0 / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return np.column_stack([lon + d_lon, lat + d_lat])


def gcj02_to_wgs84(coords: np.ndarray, iterations: int = 6) -> np.ndarray:
    """Undo the GCJ-02 shift of an (N, 2) lon/lat array by fixed-point iteration (residual well under 1 mm)."""
    coords = np.asarray(coords, dtype=float)
    wgs = coords.copy()
    for _ in range(iterations):
        wgs = wgs - (wgs84_to_gcj02(wgs) - coords)
    return wgs


def to_gcj02(geometry: BaseGeometry | None) -> BaseGeometry | None:
    """The same geometry with every vertex shifted to GCJ-02 (None stays None)."""
    return None if geometry is None else shapely.transform(geometry, wgs84_to_gcj02)
