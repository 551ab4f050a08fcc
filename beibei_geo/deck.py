"""The review meeting as a file: one 16:9 slide (PPTX) or page (PDF) per scene of ``scenes.toml``.

Both writers draw the same `SlideContent`: title, caption, the static map (`render_scene_png`), the
scene's indicators in large type with their units, baseline → current, abbreviated sources, the data
date and the 示意图 notice. Speaker notes go into the PPTX notes pane.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib as mpl
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from pptx import Presentation as PptxPresentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.oxml.xmlchemy import OxmlElement
from pptx.util import Inches, Pt

from beibei_geo.dataset import Dataset
from beibei_geo.errors import ExportError
from beibei_geo.formatting import indicator_baseline, indicator_figure
from beibei_geo.i18n import label, t
from beibei_geo.presentation import scene_indicators
from beibei_geo.scenes import Scene
from beibei_geo.staticmap import cjk_font_path, decode_png, font_properties, render_scene_png, wrap_text

#: East Asian typeface named in the PPTX (PowerPoint and WPS use it for the Chinese characters).
PPTX_FONT = "Noto Sans CJK SC"
SLIDE_WIDTH, SLIDE_HEIGHT = 13.333, 7.5  # inches, 16:9
MAP_SIZE, MAP_DPI = (1600, 1000), 160  # pixels of the map picture; its type is sized for ~8 in wide
QUOTE_CHARS = 40
LINE_SPACING = 1.25  # line height in ems, the same in PPTX and PDF
INK, MUTED, FAINT = "#222222", "#555555", "#888888"
OVERVIEW_ACCENT = "#C62828"
# Layout (inches from the top-left corner of the slide).
TITLE_BOX = (0.6, 0.28, 12.3, 0.7)
CAPTION_BOX = (0.6, 0.98, 12.3, 0.45)
MAP_BOX = (0.4, 1.55, 7.9)  # left, top, width (height follows the picture)
FIGURES_BOX = (8.55, 1.55, 4.4, 5.15)
FOOTER_TOP = 6.85
#: Type sizes (pt) of an indicator block by how many indicators the slide shows: name, figure, change, source.
TYPE_SIZES = {3: (14, 34, 13, 9), 4: (13, 30, 12, 9), 5: (12, 24, 11, 8.5)}


@dataclass(frozen=True)
class IndicatorText:
    """One indicator as shown: name, the figure with its unit, baseline → current, source, colour."""

    name: str
    figure: str
    change: str
    source: str
    color: str


@dataclass(frozen=True)
class SlideContent:
    """Everything one slide or page shows, in one language."""

    scene_id: str
    title: str
    caption: str
    indicators: tuple[IndicatorText, ...]
    stamp: str
    notice: str
    notes: str
    accent: str
    page: str


def selected_scenes(dataset: Dataset, scene_ids: Sequence[str] | None = None) -> list[Scene]:
    """The scenes to export, in talk order; `ExportError` without scenes or for an unknown id."""
    if dataset.presentation is None or not dataset.presentation.scenes:
        raise ExportError("this data folder has no scenes.toml (or it declares no [[scene]]): nothing to export; "
                          "add scenes.toml and name it under [tables] in catalog.toml")
    scenes = list(dataset.presentation.scenes)
    if scene_ids is None:
        return scenes
    known = [scene.id for scene in scenes]
    unknown = [scene_id for scene_id in scene_ids if scene_id not in known]
    if unknown:
        raise ExportError(f"unknown scene id(s) {', '.join(map(repr, unknown))} (allowed: {', '.join(known)})")
    wanted = set(scene_ids)
    return [scene for scene in scenes if scene.id in wanted]


def abbreviate(text: str, limit: int = QUOTE_CHARS) -> str:
    """``text`` cut to ``limit`` characters, ending in "…" when cut."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _with_year(year: object, figure: str, lang: str) -> str:
    return figure if pd.isna(year) else t("deck_year_figure", lang, year=int(year), figure=figure)


def indicator_text(row: pd.Series, color: str, lang: str = "zh") -> IndicatorText:
    """How one indicators-table row is shown on a slide."""
    figure = indicator_figure(row, lang)
    baseline = indicator_baseline(row, lang)
    change = (f"{_with_year(row.get('baseline_year'), baseline, lang)} → {_with_year(row.get('year'), figure, lang)}"
              if baseline else "")
    source = t("deck_source", lang, quote=abbreviate(row["quote"])) if row.get("quote") else ""
    return IndicatorText(label({"zh": row["name_zh"], "en": row["name_en"]}, lang), figure, change, source, color)


