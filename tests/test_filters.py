from __future__ import annotations

import pandas as pd
import pytest

from beibei_geo.filters import Selection, filter_features, goal_table


def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "layer": ["parks", "parks", "red_sites", "service_centers"],
        "id": ["p1", "p2", "r1", "s1"],
        "name": ["滨江公园", "ＡＢＣ Park", "王朴烈士陵园", "素心村党群服务中心"],
        "name_en": ["Binjiang Park", "", "", ""],
        "goals": [["park_city"], ["park_city", "green"], ["culture_tourism"], ["business", "rural"]],
        "township": ["朝阳街道", "", "500109110", "静观镇"],
        "status": ["under_construction", "operating", "operating", "operating"],
        "description": ["", "", "红色资源", ""],
    })


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (Selection(), ["p1", "p2", "r1", "s1"]),
        (Selection(goals=("park_city",)), ["p1", "p2"]),
        (Selection(goals=("green",)), ["p2"]),  # an extra goal counts
        (Selection(goals=("rural", "culture_tourism")), ["r1", "s1"]),
        (Selection(layers=("red_sites",)), ["r1"]),
        (Selection(towns=("静观镇",)), ["s1"]),
        (Selection(towns=("500109110",)), ["r1"]),
        (Selection(statuses=("under_construction",)), ["p1"]),
        (Selection(text="binjiang"), ["p1"]),
        (Selection(text="abc"), ["p2"]),  # full-width letters fold
        (Selection(text="红色"), ["r1"]),
        (Selection(goals=("park_city",), statuses=("operating",)), ["p2"]),
        (Selection(goals=("governance",)), []),
    ],
)
def test_filter_features(selection, expected):
    assert list(filter_features(frame(), selection)["id"]) == expected


@pytest.mark.parametrize("goals", [("park_city",), ("green", "rural"), ("governance",)])
def test_a_goal_table_computed_beforehand_gives_the_same_rows(goals):
    features = frame()
    table = goal_table(features)
    assert table.loc[1].to_dict() == {"business": False, "culture_tourism": False, "green": True, "park_city": True,
                                      "rural": False}
    for rows in (features, features.iloc[1:]):  # also for part of the rows the table was made from
        selection = Selection(goals=goals)
        pd.testing.assert_frame_equal(filter_features(rows, selection, goals=table), filter_features(rows, selection))


def test_filter_by_town_name_uses_joined_names():
    features = frame()
    names = pd.Series(["朝阳街道", "", "静观镇", "静观镇"], index=features.index)
    assert list(filter_features(features, Selection(towns=("静观镇",)), names)["id"]) == ["r1", "s1"]


def test_filter_does_not_change_its_input():
    features = frame()
    before = features.copy()
    filter_features(features, Selection(goals=("park_city",), text="公园"))
    pd.testing.assert_frame_equal(features, before)
