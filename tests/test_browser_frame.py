"""The map frame (`map_frame/`) in headless Chromium, on a local static server, driven by the messages Streamlit
sends it: the first render draws the base map and the layers, a new selection swaps the layers on the same map,
a missing asset shows its error in the frame and the next good render clears it."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Page

import map_component
from beibei_geo.assets import install_vendor_assets
from beibei_geo.basemaps import OFFLINE
from beibei_geo.filters import Selection, filter_features
from beibei_geo.mapview import base_map, thematic_groups
from beibei_geo.webgl import write_files
from tests.conftest import PROJECT, mapped_feature_count
from tests.test_browser import COUNT_THEMATIC, MAP, guarded_page, mapped_count_for_goal
from tests.test_browser_bulkpoints import QuietHandler

# Streamlit's messages to the frame, and the frame's heights (it runs as the top page, so it posts to itself).
RENDER = "(args) => window.postMessage({type: 'streamlit:render', args: args}, '*')"
RECORD_HEIGHTS = """() => {
  window.__heights = [];
  window.addEventListener('message', (e) => {
    if (e.data && e.data.type === 'streamlit:setFrameHeight') window.__heights.push(e.data.height);
  });
}"""
ERROR = "() => { const box = document.getElementById('map_error'); return box.hidden ? null : box.textContent; }"


@dataclass(frozen=True)
class Site:
    url: str
    static_dir: Path  # served as /app/static, as Streamlit serves the app's static folder


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    """The frame's page beside the app's static files, from 127.0.0.1."""
    www = tmp_path_factory.mktemp("frame-site")
    install_vendor_assets(www / "app" / "static")
    shutil.copytree(PROJECT / "map_frame", www / "frame")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=www))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_address[1]}", www / "app" / "static")
    finally:
        server.shutdown()
        thread.join()


def render_args(shipped, static_dir: Path, selection: Selection, js_links: tuple[str, ...] = ()) -> dict:
    """The arguments `map_component.show` gives the frame for ``selection`` of the shipped data."""
    files = write_files(shipped, static_dir)
    base = map_component.render_map(base_map(shipped, "zh", OFFLINE, None, base_urls=files.base_geojson))
    features = filter_features(shipped.features, selection)
    layers = map_component.render_groups(thematic_groups(shipped, features, "zh", OFFLINE, 1.0, selection, files))
    return {"script": base.script, "header": base.header, "html": base.html, "feature_group": layers.script,
            "height": 480, "css_links": list(base.css_links), "js_links": list(base.js_links + js_links)}


def open_frame(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/frame/index.html")
    page.evaluate(RECORD_HEIGHTS)


def test_frame_draws_then_swaps_layers_on_the_same_map(browser, site, shipped):
    total, parks = mapped_feature_count(), mapped_count_for_goal("park_city")
    assert 0 < parks < total
    with guarded_page(browser) as (page, outside):
        open_frame(page, site)
        page.evaluate(RENDER, render_args(shipped, site.static_dir, Selection()))
        page.wait_for_function(f"() => ({COUNT_THEMATIC})() === {total}")
        assert page.evaluate("window.__heights") == [480]
        assert page.evaluate(f"({MAP}).getSize().y") == 480
        page.evaluate(f"({MAP}).__same = true")

        page.evaluate(RENDER, render_args(shipped, site.static_dir, Selection(goals=("park_city",))))
        page.wait_for_function(f"() => ({COUNT_THEMATIC})() === {parks}")
        assert page.evaluate(f"({MAP}).__same") is True  # the base map was not drawn again
        assert page.evaluate("window.__heights") == [480]  # same height: not sent again
        assert page.evaluate(ERROR) is None
    assert outside == []


def test_missing_asset_is_shown_in_the_frame_until_a_good_render(browser, site, shipped):
    missing = "/app/static/vendor/beibei/missing.js"
    with guarded_page(browser) as (page, outside):
        open_frame(page, site)
        page.evaluate(RENDER, render_args(shipped, site.static_dir, Selection()))
        page.wait_for_function(f"() => ({COUNT_THEMATIC})() === {mapped_feature_count()}")

        page.evaluate(RENDER, render_args(shipped, site.static_dir, Selection(goals=("park_city",)), (missing,)))
        page.wait_for_function(f"() => ({ERROR})() !== null")
        assert missing in page.evaluate(ERROR)
        assert page.evaluate(f"({COUNT_THEMATIC})()") == mapped_feature_count()  # the last good map stays

        page.evaluate(RENDER, render_args(shipped, site.static_dir, Selection(goals=("park_city",))))
        page.wait_for_function(f"() => ({COUNT_THEMATIC})() === {mapped_count_for_goal('park_city')}")
        assert page.evaluate(ERROR) is None
    assert outside == []
