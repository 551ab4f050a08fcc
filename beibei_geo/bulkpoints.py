"""A bulk canvas point layer for the folium map: ``L.bbBulkPoints`` from ``beibei_geo/js/bulk_points.js``.

One layer part (a thematic layer's exact or approximate points) is fetched once by URL from the files
`webgl.write_files` writes, drawn on one canvas and filtered in the browser, so a filter change sends only
the filter codes and the popup's labels. The options reach the page as JSON in which ``<``, ``>`` and ``&`` are
escaped: no value can close the script, and the JS shows every string from the data as text only.
`FilePopups` gives the folium GeoJson layers (small point layers, lines, areas) the same popups from the same files.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import pandas as pd
from branca.element import MacroElement, Template

from beibei_geo.catalog import APPROXIMATE, PRECISIONS, LayerSpec
from beibei_geo.coords import to_gcj02
from beibei_geo.dataset import Dataset, per_version
from beibei_geo.filters import Selection, filter_features
from beibei_geo.formatting import indicator_figure
from beibei_geo.i18n import TEXT, label, t
from beibei_geo.join import indicators_for_goals, township_names
from beibei_geo.webgl import WebglFiles, detail_rows, feature_rows, filter_codes, geometry_parts, town_index

#: A point layer with more mapped points than this is drawn as bulk canvas layers instead of one marker each.
BULK_THRESHOLD = 200
_SCRIPT_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                                 "\u2028": "\\u2028", "\u2029": "\\u2029"})
_FIELDS = ("layer", "goals", "category", "status", "township", "location", "error", "location_source",
           "location_note", "description", "source", "quote", "indicators")


@per_version
def bulk_layer_ids(dataset: Dataset) -> frozenset[str]:
    """The point layers with more than `BULK_THRESHOLD` mapped points: drawn as bulk canvas layers."""
    mapped = dataset.features[dataset.features["mapped"]]
    counts = mapped["layer"].value_counts()
    return frozenset(spec.id for spec in dataset.catalog.thematic_layers
                     if "Point" in spec.geometry and counts.get(spec.id, 0) > BULK_THRESHOLD)


def script_json(value: Any) -> str:
    """``value`` as JSON that is safe inside a ``<script>`` (and in HTML around it)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).translate(_SCRIPT_ESCAPES)


class BulkPoints(MacroElement):
    """Renders ``L.bbBulkPoints(options).addTo(<parent>)``; add it to a folium FeatureGroup or Map."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.bbBulkPoints({{ this.options_json }}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, options: dict[str, Any]):
        super().__init__()
        self._name = "BulkPoints"
        self.options_json = script_json(options)


@per_version
def popup_text(dataset: Dataset, layer_id: str, lang: str = "zh") -> dict[str, Any]:
    """The popup's labels and lookups of a layer in ``lang``, indexed by the row codes (`webgl.feature_rows`)."""
    catalog = dataset.catalog
    spec = catalog.layers[layer_id]
    goals = {goal["goal_id"]: label({"zh": goal["name_zh"], "en": goal["name_en"]}, lang)
             for _, goal in dataset.goals.iterrows()}
    indicators = [[f"{label({'zh': i['name_zh'], 'en': i['name_en']}, lang)}: {indicator_figure(i, lang)}"
                   for _, i in indicators_for_goals(dataset, [goal], headline_only=True).iterrows()]
                  for goal in dataset.goal_ids]
    tiers = {key.removeprefix("tier_"): t(key, lang) for key in TEXT if key.startswith("tier_")}
    return {
        "lang": lang,
        "layer": spec.name(lang),
        "labels": {**{name: t(f"field_{name}", lang) for name in _FIELDS}, "schematic": t("schematic_note", lang)},
        "goals": [goals.get(goal, goal) for goal in dataset.goal_ids],
        "indicators": indicators,
        "categories": [spec.category_label(category, lang) for category in spec.categories],
        "statuses": [label(labels, lang) or status for status, labels in catalog.status.items()],
        "towns": list(town_index(dataset)),
        "precisions": [label(catalog.location_precision.get(p, {}), lang) for p in PRECISIONS],
        "extra": {"tier": {"label": t("field_tier", lang), "values": tiers}},
    }


