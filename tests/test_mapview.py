"""The rendered map: offline assets only, all features drawn, and every string escaped."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from beibei_geo.dataset import load_dataset
from beibei_geo.mapview import build_map, escape_text
from tests.conftest import DATA

PAYLOADS = ["<img src=x onerror=alert(1)>", "${alert(2)}", "`alert(3)`", "</script><script>alert(4)</script>",
            "a\\u003cb"]


def readable(html: str) -> str:
    """The map HTML with folium's JSON \\uXXXX escapes decoded, as the browser's JavaScript sees it."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m[1], 16)), html)


def name_property(name: str) -> str:
    return f'"name": {json.dumps(escape_text(name), ensure_ascii=False)}'


@pytest.mark.parametrize("payload", PAYLOADS)
def test_escape_text_leaves_no_active_characters(payload):
    escaped = escape_text(payload)
    assert not set("<>\"'`$\\") & set(escaped)


def test_map_html_loads_nothing_from_the_network(shipped):
    html = build_map(shipped, shipped.features).get_root().render()
    assert re.findall(r"https?://[^\s\"')]+", html) == []
    assert "/app/static/vendor/leaflet/leaflet.js" in html and "/app/static/vendor/jquery/jquery.min.js" in html


def test_map_draws_every_mapped_feature_and_no_unknown_one(shipped):
    html = readable(build_map(shipped, shipped.features).get_root().render())
    for _, row in shipped.features.iterrows():
        assert (name_property(row["name"]) in html) == bool(row["mapped"]), row["name"]


def test_hostile_names_reach_the_map_escaped(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    parks = data / "geo" / "parks.geojson"
    text = parks.read_text(encoding="utf-8")
    for payload, name in zip(PAYLOADS, ["滨江公园（二期）", "灯塔公园", "黛湖", "缙云山", "新北温泉公园"], strict=True):
        text = text.replace(f'"name": "{name}"', f'"name": {json.dumps(payload)}', 1)
    parks.write_text(text, encoding="utf-8")
    dataset = load_dataset(data)
    html = readable(build_map(dataset, dataset.features).get_root().render())
    for payload in PAYLOADS[:4]:
        assert payload not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&#36;{alert(2)}" in html and "&#96;alert(3)&#96;" in html
