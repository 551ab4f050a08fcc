"""The pages, run headless with AppTest: filters, URL state, language, bad parameters, broken data.

The map component is replaced by a recorder so the tests can see what each run renders and hands to it.
"""

from __future__ import annotations

import json
import shutil

import folium
import pytest
import streamlit as st
from shapely.geometry import Point
from streamlit.testing.v1 import AppTest

import map_component
import ui
from beibei_geo.auth import hash_password
from beibei_geo.catalog import load_catalog
from beibei_geo.coords import to_gcj02
from tests.conftest import DATA, PROJECT, mapped_feature_count


def features_of(path_filter=lambda props: True) -> list[dict]:
    catalog = load_catalog(DATA)
    return [f for spec in catalog.thematic_layers
            for f in json.loads(catalog.path(spec.file).read_text(encoding="utf-8"))["features"]
            if f["geometry"] is not None and path_filter(f["properties"])]


def serving(goal: str):
    return lambda props: goal == props["goal"] or goal in props.get("goals_extra", [])


@pytest.fixture
def map_calls(monkeypatch):
    """Every map a run shows: the feature groups rendered, as {group name: feature count}, the base map's tiles,
    the first point drawn and the component's arguments. The render caches are bypassed: every run renders."""
    calls, rendered = [], {}
    render_map, render_groups = map_component.render_map, map_component.render_groups

    def record_map(fmap):
        rendered["tiles"] = [c.tiles for c in fmap._children.values() if isinstance(c, folium.TileLayer)]
        return render_map(fmap)

    def record_groups(groups):
        rendered["groups"], rendered["first_point"] = {}, None
        for group in groups:
            data = [child.data["features"] for child in group._children.values() if hasattr(child, "data")]
            rendered["groups"][group.layer_name] = sum(len(features) for features in data)
            rendered["first_point"] = rendered["first_point"] or next(
                (features[0]["geometry"]["coordinates"] for features in data), None)
        return render_groups(groups)

    def record_component(**kwargs):
        calls.append({"groups": rendered.pop("groups", {}), "first_point": rendered.pop("first_point", None),
                      "base": {"tiles": rendered["tiles"]}, "kwargs": kwargs})

    monkeypatch.setattr(map_component, "render_map", record_map)
    monkeypatch.setattr(map_component, "render_groups", record_groups)
    monkeypatch.setattr(map_component, "_frame", record_component)
    monkeypatch.setattr(ui, "_rendered_base", ui._rendered_base.__wrapped__)
    monkeypatch.setattr(ui, "_rendered_layers", ui._rendered_layers.__wrapped__)
    return calls


def run(page: str = "views/overview.py", **params: str) -> AppTest:
    app = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=60)
    for key, value in params.items():
        app.query_params[key] = value
    app.switch_page(page)
    return app.run()


def count_line(app: AppTest) -> str:
    return next(m.value.strip("*") for m in app.markdown if "要素" in m.value or "features" in m.value)


def test_overview_shows_everything(map_calls):
    app = run()
    assert not app.exception
    total = mapped_feature_count()
    assert count_line(app) == f"显示 {total} / {total} 个要素"
    assert sum(map_calls[-1]["groups"].values()) == total


@pytest.mark.parametrize("goal", ["park_city", "twin_city", "rural", "culture_tourism"])
def test_goal_in_url_filters_count_and_map(map_calls, goal):
    app = run(goal=goal)
    expected = len(features_of(serving(goal)))
    assert count_line(app) == f"显示 {expected} / {mapped_feature_count()} 个要素"
    assert sum(map_calls[-1]["groups"].values()) == expected


def test_filter_widget_changes_count_map_and_url(map_calls):
    app = run()
    app.multiselect(key="filter_goals").set_value(["park_city"]).run()
    expected = len(features_of(serving("park_city")))
    assert count_line(app) == f"显示 {expected} / {mapped_feature_count()} 个要素"
    assert sum(map_calls[-1]["groups"].values()) == expected
    assert app.query_params["goal"] == "park_city"


@pytest.mark.parametrize(
    ("params", "keep"),
    [
        ({"layers": "red_sites"}, lambda p: p["id"].startswith("red-")),
        ({"town": "静观镇"}, lambda p: p["township"] == "静观镇"),
        ({"town": "500109110"}, lambda p: p["township"] == "静观镇"),
        ({"status": "under_construction"}, lambda p: p["status"] == "under_construction"),
        ({"q": "公园"}, lambda p: "公园" in p["name"] + p["description"]),
        ({"goal": "green", "layers": "parks"}, lambda p: p["id"].startswith("park-") and serving("green")(p)),
    ],
)
def test_url_filters(map_calls, params, keep):
    app = run(**params)
    expected = len(features_of(keep))
    assert count_line(app) == f"显示 {expected} / {mapped_feature_count()} 个要素"
    assert sum(map_calls[-1]["groups"].values()) == expected


def test_english(map_calls):
    app = run(lang="en")
    total = mapped_feature_count()
    assert count_line(app) == f"Showing {total} of {total} features"
    assert app.title[0].value.startswith("Beibei")
    assert app.sidebar.header[0].value == "Filters"


