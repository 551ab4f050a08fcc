"""Basemaps: the offline default and optional tile providers configured in Streamlit secrets.

Configuration (``.streamlit/secrets.toml``; see ``secrets.toml.example``)::

    [basemaps.osm]
    name_zh = "OpenStreetMap"
    name_en = "OpenStreetMap"
    url = "https://tile.example.org/{z}/{x}/{y}.png"
    attribution = "© OpenStreetMap contributors"
    crs = "wgs84"          # or "gcj02" for Amap/高德: the map's geometries are shifted while it is shown
    key = ""               # replaces {key} in url / overlay_url (Tianditu's tk)
    overlay_url = ""       # an optional label layer drawn above (Tianditu's cva)
    subdomains = "abc"
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from beibei_geo.i18n import TEXT

CRS_VALUES = ("wgs84", "gcj02")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Basemap:
    """A background for the map. ``url`` None means the offline outline basemap."""

    id: str
    name_zh: str
    name_en: str
    url: str | None = None
    overlay_url: str | None = None
    attribution: str = ""
    crs: str = "wgs84"
    subdomains: str = "abc"
    max_zoom: int = 18

    @property
    def gcj02(self) -> bool:
        return self.crs == "gcj02"

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_zh


OFFLINE = Basemap("offline", TEXT["basemap_offline"]["zh"], TEXT["basemap_offline"]["en"])


def _tile_url(value: Any, key: str) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    url = value.replace("{key}", key)
    if not re.match(r"^https?://", url) or not all(p in url for p in ("{z}", "{x}", "{y}")):
        raise ValueError(f"url {value!r} must be http(s) with {{z}}, {{x}} and {{y}}")
    return url


def basemaps_from_config(config: Mapping[str, Any] | None) -> tuple[list[Basemap], list[str]]:
    """The offline basemap plus every valid configured provider; problems name the provider and the fault."""
    basemaps, problems = [OFFLINE], []
    for basemap_id, entry in (config or {}).items():
        try:
            if not _ID.match(str(basemap_id)) or basemap_id == OFFLINE.id:
                raise ValueError("ids are lowercase ascii letters, digits and _ (not 'offline')")
            if not isinstance(entry, Mapping):
                raise ValueError("must be a table")
            crs = entry.get("crs", "wgs84")
            if crs not in CRS_VALUES:
                raise ValueError(f"crs {crs!r} is not one of: {', '.join(CRS_VALUES)}")
            key = str(entry.get("key", ""))
            url = _tile_url(entry.get("url"), key)
            if url is None:
                raise ValueError("url is required")
            name = str(entry.get("name_zh") or basemap_id)
            basemaps.append(Basemap(
                id=basemap_id, name_zh=name, name_en=str(entry.get("name_en") or name), url=url,
                overlay_url=_tile_url(entry.get("overlay_url"), key), attribution=str(entry.get("attribution", "")),
                crs=crs, subdomains=str(entry.get("subdomains", "abc")), max_zoom=int(entry.get("max_zoom", 18))))
        except (ValueError, TypeError) as exc:
            problems.append(f"basemaps.{basemap_id}: {exc}")
    return basemaps, problems
