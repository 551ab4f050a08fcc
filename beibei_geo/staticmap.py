"""Static PNG maps of review scenes, drawn offline with matplotlib (for slides, PDFs and printouts).

Only `matplotlib.figure.Figure` with the Agg canvas is used (never pyplot), so no global figure state
leaks into the caller. Every text uses a CJK font found on the system (`cjk_font_path`); without one
Chinese labels would come out as tofu boxes, so a missing font is an `ExportError`, not a silent fallback.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import font_manager, ft2font
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.patches import FancyBboxPatch, PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.patheffects import withStroke
from matplotlib.transforms import Bbox, IdentityTransform
from shapely.geometry import box

from beibei_geo.dataset import Dataset
from beibei_geo.errors import ExportError
from beibei_geo.i18n import label, t
from beibei_geo.mapview import APPROXIMATE
from beibei_geo.presentation import scene_bounds, scene_features
from beibei_geo.scenes import Scene

#: Where Debian/Ubuntu (fonts-noto-cjk) and Fedora put Noto Sans CJK; tried before scanning the system.
CJK_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
)
#: Font file names (lower case, without spaces) accepted when scanning the system fonts.
CJK_FONT_HINTS = ("notosanscjk", "wenquanyi", "wqy-", "sourcehansans")
NO_CJK_FONT = "no CJK font found: install Debian's fonts-noto-cjk (apt-get install fonts-noto-cjk)"
#: The face preferred inside a font collection (.ttc): Simplified Chinese glyph shapes.
PREFERRED_FACE = "SC"
#: Marker of each thematic layer, by catalog order (colour says the goal, shape says the layer).
MARKERS = ("o", "^", "s", "D", "p", "h", "v", "P")
DASHES = (0, (6, 4))
INK = "#333333"
MUTED = "#777777"
BACKGROUND = "#f3f5f8"
#: Type sizes (pt at the reference 1600 × 1000 px): legend text, map labels, notice, source line.
LEGEND_PT, LABEL_PT, NOTICE_PT, SOURCE_PT = 12, 14, 12, 9
#: Legend panel width in legend-text ems; margins in points.
PANEL_EMS, MARGIN_PT = 17, 14
KM_PER_DEGREE = 111.32
#: Marker area (pt²) of places. Up to MAX_SPREAD places are nudged apart so no marker hides another.
MARKER_SIZE = 200
MAX_SPREAD = 500
#: A district narrower than this share of the frame is named and repeated, enlarged, in an inset this share
#: of the map's height.
SMALL_DISTRICT = 0.3
INSET_HEIGHT = 0.5


# ------------------------------------------------------------------------------------------- fonts
def _squash(name: str) -> str:
    return name.lower().replace(" ", "").replace("_", "")


def _preference(path: str) -> tuple[bool, bool, str]:
    name = Path(path).name.lower()
    return ("bold" in name or "light" in name or "thin" in name or "black" in name, "mono" in name, name)


def cjk_font_path() -> str:
    """The path of a font with Chinese glyphs (Noto Sans CJK preferred); `ExportError` when there is none."""
    for candidate in CJK_FONT_FILES:
        if Path(candidate).is_file():
            return candidate
    found = [path for path in font_manager.findSystemFonts()
             if any(hint in _squash(Path(path).name) for hint in CJK_FONT_HINTS)]
    if not found:
        raise ExportError(NO_CJK_FONT)
    return sorted(found, key=_preference)[0]


@functools.cache
def _face_index(path: str) -> int:
    """The Simplified Chinese face of a font collection (0 for single fonts or old matplotlib)."""
    try:
        faces = ft2font.FT2Font(path).num_faces
        for index in range(faces):
            if ft2font.FT2Font(path, face_index=index).family_name.endswith(f" {PREFERRED_FACE}"):
                return index
    except (TypeError, AttributeError, RuntimeError, OSError):  # matplotlib < 3.10 has no face_index
        pass
    return 0


def _bold_sibling(path: str) -> str:
    """The bold file of a family shipped as separate files (NotoSansCJK-Bold.ttc beside -Regular), else ``path``."""
    candidate = Path(path).with_name(Path(path).name.replace("Regular", "Bold"))
    return str(candidate) if "Regular" in Path(path).name and candidate.is_file() else path


def font_properties(path: str, size: float, weight: str = "normal") -> font_manager.FontProperties:
    """`FontProperties` for the font at ``path`` (its Simplified Chinese face in a .ttc; bold file if asked)."""
    path = _bold_sibling(path) if weight == "bold" else path
    index = _face_index(path)
    fname: Any = path
    if index and hasattr(font_manager, "FontPath"):
        fname = font_manager.FontPath(path, index)
    return font_manager.FontProperties(fname=fname, size=size, weight=weight)


def render_text_image(text: str, font_path: str | None = None, size: tuple[int, int] = (360, 60)) -> np.ndarray:
    """``text`` drawn black on white with the font at ``font_path`` (default: DejaVu Sans) as ink in 0–1."""
    width, height = size
    figure = Figure(figsize=(width / 100, height / 100), dpi=100, facecolor="white")
    FigureCanvasAgg(figure)
    font = (font_properties(font_path, 24) if font_path
            else font_manager.FontProperties(family="DejaVu Sans", size=24))
    figure.text(0.02, 0.5, text, fontproperties=font, va="center", color="black")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    rgba = decode_png(buffer.getvalue())
    return 1.0 - rgba[..., :3].mean(axis=2)


def decode_png(png: bytes) -> np.ndarray:
    """PNG bytes as an RGBA float array (rows, columns, 4)."""
    return imread(io.BytesIO(png), format="png")


# ------------------------------------------------------------------------------------------- frame
def fit_frame(bounds: tuple[float, float, float, float], width: float,
              height: float) -> tuple[tuple[float, float, float, float], float]:
    """``bounds`` widened to the ``width``/``height`` ratio on the ground; also cos(mid-latitude)."""
    west, south, east, north = bounds
    cos_lat = math.cos(math.radians((south + north) / 2))
    ground_x, ground_y = (east - west) * cos_lat, north - south
    target = width / height
    if ground_x / ground_y < target:
        pad = (ground_y * target / cos_lat - (east - west)) / 2
        west, east = west - pad, east + pad
    else:
        pad = (ground_x / target - ground_y) / 2
        south, north = south - pad, north + pad
    return (west, south, east, north), cos_lat


def nice_length(km: float) -> float:
    """The largest 1, 2 or 5 × 10ⁿ not above ``km`` (a round scale-bar length)."""
    exponent = math.floor(math.log10(km))
    return max(step * 10**exponent for step in (1, 2, 5) if step * 10**exponent <= km)


def spread(xy: np.ndarray, distance: float, rounds: int = 100) -> np.ndarray:
    """Screen positions moved apart until no two are closer than ``distance`` (or ``rounds`` are done)."""
    xy = np.array(xy, dtype=float)
    _, same, counts = np.unique(xy.round(1), axis=0, return_inverse=True, return_counts=True)
    for group in np.flatnonzero(counts > 1):  # identical spots: start on a small ring, so each has a way out
        members = np.flatnonzero(same.ravel() == group)
        angles = math.pi / 2 + 2 * math.pi * np.arange(len(members)) / len(members)
        xy[members] += distance / 2 * np.column_stack([np.cos(angles), np.sin(angles)])
    for _ in range(rounds):
        delta = xy[:, None, :] - xy[None, :, :]
        gap = np.hypot(delta[..., 0], delta[..., 1])
        np.fill_diagonal(gap, np.inf)
        push = np.clip(distance - gap, 0, None)
        if not push.any():
            break
        xy += 0.5 * (push[..., None] * delta / np.maximum(gap, 1e-9)[..., None]).sum(axis=1)
    return xy


def _polygon_path(geometry: Any) -> MplPath:
    vertices, codes = [], []
    for polygon in getattr(geometry, "geoms", [geometry]):
        for ring in (polygon.exterior, *polygon.interiors):
            xy = np.asarray(ring.coords)[:, :2]
            vertices.append(xy)
            codes.append([MplPath.MOVETO, *[MplPath.LINETO] * (len(xy) - 2), MplPath.CLOSEPOLY])
    return MplPath(np.concatenate(vertices), np.concatenate(codes))


def _line_parts(geometry: Any) -> Iterable[np.ndarray]:
    for line in getattr(geometry, "geoms", [geometry]):
        yield np.asarray(line.coords)[:, :2]


# ------------------------------------------------------------------------------------------ drawing
class _Painter:
    """Draws one scene: holds the figure, the axes, the font and the scale of type."""

    def __init__(self, dataset: Dataset, scene: Scene, lang: str, size: tuple[int, int], dpi: int):
        self.dataset, self.scene, self.lang = dataset, scene, lang
        self.font_path = cjk_font_path()
        width, height = size
        # Sizes are points at 1600 × 1000 px and scale with the picture; ``dpi`` sets the printed size,
        # so a higher dpi means larger type relative to the map (a picture shown small on a slide).
        self.type_scale = min(width / 1600, height / 1000)
        self.figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, facecolor="white")
        self.canvas = FigureCanvasAgg(self.figure)
        pt = self.px(1)
        margin, footer = MARGIN_PT * pt, (NOTICE_PT + SOURCE_PT) * 1.6 * pt + MARGIN_PT * 0.6 * pt
        panel_width = PANEL_EMS * LEGEND_PT * pt
        map_width, map_height = width - panel_width - 3 * margin, height - footer - margin
        if map_width < width / 3 or map_height < height / 2:
            raise ExportError(f"a {width} × {height} px map at {dpi} dpi leaves no room for the map beside its "
                              "legend: use more pixels or a lower dpi")
        self.ax = self.figure.add_axes((margin / width, footer / height, map_width / width, map_height / height))
        self.panel = self.figure.add_axes(((width - margin - panel_width) / width, footer / height,
                                           panel_width / width, map_height / height))
        self.panel_px = (panel_width, map_height)
        self.footer_px, self.margin_px = footer, margin
        self.goals = dataset.goals.set_index("goal_id")
        self.features = scene_features(dataset, scene)
        self.mapped = self.features[self.features["mapped"]]
        self.frame, self.cos_lat = fit_frame(scene_bounds(dataset, scene, self.features), map_width, map_height)
        self.taken: dict[Any, list[Bbox]] = {self.ax: []}  # per axes: screen boxes labels must avoid
        self.inset: Any = None
        self.inset_positions: dict[Any, tuple[float, float]] = {}

    def px(self, points: float) -> float:
        """Pixels of a length given in reference points."""
        return points * self.type_scale * self.figure.dpi / 72

    def font(self, size: float, weight: str = "normal") -> font_manager.FontProperties:
        return font_properties(self.font_path, size * self.type_scale, weight)

    def halo(self, width: float = 3.0) -> list[withStroke]:
        return [withStroke(linewidth=width * self.type_scale, foreground="white")]

    def goal_color(self, goal: str) -> str:
        return str(self.goals.at[goal, "color"]) if goal in self.goals.index else INK

    def feature_color(self, row: pd.Series) -> str:
        goal = self.scene.goal if self.scene.kind == "goal" and self.scene.goal else row["goal"]
        return self.goal_color(goal)

    def goal_name(self, goal: str) -> str:
        return label({"zh": self.goals.at[goal, "name_zh"], "en": self.goals.at[goal, "name_en"]}, self.lang)

    # -- map
    @staticmethod
    def setup_axes(ax: Any, frame: tuple[float, float, float, float], edge: str = "#b8b8b8") -> None:
        west, south, east, north = frame
        ax.set_xlim(west, east)
        ax.set_ylim(south, north)
        ax.set_aspect("auto")
        ax.set_facecolor(BACKGROUND)
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_edgecolor(edge)

    def draw_map(self) -> None:
        self.setup_axes(self.ax, self.frame)
        self.draw_base(self.ax, self.frame, names=True)
        self.positions = self.spread_points(self.ax)
        self.draw_features(self.ax, self.positions)
        self.reserve_markers(self.ax, self.positions)
        self.draw_scale_bar()
        self.draw_north_arrow()
        self.draw_inset()
        self.draw_labels()

    def base_specs(self) -> tuple[list[Any], list[Any], list[Any]]:
        """(region polygons, district polygons, seat points) base-layer specs of the catalog."""
        regions, districts, seats = [], [], []
        for spec in self.dataset.catalog.base_layers:
            if any(kind.endswith("Point") for kind in spec.geometry):
                seats.append(spec)
            elif spec.extent == "region":
                regions.append(spec)
            else:
                districts.append(spec)
        return regions, districts, seats

    def district_bounds(self) -> tuple[float, float, float, float]:
        """The bounds of the district polygons (the catalog's district box when there are none)."""
        _, districts, _ = self.base_specs()
        frames = [self.dataset.layers[spec.id] for spec in districts if not self.dataset.layers[spec.id].empty]
        if not frames:
            return self.dataset.catalog.district_bbox
        bounds = np.array([frame.total_bounds for frame in frames])
        return (bounds[:, 0].min(), bounds[:, 1].min(), bounds[:, 2].max(), bounds[:, 3].max())

    def draw_base(self, ax: Any, frame: tuple[float, float, float, float], names: bool) -> None:
        regions, districts, seats = self.base_specs()
        frame_box = box(*frame)
        for spec in regions:
            for _, row in self.dataset.layers[spec.id].iterrows():
                ax.add_patch(PathPatch(_polygon_path(row.geometry), facecolor=spec.style.get("fill_color", "#eee"),
                                       edgecolor=spec.style.get("color", "#9a9a9a"),
                                       linewidth=0.8 * self.type_scale, zorder=1))
                if names and not row.get("is_beibei", False) and row.get("name"):
                    self.label_area(str(row["name"]), row.geometry, frame_box)
        for spec in districts:
            for _, row in self.dataset.layers[spec.id].iterrows():
                fill = spec.style.get("fill_color", "white")
                ax.add_patch(PathPatch(_polygon_path(row.geometry), facecolor=fill, zorder=2,
                                       edgecolor=spec.style.get("color", INK), linewidth=1.8 * self.type_scale))
                west, south, east, _ = row.geometry.bounds
                if names and row.get("name") and (east - west) < SMALL_DISTRICT * (frame[2] - frame[0]):
                    text = ax.annotate(str(row["name"]), ((west + east) / 2, south), xytext=(0, -4 * self.type_scale),
                                       textcoords="offset points", ha="center", va="top", color=INK, zorder=7,
                                       fontproperties=self.font(LABEL_PT, "bold"), path_effects=self.halo())
                    self.taken[ax].append(text.get_window_extent(self.canvas.get_renderer()))
        for spec in seats:
            points = self.dataset.layers[spec.id].geometry
            ax.scatter(points.x, points.y, s=14 * self.type_scale**2, color=spec.style.get("color", "#555"),
                       alpha=0.65, linewidths=0, zorder=3)

    def label_area(self, name: str, geometry: Any, frame_box: Any) -> None:
        """Name a neighbouring area in grey where enough of it is in the frame."""
        visible = geometry.intersection(frame_box.buffer(-0.04 * (self.frame[3] - self.frame[1])))
        if visible.is_empty or visible.area < 0.015 * frame_box.area:
            return
        point = visible.representative_point()
        text = self.ax.text(point.x, point.y, name, fontproperties=self.font(13), color="#9a9a9a", ha="center",
                            va="center", zorder=1.5)
        self.taken[self.ax].append(text.get_window_extent(self.canvas.get_renderer()))

    def marker(self, layer: str) -> str:
        order = [spec.id for spec in self.dataset.catalog.thematic_layers]
        return MARKERS[order.index(layer) % len(MARKERS)] if layer in order else "o"

    def spread_points(self, ax: Any) -> dict[Any, tuple[float, float]]:
        """Positions of point features, pushed apart where their markers would overlap."""
        rows = [(index, row.geometry) for index, row in self.mapped.iterrows() if row.geometry.geom_type == "Point"]
        if not rows:
            return {}
        screen = ax.transData.transform([(geometry.x, geometry.y) for _, geometry in rows])
        if len(rows) <= MAX_SPREAD:
            screen = spread(screen, self.marker_px() * 1.1)
        data = ax.transData.inverted().transform(screen)
        return {index: (float(x), float(y)) for (index, _), (x, y) in zip(rows, data, strict=True)}

    def draw_features(self, ax: Any, positions: dict[Any, tuple[float, float]]) -> None:
        scale = self.type_scale
        for index, row in self.mapped.iterrows():
            color = self.feature_color(row)
            approximate = row["location_precision"] in APPROXIMATE
            kind = row.geometry.geom_type
            if kind in ("Point", "MultiPoint"):
                points = [positions[index]] if index in positions else [(p.x, p.y) for p in row.geometry.geoms]
                face = to_rgba(color, 0.18) if approximate else color
                ax.scatter([p[0] for p in points], [p[1] for p in points], marker=self.marker(row["layer"]),
                           s=MARKER_SIZE * scale**2, facecolors=[face], edgecolors=[color if approximate else "white"],
                           linewidths=(2.2 if approximate else 1.2) * scale,
                           linestyles=(0, (2, 1.2)) if approximate else "solid", zorder=6)
            elif kind in ("LineString", "MultiLineString"):
                for xy in _line_parts(row.geometry):
                    ax.plot(xy[:, 0], xy[:, 1], color="white", linewidth=6 * scale, zorder=4, solid_capstyle="round")
                    ax.plot(xy[:, 0], xy[:, 1], color=color, linewidth=3.2 * scale, linestyle=DASHES, zorder=5)
                    ax.scatter(xy[[0, -1], 0], xy[[0, -1], 1], s=45 * scale**2, facecolors="white",
                               edgecolors=[color], linewidths=2 * scale, zorder=5.5)  # the known end points
            else:
                ax.add_patch(PathPatch(_polygon_path(row.geometry), facecolor=to_rgba(color, 0.12 if approximate
                                                                                       else 0.35),
                                       edgecolor=color, linewidth=1.6 * scale, linestyle="--" if approximate else "-",
                                       zorder=4))

    def draw_inset(self) -> None:
        """When the district is small in the frame (long routes), repeat it enlarged in the emptiest corner."""
        district = self.district_bounds()
        west, _, east, _ = self.frame
        if district[2] - district[0] >= SMALL_DISTRICT * (east - west):
            return
        to_data = self.ax.transAxes + self.ax.transData.inverted()
        taken = {*self.mapped.geometry, box(*district)}
        pad_x, pad_y = (district[2] - district[0]) * 0.06, (district[3] - district[1]) * 0.06
        padded = (district[0] - pad_x, district[1] - pad_y, district[2] + pad_x, district[3] + pad_y)
        main = self.ax.get_position()
        ground = (padded[2] - padded[0]) * self.cos_lat / (padded[3] - padded[1])
        height = INSET_HEIGHT
        width = min(height * main.height * self.figure.bbox.height * ground / (main.width * self.figure.bbox.width),
                    0.45)
        corners = ((0.91 - width, 0.97 - height), (0.03, 0.16), (0.03, 0.97 - height), (0.97 - width, 0.03))

        def crowding(corner: tuple[float, float]) -> int:
            (x0, y0), (x1, y1) = to_data.transform([corner, (corner[0] + width, corner[1] + height)])
            return sum(geometry.intersects(box(x0, y0, x1, y1)) for geometry in taken)

        corner = min(corners, key=crowding)  # the first of the emptiest (top-right, beside the arrow, first)
        rect = (main.x0 + corner[0] * main.width, main.y0 + corner[1] * main.height, width * main.width,
                height * main.height)
        inset = self.figure.add_axes(rect, zorder=10)
        frame, _ = fit_frame(padded, rect[2] * self.figure.bbox.width, rect[3] * self.figure.bbox.height)
        self.setup_axes(inset, frame, edge=INK)
        self.draw_base(inset, frame, names=False)
        self.inset_positions = self.spread_points(inset)
        self.draw_features(inset, self.inset_positions)
        renderer = self.canvas.get_renderer()
        self.taken[self.ax].append(inset.get_window_extent(renderer))
        self.inset, self.taken[inset] = inset, []
        self.reserve_markers(inset, self.inset_positions)
        self.ax.add_patch(Rectangle((frame[0], frame[1]), frame[2] - frame[0], frame[3] - frame[1], fill=False,
                                    edgecolor=INK, linewidth=0.9 * self.type_scale, linestyle=(0, (3, 2)), zorder=7))

    def marker_px(self) -> float:
        """The width of a place marker in pixels."""
        return self.px(math.sqrt(MARKER_SIZE))

    def reserve_markers(self, ax: Any, positions: dict[Any, tuple[float, float]]) -> None:
        """Keep labels off the places' markers."""
        half = self.marker_px() / 2
        for x, y in ax.transData.transform(list(positions.values()) or np.empty((0, 2))):
            self.taken[ax].append(Bbox([[x - half, y - half], [x + half, y + half]]))

    def draw_scale_bar(self) -> None:
        west, south, east, north = self.frame
        frame_km = (east - west) * self.cos_lat * KM_PER_DEGREE
        share = max(0.22, self.px(11) * 11 / self.ax.bbox.width)  # long enough for its three labels
        km = nice_length(frame_km * share)
        length = km / (KM_PER_DEGREE * self.cos_lat)
        x0, y0 = west + 0.04 * (east - west), south + 0.045 * (north - south)
        bar = 0.009 * (north - south)
        for part, fill in ((0, INK), (1, "white")):
            self.ax.add_patch(Rectangle((x0 + part * length / 2, y0), length / 2, bar, facecolor=fill,
                                        edgecolor=INK, linewidth=1.0 * self.type_scale, zorder=8))
        shown, renderer = f"{km:g}", self.canvas.get_renderer()
        extents = [Bbox(self.ax.transData.transform([(x0, y0), (x0 + length, y0 + bar)]))]
        for x, text in ((x0, "0"), (x0 + length / 2, f"{km / 2:g}"), (x0 + length, t("scale_km", self.lang, km=shown))):
            artist = self.ax.text(x, y0 + bar * 1.8, text, fontproperties=self.font(11), color=INK, ha="center",
                                  va="bottom", zorder=8)
            extents.append(artist.get_window_extent(renderer))
        pad = self.px(5)
        area = Bbox.union(extents).padded(pad)
        self.ax.add_patch(FancyBboxPatch((area.x0, area.y0), area.width, area.height, transform=IdentityTransform(),
                                         boxstyle=f"round,pad=0,rounding_size={pad}", facecolor="white", alpha=0.8,
                                         edgecolor="none", zorder=7.5))
        self.taken[self.ax].append(area)

    def draw_north_arrow(self) -> None:
        x, tail, tip = 0.955, 0.855, 0.935
        self.ax.annotate("", xy=(x, tip), xytext=(x, tail), xycoords="axes fraction", zorder=8,
                         arrowprops={"arrowstyle": "-|>", "color": INK, "linewidth": 2.2 * self.type_scale,
                                     "mutation_scale": 26 * self.type_scale})
        self.ax.text(x, tip + 0.008, t("north", self.lang), transform=self.ax.transAxes, fontproperties=self.font(15,
                     "bold"), color=INK, ha="center", va="bottom", zorder=8, path_effects=self.halo())
        west, south, east, north = self.frame
        self.reserve(Bbox([[west + 0.92 * (east - west), south + 0.84 * (north - south)], [east, north]]))

    def reserve(self, data_box: Bbox) -> None:
        self.taken[self.ax].append(Bbox(self.ax.transData.transform(data_box.get_points())))

    def draw_labels(self) -> None:
        highlight = [fid for fid in self.scene.highlight if fid in set(self.mapped["id"])]
        if not highlight:
            return
        renderer = self.canvas.get_renderer()
        for fid in highlight:
            index = self.mapped.index[self.mapped["id"] == fid][0]
            row = self.mapped.loc[index]
            if index in self.inset_positions:  # named where it is legible: in the enlarged inset
                self.place_label(self.inset, self.label_text(row), self.inset_positions[index], renderer)
                continue
            if index in self.positions:
                self.place_label(self.ax, self.label_text(row), self.positions[index], renderer)
                continue
            anchor = row.geometry if row.geometry.geom_type.endswith("Point") else (
                row.geometry.interpolate(0.5, normalized=True) if "Line" in row.geometry.geom_type
                else row.geometry.representative_point())
            anchor = getattr(anchor, "geoms", [anchor])[0]
            self.place_label(self.ax, self.label_text(row), (anchor.x, anchor.y), renderer)

    def label_text(self, row: pd.Series) -> str:
        return row["name"] + (f"\n{row['name_en']}" if self.lang == "en" and row["name_en"] else "")

    def place_label(self, ax: Any, text: str, xy: tuple[float, float], renderer: Any) -> None:
        """Put a haloed label next to ``xy`` where it overlaps no earlier label and stays inside ``ax``."""
        axes_box, taken = ax.get_window_extent(renderer), self.taken[ax]
        gap = 11 * self.type_scale
        options = [((gap, gap * 0.4), "left", "bottom"), ((gap, -gap * 0.4), "left", "top"),
                   ((-gap, gap * 0.4), "right", "bottom"), ((-gap, -gap * 0.4), "right", "top"),
                   ((0, gap * 1.4), "center", "bottom"), ((0, -gap * 1.4), "center", "top")]
        font = self.font(LABEL_PT * (0.85 if ax is self.inset else 1), "bold")
        best, best_score = None, None
        for offset, ha, va in options:
            artist = ax.annotate(text, xy, xytext=offset, textcoords="offset points", ha=ha, va=va, fontproperties=font,
                                 color="#1f1f1f", zorder=9, path_effects=self.halo(3.5), annotation_clip=False)
            extent = artist.get_window_extent(renderer).expanded(1.04, 1.1)
            clash = sum(extent.overlaps(other) for other in taken)
            outside = not (axes_box.contains(extent.x0, extent.y0) and axes_box.contains(extent.x1, extent.y1))
            score = clash * 2 + outside * 3
            if best_score is None or score < best_score:
                if best is not None:
                    best[0].remove()
                best, best_score = (artist, extent), score
            else:
                artist.remove()
            if score == 0:
                break
        if best is not None:
            taken.append(best[1])

    # -- legend panel and footer
    def legend_rows(self, size: float) -> list[tuple[str, str, list[str]]]:
        """(kind, colour, wrapped lines) of the legend at ``size`` pt."""
        columns = int((self.panel_px[0] - self.px(2.6 * size)) / self.px(size / 2))
        rows = [(kind, color, wrap_text(text, columns)) for kind, color, text in self.legend_entries()]
        unmapped = int((~self.features["mapped"]).sum())
        if unmapped:
            rows.append(("note", MUTED, wrap_text(t("unmapped_title", self.lang, n=unmapped), columns + 2)))
        return rows

    @staticmethod
    def rows_height(rows: list[tuple[str, str, list[str]]]) -> float:
        """Height of the legend in ems of its text (title included)."""
        heights = {"heading": 2.0, "note": 1.0}
        return 2.4 + sum(heights.get(kind, 1.75) + 1.2 * (len(lines) - 1) for kind, _, lines in rows)

    def draw_panel(self) -> None:
        panel = self.panel
        width, height = self.panel_px
        panel.set_xlim(0, width)
        panel.set_ylim(0, height)
        panel.axis("off")
        scale = 1.0  # shrink the legend until it fits the panel
        while scale > 0.55 and self.rows_height(self.legend_rows(LEGEND_PT * scale)) * self.px(
                LEGEND_PT * scale) > height:
            scale -= 0.05
        size = LEGEND_PT * scale
        em = self.px(size)
        y = height
        panel.text(0, y, t("legend", self.lang), fontproperties=self.font(size * 1.4, "bold"), color=INK, va="top")
        y -= 2.4 * em
        for kind, color, lines in self.legend_rows(size):
            if kind == "heading":
                y -= 0.5 * em
                panel.text(0, y - 0.6 * em, lines[0], fontproperties=self.font(size, "bold"), color=MUTED,
                           va="center")
                y -= 1.5 * em
                continue
            if kind == "note":
                y -= 0.4 * em
                panel.text(0, y, "\n".join(lines), fontproperties=self.font(size * 0.92), color=MUTED, va="top")
                continue
            extra = 1.2 * (len(lines) - 1)
            middle = y - (1.75 + extra) * em / 2
            self.legend_symbol(kind, color, middle, em, scale)
            panel.text(2.6 * em, middle, "\n".join(lines), fontproperties=self.font(size), color=INK, va="center",
                       linespacing=1.2)
            y -= (1.75 + extra) * em

    def legend_symbol(self, kind: str, color: str, y: float, em: float, scale: float) -> None:
        """Draw the symbol of a legend row centred at height ``y`` (panel pixels)."""
        panel, s = self.panel, self.type_scale * scale
        x = 1.1 * em
        if kind.startswith("marker:"):
            panel.scatter([x], [y], marker=kind.split(":", 1)[1], s=MARKER_SIZE * s**2, facecolors=[color],
                          edgecolors=["white"], linewidths=1.2 * s)
        elif kind == "approximate":
            panel.scatter([x], [y], marker="o", s=MARKER_SIZE * s**2, facecolors=[to_rgba(color, 0.18)],
                          edgecolors=[color], linewidths=2.2 * s, linestyles=(0, (2, 1.2)))
        elif kind == "line":
            panel.plot([x - em, x + em], [y, y], color=color, linewidth=3.2 * s, linestyle=(0, (3, 2)))
        elif kind == "seat":
            panel.scatter([x], [y], s=14 * s**2, color=color, alpha=0.65, linewidths=0)
        elif kind.startswith("area:"):
            edge = kind.split(":", 1)[1]
            panel.add_patch(Rectangle((x - em, y - 0.45 * em), 2 * em, 0.9 * em, facecolor=color, edgecolor=edge,
                                      linewidth=(1.8 if edge == INK else 0.8) * s))

    def legend_entries(self) -> list[tuple[str, str, str]]:
        """(symbol kind, colour, text) lines of the legend; kind "heading" starts a section."""
        mapped = self.mapped
        entries: list[tuple[str, str, str]] = []
        goal_scene = self.scene.kind == "goal" and self.scene.goal in self.goals.index
        goals = [self.scene.goal] if goal_scene else [g for g in self.goals.index if g in set(mapped["goal"])]
        if goals:
            entries.append(("heading", "", t("legend_goals", self.lang)))
            entries += [("marker:o", self.goal_color(g), self.goal_name(g)) for g in goals]
        layer_color = self.goal_color(self.scene.goal) if goal_scene else "#6b6b6b"
        layers = [spec for spec in self.dataset.catalog.thematic_layers if spec.id in set(mapped["layer"])]
        if layers:
            entries.append(("heading", "", t("legend_layers", self.lang)))
        for spec in layers:
            rows = mapped[mapped["layer"] == spec.id]
            lines = rows.geometry.geom_type.str.contains("Line").all()
            kind = "line" if lines else f"marker:{self.marker(spec.id)}"
            entries.append((kind, layer_color, spec.name(self.lang)))
        entries.append(("heading", "", t("basemap", self.lang)))
        regions, districts, seats = self.base_specs()
        entries += [(f"area:{INK}", spec.style.get("fill_color", "white"), spec.name(self.lang)) for spec in districts]
        entries += [(f"area:{spec.style.get('color', '#9a9a9a')}", spec.style.get("fill_color", "#eee"),
                     spec.name(self.lang)) for spec in regions]
        entries += [("seat", spec.style.get("color", "#555"), t("legend_seat", self.lang)) for spec in seats]
        if mapped["location_precision"].isin(APPROXIMATE).any():
            entries.append(("approximate", layer_color, t("legend_approximate", self.lang)))
        lines = mapped.geometry.geom_type.str.contains("Line")
        if (lines & mapped["schematic"].astype(bool)).any():
            entries.append(("line", "#6b6b6b", t("legend_schematic", self.lang)))
        return entries

    def draw_footer(self) -> None:
        width, height = self.figure.bbox.width, self.figure.bbox.height
        left, pt = self.margin_px / width, self.px(1)
        self.figure.text(left, (self.footer_px - MARGIN_PT * 0.2 * pt - NOTICE_PT * 0.7 * pt) / height,
                         t("map_notice", self.lang), fontproperties=self.font(NOTICE_PT, "bold"), color=INK,
                         va="center")
        self.figure.text(left, (SOURCE_PT * 0.55 + MARGIN_PT * 0.25) * pt / height, t("map_sources", self.lang),
                         fontproperties=self.font(SOURCE_PT), color=MUTED, va="center")

    def png(self) -> bytes:
        self.draw_map()
        self.draw_panel()
        self.draw_footer()
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=self.figure.dpi, facecolor="white")
        return buffer.getvalue()


