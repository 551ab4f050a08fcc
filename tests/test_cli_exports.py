"""`beibei-geo deck` and `beibei-geo map-html`: files written whole, usage errors and bad data answered clearly."""

from __future__ import annotations

import io
import os
import shutil

import pytest
from pptx import Presentation
from pypdf import PdfReader

from beibei_geo.cli import main
from tests.conftest import DATA


def test_deck_pptx_with_chosen_scenes(tmp_path, capsys):
    out = tmp_path / "review.pptx"
    assert main(["deck", "-o", str(out), "--scenes", "park_city,green", "--data-dir", str(DATA)]) == 0
    assert len(Presentation(io.BytesIO(out.read_bytes())).slides) == 2
    assert "wrote" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["review.pptx"]  # no temporary file left behind
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # readable like any file the user saves


def test_deck_pdf_in_english(tmp_path):
    out = tmp_path / "review.pdf"
    assert main(["deck", "-o", str(out), "--lang", "en", "--scenes", "opening,twin_city"]) == 0
    reader = PdfReader(out)
    assert len(reader.pages) == 2 and "Data as of" in reader.pages[1].extract_text()


def test_map_html_is_self_contained(tmp_path):
    out = tmp_path / "map.html"
    assert main(["map-html", "-o", str(out), "--goal", "twin_city"]) == 0
    html = out.read_text(encoding="utf-8")
    assert "<script src=" not in html and "<link rel=\"stylesheet\"" not in html
    assert "L.map(" in html and "data:image/png;base64," in html


@pytest.mark.parametrize(
    "args",
    [
        ["deck", "-o", "review.ppt"],
        ["deck", "-o", "review.pptx", "--scenes", "nope"],
        ["deck", "-o", "review.pptx", "--lang", "fr"],
        ["map-html", "-o", "map.html", "--goal", "nope"],
        ["deck", "-o", "review.pptx", "--data-dir", "/no/such/folder"],
        ["deck"],
    ],
)
def test_usage_errors_exit_2_and_write_nothing(tmp_path, monkeypatch, capsys, args):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as raised:
        raise SystemExit(main(args))
    assert raised.value.code == 2
    assert list(tmp_path.iterdir()) == []
    assert "Traceback" not in capsys.readouterr().err


def test_broken_data_exits_1_with_the_problem_and_writes_nothing(tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    (data / "tables" / "goals.csv").write_text("goal_id\n", encoding="utf-8")
    out = tmp_path / "review.pptx"
    assert main(["deck", "-o", str(out), "--data-dir", str(data)]) == 1
    assert "tables/goals.csv" in capsys.readouterr().err
    assert not out.exists()
