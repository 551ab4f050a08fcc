from __future__ import annotations

import pandas as pd

from beibei_geo.join import completeness, feature_goals, features_per_township, indicators_for_goals, township_names


def test_feature_goals_explodes_primary_and_extra_goals():
    features = pd.DataFrame({"layer": ["parks", "red_sites"], "id": ["p1", "r1"], "goal": ["green", "culture_tourism"],
                             "goals": [["green", "park_city"], ["culture_tourism"]]})
    links = feature_goals(features)
    assert links.to_dict("records") == [
        {"layer": "parks", "id": "p1", "goal": "green", "primary": True},
        {"layer": "parks", "id": "p1", "goal": "park_city", "primary": False},
        {"layer": "red_sites", "id": "r1", "goal": "culture_tourism", "primary": True},
    ]


def test_completeness_counts_mapped_and_listed(shipped):
    table = completeness(shipped).set_index("indicator_id")
    partners = table.loc["partner_universities_institutes"]
    # 西南大学 and 中科院重庆绿色智能技术研究院 are mapped; 重材院 is named but its location unknown.
    layer = shipped.layers["science_bases"]
    named = layer[layer["category"].isin(["university", "research_institute"])]
    assert (partners["mapped"], partners["listed"]) == (int(named["mapped"].sum()), int((~named["mapped"]).sum()))
    assert (partners["mapped"], partners["listed"]) == (2, 1)
    assert partners["reported"] == 10 and partners["qualifier"] == "more_than"


def test_completeness_respects_counted_status(shipped):
    dataset = shipped
    parks = dataset.layers["parks"]
    operating_city_parks = parks[(parks["category"] == "city_park") & (parks["status"] == "operating")]
    assert completeness(dataset).set_index("indicator_id").loc["city_parks_built", "mapped"] == len(
        operating_city_parks[operating_city_parks["mapped"]])


def test_indicators_for_goals_filters_and_orders(shipped):
    chosen = indicators_for_goals(shipped, ["rural", "business"])
    assert set(chosen["goal"]) == {"rural", "business"}
    assert chosen["goal"].iloc[0] == "business"  # goals.csv order, not selection order
    headline = indicators_for_goals(shipped, ["rural"], headline_only=True)
    assert headline["headline"].all() and 2 <= len(headline) <= 5


def test_township_codes_join_to_names(shipped):
    features = pd.DataFrame({"township": ["500109110", "静观镇", "", None], "mapped": [True, False, True, True]})
    assert list(township_names(shipped, features)) == ["静观镇", "静观镇", "", ""]
    table = features_per_township(shipped, features).set_index("township")
    assert table.loc["静观镇", ["mapped", "listed"]].tolist() == [1, 1]
    assert len(table) == 18  # 17 街镇 plus the "" row for features without one
