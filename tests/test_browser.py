"""The real app in headless Debian Chromium: every page draws offline, with every request on loopback.

One Streamlit server runs on the shipped data and, for the XSS test only, a second one on a copy of the data
whose park names and descriptions are script-injection payloads. One browser serves the whole module; each
test gets a fresh context whose requests to anything but 127.0.0.1/localhost are aborted and recorded.
"""

from __future__ import annotations

import html
import json
import math
import re
import shutil
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ElementHandle, Frame, Page, expect
from playwright.sync_api import Error as PlaywrightError

from beibei_geo.catalog import load_catalog
from beibei_geo.i18n import TEXT
from benchmarks.servers import streamlit_server as benchmark_server
from tests.conftest import DATA, PROJECT, mapped_feature_count

ARTIFACTS = PROJECT / "test-artifacts"
MAP_IFRAME = "iframe[title='map_component.map']"  # the app's map frame (map_frame/)
TIMEOUT = 60_000
SEATS = 16  # 17 街镇, one (天生街道) without a seat point
SOURCE_TEXT = "报道《北碚 党建引领争创“八个一流”》"

# --- JavaScript evaluated inside the map frame. `MAP` finds folium's Leaflet map object.
MAP = "Object.keys(window).filter(k => k.startsWith('map_')).map(k => window[k]).find(v => v && v.eachLayer)"
IS_VECTOR = "(l instanceof L.CircleMarker || l instanceof L.Polyline)"
# A place's feature carries its row in the map files (the app) or its popup HTML (a standalone export).
IS_THEMATIC = (f"({IS_VECTOR} && l.feature && l.feature.properties && ('row' in l.feature.properties || "
               "'popup' in l.feature.properties))")
COUNT_DRAWN = f"() => {{ const map = {MAP}; let n = 0; map.eachLayer(l => {{ if {IS_VECTOR} n++; }}); return n; }}"
COUNT_THEMATIC = f"() => {{ const map = {MAP}; let n = 0; map.eachLayer(l => {{ if {IS_THEMATIC} n++; }}); return n; }}"
THEMATIC_MARKERS = f"""() => {{
  const map = {MAP}; const out = [];
  map.eachLayer(l => {{
    if (!({IS_THEMATIC} && l instanceof L.CircleMarker)) return;
    const p = map.latLngToContainerPoint(l.getLatLng());
    out.push({{id: L.stamp(l), name: l.feature.properties.name, x: p.x, y: p.y}});
  }});
  return out;
}}"""
# Where layer `id` is, in the frame's viewport (map container offset + container point); null when off the map.
LAYER_POINT = f"""(id) => {{
  const map = {MAP}; const layer = map._layers[id]; const size = map.getSize();
  const p = map.latLngToContainerPoint(layer.getLatLng());
  if (p.x < 10 || p.y < 10 || p.x > size.x - 10 || p.y > size.y - 10) return null;
  const box = map.getContainer().getBoundingClientRect();
  return {{x: box.left + p.x, y: box.top + p.y}};
}}"""
MAP_IDLE = (f"() => {{ const map = {MAP}; return !!map && !(map._panAnim && map._panAnim._inProgress) "
            "&& !map._animatingZoom; }")
CLOSE_POPUP = f"() => {{ const map = {MAP}; map.closePopup(); }}"
MAP_BOUNDS = (f"() => {{ const b = ({MAP}).getBounds(); "
              "return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }")
# The popup has faded in and the map has finished panning it into view (for screenshots and further clicks).
POPUP_SETTLED = f"""() => {{
  const popup = document.querySelector('.leaflet-popup');
  return !!popup && getComputedStyle(popup).opacity === '1' && ({MAP_IDLE})();
}}"""
XSS = "() => typeof window.__xss === 'undefined' ? null : String(window.__xss)"


# ------------------------------------------------------------------------------------- independent counts
def mapped_features() -> list[dict]:
    """Properties of every thematic feature with a geometry, read straight from the data files."""
    catalog = load_catalog(DATA)
    return [feature["properties"]
            for spec in catalog.thematic_layers
            for feature in json.loads(catalog.path(spec.file).read_text(encoding="utf-8"))["features"]
            if feature["geometry"] is not None]


