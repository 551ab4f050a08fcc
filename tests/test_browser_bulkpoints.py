"""The bulk canvas point layer in headless Chromium, on a local static server: it draws the filtered rows, a new
filter (as map_frame/frame.js applies one: old groups removed, new ones evaluated) reuses the fetched rows, the
browser filter keeps what the server filter keeps, names and details are shown as text, and nothing leaves
loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import folium
import pytest
from playwright.sync_api import Page, expect
from streamlit_folium import _get_feature_group_string

from beibei_geo.assets import install_vendor_assets
from beibei_geo.bulkpoints import bulk_points, layer_part
from beibei_geo.dataset import Dataset, load_dataset
from beibei_geo.filters import Selection, filter_features
from beibei_geo.join import township_names
from beibei_geo.mapview import base_map
from beibei_geo.webgl import WebglFiles, detail_rows, write_files
from tests.test_browser import MAP, MAP_IDLE, POPUP_SETTLED, XSS, guarded_page, screenshot
from tests.test_bulkpoints import HOSTILE, HOSTILE_DESCRIPTION, hostile_data

COUNT = 3000
LAYERS = f"L.BbBulkPoints.layersOf({MAP})"
DRAWN = f"() => {{ const layers = {LAYERS}; return layers.length > 0 && layers.every((l) => l.drawn); }}"
SHOWN = f"() => {LAYERS}.reduce((sum, l) => sum + l.shownCount, 0)"
# The map frame (map_frame/frame.js) on a rerun: remove the previous feature groups, evaluate the new groups' script.
SHOW_GROUPS = f"""(code) => {{
  const map = {MAP};
  window.map_div = map;
  (window.feature_group || []).forEach((group) => map.removeLayer(group));
  window.feature_group = [];
  eval(code);
}}"""
FILTER = "([rows, filter]) => L.BbBulkPoints.filterRows(rows, filter).map((i) => rows[i].id)"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@dataclass(frozen=True)
class Site:
    url: str
    dataset: Dataset
    files: WebglFiles


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    """The hostile data's files and two map pages served from 127.0.0.1: map.html (layers added by the tests,
    rows by URL) and inline.html (a standalone map with inline rows)."""
    root = tmp_path_factory.mktemp("bulk-site")
    dataset = load_dataset(hostile_data(root / "data", COUNT))
    www = root / "www"
    install_vendor_assets(www / "app" / "static")
    files = write_files(dataset, www / "app" / "static")
    for name, groups in (("map.html", ()), ("inline.html", point_groups(dataset, Selection(), None))):
        fmap = base_map(dataset)
        for group in groups:
            group.add_to(fmap)
        (www / name).write_text(fmap.get_root().render(), encoding="utf-8")
    (www / "favicon.ico").write_bytes(b"")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=www))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_address[1]}", dataset, files)
    finally:
        server.shutdown()
        thread.join()


def point_specs(dataset: Dataset, selection: Selection) -> list:
    return [spec for spec in dataset.catalog.thematic_layers
            if "Point" in spec.geometry and (not selection.layers or spec.id in selection.layers)]


def point_groups(dataset: Dataset, selection: Selection, files: WebglFiles | None) -> list[folium.FeatureGroup]:
    """One feature group per point layer, with a bulk layer per non-empty part (as the integration does)."""
    groups = []
    for spec in point_specs(dataset, selection):
        group = folium.FeatureGroup(name=spec.id)
        for kind in ("exact", "approximate"):
            if not layer_part(dataset, spec.id, kind).empty:
                bulk_points(dataset, spec, kind, selection, files).add_to(group)
        groups.append(group)
    return groups


def expected_ids(dataset: Dataset, selection: Selection) -> set[str]:
    """The point features the server-side filter keeps in the layers the map shows."""
    features = dataset.features
    kept = filter_features(features, selection, township_names(dataset, features))
    layers = {spec.id for spec in point_specs(dataset, selection)}
    return set(kept[kept["mapped"] & kept["layer"].isin(layers) & (kept.geometry.geom_type == "Point")]["id"])


def show(page: Page, site: Site, selection: Selection) -> int:
    """Put the layers of ``selection`` on the map as the map frame does; the number of rows they show."""
    code = "".join(_get_feature_group_string(group, folium.Map(tiles=None), number)
                   for number, group in enumerate(point_groups(site.dataset, selection, site.files)))
    page.evaluate(SHOW_GROUPS, code)
    page.wait_for_function(DRAWN)
    return page.evaluate(SHOWN)


@pytest.fixture
def page_of(browser, site) -> Iterator[tuple[Page, list[str], list[str], list[str]]]:
    """A guarded page on map.html: (page, outside requests, requests under /webgl/, console errors)."""
    with guarded_page(browser) as (page, outside):
        data: list[str] = []
        errors: list[str] = []
        page.on("request", lambda request: data.append(request.url) if "/webgl/" in request.url else None)
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{site.url}/map.html")
        page.wait_for_function(f"() => !!({MAP})")
        yield page, outside, data, errors


SELECTIONS = [
    Selection(goals=("governance",)),
    Selection(goals=("rural", "green"), statuses=("planned",)),
    Selection(towns=("静观镇", "500109001"), statuses=("operating", "under_construction")),  # by name and by code
    Selection(layers=("bench_points", "red_sites"), goals=("culture_tourism",)),
    Selection(text="测试point1", goals=("governance", "business")),
    Selection(goals=("no_such_goal",)),
    Selection(towns=("不存在镇",)),
]


def test_layers_draw_filter_and_reuse_the_fetched_rows(page_of, site):
    page, outside, data, errors = page_of
    assert show(page, site, Selection()) == len(expected_ids(site.dataset, Selection())) > COUNT
    screenshot(page, "bulk-points-overview.png")
    first_load = sorted(data)
    for selection in SELECTIONS:
        assert show(page, site, selection) == len(expected_ids(site.dataset, selection)), selection
    assert show(page, site, Selection()) == len(expected_ids(site.dataset, Selection()))
    assert first_load and len(first_load) == len(set(first_load)) and not any("details" in url for url in first_load)
    assert sorted(data) == first_load  # every new layer reused the fetched rows
    assert errors == [] and outside == []


# Each bulk layer's canvas, read back: the weakest opacity at a drawn row's centre, the colours of the clearly opaque
# pixels, and the painted pixels farther from every drawn row than a marker reaches (there must be none).
PAINT = f"""() => {LAYERS}.map((layer) => {{
  const canvas = layer._canvas;
  const ratio = canvas.width / layer._size.x;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const reach = (layer._radius + layer.options.style.weight + 1) * ratio;
  const cells = new Map();  // drawn rows by grid cell of side `reach`
  const cell = (x, y) => `${{Math.floor(x / reach)}},${{Math.floor(y / reach)}}`;
  const centres = [];
  for (let k = 0; k < layer._hits; k++) {{
    const x = layer._hitX[k] * ratio, y = layer._hitY[k] * ratio;
    centres.push([x, y]);
    if (!cells.has(cell(x, y))) cells.set(cell(x, y), []);
    cells.get(cell(x, y)).push([x, y]);
  }}
  const near = (x, y) => [-1, 0, 1].some((i) => [-1, 0, 1].some((j) =>
    (cells.get(`${{Math.floor(x / reach) + i}},${{Math.floor(y / reach) + j}}`) || [])
      .some(([cx, cy]) => (cx - x) ** 2 + (cy - y) ** 2 <= reach ** 2)));
  let painted = 0, stray = 0;
  const colours = new Set();
  for (let p = 0; p < canvas.width * canvas.height; p++) {{
    if (data[4 * p + 3] === 0) continue;
    painted++;
    if (!near(p % canvas.width + 0.5, Math.floor(p / canvas.width) + 0.5)) stray++;
    if (data[4 * p + 3] >= 128) colours.add(Array.from(data.slice(4 * p, 4 * p + 3)).join(','));
  }}
  const inside = centres.filter(([x, y]) => x >= 0 && y >= 0 && x < canvas.width && y < canvas.height);
  const centreAlpha = inside.map(([x, y]) => data[4 * (Math.floor(y) * canvas.width + Math.floor(x)) + 3]);
  return {{color: layer.options.style.color, hits: layer._hits, painted, stray, colours: [...colours],
           weakestCentre: Math.min(...centreAlpha)}};
}})"""


def test_every_drawn_row_is_painted_in_its_layer_colour_and_nothing_else(page_of, site):
    page = page_of[0]
    for selection in (Selection(), Selection(goals=("governance",))):
        show(page, site, selection)
        canvases = page.evaluate(PAINT)
        assert canvases and sum(c["hits"] for c in canvases) > 100, selection
        for canvas in canvases:
            assert canvas["stray"] == 0 and (canvas["painted"] > canvas["hits"]) == (canvas["hits"] > 0), canvas
            if not canvas["hits"]:
                continue
            rgb = [int(canvas["color"][i:i + 2], 16) for i in (1, 3, 5)]
            assert canvas["weakestCentre"] > 0, canvas
            for colour in canvas["colours"]:  # ±2: the canvas keeps colours premultiplied by their opacity
                assert all(abs(int(c) - e) <= 2 for c, e in zip(colour.split(","), rgb, strict=True)), canvas


def test_hover_shows_the_name_as_text_and_a_click_the_details(page_of, site):
    page, outside, data, errors = page_of
    show(page, site, Selection())
    lon, lat = next(iter(site.dataset.features.loc[site.dataset.features["name"] == HOSTILE].geometry)).coords[0]
    page.evaluate(f"([lat, lon]) => ({MAP}).setView([lat, lon], 14, {{animate: false}})", [lat, lon])
    page.evaluate(f"() => ({MAP}).zoomIn()")  # animated: the canvas is scaled, then drawn anew
    page.wait_for_function(MAP_IDLE)
    x, y = page.evaluate(f"""([lat, lon]) => {{
      const map = {MAP}; const p = map.latLngToContainerPoint([lat, lon]);
      const box = map.getContainer().getBoundingClientRect(); return [box.left + p.x, box.top + p.y];
    }}""", [lat, lon])
    page.mouse.move(x + 2, y + 1)
    tooltip = page.locator(".leaflet-tooltip")
    expect(tooltip).to_have_text(HOSTILE)
    assert page.evaluate(f"() => ({MAP}).getContainer().style.cursor") == "pointer"
    page.mouse.click(x + 2, y + 1)
    popup = page.locator(".leaflet-popup .bb-popup")
    expect(popup).to_contain_text(HOSTILE_DESCRIPTION)
    page.wait_for_function(POPUP_SETTLED)
    screenshot(page, "bulk-points-popup.png", full_page=False)
    text = popup.inner_text()
    for expected in (HOSTILE, "测试图层（point）", "近似位置 (约 ±100 米)", "来源\tbenchmarks/synthetic.py（合成数据）",
                     "目标指标"):
        assert expected in text, expected
    assert page.locator(".leaflet-popup img, .leaflet-tooltip img").count() == 0
    page.mouse.move(5, 5)
    expect(tooltip).to_have_count(0)
    assert sum("details" in url for url in data) == 1
    assert page.evaluate(XSS) is None
    assert errors == [] and outside == []


def test_a_click_fetches_only_the_details_file_holding_its_row(page_of, site):
    page, outside, data, errors = page_of
    part = layer_part(site.dataset, "bench_points", "exact")
    expected = detail_rows(site.dataset, part)
    chunk = site.files.details_chunk
    assert len(expected) > chunk  # rows in two files at least
    options = {"detailsUrl": site.files.details["bench_points"]["exact"], "detailsChunk": chunk}
    rows = [0, chunk - 1, chunk, len(expected) - 1]
    found = page.evaluate("""async ([options, rows]) =>
      Promise.all(rows.map((row) => L.BbBulkPoints.detailOf(options, row)))""", [options, rows])
    assert found == [expected[row] for row in rows]
    fetched = sorted(url.rsplit("/", 1)[1] for url in data if "details" in url)
    assert fetched == sorted({f"bench_points-exact-details-{row // chunk}.json" for row in rows})  # each once
    assert errors == [] and outside == []


@pytest.mark.parametrize("selection", [Selection(), *SELECTIONS])
def test_the_browser_filter_keeps_exactly_what_the_server_filter_keeps(page_of, site, selection):
    page = page_of[0]
    kept: set[str] = set()
    for spec in point_specs(site.dataset, selection):
        for kind in ("exact", "approximate"):
            options = json.loads(bulk_points(site.dataset, spec, kind, selection).options_json)
            kept |= set(page.evaluate(FILTER, [options["rows"], options["filter"]]))
    assert kept == expected_ids(site.dataset, selection)


def test_a_standalone_map_with_inline_rows_draws_offline(browser, site):
    with guarded_page(browser) as (page, outside):
        requests: list[str] = []
        errors: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto(f"{site.url}/inline.html")
        page.wait_for_function(DRAWN)
        shown = page.evaluate(SHOWN)
        xss = page.evaluate(XSS)
    assert shown == len(expected_ids(site.dataset, Selection()))
    assert not any("/webgl/" in url for url in requests)
    assert xss is None and errors == [] and outside == []
