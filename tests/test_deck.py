"""The review deck (PPTX, PDF) and the static scene maps it carries: content, fonts, no tofu, errors."""

from __future__ import annotations

import dataclasses
import io
import warnings

import numpy as np
import pypdf
import pytest
from matplotlib.colors import to_rgb
from matplotlib.image import imread
from pptx import Presentation as open_pptx
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.oxml.ns import qn

from beibei_geo import ExportError, staticmap
from beibei_geo.deck import PPTX_FONT, abbreviate, build_pdf, build_pptx
from beibei_geo.formatting import indicator_figure
from beibei_geo.i18n import t
from beibei_geo.presentation import scene_indicators
from beibei_geo.staticmap import (
    cjk_font_path,
    fit_frame,
    nice_length,
    render_scene_png,
    render_text_image,
    spread,
    wrap_text,
)
from tests.conftest import PROJECT

ARTIFACTS = PROJECT / "test-artifacts" / "slides"
EN_SAMPLES = ("opening", "twin_city")


@pytest.fixture(scope="module")
def deck_zh(shipped):
    return open_pptx(io.BytesIO(build_pptx(shipped, "zh")))


@pytest.fixture(scope="module")
def deck_en(shipped):
    return open_pptx(io.BytesIO(build_pptx(shipped, "en")))


def slide_text(slide) -> str:
    return "\n".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)


def pictures(slide) -> list:
    return [shape for shape in slide.shapes if shape.shape_type == MSO_SHAPE_TYPE.PICTURE]


def not_blank(image: np.ndarray) -> bool:
    """Most pixels are not pure white (map background, areas) and some are dark (outline, text)."""
    rgb = image[..., :3]
    return bool((rgb.min(axis=2) < 0.98).mean() > 0.3 and (rgb.max(axis=2) < 0.4).mean() > 0.002)


# ------------------------------------------------------------------------------------------------ PPTX
def test_one_slide_per_scene_with_map_figures_units_and_data_date(shipped, deck_zh):
    scenes = shipped.presentation.scenes
    assert len(deck_zh.slides) == len(scenes)
    stamp = f"数据截至 {shipped.presentation.data_date('zh')}"
    for slide, scene in zip(deck_zh.slides, scenes, strict=True):
        assert len(pictures(slide)) == 1, scene.id
        text = slide_text(slide)
        assert scene.title_zh in text and scene.caption_zh in text, scene.id
        for _, row in scene_indicators(shipped, scene).iterrows():
            assert indicator_figure(row, "zh") in text, (scene.id, row["indicator_id"])
            assert row["name_zh"] in text, (scene.id, row["indicator_id"])
        assert stamp in text, scene.id
        assert t("map_notice", "zh") in text, scene.id


def test_baseline_and_abbreviated_source_are_shown(shipped, deck_zh):
    scenes = list(shipped.presentation.scenes)
    rural = deck_zh.slides[[s.id for s in scenes].index("rural")]
    assert "2017年 14.99亿元 → 2020年 17.64亿元" in slide_text(rural)
    quotes = [line for line in slide_text(rural).splitlines() if line.startswith("来源：")]
    assert quotes and all(len(line) <= len("来源：“”") + 40 for line in quotes)
    assert any(line.endswith("…”") for line in quotes)  # the 44-character quotation is cut


def test_notes_pane_holds_the_speaker_notes(shipped, deck_zh):
    for slide, scene in zip(deck_zh.slides, shipped.presentation.scenes, strict=True):
        assert slide.has_notes_slide, scene.id
        assert slide.notes_slide.notes_text_frame.text == scene.notes_zh


def test_every_run_names_the_east_asian_font(deck_zh):
    runs = [run for slide in deck_zh.slides for shape in slide.shapes if shape.has_text_frame
            for paragraph in shape.text_frame.paragraphs for run in paragraph.runs]
    assert len(runs) > 50
    for run in runs:
        properties = run._r.find(qn("a:rPr"))
        assert properties.find(qn("a:latin")).get("typeface") == PPTX_FONT
        assert properties.find(qn("a:ea")).get("typeface") == PPTX_FONT, run.text


