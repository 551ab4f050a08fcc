from __future__ import annotations

import pytest

from beibei_geo.filters import Selection
from beibei_geo.urlstate import Allowed, ViewState, parse_view, to_query

ALLOWED = Allowed(goals=("park_city", "green"), layers=("parks", "red_sites"),
                  towns={"静观镇": "静观镇", "500109110": "静观镇", "澄江镇": "澄江镇"},
                  statuses=("operating", "under_construction"))


def test_parse_full_view():
    state, notices = parse_view({"goal": "park_city,green", "layers": "parks", "town": "500109110,澄江镇",
                                 "status": "operating", "q": " 公园 ", "lang": "en"}, ALLOWED)
    assert notices == []
    assert state == ViewState(Selection(goals=("park_city", "green"), layers=("parks",), towns=("静观镇", "澄江镇"),
                                        statuses=("operating",), text="公园"), "en")


@pytest.mark.parametrize(
    ("params", "param", "bad"),
    [
        ({"goal": "park_city,nope"}, "goal", "nope"),
        ({"layers": "roads"}, "layers", "roads"),
        ({"town": "火星"}, "town", "火星"),
        ({"status": "closed"}, "status", "closed"),
    ],
)
def test_unknown_values_are_dropped_with_a_notice(params, param, bad):
    state, notices = parse_view(params, ALLOWED)
    assert [(n.key, n.values) for n in notices] == [("notice_unknown_value", {"param": param, "values": bad})]
    assert bad not in str(state)


def test_garbage_is_bounded_and_lang_falls_back():
    state, notices = parse_view({"q": "x" * 10_000, "lang": "klingon", "goal": "，，park_city，"}, ALLOWED)
    assert len(state.selection.text) == 100 and state.lang == "zh"
    assert state.selection.goals == ("park_city",)
    assert [n.key for n in notices] == ["notice_unknown_lang"]


def test_repeated_parameters_and_full_width_input():
    state, _ = parse_view({"goal": ["park_city", "green"], "town": "５００１０９１１０"}, ALLOWED)
    assert state.selection.goals == ("park_city", "green") and state.selection.towns == ("静观镇",)


@pytest.mark.parametrize(
    "state",
    [
        ViewState(),
        ViewState(Selection(goals=("green",)), "en"),
        ViewState(Selection(goals=("park_city", "green"), layers=("parks",), towns=("静观镇",),
                            statuses=("operating",), text="湖")),
    ],
)
def test_round_trip(state):
    assert parse_view(to_query(state), ALLOWED) == (state, [])


def test_defaults_are_left_out_of_the_url():
    assert to_query(ViewState()) == {}
    assert to_query(ViewState(Selection(goals=("green",)), "en")) == {"goal": "green", "lang": "en"}