def slide_content(dataset: Dataset, scene: Scene, lang: str = "zh", page: str = "") -> SlideContent:
    """The texts of ``scene``'s slide in ``lang``."""
    colors = dict(zip(dataset.goals["goal_id"], dataset.goals["color"], strict=True))
    goal_scene = scene.kind == "goal" and scene.goal in colors
    accent = colors[scene.goal] if goal_scene else OVERVIEW_ACCENT
    rows = scene_indicators(dataset, scene)
    indicators = tuple(indicator_text(row, accent if goal_scene else colors.get(row["goal"], INK), lang)
                       for _, row in rows.iterrows())
    presentation = dataset.presentation
    stamp = t("deck_data_date", lang, date=presentation.data_date(lang)) if presentation else ""
    return SlideContent(scene.id, scene.text("title", lang), scene.text("caption", lang), indicators, stamp,
                        t("map_notice", lang), scene.text("notes", lang), accent, page)


def _contents(dataset: Dataset, lang: str, scene_ids: Sequence[str] | None) -> list[tuple[Scene, SlideContent]]:
    scenes = selected_scenes(dataset, scene_ids)
    cjk_font_path()  # fail early, before any drawing, when no CJK font is installed
    return [(scene, slide_content(dataset, scene, lang, f"{number} / {len(scenes)}"))
            for number, scene in enumerate(scenes, start=1)]


def _sizes(count: int) -> tuple[float, float, float, float]:
    return TYPE_SIZES[min(max(count, 3), 5)]


# --------------------------------------------------------------------------------------------- PPTX
def _set_font(run, size: float, color: str, bold: bool = False) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.color.rgb = RGBColor.from_string(color.lstrip("#").upper())
    run.font.name = PPTX_FONT
    properties = run._r.get_or_add_rPr()
    east_asian = properties.find(qn("a:ea"))
    if east_asian is None:
        east_asian = OxmlElement("a:ea")
        properties.find(qn("a:latin")).addnext(east_asian)  # schema order: latin, ea, cs
    east_asian.set("typeface", PPTX_FONT)


def _text_box(slide, box: tuple[float, float, float, float],
              paragraphs: list[tuple[str, float, str, bool, float]], align: PP_ALIGN = PP_ALIGN.LEFT,
              anchor: MSO_ANCHOR = MSO_ANCHOR.TOP, shrink: bool = False) -> None:
    """A text box of (text, size pt, colour, bold, space before pt) paragraphs; ``shrink`` lets the viewer fit it."""
    left, top, width, height = box
    frame = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height)).text_frame
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE if shrink else MSO_AUTO_SIZE.NONE
    frame.vertical_anchor = anchor
    frame.margin_left = frame.margin_right = Inches(0.05)
    for number, (text, size, color, bold, space_before) in enumerate(paragraphs):
        paragraph = frame.paragraphs[0] if number == 0 else frame.add_paragraph()
        paragraph.alignment = align
        paragraph.space_before = Pt(space_before)
        paragraph.line_spacing = Pt(size * LINE_SPACING)  # exact: CJK fonts' own line gap is ~1.45 em
        run = paragraph.add_run()
        run.text = text
        _set_font(run, size, color, bold)


def _indicator_paragraphs(indicators: Sequence[IndicatorText]) -> list[tuple[str, float, str, bool, float]]:
    name_size, figure_size, change_size, source_size = _sizes(len(indicators))
    paragraphs = []
    for number, item in enumerate(indicators):
        paragraphs.append((item.name, name_size, MUTED, False, 0 if number == 0 else name_size * 0.7))
        paragraphs.append((item.figure, figure_size, item.color, True, 0))
        if item.change:
            paragraphs.append((item.change, change_size, INK, False, 0))
        if item.source:
            paragraphs.append((item.source, source_size, FAINT, False, 1))
    return paragraphs