@pytest.mark.parametrize(
    ("params", "shown"),
    [
        ({"goal": "nope,park_city"}, "nope"),
        ({"goal": "<script>alert(1)</script>"}, "<script>alert(1)</script>"),
        ({"layers": "x" * 500}, "xxxx"),
        ({"town": "火星"}, "火星"),
        ({"lang": "fr"}, "lang=fr"),
        ({"status": "%00"}, "status"),
    ],
)
def test_bad_url_parameters_fall_back_with_a_notice(map_calls, params, shown):
    app = run(**params)
    assert not app.exception
    assert any(shown in warning.value for warning in app.warning)
    assert count_line(app)


@pytest.mark.parametrize("goal", ["business", "innovation", "twin_city", "rural", "park_city", "governance", "green",
                                  "culture_tourism"])
def test_goal_page_for_every_goal(map_calls, goal):
    app = run("views/goals.py", goal=goal)
    assert not app.exception
    assert sum(map_calls[-1]["groups"].values()) == len(features_of(serving(goal)))
    assert app.sidebar.radio(key="goal_page_choice").value == goal


def test_goal_page_completeness_and_unknown_goal(map_calls):
    app = run("views/goals.py", goal="park_city")
    lines = [m.value for m in app.markdown if "已上图" in m.value]
    assert any("32" in line and "已上图 0" in line for line in lines), lines
    app = run("views/goals.py", goal="nope")
    assert not app.exception and app.warning
    assert app.sidebar.radio(key="goal_page_choice").value == "business"


def test_goal_page_radio_writes_the_url(map_calls):
    app = run("views/goals.py")
    app.sidebar.radio(key="goal_page_choice").set_value("twin_city").run()
    assert app.query_params["goal"] == "twin_city"
    assert sum(map_calls[-1]["groups"].values()) == len(features_of(serving("twin_city")))


def test_indicators_page_search_and_goal_filter():
    app = run("views/indicators.py")
    assert not app.exception
    rows = len(app.dataframe[0].value)
    assert rows >= 60
    app = run("views/indicators.py", goal="rural")
    assert 0 < len(app.dataframe[0].value) < rows
    app = run("views/indicators.py", q="绵碚快客")
    assert len(app.dataframe[0].value) == 1


def test_broken_data_shows_problems_not_a_traceback(monkeypatch, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    (data / "geo" / "parks.geojson").write_text('{"type": "FeatureCollection", "features": [],}', encoding="utf-8")
    monkeypatch.setenv("BEIBEI_DATA_DIR", str(data))
    st.cache_resource.clear()  # no last good data in this server yet
    for page in ("views/overview.py", "views/goals.py", "views/indicators.py", "views/data.py"):
        app = run(page)
        assert not app.exception
        assert "数据未通过校验" in app.error[0].value
        assert "geo/parks.geojson: line 1 column 46: json-syntax" in app.code[0].value


def test_the_last_good_data_is_served_when_the_files_break(monkeypatch, tmp_path, map_calls):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    monkeypatch.setenv("BEIBEI_DATA_DIR", str(data))
    st.cache_resource.clear()
    good = run()
    assert not good.warning and sum(map_calls[-1]["groups"].values()) == mapped_feature_count()
    (data / "geo" / "parks.geojson").write_text('{"type": "FeatureCollection", "features": [],}', encoding="utf-8")
    for page in ("views/overview.py", "views/data.py"):
        app = run(page)
        assert not app.exception and not app.error[1:]
        assert "仍显示上一版有效数据" in app.warning[0].value
    assert sum(map_calls[-1]["groups"].values()) == mapped_feature_count()
    assert "json-syntax" in app.dataframe[0].value.to_string()  # the Data page names what is wrong on disk


def test_configured_amap_basemap_shifts_the_map(map_calls):
    app = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=60)
    app.secrets["basemaps"] = {"amap": {"name_zh": "高德地图", "url": "https://w{s}.example.com/{z}/{x}/{y}",
                                        "crs": "gcj02"}}
    app.run()
    assert map_calls[-1]["base"]["tiles"] == []
    wgs84 = map_calls[-1]["first_point"]
    app.sidebar.selectbox(key="basemap").set_value("amap").run()
    assert not app.exception
    assert map_calls[-1]["base"]["tiles"] == ["https://w{s}.example.com/{z}/{x}/{y}"]
    shifted = to_gcj02(Point(wgs84))
    assert map_calls[-1]["first_point"] == pytest.approx([shifted.x, shifted.y])


@pytest.mark.parametrize(("page", "params"), [("views/overview.py", {"goal": "green", "q": "湖"}),
                                              ("views/goals.py", {"goal": "twin_city"}),
                                              ("views/indicators.py", {"goal": "rural"})])
def test_language_switch_keeps_the_view(map_calls, page, params):
    app = run(page, **params)
    app.sidebar.radio(key="filter_lang").set_value("en").run()
    assert not app.exception
    assert app.query_params["lang"] == "en"
    assert {key: app.query_params[key] for key in params} == params


