"""Review-meeting scenes (``scenes.toml``): the order of the talk, as data, checked like every other file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beibei_geo.errors import Problem

SCENE_KINDS = ("overview", "goal", "summary")
EXTENTS = ("fit", "district")
MIN_INDICATORS, MAX_INDICATORS = 3, 5


@dataclass(frozen=True)
class Scene:
    """One scene of the review: what the map shows, the figures in large type, what to say."""

    id: str
    kind: str
    title_zh: str
    title_en: str
    caption_zh: str
    caption_en: str
    indicators: tuple[str, ...]
    goal: str | None = None
    extent: str | tuple[float, float, float, float] = "fit"
    layers: tuple[str, ...] = ()
    highlight: tuple[str, ...] = ()
    notes_zh: str = ""
    notes_en: str = ""

    def text(self, name: str, lang: str) -> str:
        """``title``/``caption``/``notes`` in ``lang``."""
        return getattr(self, f"{name}_{'en' if lang == 'en' else 'zh'}")


@dataclass(frozen=True)
class Presentation:
    """The scenes in order and the date the figures stand at."""

    scenes: tuple[Scene, ...]
    data_date_zh: str
    data_date_en: str = ""
    problems: tuple[Problem, ...] = field(default=(), compare=False)

    def data_date(self, lang: str) -> str:
        return self.data_date_en if lang == "en" and self.data_date_en else self.data_date_zh


@dataclass(frozen=True)
class SceneContext:
    """What scene ids may refer to: goals, thematic layers, feature ids and indicator ids."""

    goals: set[str]
    layers: set[str]
    features: set[str]
    indicators: set[str]


def read_scenes(path: Path, label: str, context: SceneContext) -> Presentation:
    """Read and check ``scenes.toml``; every problem is in ``Presentation.problems`` (never raised)."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Presentation((), "", problems=(Problem(label, "-", "file-missing", f"no file at {path}"),))
    except UnicodeDecodeError as exc:
        return Presentation((), "", problems=(Problem(label, "-", "encoding", f"not UTF-8 ({exc.reason})"),))
    except tomllib.TOMLDecodeError as exc:
        return Presentation((), "", problems=(Problem(label, "-", "toml-syntax", str(exc)),))
    problems: list[Problem] = []
    entries = raw.get("scene", [])
    if not isinstance(entries, list) or not entries:
        problems.append(Problem(label, "-", "missing-value", "declare at least one [[scene]]"))
        entries = []
    date_zh = raw.get("data_date_zh")
    if not isinstance(date_zh, str) or not date_zh.strip():
        problems.append(Problem(label, "-", "missing-value", "data_date_zh (when the figures stand) is required"))
        date_zh = ""
    scenes, seen = [], set()
    for number, entry in enumerate(entries, start=1):
        scene = _scene(entry, number, label, context, problems)
        if scene is None:
            continue
        if scene.id in seen:
            problems.append(Problem(label, f"scene {number} ({scene.id})", "duplicate-id",
                                    f"scene id {scene.id!r} appears twice"))
        seen.add(scene.id)
        scenes.append(scene)
    return Presentation(tuple(scenes), date_zh, str(raw.get("data_date_en", "")), tuple(problems))


def _strings(entry: dict[str, Any], key: str, where: str, label: str, problems: list[Problem]) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(Problem(label, where, "bad-type", f"{key} must be a list of ids, got {value!r}"))
        return ()
    return tuple(value)


def _unknown(values: tuple[str, ...], allowed: set[str], key: str, rule: str, where: str, label: str,
             problems: list[Problem]) -> None:
    bad = [v for v in values if v not in allowed]
    if bad:
        shown = ", ".join(sorted(allowed)) if len(allowed) <= 12 else f"{len(allowed)} known ids"
        problems.append(Problem(label, where, rule, f"{key} {', '.join(bad)} not found (allowed: {shown})"))


def _extent(value: Any, where: str, label: str, problems: list[Problem]) -> str | tuple[float, float, float, float]:
    if value in EXTENTS:
        return value
    numbers = isinstance(value, list) and len(value) == 4 and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    if numbers and -180 <= value[0] < value[2] <= 180 and -90 <= value[1] < value[3] <= 90:
        return tuple(float(v) for v in value)  # type: ignore[return-value]
    problems.append(Problem(label, where, "bad-extent",
                            f"extent must be 'fit', 'district' or [lon_min, lat_min, lon_max, lat_max], got {value!r}"))
    return "fit"


def _scene(entry: Any, number: int, label: str, context: SceneContext, problems: list[Problem]) -> Scene | None:
    if not isinstance(entry, dict):
        problems.append(Problem(label, f"scene {number}", "bad-type", "each [[scene]] must be a table"))
        return None
    where = f"scene {number}" + (f" ({entry['id']})" if isinstance(entry.get("id"), str) else "")
    texts = {}
    for key in ("id", "kind", "title_zh", "title_en", "caption_zh", "caption_en"):
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem(label, where, "missing-value", f"{key} must be non-empty text"))
            value = ""
        texts[key] = value
    if texts["kind"] and texts["kind"] not in SCENE_KINDS:
        problems.append(Problem(label, where, "bad-value",
                                f"kind {texts['kind']!r} is not one of: {', '.join(SCENE_KINDS)}"))
    goal = entry.get("goal")
    if texts["kind"] == "goal" and goal not in context.goals:
        problems.append(Problem(label, where, "unknown-goal",
                                f"goal {goal!r} is not one of: {', '.join(sorted(context.goals))}"))
    indicators = _strings(entry, "indicators", where, label, problems)
    if not MIN_INDICATORS <= len(indicators) <= MAX_INDICATORS:
        problems.append(Problem(label, where, "bad-value",
                                f"give {MIN_INDICATORS}–{MAX_INDICATORS} indicators, got {len(indicators)}"))
    _unknown(indicators, context.indicators, "indicators", "unknown-indicator", where, label, problems)
    layers = _strings(entry, "layers", where, label, problems)
    _unknown(layers, context.layers, "layers", "unknown-layer", where, label, problems)
    highlight = _strings(entry, "highlight", where, label, problems)
    _unknown(highlight, context.features, "highlight", "unknown-feature", where, label, problems)
    notes = {key: entry.get(key, "") for key in ("notes_zh", "notes_en")}
    for key, value in notes.items():
        if not isinstance(value, str):
            problems.append(Problem(label, where, "bad-type", f"{key} must be text"))
            notes[key] = ""
    return Scene(id=texts["id"], kind=texts["kind"], title_zh=texts["title_zh"], title_en=texts["title_en"],
                 caption_zh=texts["caption_zh"], caption_en=texts["caption_en"], indicators=indicators,
                 goal=goal if isinstance(goal, str) else None,
                 extent=_extent(entry.get("extent", "fit"), where, label, problems), layers=layers,
                 highlight=highlight, **notes)