def test_scene_ids_select_slides_in_talk_order(shipped):
    deck = open_pptx(io.BytesIO(build_pptx(shipped, "zh", scene_ids=["park_city", "green"])))
    assert len(deck.slides) == 2
    titles = [slide_text(slide) for slide in deck.slides]
    assert "争创一流公园城市" in titles[0] and "争创一流绿色发展" in titles[1]


@pytest.mark.parametrize("build", [build_pptx, build_pdf])
def test_an_unknown_scene_id_is_refused_with_the_allowed_ids(shipped, build):
    with pytest.raises(ExportError, match="no_such_scene") as info:
        build(shipped, "zh", scene_ids=["park_city", "no_such_scene"])
    assert "opening" in str(info.value) and "summary" in str(info.value)


def test_a_data_folder_without_scenes_cannot_be_exported(shipped):
    with pytest.raises(ExportError, match=r"no scenes\.toml"):
        build_pptx(dataclasses.replace(shipped, presentation=None))


def test_english_deck(shipped, deck_en):
    stamp = f"Data as of {shipped.presentation.data_date('en')}"
    for slide, scene in zip(deck_en.slides, shipped.presentation.scenes, strict=True):
        text = slide_text(slide)
        assert scene.title_en in text and stamp in text, scene.id
        for _, row in scene_indicators(shipped, scene).iterrows():
            assert indicator_figure(row, "en") in text, (scene.id, row["indicator_id"])
        assert slide.notes_slide.notes_text_frame.text == scene.notes_en


# ------------------------------------------------------------------------------------------------- PDF
def test_pdf_has_a_page_per_slide_with_the_figures_and_embedded_fonts(shipped):
    scenes = shipped.presentation.scenes
    reader = pypdf.PdfReader(io.BytesIO(build_pdf(shipped, "zh")))
    assert len(reader.pages) == len(scenes)
    assert scenes[1].id == "business"
    first = scene_indicators(shipped, scenes[1]).iloc[0]
    text = reader.pages[1].extract_text()
    assert indicator_figure(first, "zh") in text  # "1,000余项": the number and the CJK unit
    assert "争创一流营商环境" in text
    fonts = {font.get_object()["/BaseFont"] for page in reader.pages
             for font in page["/Resources"]["/Font"].values()}
    assert fonts and all("NotoSansCJK" in name for name in fonts), fonts
    descendant = next(iter(reader.pages[0]["/Resources"]["/Font"].values())).get_object()["/DescendantFonts"][0]
    assert "/FontFile2" in descendant.get_object()["/FontDescriptor"]  # TrueType outlines embedded


# ------------------------------------------------------------------------------------- maps and fonts
def test_the_cjk_font_draws_chinese_where_dejavu_draws_tofu():
    one, other = "北碚区政务服务中心", "缙云山生态整治临时"  # same length, no character in common
    font = cjk_font_path()
    cjk_one, cjk_other = render_text_image(one, font), render_text_image(other, font)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Glyph ... missing from font(s) DejaVu Sans"
        tofu_one, tofu_other = render_text_image(one), render_text_image(other)
    assert (cjk_one > 0.5).sum() > 500  # ink
    assert np.array_equal(tofu_one, tofu_other)  # missing glyphs: the same box for every character
    assert np.abs(cjk_one - cjk_other).mean() > 0.05  # real glyphs: different characters look different
    assert np.abs(cjk_one - tofu_one).mean() > 0.05


