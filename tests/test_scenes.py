"""Review scenes: the shipped file, its links to the data, and the same clear validation as other files."""

from __future__ import annotations

import re
import shutil
import tomllib

import pytest

from beibei_geo.cli import main
from beibei_geo.presentation import scene_bounds, scene_features, scene_indicators
from tests.conftest import ARTICLE, DATA

SCENES = tomllib.loads((DATA / "scenes.toml").read_text(encoding="utf-8"))["scene"]
ARTICLE_FLAT = re.sub(r"\s+", "", ARTICLE.read_text(encoding="utf-8"))


def test_shipped_scenes_open_with_an_overview_cover_every_goal_and_close_with_a_summary(shipped):
    scenes = shipped.presentation.scenes
    assert scenes[0].kind == "overview" and scenes[-1].kind == "summary"
    assert [s.goal for s in scenes if s.kind == "goal"] == shipped.goal_ids
    assert shipped.presentation.data_date("zh") and shipped.presentation.data_date("en")


@pytest.mark.parametrize("scene", SCENES, ids=[s["id"] for s in SCENES])
def test_captions_quote_the_article(scene):
    assert re.sub(r"\s+", "", scene["caption_zh"]) in ARTICLE_FLAT


def test_scene_places_frames_and_indicators(shipped):
    for scene in shipped.presentation.scenes:
        features = scene_features(shipped, scene)
        if scene.kind == "goal":
            assert features["goals"].map(lambda goals, g=scene.goal: g in goals).all()
        west, south, east, north = scene_bounds(shipped, scene, features)
        mapped = features[features["mapped"]]
        if scene.extent == "fit":
            x0, y0, x1, y1 = mapped.geometry.total_bounds
            assert west <= x0 and south <= y0 and east >= x1 and north >= y1, scene.id
        assert list(scene_indicators(shipped, scene)["indicator_id"]) == list(scene.indicators)
    twin = next(s for s in shipped.presentation.scenes if s.id == "twin_city")
    assert scene_bounds(shipped, twin, scene_features(shipped, twin))[0] < 104.7  # reaches Mianyang


BROKEN = [
    ("toml-syntax", lambda s: s.replace('id = "opening"', 'id = "opening', 1), "-"),
    ("unknown-goal", lambda s: s.replace('goal = "business"', 'goal = "prosperity"', 1), "scene 2 (business)"),
    ("unknown-indicator", lambda s: s.replace('"service_centre_items", ', '"no_such_figure", ', 1),
     "scene 2 (business)"),
    ("unknown-feature", lambda s: s.replace('"sci-swu", ', '"sci-nowhere", ', 1), "scene 3 (innovation)"),
    ("unknown-layer", lambda s: s.replace('id = "opening"\n', 'id = "opening"\nlayers = ["roads"]\n', 1),
     "scene 1 (opening)"),
    ("bad-extent", lambda s: s.replace('extent = "district"', "extent = [1, 2, 3]", 1), "scene 1 (opening)"),
    ("bad-value", lambda s: s.replace('kind = "overview"', 'kind = "video"', 1), "scene 1 (opening)"),
    ("bad-value", lambda s: s.replace(
        'indicators = ["twin_city_cooperation_agreements", "mianbei_express_passenger_trips", '
        '"twin_city_cooperation_fields"]', 'indicators = ["twin_city_cooperation_agreements"]', 1),
     "scene 4 (twin_city)"),
    ("duplicate-id", lambda s: s.replace('id = "summary"', 'id = "opening"', 1), "scene 10 (opening)"),
    ("missing-value", lambda s: s.replace('data_date_zh = "2020 年底（据报道所载数据）"\n', "", 1), "-"),
    ("missing-value", lambda s: s.replace('title_zh = "争创一流公园城市"\n', "", 1), "scene 6 (park_city)"),
]


@pytest.mark.parametrize(("rule", "change", "where"), BROKEN, ids=[f"{b[0]}-{i}" for i, b in enumerate(BROKEN)])
def test_broken_scenes_are_reported(tmp_path, capsys, rule, change, where):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    path = data / "scenes.toml"
    text = path.read_text(encoding="utf-8")
    broken = change(text)
    assert broken != text, "the case changed nothing"
    path.write_text(broken, encoding="utf-8")
    assert main(["validate", str(data)]) == 1
    out = capsys.readouterr().out
    assert any(line.startswith(f"scenes.toml: {where}: {rule}: ") for line in out.splitlines()), out
    assert "Traceback" not in out
