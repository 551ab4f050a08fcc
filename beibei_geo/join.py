"""Joins: features ↔ goals ↔ indicators ↔ townships, and "reported vs mapped" completeness."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from beibei_geo.dataset import Dataset, per_version
from beibei_geo.filters import goal_table


def feature_goals(features: pd.DataFrame) -> pd.DataFrame:
    """One row per (feature, goal) it serves: ``layer, id, goal, primary``."""
    links = features[["layer", "id", "goal", "goals"]].explode("goals")
    return pd.DataFrame({
        "layer": links["layer"].to_numpy(),
        "id": links["id"].to_numpy(),
        "goal": links["goals"].to_numpy(),
        "primary": (links["goals"] == links["goal"]).to_numpy(),
    })


def indicators_for_goals(dataset: Dataset, goal_ids: list[str] | tuple[str, ...],
                         headline_only: bool = False) -> pd.DataFrame:
    """The indicators that measure any of ``goal_ids`` (all goals when empty), in goal order."""
    frame = dataset.indicators
    if goal_ids:
        frame = frame[frame["goal"].isin(goal_ids)]
    if headline_only:
        frame = frame[frame["headline"]]
    order = {goal: n for n, goal in enumerate(dataset.goal_ids)}
    return frame.sort_values("goal", key=lambda s: s.map(order), kind="stable")


def completeness(dataset: Dataset) -> pd.DataFrame:
    """For each indicator that counts mapped things: reported value, features mapped, features listed only.

    ``mapped`` counts features of the linked layer and category (and status, when given) that have a
    location; ``listed`` those known by name whose location is unknown.
    """
    rows = []
    counted = dataset.indicators[dataset.indicators["counts_layer"] != ""]
    for _, indicator in counted.iterrows():
        layer = dataset.layers[indicator["counts_layer"]]
        match = layer["category"].isin(indicator["counts_category"].split("|")) if indicator["counts_category"] \
            else pd.Series(True, index=layer.index)
        if indicator["counts_status"]:
            match &= layer["status"] == indicator["counts_status"]
        rows.append({
            "indicator_id": indicator["indicator_id"],
            "goal": indicator["goal"],
            "name_zh": indicator["name_zh"],
            "name_en": indicator["name_en"],
            "layer": indicator["counts_layer"],
            "reported": indicator["value"],
            "qualifier": indicator["qualifier"],
            "mapped": int((match & layer["mapped"]).sum()),
            "listed": int((match & ~layer["mapped"]).sum()),
        })
    columns = ["indicator_id", "goal", "name_zh", "name_en", "layer", "reported", "qualifier", "mapped", "listed"]
    return pd.DataFrame(rows, columns=columns)


def townships(dataset: Dataset) -> gpd.GeoDataFrame:
    """The 街镇 table: ``code, name, kind`` and the seat point (null where unknown)."""
    frame = dataset.layers[dataset.catalog.township_layer]
    return frame[["code", "name", *(["kind"] if "kind" in frame else []), "geometry"]].reset_index(drop=True)


def township_names(dataset: Dataset, features: pd.DataFrame) -> pd.Series:
    """Each feature's 街镇 as a name, whether the data gives a name or an NBS code ("" when none)."""
    by_code = dict(zip(townships(dataset)["code"], townships(dataset)["name"], strict=True))
    return features["township"].fillna("").map(lambda value: by_code.get(value, value))


@per_version
def feature_township_names(dataset: Dataset) -> pd.Series:
    """`township_names` of every feature of ``dataset`` (computed once per data version)."""
    return township_names(dataset, dataset.features)


@per_version
def feature_goal_table(dataset: Dataset) -> pd.DataFrame:
    """`filters.goal_table` of every feature of ``dataset`` (computed once per data version)."""
    return goal_table(dataset.features)


def features_per_township(dataset: Dataset, features: pd.DataFrame) -> pd.DataFrame:
    """How many of ``features`` (mapped and listed) each 街镇 has, every 街镇 listed, plus a "" row for none."""
    names = township_names(dataset, features)
    counts = pd.crosstab(names, features["mapped"]).reindex(columns=[True, False], fill_value=0)
    table = townships(dataset)[["code", "name"]].set_index("name")
    table = table.join(counts.rename(columns={True: "mapped", False: "listed"}), how="outer").fillna(
        {"mapped": 0, "listed": 0, "code": ""})
    return table.astype({"mapped": int, "listed": int}).reset_index(names="township")


def goal_summary(dataset: Dataset) -> pd.DataFrame:
    """Per goal: places mapped / listed (primary or extra goal) and indicators (all / headline)."""
    features = dataset.features
    links = feature_goals(features).merge(features[["layer", "id", "mapped"]], on=["layer", "id"])
    rows = []
    for goal in dataset.goals.itertuples():
        goal_links = links[links["goal"] == goal.goal_id]
        goal_indicators = dataset.indicators[dataset.indicators["goal"] == goal.goal_id]
        rows.append({
            "goal_id": goal.goal_id,
            "name_zh": goal.name_zh,
            "name_en": goal.name_en,
            "mapped": int(goal_links["mapped"].sum()),
            "listed": int((~goal_links["mapped"]).sum()),
            "indicators": len(goal_indicators),
            "headline": int(goal_indicators["headline"].sum()),
        })
    return pd.DataFrame(rows)
