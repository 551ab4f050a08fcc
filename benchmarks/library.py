"""In-process timings of the library on a scenario's data: load + validate, join, map build.

To time another map builder, add one entry to `map_builders`; the tables pick it up.
"""

from __future__ import annotations

import dataclasses
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import map_component
from beibei_geo.dataset import Dataset, load_dataset
from beibei_geo.filters import Selection, filter_features
from beibei_geo.join import feature_goal_table, feature_township_names, township_names
from beibei_geo.mapview import base_map, thematic_groups
from beibei_geo.webgl import WebglFiles, deck, write_files


def _folium_base(dataset: Dataset, files: WebglFiles) -> None:
    """The base map (base layers by URL), rendered for the component: once per data version and view."""
    map_component.render_map(base_map(dataset, base_urls=files.base_geojson))


def _folium_layers(dataset: Dataset, files: WebglFiles) -> None:
    """The feature groups of a selection not rendered before (the goal filter), as the overview renders them for
    the component: large point layers as bulk layers reading the files. Once per data version and selection (what
    the app keeps per data version, such as the goal table, is warm after the first run)."""
    selection = Selection(goals=("governance",))
    features = filter_features(dataset.features, selection, feature_township_names(dataset),
                               feature_goal_table(dataset))
    map_component.render_groups(thematic_groups(dataset, features, selection=selection, files=files))


def _webgl_files(dataset: Dataset) -> None:
    with tempfile.TemporaryDirectory() as static:
        write_files(dataset, Path(static))


def _webgl_spec(dataset: Dataset, files: WebglFiles) -> None:
    west, south, east, north = dataset.catalog.district_bbox
    deck(dataset, files, Selection(goals=("governance",)), dataset.features,
         [[south, west], [north, east]]).to_json()


def map_builders(dataset: Dataset, static: Path) -> dict[str, Callable[[], Any]]:
    """Name → function building part of the map of ``dataset``: the folium base map and a selection's layers
    (each rendered once, then cached by the app), the map files (written once per data version) and the WebGL spec
    (built on every run)."""
    files = write_files(dataset, static)
    return {"folium-base": lambda: _folium_base(dataset, files),
            "folium-layers": lambda: _folium_layers(dataset, files),
            "webgl-files": lambda: _webgl_files(dataset), "webgl-spec": lambda: _webgl_spec(dataset, files)}


def _timed(function: Callable[[], Any], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def library_timings(data_dir: Path, runs: int) -> dict[str, Any]:
    """Seconds per run and medians: ``load`` (load + validate), ``join``, ``build:<name>`` per map builder."""
    raw: dict[str, list[float]] = {"load": _timed(lambda: load_dataset(data_dir), runs)}
    dataset = load_dataset(data_dir)

    def join() -> None:
        features = dataclasses.replace(dataset).features  # a fresh copy: the app builds this once per version
        township_names(dataset, features)

    raw["join"] = _timed(join, runs)
    with tempfile.TemporaryDirectory() as static:
        for name, build in map_builders(dataset, Path(static)).items():
            raw[f"build:{name}"] = _timed(build, runs)
    return {"runs": raw, "median": {key: statistics.median(values) for key, values in raw.items()},
            "features": len(dataset.features)}