def _width(char: str) -> int:
    return 2 if ord(char) > 0x2E80 else 1


def wrap_text(text: str, width: int) -> list[str]:
    """Wrap ``text`` to ``width`` columns (CJK characters count two; English breaks at spaces)."""
    lines, line, size = [], "", 0
    for word in _tokens(text):
        word_size = sum(_width(c) for c in word)
        if line and size + word_size > width:
            lines.append(line.rstrip())
            line, size = word.lstrip(), sum(_width(c) for c in word.lstrip())
        else:
            line, size = line + word, size + word_size
    if line:
        lines.append(line.rstrip())
    return lines or [""]


def _tokens(text: str) -> list[str]:
    """Break points: every CJK character alone, Latin words with their leading space."""
    tokens: list[str] = []
    for char in text:
        if _width(char) == 2 or not tokens or _width(tokens[-1][-1]) == 2 or char == " ":
            tokens.append(char)
        else:
            tokens[-1] += char
    return tokens


def render_scene_png(dataset: Dataset, scene: Scene, lang: str = "zh", size: tuple[int, int] = (1600, 1000),
                     dpi: int = 100) -> bytes:
    """A static PNG map of ``scene``: base map, its places in goal colours, labels, legend, scale and notice."""
    return _Painter(dataset, scene, lang, size, dpi).png()