@per_version
def layer_part(dataset: Dataset, layer_id: str, kind: str) -> pd.DataFrame:
    """The mapped features of layer ``layer_id`` drawn as ``kind`` (exact: filled; approximate: hollow), as in the
    files."""
    features = dataset.features
    part = features[(features["layer"] == layer_id) & features["mapped"]]
    return part[part["location_precision"].isin(APPROXIMATE) == (kind == "approximate")]


@per_version
def row_numbers(dataset: Dataset, layer_id: str, kind: str) -> dict[str, int]:
    """Each feature's row in the files of a layer part (its first, for a multi-part shape), by feature id."""
    part = layer_part(dataset, layer_id, kind)
    starts = np.cumsum([0] + [len(geometry_parts(geometry)) for geometry in part.geometry])[:-1]
    return dict(zip(part["id"], starts.tolist(), strict=True))


class FilePopups(MacroElement):
    """Popups for the features of a folium GeoJson (its parent) built in the browser from the layer part's rows and
    details files (the file holding the clicked row, fetched once) instead of inline HTML: each feature carries
    only its ``row``."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        L.BbBulkPoints.bindFilePopups({{ this._parent.get_name() }}, {{ this.options_json }});
        {% endmacro %}
    """)

    def __init__(self, dataset: Dataset, layer_id: str, kind: str, files: WebglFiles, lang: str):
        super().__init__()
        self._name = "FilePopups"
        self.options_json = script_json({"url": files.layers[layer_id][kind],
                                         "detailsUrl": files.details[layer_id][kind],
                                         "detailsChunk": files.details_chunk,
                                         "popup": popup_text(dataset, layer_id, lang)})


def kept_bits(dataset: Dataset, part: pd.DataFrame, selection: Selection) -> str:
    """Which rows of ``part`` (as `webgl.feature_rows` orders them) `filter_features` keeps: a bit per row, bit i
    in byte i // 8, base64. Small (6 kB for 50,000 rows) where a list of ids would be a megabyte."""
    kept = part.index.isin(filter_features(part, selection, township_names(dataset, part)).index)
    bits = np.repeat(kept, [len(geometry_parts(geometry)) for geometry in part.geometry])
    return base64.b64encode(np.packbits(bits, bitorder="little").tobytes()).decode()


def bulk_points(dataset: Dataset, spec: LayerSpec, kind: str, selection: Selection, files: WebglFiles | None = None,
                lang: str = "zh", scale: float = 1.0, gcj02: bool = False) -> BulkPoints:
    """The bulk layer of one part of a point layer, showing what ``selection`` keeps of it.

    ``files`` (from `webgl.write_files`) gives the rows and details URLs; without it, or for a GCJ-02 basemap
    (``gcj02``: the files hold WGS-84), the rows are inline (a standalone HTML file). Goal, status and 街镇
    filters go as codes; where codes cannot say what the server filter keeps (a text search; a 街镇 given by
    code, which `filter_features` matches against the data's own codes only), the kept rows go as `kept_bits`.
    The caller adds only the layers ``selection.layers`` allows. ``scale`` enlarges markers (presentations).
    """
    part = layer_part(dataset, spec.id, kind)
    needs_bits = bool(selection.text) or not set(selection.towns) <= set(town_index(dataset))
    hollow = kind == "approximate"
    options: dict[str, Any] = {
        "style": {"color": spec.style.get("color", "#333333"), "radius": spec.style.get("radius", 7) * scale,
                  "weight": 2 * scale, "fillOpacity": 0.2 if hollow else 0.85,
                  "dash": [3 * scale, 3 * scale] if hollow else None},
        "filter": {**filter_codes(dataset, selection),
                   "rows": kept_bits(dataset, part, selection) if needs_bits else None},
        "popup": popup_text(dataset, spec.id, lang),
    }
    if files is None or gcj02:
        shown = part.assign(geometry=part.geometry.map(to_gcj02)) if gcj02 else part
        options |= {"rows": feature_rows(dataset, shown), "details": detail_rows(dataset, part)}
    else:
        options |= {"url": files.layers[spec.id][kind], "detailsUrl": files.details[spec.id][kind],
                    "detailsChunk": files.details_chunk}
    return BulkPoints(options)
