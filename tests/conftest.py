"""Shared fixtures: paths to the shipped data and its sources, and the loaded dataset."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from beibei_geo.catalog import load_catalog
from beibei_geo.dataset import Dataset, load_dataset

PROJECT = Path(__file__).resolve().parent.parent
DATA = PROJECT / "data"
ARTICLE = DATA / "sources" / "beibei-dangjian-eight-first-class.txt"
PLACES_CSV = DATA / "sources" / "beibei_places.csv"
#: Debian's Chromium, never a browser downloaded by `playwright install`.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def shipped() -> Dataset:
    return load_dataset(DATA)


def mapped_feature_count() -> int:
    """Thematic features with a geometry, counted straight from the shipped files."""
    catalog = load_catalog(DATA)
    return sum(
        feature["geometry"] is not None
        for spec in catalog.thematic_layers
        for feature in json.loads(catalog.path(spec.file).read_text(encoding="utf-8"))["features"]
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium for the browser tests of one module."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
