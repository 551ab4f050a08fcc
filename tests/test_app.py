"""The Streamlit page, run headless with AppTest."""

from __future__ import annotations

import shutil

from streamlit.testing.v1 import AppTest

from tests.conftest import DATA, PROJECT, mapped_feature_count


def run_app() -> AppTest:
    return AppTest.from_file(str(PROJECT / "app.py"), default_timeout=60).run()


def test_app_runs_and_states_the_feature_count(monkeypatch):
    monkeypatch.delenv("BEIBEI_DATA_DIR", raising=False)
    app = run_app()
    assert not app.exception
    count = mapped_feature_count()
    assert any(f"显示 {count} / {count} 个要素" in caption.value for caption in app.caption)
    assert "双塘村" in app.dataframe[0].value["名称"].tolist()  # listed, not plotted


def test_app_shows_a_clear_error_for_broken_data(monkeypatch, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    (data / "geo" / "parks.geojson").write_text('{"type": "FeatureCollection", "features": [],}', encoding="utf-8")
    monkeypatch.setenv("BEIBEI_DATA_DIR", str(data))
    app = run_app()
    assert not app.exception
    assert app.error and "数据未通过校验" in app.error[0].value
    assert "geo/parks.geojson: line 1 column 46: json-syntax" in app.code[0].value