def mapped_count_for_goal(goal: str) -> int:
    return sum(p["goal"] == goal or goal in (p.get("goals_extra") or []) for p in mapped_features())


def count_line(n: int, m: int, lang: str = "zh") -> str:
    return f"显示 {n} / {m} 个要素" if lang == "zh" else f"Showing {n} of {m} features"


# ------------------------------------------------------------------------------------------- servers
@contextmanager
def streamlit_server(data_dir: Path, log: Path) -> Iterator[str]:
    """`streamlit run app.py` on a free loopback port with BEIBEI_DATA_DIR=data_dir; yields its URL. The benchmark
    harness's server, so tests and benchmarks start the app one way."""
    with benchmark_server("real", data_dir, log) as server:
        yield server.url


@pytest.fixture(scope="module")
def server_log(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("streamlit") / "server.log"


@pytest.fixture(scope="module")
def app_url(server_log) -> Iterator[str]:
    with streamlit_server(DATA, server_log) as url:
        yield url


#: Payloads put in the names of three mapped parks (and a fourth on an unmapped one).
HOSTILE_NAMES = {
    "滨江公园（二期）": "<img src=x onerror=window.__xss=1>",
    "灯塔公园": "${window.__xss=2}",
    "黛湖": "</script><script>window.__xss=3</script>",
    "新北温泉公园": "<img src=x onerror=window.__xss=5>",  # unmapped: goes to the list/table
}
HOSTILE_DESCRIPTION = '"><svg onload=window.__xss=4>'
HOSTILE_DESCRIBED = ("缙云山", "新北温泉公园")  # one mapped (popup), one unmapped (table)


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("hostile")
    data = root / "data"
    shutil.copytree(DATA, data)
    parks_file = data / "geo" / "parks.geojson"
    parks = json.loads(parks_file.read_text(encoding="utf-8"))
    found = set()
    for feature in parks["features"]:
        props = feature["properties"]
        original = props["name"]
        if original in HOSTILE_NAMES:
            props["name"] = HOSTILE_NAMES[original]
            found.add(original)
        if original in HOSTILE_DESCRIBED:
            props["description"] = HOSTILE_DESCRIPTION
            found.add(original)
    assert found == {*HOSTILE_NAMES, *HOSTILE_DESCRIBED}, "the shipped parks changed; update the hostile fixture"
    parks_file.write_text(json.dumps(parks, ensure_ascii=False, indent=1), encoding="utf-8")
    with streamlit_server(data, root / "server.log") as url:
        yield url


# ------------------------------------------------------------------------------------------- browser
@contextmanager
def guarded_page(browser: Browser, width: int = 1440, height: int = 900) -> Iterator[tuple[Page, list[str]]]:
    """A page in a fresh context; requests leaving loopback are aborted and listed in the second value."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    outside: list[str] = []

    def only_loopback(route):
        host = route.request.url.split("/")[2].rsplit("@", 1)[-1].split(":")[0]
        if route.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_loopback)
    try:
        yield page, outside
    finally:
        context.close()


def screenshot(page: Page, name: str, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / name, full_page=full_page)


def wait_for_count_line(page: Page, text: str) -> None:
    page.get_by_text(text, exact=True).wait_for()


def no_exception(page: Page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    assert "Traceback" not in page.locator("body").inner_text()


def map_frame(page: Page, thematic: int | None = None) -> tuple[ElementHandle, Frame]:
    """The map iframe and its frame, once Leaflet has drawn (and, if given, exactly ``thematic`` features)."""
    element = page.wait_for_selector(MAP_IFRAME, state="visible")
    frame = element.content_frame()
    assert frame is not None
    frame.wait_for_selector(".leaflet-overlay-pane canvas")
    if thematic is None:
        frame.wait_for_function(f"({COUNT_THEMATIC})() > 0")
    else:
        frame.wait_for_function(f"({COUNT_THEMATIC})() === {thematic}")
    return element, frame


def settled_map_frame(page: Page, condition: str | None = None) -> tuple[ElementHandle, Frame]:
    """`map_frame` (and, if given, a JS ``condition`` true in it) after a rerun that may replace the iframe.

    Streamlit can swap the component iframe while a scene changes; a frame found just before the swap is
    detached, so the lookup is retried (a bounded number of times) on that error only.
    """
    for _ in range(20):
        try:
            element = page.wait_for_selector(MAP_IFRAME, state="visible")
            frame = element.content_frame()
            if frame is None:  # swapped between finding the element and entering it
                continue
            frame.wait_for_selector(".leaflet-overlay-pane canvas")
            frame.wait_for_function(f"({COUNT_THEMATIC})() > 0")
            if condition:
                frame.wait_for_function(condition)
            return element, frame
        except PlaywrightError as error:
            if "detached" not in str(error):
                raise
    pytest.fail("the map iframe kept being replaced")


def isolated_marker(frame: Frame, min_gap: float = 20) -> dict:
    """The thematic point marker farthest from every other one (so a click can only hit it)."""
    markers = frame.evaluate(THEMATIC_MARKERS)
    assert len(markers) > 1

    def gap(marker: dict) -> float:
        return min(math.dist((marker["x"], marker["y"]), (o["x"], o["y"])) for o in markers if o is not marker)

    best = max(markers, key=gap)
    assert gap(best) >= min_gap, f"every marker overlaps another: {markers}"
    return best


def click_layer(page: Page, element: ElementHandle, frame: Frame, layer_id: int, hover_only: bool = False) -> None:
    """A real mouse click (or hover) on a canvas-drawn marker: map container point + iframe offset."""
    element.scroll_into_view_if_needed()
    frame.wait_for_function(MAP_IDLE)
    point = frame.evaluate(LAYER_POINT, layer_id)
    assert point is not None, "the marker is outside the visible map"
    box = element.bounding_box()
    assert box is not None
    x, y = box["x"] + point["x"], box["y"] + point["y"]
    viewport = page.viewport_size
    assert viewport and 0 < x < viewport["width"] and 0 < y < viewport["height"], (x, y, viewport)
    page.mouse.move(x, y)
    if not hover_only:
        page.mouse.click(x, y)


def open_popup(page: Page, element: ElementHandle, frame: Frame, marker: dict) -> str:
    """Click ``marker``; wait for its popup (checked by name) and return the popup's visible text."""
    click_layer(page, element, frame, marker["id"])
    popup = frame.locator(".leaflet-popup-content")
    expect(popup).to_be_visible()
    expect(popup.locator("b").first).to_have_text(html.unescape(marker["name"]))
    frame.wait_for_function(POPUP_SETTLED)
    return popup.inner_text()


def created_elements(page: Page, frame: Frame) -> list[str]:
    """Selectors of elements a payload would have created, in the page or the map frame."""
    return [f"{where}: {selector}" for where, target in (("page", page), ("frame", frame))
            for selector in ("img[src=x]", "svg[onload]", "[onerror]")
            if target.query_selector(selector) is not None]


def close_popup(frame: Frame) -> None:
    frame.evaluate(CLOSE_POPUP)
    frame.wait_for_selector(".leaflet-popup", state="detached")


# --------------------------------------------------------------------------------------------- tests
@pytest.mark.parametrize("viewport", [(1440, 900), (1920, 1080)])
def test_overview_draws_every_feature_offline(browser, app_url, viewport):
    width, height = viewport
    total = mapped_feature_count()
    with guarded_page(browser, width, height) as (page, outside):
        page.goto(app_url)
        wait_for_count_line(page, count_line(total, total))
        element, frame = map_frame(page, thematic=total)
        drawn = frame.evaluate(COUNT_DRAWN)
        box = element.bounding_box()
        page.get_by_text("位置未知、未上图的地点", exact=False).first.wait_for()
        no_exception(page)
        screenshot(page, f"overview-{width}x{height}.png")
        element.scroll_into_view_if_needed()
        screenshot(page, f"overview-{width}x{height}-map.png")
        page.get_by_text("位置未知、未上图的地点", exact=False).first.scroll_into_view_if_needed()
        screenshot(page, f"overview-{width}x{height}-list.png")
    assert box and box["height"] > 400 and box["width"] > 600, box
    assert drawn >= total + SEATS
    assert outside == []


def test_goal_filter_from_url_widget_and_history(browser, app_url):
    total = mapped_feature_count()
    parks = mapped_count_for_goal("park_city")
    assert 0 < parks < total
    with guarded_page(browser) as (page, outside):
        # A link with the goal in it.
        page.goto(f"{app_url}/?goal=park_city")
        wait_for_count_line(page, count_line(parks, total))
        _, frame = map_frame(page, thematic=parks)
        assert frame.evaluate(COUNT_THEMATIC) == parks < total

        # The sidebar widget: the count, the map and the URL follow.
        page.goto(app_url)
        wait_for_count_line(page, count_line(total, total))
        _, frame = map_frame(page, thematic=total)
        frame.evaluate("window.__same_base_map = true")  # survives only if the base map is not rebuilt
        goals = page.get_by_role("combobox", name="目标（八个一流）")
        goals.click()
        page.get_by_role("option", name="争创一流公园城市").click()
        page.keyboard.press("Escape")
        wait_for_count_line(page, count_line(parks, total))
        _, frame = map_frame(page, thematic=parks)  # the same iframe, redrawn with fewer layers
        assert frame.evaluate("window.__same_base_map === true"), "a filter change reloaded the base map"
        assert "goal=park_city" in page.url
        sidebar = page.locator("[data-testid='stSidebar']")
        goal_tags = sidebar.locator("[data-testid='stMultiSelectTagsContainer']").first
        expect(goal_tags).to_contain_text("争创一流公园城市")

        # Back: the URL, the count, the widget and the map return to everything; forward filters again.
        page.go_back()
        wait_for_count_line(page, count_line(total, total))
        assert "goal=" not in page.url
        map_frame(page, thematic=total)
        expect(goal_tags).not_to_contain_text("公园城市")
        page.go_forward()
        wait_for_count_line(page, count_line(parks, total))
        assert "goal=park_city" in page.url
        map_frame(page, thematic=parks)
        no_exception(page)
    assert outside == []


def test_marker_click_opens_popup_with_source(browser, app_url):
    with guarded_page(browser) as (page, outside):
        page.goto(app_url)
        element, frame = map_frame(page, thematic=mapped_feature_count())
        marker = isolated_marker(frame)
        text = open_popup(page, element, frame, marker)
        screenshot(page, "popup.png", full_page=False)
    assert "来源" in text
    assert SOURCE_TEXT in text
    assert outside == []


def test_english(browser, app_url):
    total = mapped_feature_count()
    with guarded_page(browser) as (page, outside):
        page.goto(f"{app_url}/?lang=en")
        wait_for_count_line(page, count_line(total, total, "en"))
        expect(page.locator("h1").first).to_have_text(TEXT["app_title"]["en"])
        expect(page.locator("[data-testid='stSidebar']").get_by_text("Filters", exact=True)).to_be_visible()
        element, frame = map_frame(page, thematic=total)
        text = open_popup(page, element, frame, isolated_marker(frame))
        no_exception(page)
        screenshot(page, "overview-en.png", full_page=False)
    assert re.search(r"^Source\s", text, re.MULTILINE), text
    assert SOURCE_TEXT in text
    assert outside == []


def test_goals_page_reaches_mianyang_and_indicators_page(browser, app_url):
    with guarded_page(browser) as (page, outside):
        page.goto(f"{app_url}/goals?goal=twin_city")
        element, frame = map_frame(page, thematic=mapped_count_for_goal("twin_city"))
        box = element.bounding_box()
        west, _south, _east, north = frame.evaluate(MAP_BOUNDS)
        no_exception(page)
        element.scroll_into_view_if_needed()
        screenshot(page, "goals-twin_city.png")

        page.goto(f"{app_url}/indicators")
        table = page.locator("[data-testid='stDataFrame']").first
        expect(table).to_be_visible()
        expect(page.get_by_role("button", name="下载 CSV")).to_be_visible()
        expect(page.get_by_role("button", name="下载 Excel")).to_be_visible()
        no_exception(page)
        screenshot(page, "indicators.png")
    assert box and box["height"] > 300 and box["width"] > 600, box
    assert west < 105.0 and north > 31.0, (west, north)  # 绵阳 is at about 104.7 E, 31.5 N
    assert outside == []


def test_unknown_goal_in_url_is_a_warning(browser, app_url):
    total = mapped_feature_count()
    with guarded_page(browser) as (page, outside):
        page.goto(f"{app_url}/?goal=nope")
        wait_for_count_line(page, count_line(total, total))
        warning = page.locator("[data-testid='stAlertContentWarning']")
        expect(warning).to_contain_text("nope")
        map_frame(page, thematic=total)
        no_exception(page)
    assert outside == []


def test_hostile_names_show_as_text(browser, hostile_url):
    with guarded_page(browser) as (page, outside):
        page.goto(hostile_url)  # everything, then only the parks (so no other marker sits on a park)
        _, frame = map_frame(page, thematic=mapped_feature_count())
        unplaced = page.locator("[data-testid='stHtml'] table")  # the places without a location, as text
        expect(unplaced.get_by_role("cell", name=HOSTILE_NAMES["新北温泉公园"], exact=True)).to_be_visible()
        expect(unplaced.get_by_role("cell", name=HOSTILE_DESCRIPTION, exact=True)).to_be_visible()
        first_load = page.evaluate(XSS), frame.evaluate(XSS), created_elements(page, frame)
        page.goto(f"{hostile_url}/?layers=parks")
        element, frame = map_frame(page)
        expect(unplaced.get_by_role("cell", name=HOSTILE_NAMES["新北温泉公园"], exact=True)).to_be_visible()
        markers = {html.unescape(m["name"]): m for m in frame.evaluate(THEMATIC_MARKERS)}
        hostile = [name for name in HOSTILE_NAMES.values() if name in markers]
        assert len(hostile) == 3, markers.keys()
        texts = {}
        for name in [*hostile, "缙云山"]:
            marker = markers[name]
            click_layer(page, element, frame, marker["id"], hover_only=True)
            expect(frame.locator(".leaflet-tooltip")).to_have_text(name)
            texts[name] = open_popup(page, element, frame, marker)
            if name == HOSTILE_NAMES["滨江公园（二期）"]:
                screenshot(page, "hostile.png", full_page=False)
            close_popup(frame)
        after_clicks = page.evaluate(XSS), frame.evaluate(XSS), created_elements(page, frame)
        no_exception(page)
    assert first_load == (None, None, [])
    assert after_clicks == (None, None, [])
    assert "<img src=x onerror=window.__xss=1>" in texts["<img src=x onerror=window.__xss=1>"]
    assert "${window.__xss=2}" in texts["${window.__xss=2}"]
    assert "</script><script>window.__xss=3</script>" in texts["</script><script>window.__xss=3</script>"]
    assert HOSTILE_DESCRIPTION in texts["缙云山"]
    assert outside == []


# ------------------------------------------------------------------------------------- review meeting
PRESENT_SIZES = [(1920, 1080), (1366, 768)]


@pytest.mark.parametrize("size", PRESENT_SIZES, ids=[f"{w}x{h}" for w, h in PRESENT_SIZES])
def test_present_steps_through_scenes_with_the_keyboard(browser, app_url, size):
    scenes = tomllib.loads((DATA / "scenes.toml").read_text(encoding="utf-8"))["scene"]
    width, height = size
    with guarded_page(browser, width, height) as (page, outside):
        page.goto(f"{app_url}/present?scene=1")
        page.get_by_text(scenes[0]["title_zh"], exact=True).wait_for()
        page.get_by_text(scenes[0]["caption_zh"], exact=True).wait_for()  # the whole scene has rendered
        element, _ = settled_map_frame(page)
        box = element.bounding_box()
        assert box and box["height"] >= 400 and box["y"] + box["height"] <= height + 5, box  # map fits the screen
        settled_map_frame(page, f"({MAP_IDLE})()")
        screenshot(page, f"present-1-{width}x{height}.png", full_page=False)
        page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.focus(); }")
        page.keyboard.press("ArrowRight")
        page.get_by_text(scenes[1]["caption_zh"], exact=True).wait_for()
        page.wait_for_url(re.compile(r"scene=2"))
        settled_map_frame(page, f"({MAP_IDLE})()")
        screenshot(page, f"present-2-{width}x{height}.png", full_page=False)
        page.keyboard.press("ArrowRight")
        page.get_by_text(scenes[2]["title_zh"], exact=True).wait_for()
        page.keyboard.press("ArrowRight")
        page.get_by_text(scenes[3]["caption_zh"], exact=True).wait_for()
        reaches_mianyang = f"(() => {{ const b = ({MAP}).getBounds(); return b.getWest() < 105; }})()"
        settled_map_frame(page, reaches_mianyang)
        settled_map_frame(page, f"({MAP_IDLE})()")
        screenshot(page, f"present-4-{width}x{height}.png", full_page=False)
        page.keyboard.press("ArrowLeft")
        page.get_by_text(scenes[2]["title_zh"], exact=True).wait_for()
        page.wait_for_url(re.compile(r"scene=3"))
        no_exception(page)
    assert outside == []


