"""Beibei 党建+ map: data catalog, strict reading, validation, joins and filters (no streamlit here)."""

from __future__ import annotations

from beibei_geo.errors import BeibeiGeoError, CatalogError, DataFileError, ExportError, Problem, ValidationError

__all__ = ["BeibeiGeoError", "CatalogError", "DataFileError", "ExportError", "Problem", "ValidationError"]