def test_scene_png_has_the_requested_size_and_draws_the_goal(shipped):
    scene = next(s for s in shipped.presentation.scenes if s.id == "park_city")
    image = imread(io.BytesIO(render_scene_png(shipped, scene, "zh", size=(800, 500))))
    assert image.shape[:2] == (500, 800)
    assert not_blank(image)
    goal_color = to_rgb(shipped.goals.set_index("goal_id").at["park_city", "color"])
    near_goal = np.abs(image[..., :3] - np.array(goal_color)).max(axis=2) < 0.08
    assert near_goal.sum() > 30  # the places are drawn in the goal's colour
    with pytest.raises(ExportError, match="no room for the map"):
        render_scene_png(shipped, scene, "zh", size=(200, 125), dpi=600)


def test_cjk_font_path_explains_how_to_install_a_font(monkeypatch, shipped):
    monkeypatch.setattr(staticmap, "CJK_FONT_FILES", ("/nonexistent/NotoSansCJK-Regular.ttc",))
    monkeypatch.setattr(staticmap.font_manager, "findSystemFonts",
                        lambda *args, **kwargs: ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"])
    with pytest.raises(ExportError, match=r"apt-get install fonts-noto-cjk"):
        cjk_font_path()
    with pytest.raises(ExportError, match="no CJK font found"):
        build_pptx(shipped, "zh", scene_ids=["opening"])


def test_cjk_font_path_falls_back_to_the_system_fonts(monkeypatch):
    monkeypatch.setattr(staticmap, "CJK_FONT_FILES", ())
    found = ["/f/DejaVuSans.ttf", "/f/NotoSansCJK-Bold.ttc", "/f/wqy-zenhei.ttc", "/f/NotoSansCJK-Regular.ttc"]
    monkeypatch.setattr(staticmap.font_manager, "findSystemFonts", lambda *args, **kwargs: found)
    assert cjk_font_path() == "/f/NotoSansCJK-Regular.ttc"
    monkeypatch.setattr(staticmap.font_manager, "findSystemFonts", lambda *args, **kwargs: found[:1] + found[2:3])
    assert cjk_font_path() == "/f/wqy-zenhei.ttc"


def test_fit_frame_matches_the_picture_on_the_ground():
    (west, south, east, north), cos_lat = fit_frame((106.3, 29.6, 106.7, 30.1), 1600, 1000)
    assert (east - west) * cos_lat / (north - south) == pytest.approx(1.6)
    assert (south, north) == (29.6, 30.1)  # the short side grew, the long one stayed


def test_spread_and_helpers():
    moved = spread(np.array([[100.0, 100.0]] * 4 + [[300.0, 300.0]]), 20)
    gaps = np.hypot(*(moved[:, None, :] - moved[None, :, :]).transpose(2, 0, 1))
    assert gaps[~np.eye(5, dtype=bool)].min() >= 19.5
    assert moved[4].tolist() == [300.0, 300.0]  # a lone place stays where it is
    assert [nice_length(km) for km in (0.7, 3, 14, 230)] == [0.5, 2, 10, 200]
    assert wrap_text("First-class sci-tech innovation centre", 20) == ["First-class sci-tech", "innovation centre"]
    assert wrap_text("争创一流科创中心", 8) == ["争创一流", "科创中心"]
    assert abbreviate("一" * 41) == "一" * 39 + "…" and abbreviate("短") == "短"


def test_save_slide_maps_for_review(shipped, deck_zh, deck_en):
    """Writes test-artifacts/slides/<scene>-<lang>.png (the deck's own pictures) for a human to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    scenes = shipped.presentation.scenes
    saved = []
    for lang, deck in (("zh", deck_zh), ("en", deck_en)):
        for slide, scene in zip(deck.slides, scenes, strict=True):
            if lang == "en" and scene.id not in EN_SAMPLES:
                continue
            blob = pictures(slide)[0].image.blob
            image = imread(io.BytesIO(blob))
            assert image.shape[:2] == (1000, 1600) and not_blank(image), (scene.id, lang)
            path = ARTIFACTS / f"{scene.id}-{lang}.png"
            path.write_bytes(blob)
            saved.append(path)
    assert len(saved) == len(scenes) + len(EN_SAMPLES)
