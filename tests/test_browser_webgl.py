"""The WebGL map in headless Chromium: large data draws offline, filters without refetching, tooltips and
details are escaped, and the URL state works as on the folium map."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from beibei_geo.catalog import load_catalog
from beibei_geo.webgl import WEBGL_THRESHOLD, view_state
from benchmarks.synthetic import make_data_dir
from tests.conftest import DATA
from tests.test_browser import XSS, count_line, guarded_page, no_exception, screenshot, streamlit_server
from tests.test_browser_bulkpoints import DRAWN as BULK_DRAWN
from tests.test_browser_bulkpoints import SHOWN as BULK_SHOWN

CHART = "[data-testid='stDeckGlJsonChart']"
HOSTILE = "<img src=x onerror=window.__xss=1>危险名称"
COUNT = WEBGL_THRESHOLD + 500
RUN_FINISHED = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"


@pytest.fixture(scope="module")
def large_url(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """The app on the shipped data plus COUNT synthetic polygons (points would be drawn by the folium map's bulk
    layer); one, enlarged to about 1 km so that a hover can hit it, is named HOSTILE."""
    root = tmp_path_factory.mktemp("webgl")
    data = make_data_dir(root / "data", "polygon", COUNT)
    layer = data / "geo" / "bench_polygons.geojson"
    collection = json.loads(layer.read_text(encoding="utf-8"))
    collection["features"][0]["properties"]["name"] = HOSTILE
    (lon, lat), size = collection["features"][0]["geometry"]["coordinates"][0][0], 0.01
    collection["features"][0]["geometry"]["coordinates"] = [[[lon, lat], [lon + size, lat], [lon + size, lat + size],
                                                             [lon, lat + size], [lon, lat]]]
    layer.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    with streamlit_server(data, root / "server.log") as url:
        yield url, data


def expected(data: Path, goal: str | None = None) -> tuple[int, int]:
    """(shown, total) mapped features, counted from the files, for a goal filter (or none)."""
    features = [f["properties"] for path in (data / "geo").glob("*.geojson") if path.stem not in
                ("boundary", "neighbours", "townships")
                for f in json.loads(path.read_text(encoding="utf-8"))["features"] if f["geometry"] is not None]
    shown = [p for p in features if goal is None or p["goal"] == goal or goal in (p.get("goals_extra") or [])]
    return len(shown), len(features)


def hostile_position(data: Path) -> tuple[float, float]:
    """The centre of the HOSTILE square."""
    collection = json.loads((data / "geo" / "bench_polygons.geojson").read_text(encoding="utf-8"))
    ring = collection["features"][0]["geometry"]["coordinates"][0]
    return (ring[0][0] + ring[2][0]) / 2, (ring[0][1] + ring[2][1]) / 2


def pixel_of(position: tuple[float, float], box: dict) -> tuple[float, float]:
    """Where deck.gl draws ``position`` in the chart: Web Mercator, 512 px world at zoom 0, view of the district."""
    catalog = load_catalog(DATA)
    west, south, east, north = catalog.district_bbox
    view = view_state([[south, west], [north, east]])
    scale = 512 * 2 ** view.zoom

    def mercator(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    dx = scale * (position[0] - view.longitude) / 360
    dy = scale * (mercator(view.latitude) - mercator(position[1])) / (2 * math.pi)
    return box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy


def drawn_chart(page: Page) -> dict:
    chart = page.locator(CHART).first
    expect(chart.locator("canvas").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.wait_for_function(RUN_FINISHED)
    box = chart.bounding_box()
    assert box and box["width"] >= 600 and box["height"] >= 400, box
    return box


def test_large_data_draws_with_webgl_offline_and_filters_without_refetching(browser, large_url):
    url, data = large_url
    with guarded_page(browser) as (page, outside):
        data_requests: list[str] = []
        page.on("request", lambda request: data_requests.append(request.url) if "/webgl/" in request.url else None)
        page.goto(url)
        expect(page.get_by_text(count_line(*expected(data)), exact=True)).to_be_visible()
        drawn_chart(page)
        assert page.locator("iframe[title='map_component.map']").count() == 0
        expect(page.get_by_text("大数据量模式（WebGL）", exact=False)).to_be_visible()
        expect(page.get_by_text("图例")).to_be_visible()
        screenshot(page, "webgl-overview.png", full_page=False)
        first_load = sorted(data_requests)

        page.get_by_role("combobox", name="目标（八个一流）").click()
        page.get_by_role("option", name="争创一流基层治理").click()
        expect(page.get_by_text(count_line(*expected(data, "governance")), exact=True)).to_be_visible()
        drawn_chart(page)
        assert "goal=governance" in page.url
        page.go_back()
        expect(page.get_by_text(count_line(*expected(data)), exact=True)).to_be_visible()
        no_exception(page)
    assert first_load and len(first_load) == len(set(first_load))
    assert sorted(data_requests) == first_load  # the filter changes fetched nothing again
    assert outside == []


def test_tooltip_and_details_are_escaped(browser, large_url):
    url, _ = large_url
    with guarded_page(browser) as (page, outside):
        page.goto(f"{url}/?q=危险名称")
        expect(page.get_by_text(count_line(1, expected(large_url[1])[1]), exact=True)).to_be_visible()
        box = drawn_chart(page)
        x, y = pixel_of(hostile_position(large_url[1]), box)
        hit = None
        for dx, dy in [(0, 0), (2, 0), (-2, 0), (0, 2), (0, -2), (4, 4), (-4, -4)]:  # a marker is 12 px wide
            page.mouse.move(x + dx, y + dy)
            tooltip = page.locator(".deck-tooltip")
            if tooltip.count() and tooltip.first.is_visible() and "危险名称" in tooltip.first.inner_text():
                hit = (x + dx, y + dy)
                break
        assert hit, "no tooltip found for the search hit"
        tooltip_text = page.locator(".deck-tooltip").first.inner_text()
        page.mouse.click(*hit)
        details = page.locator(".bb-popup")
        expect(details).to_contain_text("危险名称")
        screenshot(page, "webgl-details.png", full_page=False)
        details_text = details.inner_text()
        xss = page.evaluate(XSS)
        no_exception(page)
    assert HOSTILE in tooltip_text and HOSTILE in details_text  # shown as text …
    assert xss is None  # … never run
    assert outside == []


def test_many_points_draw_as_bulk_layers_on_the_folium_map(browser, tmp_path):
    """1,000 points: the folium map, the point layer drawn by bulk canvas layers (rows fetched by URL, once)."""
    data = make_data_dir(tmp_path / "data", "point", 1000)
    with streamlit_server(data, tmp_path / "server.log") as url, guarded_page(browser) as (page, outside):
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        fetched: list[str] = []
        page.on("request", lambda request: fetched.append(request.url) if "/webgl/" in request.url else None)
        shown = {}
        for goal in (None, "governance"):
            page.goto(f"{url}/?goal={goal}" if goal else url)
            expect(page.get_by_text(count_line(*expected(data, goal)), exact=True)).to_be_visible()
            frame = page.wait_for_selector("iframe[title='map_component.map']", state="visible")
            frame = frame.content_frame()
            frame.wait_for_function(BULK_DRAWN)
            shown[goal] = frame.evaluate(BULK_SHOWN)
        screenshot(page, "bulk-points-app.png", full_page=False)
        no_exception(page)
    bench = [f["properties"] for f in json.loads((data / "geo" / "bench_points.geojson").read_text())["features"]]
    assert shown[None] == len(bench)
    assert shown["governance"] == sum(p["goal"] == "governance" or "governance" in p["goals_extra"] for p in bench)
    assert any("/bench_points-" in url for url in fetched) and errors == [] and outside == []