def test_a_deep_link_as_first_request_gets_the_navigation(browser, tmp_path):
    with streamlit_server(DATA, tmp_path / "server.log") as url, guarded_page(browser) as (page, outside):
        page.goto(f"{url}/present?scene=2")
        nav = page.locator("[data-testid='stSidebarNav']")
        expect(nav).to_contain_text("总览")
        expect(nav).to_contain_text("汇报")
        expect(nav).not_to_contain_text("overview")
    assert outside == []


def test_present_in_english_and_bad_scene(browser, app_url):
    with guarded_page(browser, 1920, 1080) as (page, outside):
        page.goto(f"{app_url}/present?scene=99&lang=en")
        page.get_by_text("scene=99", exact=False).wait_for()
        page.get_by_text("Beibei: Party building leads the “eight first-class” goals", exact=True).wait_for()
        map_frame(page)
        page.get_by_text("Data as of", exact=False).first.wait_for()
        screenshot(page, "present-en-1920x1080.png", full_page=False)
        no_exception(page)
    assert outside == []


def test_exported_html_map_draws_with_every_request_blocked(browser, tmp_path):
    from beibei_geo.dataset import load_dataset
    from beibei_geo.htmlexport import map_html

    path = tmp_path / "map.html"
    path.write_text(map_html(load_dataset(DATA)), encoding="utf-8")
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    requests: list[str] = []

    def only_the_file(route):
        if route.request.url == path.as_uri():
            route.continue_()
        else:
            requests.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_file)
    page = context.new_page()
    page.goto(path.as_uri())
    page.wait_for_function(f"(() => {{ const map = {MAP}; return !!map; }})()")
    drawn = page.evaluate(COUNT_DRAWN)
    thematic = page.evaluate(COUNT_THEMATIC)
    assert thematic == mapped_feature_count() and drawn >= thematic + SEATS
    assert page.get_by_text("图例", exact=False).count() >= 1
    assert page.get_by_text("示意图，非测绘成果", exact=False).count() >= 1
    screenshot(page, "export-map-html.png", full_page=False)
    context.close()
    assert requests == []


def test_present_page_downloads_the_deck_and_the_offline_map(browser, app_url, tmp_path):
    from pptx import Presentation

    scenes = tomllib.loads((DATA / "scenes.toml").read_text(encoding="utf-8"))["scene"]
    with guarded_page(browser, 1920, 1080) as (page, outside):
        page.goto(f"{app_url}/present?scene=1")
        settled_map_frame(page)
        with page.expect_download(timeout=TIMEOUT) as pptx_download:
            page.get_by_role("button", name="导出 PPTX").click()
        path = tmp_path / "review.pptx"
        pptx_download.value.save_as(path)
        assert len(Presentation(str(path)).slides) == len(scenes)
        with page.expect_download(timeout=TIMEOUT) as html_download:
            page.get_by_role("button", name="导出离线地图 HTML").click()
        html_path = tmp_path / "map.html"
        html_download.value.save_as(html_path)
        assert "<script src=" not in html_path.read_text(encoding="utf-8")
    assert outside == []
