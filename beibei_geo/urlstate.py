"""The view in the URL: parse query parameters into a selection (with notices for bad values) and back."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from beibei_geo.dataset import Dataset
from beibei_geo.filters import Selection
from beibei_geo.i18n import DEFAULT_LANG, LANGS
from beibei_geo.join import townships

#: Query parameter → Selection field. ``q`` is the search text, ``lang`` the language.
LIST_PARAMS = {"goal": "goals", "layers": "layers", "town": "towns", "status": "statuses"}
MAX_TEXT = 100


@dataclass(frozen=True)
class Notice:
    """A URL value that was ignored: an i18n key and what to format it with."""

    key: str
    values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ViewState:
    """What a link reproduces: the filters and the language."""

    selection: Selection = field(default_factory=Selection)
    lang: str = DEFAULT_LANG


@dataclass(frozen=True)
class Allowed:
    """The values each URL parameter may take; 街镇 codes are accepted and turned into names."""

    goals: tuple[str, ...]
    layers: tuple[str, ...]
    towns: dict[str, str]
    statuses: tuple[str, ...]

    @classmethod
    def from_dataset(cls, dataset: Dataset) -> Allowed:
        table = townships(dataset)
        towns = {name: name for name in table["name"]} | dict(zip(table["code"], table["name"], strict=True))
        return cls(tuple(dataset.goal_ids), tuple(spec.id for spec in dataset.catalog.thematic_layers), towns,
                   tuple(dataset.catalog.status))


def _clean(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def _values(params: Mapping[str, str | list[str]], name: str) -> list[str]:
    raw = params.get(name, "")
    joined = ",".join(raw) if isinstance(raw, list) else str(raw)
    return [_clean(v) for v in joined.replace("，", ",").split(",") if _clean(v)]


def parse_view(params: Mapping[str, str | list[str]], allowed: Allowed) -> tuple[ViewState, list[Notice]]:
    """Read ``goal, layers, town, status, q, lang``; unknown values are dropped with a `Notice` each."""
    notices = []
    chosen: dict[str, tuple[str, ...]] = {}
    options = {"goal": allowed.goals, "layers": allowed.layers, "town": allowed.towns, "status": allowed.statuses}
    for param, attribute in LIST_PARAMS.items():
        values = _values(params, param)
        good = [v for v in values if v in options[param]]
        bad = [v for v in values if v not in options[param]]
        if bad:
            notices.append(Notice("notice_unknown_value", {"param": param, "values": ", ".join(bad)[:200]}))
        if param == "town":
            good = [allowed.towns[v] for v in good]
        chosen[attribute] = tuple(dict.fromkeys(good))
    text = _clean(str(params.get("q", "") or ""))[:MAX_TEXT]
    lang = _clean(str(params.get("lang", "") or "")) or DEFAULT_LANG
    if lang not in LANGS:
        notices.append(Notice("notice_unknown_lang", {"value": lang[:50]}))
        lang = DEFAULT_LANG
    return ViewState(Selection(text=text, **chosen), lang), notices


def to_query(state: ViewState) -> dict[str, str]:
    """The query parameters of ``state``, leaving out everything at its default."""
    query = {param: ",".join(getattr(state.selection, attribute)) for param, attribute in LIST_PARAMS.items()}
    query["q"] = state.selection.text
    query["lang"] = "" if state.lang == DEFAULT_LANG else state.lang
    return {key: value for key, value in query.items() if value}