def test_present_page_steps_through_scenes(map_calls):
    app = run("views/present.py", scene="4")
    assert not app.exception
    twin = len(features_of(serving("twin_city")))
    assert map_calls[-1]["groups"].get("文旅与交通线路") == twin
    assert "labels" in map_calls[-1]["groups"]  # the highlighted places are labelled
    app.button(key="present_next").click().run()
    assert app.query_params["scene"] == "5"
    app.button(key="present_prev").click().run()
    app.button(key="present_prev").click().run()
    assert app.query_params["scene"] == "3"


@pytest.mark.parametrize("scene", ["0", "99", "x", "-1", "1.5"])
def test_present_page_bad_scene_falls_back_to_the_first(map_calls, scene):
    app = run("views/present.py", scene=scene)
    assert not app.exception
    assert any(f"scene={scene}" in warning.value for warning in app.warning)
    assert app.button(key="present_prev").disabled


def data_page(monkeypatch, tmp_path, password_hash: str | None = None) -> AppTest:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    monkeypatch.setenv("BEIBEI_DATA_DIR", str(data))
    if password_hash:
        monkeypatch.setenv("BEIBEI_EDITOR_PASSWORD_HASH", password_hash)
    else:
        monkeypatch.delenv("BEIBEI_EDITOR_PASSWORD_HASH", raising=False)
    app = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=60)
    app.switch_page("views/data.py")
    return app


def test_data_page_is_read_only_without_editors(monkeypatch, tmp_path):
    app = data_page(monkeypatch, tmp_path).run()
    assert not app.exception
    assert "OK:" in app.success[0].value
    assert any("未配置编辑人员" in c.value for c in app.caption)
    assert not app.file_uploader and not [b for b in app.button if b.label == "恢复"]


def test_data_page_password_sign_in(monkeypatch, tmp_path):
    app = data_page(monkeypatch, tmp_path, hash_password("secret-pass-1")).run()
    assert any("只读模式" in c.value for c in app.caption) and not app.file_uploader
    app.text_input[0].set_value("李四")
    app.text_input[1].set_value("wrong-password")
    app.button[0].click().run()
    assert "密码错误" in app.error[0].value and not app.file_uploader
    app.text_input[1].set_value("secret-pass-1")
    app.button[0].click().run()
    assert not app.exception and len(app.file_uploader) == 1
    assert "编辑人员：李四 (password)" in app.sidebar.caption[0].value


def test_data_page_signed_in_user_must_be_on_the_allow_list(monkeypatch, tmp_path):
    app = data_page(monkeypatch, tmp_path)
    app.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x"}
    app.secrets["editors"] = {"allow": ["zhang@beibei.gov.cn"]}
    app.user = {"is_logged_in": True, "email": "li@beibei.gov.cn"}
    app.run()
    assert "不在编辑人员名单中" in app.info[0].value and not app.file_uploader
    app.user = {"is_logged_in": True, "email": "Zhang@Beibei.gov.cn"}
    app.run()
    assert not app.exception and len(app.file_uploader) == 1


def test_data_page_import_then_restore(monkeypatch, tmp_path, map_calls):
    app = data_page(monkeypatch, tmp_path, hash_password("secret-pass-1")).run()
    app.text_input[0].set_value("李四")
    app.text_input[1].set_value("secret-pass-1")
    app.button[0].click().run()
    app.selectbox(key="import_target").set_value("parks").run()
    app.radio(key="import_mode").set_value("append").run()
    park = features_of(lambda props: props["id"] == "park-jinyunshan")[0]
    park["properties"] = {**park["properties"], "id": "park-page-test", "name": "页面测试公园"}
    upload = json.dumps({"type": "FeatureCollection", "features": [park]}, ensure_ascii=False).encode()
    app.file_uploader[0].upload("new.geojson", upload, "application/geo+json").run()
    assert not app.exception
    assert "校验通过" in app.success[-1].value and "1 added" in app.success[-1].value
    assert app.dataframe[-2].value.iloc[0].tolist()[:2] == ["新增", "park-page-test"]  # the changes table
    assert map_calls[-1]["groups"] and sum(map_calls[-1]["groups"].values()) == 1 + len(features_of(
        lambda props: props["id"].startswith("park-")))  # the preview: the parks layer after the import
    next(b for b in app.button if b.label == "确认导入").click().run()
    assert "已导入 geo/parks.geojson，版本 2" in app.success[0].value
    parks = (tmp_path / "data" / "geo" / "parks.geojson").read_text(encoding="utf-8")
    assert "页面测试公园" in parks and not app.file_uploader[0].value
    restore = [b for b in app.button if b.label == "恢复"]
    assert [b.disabled for b in restore] == [True, False]  # version 2 is current; version 1 can come back
    restore[1].click().run()
    assert "已恢复版本 1（新版本 3）" in app.success[0].value
    assert (tmp_path / "data" / "geo" / "parks.geojson").read_bytes() == (DATA / "geo" / "parks.geojson").read_bytes()
