"""What a review scene shows: its places, its map frame and its indicators (shared by the page and exports)."""

from __future__ import annotations

import pandas as pd

from beibei_geo.dataset import Dataset
from beibei_geo.filters import Selection, filter_features
from beibei_geo.scenes import Scene

#: Margin around "fit" frames, as a share of the frame (so edge markers are not cut).
FIT_MARGIN = 0.08


def scene_selection(scene: Scene) -> Selection:
    """What ``scene`` shows: its goal's places (all, for overview/summary), limited to its layers if given."""
    return Selection(goals=(scene.goal,) if scene.kind == "goal" and scene.goal else (), layers=scene.layers)


def scene_features(dataset: Dataset, scene: Scene) -> pd.DataFrame:
    """The features of ``scene`` (see `scene_selection`)."""
    return filter_features(dataset.features, scene_selection(scene))


def scene_bounds(dataset: Dataset, scene: Scene, features: pd.DataFrame) -> tuple[float, float, float, float]:
    """(west, south, east, north) of the scene's frame: its extent, or its mapped places with a margin."""
    if isinstance(scene.extent, tuple):
        return scene.extent
    mapped = features[features["mapped"]]
    if scene.extent == "district" or mapped.empty:
        return dataset.catalog.district_bbox
    west, south, east, north = (float(v) for v in mapped.geometry.total_bounds)
    district = dataset.catalog.district_bbox
    west, south = min(west, district[0]), min(south, district[1])  # keep the whole district in view
    east, north = max(east, district[2]), max(north, district[3])
    pad_x, pad_y = (east - west) * FIT_MARGIN, (north - south) * FIT_MARGIN
    return west - pad_x, south - pad_y, east + pad_x, north + pad_y


def scene_indicators(dataset: Dataset, scene: Scene) -> pd.DataFrame:
    """The scene's indicator rows, in the order the scene lists them."""
    table = dataset.indicators.set_index("indicator_id")
    return table.loc[list(scene.indicators)].reset_index()
