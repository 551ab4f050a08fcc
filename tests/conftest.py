"""Shared fixtures: paths to the shipped data and its sources, and the loaded dataset."""

from __future__ import annotations

from pathlib import Path

import pytest

from beibei_geo.dataset import Dataset, load_dataset

PROJECT = Path(__file__).resolve().parent.parent
DATA = PROJECT / "data"
ARTICLE = DATA / "sources" / "beibei-dangjian-eight-first-class.txt"
PLACES_CSV = DATA / "sources" / "beibei_places.csv"


@pytest.fixture(scope="session")
def shipped() -> Dataset:
    return load_dataset(DATA)