def build_pptx(dataset: Dataset, lang: str = "zh", scene_ids: Sequence[str] | None = None) -> bytes:
    """A PPTX deck, one 16:9 slide per scene (all, or ``scene_ids`` in talk order), notes in the notes pane."""
    contents = _contents(dataset, lang, scene_ids)
    deck = PptxPresentation()
    deck.slide_width, deck.slide_height = Inches(SLIDE_WIDTH), Inches(SLIDE_HEIGHT)
    deck.core_properties.title = t("app_title", lang)
    blank = deck.slide_layouts[6]
    for scene, content in contents:
        slide = deck.slides.add_slide(blank)
        accent = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(0.4), Inches(TITLE_BOX[1] + 0.1), Inches(0.09),
                                        Inches(0.55))
        accent.fill.solid()
        accent.fill.fore_color.rgb = RGBColor.from_string(content.accent.lstrip("#").upper())
        accent.line.fill.background()
        _text_box(slide, TITLE_BOX, [(content.title, 28, INK, True, 0)], anchor=MSO_ANCHOR.MIDDLE)
        _text_box(slide, CAPTION_BOX, [(content.caption, 15, MUTED, False, 0)])
        png = render_scene_png(dataset, scene, lang, size=MAP_SIZE, dpi=MAP_DPI)
        left, top, width = MAP_BOX
        slide.shapes.add_picture(io.BytesIO(png), Inches(left), Inches(top), width=Inches(width))
        _text_box(slide, FIGURES_BOX, _indicator_paragraphs(content.indicators), shrink=True)
        footer = f"{content.stamp}　·　{content.notice}"
        _text_box(slide, (0.4, FOOTER_TOP, 10.5, 0.4), [(footer, 11, MUTED, False, 0)])
        _text_box(slide, (11.0, FOOTER_TOP, 1.95, 0.4), [(content.page, 11, FAINT, False, 0)], align=PP_ALIGN.RIGHT)
        slide.notes_slide.notes_text_frame.text = content.notes
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------- PDF
class _Page:
    """One PDF page drawn as a matplotlib Figure in slide inches (top-left origin, points for type)."""

    def __init__(self, font_path: str):
        self.figure = Figure(figsize=(SLIDE_WIDTH, SLIDE_HEIGHT), facecolor="white")
        FigureCanvasAgg(self.figure)
        self.font_path = font_path

    def text(self, left: float, top: float, text: str, size: float, color: str, bold: bool = False,
             ha: str = "left") -> None:
        self.figure.text(left / SLIDE_WIDTH, 1 - top / SLIDE_HEIGHT, text, ha=ha, va="top", color=color,
                         fontproperties=font_properties(self.font_path, size, "bold" if bold else "normal"))

    def block(self, left: float, top: float, width: float, text: str, size: float, color: str,
              bold: bool = False) -> float:
        """Wrapped text from ``top``; returns the top of what follows (inches)."""
        columns = max(int(1.85 * width * 72 / size), 8)
        for line in wrap_text(text, columns):
            self.text(left, top, line, size, color, bold)
            top += size * LINE_SPACING / 72
        return top


def _draw_page(page: _Page, content: SlideContent, png: bytes) -> None:
    figure = page.figure
    figure.patches.append(Rectangle(
        (0.4 / SLIDE_WIDTH, 1 - (TITLE_BOX[1] + 0.65) / SLIDE_HEIGHT), 0.09 / SLIDE_WIDTH, 0.55 / SLIDE_HEIGHT,
        transform=figure.transFigure, facecolor=content.accent, edgecolor="none"))
    page.text(TITLE_BOX[0] + 0.05, TITLE_BOX[1] + 0.12, content.title, 28, INK, bold=True)
    page.text(CAPTION_BOX[0] + 0.05, CAPTION_BOX[1] + 0.05, content.caption, 15, MUTED)
    image = decode_png(png)
    left, top, width = MAP_BOX
    height = width * image.shape[0] / image.shape[1]
    axes = figure.add_axes((left / SLIDE_WIDTH, 1 - (top + height) / SLIDE_HEIGHT, width / SLIDE_WIDTH,
                            height / SLIDE_HEIGHT))
    axes.imshow(image, interpolation="none")  # vector backends embed the pixels unresampled
    axes.axis("off")
    name_size, figure_size, change_size, source_size = _sizes(len(content.indicators))
    x, y, box_width, _ = FIGURES_BOX
    x += 0.05
    for number, item in enumerate(content.indicators):
        y += 0 if number == 0 else name_size * 0.7 / 72
        y = page.block(x, y, box_width, item.name, name_size, MUTED)
        y = page.block(x, y, box_width, item.figure, figure_size, item.color, bold=True)
        if item.change:
            y = page.block(x, y, box_width, item.change, change_size, INK)
        if item.source:
            y = page.block(x, y + 1 / 72, box_width, item.source, source_size, FAINT)
    page.text(0.45, FOOTER_TOP + 0.05, f"{content.stamp}　·　{content.notice}", 11, MUTED)
    page.text(12.9, FOOTER_TOP + 0.05, content.page, 11, FAINT, ha="right")


def build_pdf(dataset: Dataset, lang: str = "zh", scene_ids: Sequence[str] | None = None) -> bytes:
    """The deck as a PDF with embedded TrueType fonts: the same content as `build_pptx`, one page per scene."""
    contents = _contents(dataset, lang, scene_ids)
    font_path = cjk_font_path()
    buffer = io.BytesIO()
    with mpl.rc_context({"pdf.fonttype": 42}), PdfPages(buffer, metadata={"Title": t("app_title", lang)}) as pdf:
        for scene, content in contents:
            page = _Page(font_path)
            _draw_page(page, content, render_scene_png(dataset, scene, lang, size=MAP_SIZE, dpi=MAP_DPI))
            pdf.savefig(page.figure)
    return buffer.getvalue()

