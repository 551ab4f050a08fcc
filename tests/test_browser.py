"""The real app in headless Debian Chromium: the map draws offline, with every request on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import DATA, PROJECT, mapped_feature_count

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = PROJECT / "test-artifacts"
COUNT_DRAWN = """() => {
  const map = Object.keys(window).filter(k => k.startsWith('map_')).map(k => window[k])[0];
  let n = 0;
  map.eachLayer(l => { if (l instanceof L.CircleMarker || l instanceof L.Polyline) n++; });
  return n;
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)  # polling the health endpoint, not synchronising on time
    pytest.fail(f"streamlit did not become healthy in {timeout} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    env = {**os.environ, "BEIBEI_DATA_DIR": str(DATA)}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=PROJECT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process, log)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)



@pytest.mark.parametrize("viewport", [(1440, 900), (1920, 1080)])
def test_map_draws_offline(app_url, viewport):
    width, height = viewport
    outside: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})

        def only_loopback(route):
            host = route.request.url.split("/")[2].split(":")[0]
            if host in ("127.0.0.1", "localhost"):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", only_loopback)
        page.goto(app_url)
        frame_element = page.wait_for_selector("iframe[title='streamlit_folium.st_folium']", timeout=60_000)
        frame = frame_element.content_frame()
        frame.wait_for_selector(".leaflet-overlay-pane canvas", timeout=30_000)
        frame.wait_for_function(f"({COUNT_DRAWN})() > 0", timeout=30_000)
        drawn = frame.evaluate(COUNT_DRAWN)
        box = frame_element.bounding_box()
        page.get_by_text("位置未知、未上图的地点").wait_for(timeout=30_000)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"overview-{width}x{height}.png", full_page=True)
        browser.close()
    assert outside == []
    assert box and box["height"] > 400 and box["width"] > 600
    seats = 16  # 17 街镇, one (天生街道) without a seat point
    assert drawn >= mapped_feature_count() + seats
