"""Filtering features by a selection (goal, layer, 街镇, status, text): pure functions of the selection."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Selection:
    """What the user asked to see. Empty tuples and "" mean "no restriction"."""

    goals: tuple[str, ...] = ()
    layers: tuple[str, ...] = ()
    towns: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    text: str = ""


#: The selection that keeps everything.
EVERYTHING = Selection()


def normalise_text(text: str) -> str:
    """Fold full-width characters, case and surrounding spaces so searches and joins match."""
    return unicodedata.normalize("NFKC", str(text)).strip().casefold()


def goal_table(features: pd.DataFrame) -> pd.DataFrame:
    """A boolean column per goal id, True where the row serves that goal (``features`` rows, same index)."""
    goals = features["goals"].explode().dropna()
    return pd.get_dummies(goals, dtype=bool).groupby(level=0).any().reindex(index=features.index, fill_value=False)


def filter_features(features: pd.DataFrame, selection: Selection, town_names: pd.Series | None = None,
                    goals: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows of ``features`` matching every part of ``selection`` (a new frame; the input is unchanged); the
    arguments are those of `selection_mask`."""
    return features[selection_mask(features, selection, town_names, goals)]


def selection_mask(features: pd.DataFrame, selection: Selection, town_names: pd.Series | None = None,
                   goals: pd.DataFrame | None = None) -> pd.Series:
    """True for the rows of ``features`` matching every part of ``selection`` (a boolean Series, same index).

    ``town_names`` gives each row's 街镇 name (see `join.township_names`); without it the raw
    ``township`` column is matched, so a selection may name a 街镇 by name or by code. ``goals`` is the
    `goal_table` of these rows or of a frame holding them, when it was computed once beforehand.
    """
    keep = pd.Series(True, index=features.index)
    if selection.goals:
        goals = goal_table(features) if goals is None else goals.reindex(features.index)
        keep &= goals[[g for g in selection.goals if g in goals.columns]].any(axis=1)
    if selection.layers:
        keep &= features["layer"].isin(selection.layers)
    if selection.towns:
        towns = features["township"] if town_names is None else town_names
        keep &= towns.isin(selection.towns) | features["township"].isin(selection.towns)
    if selection.statuses:
        keep &= features["status"].isin(selection.statuses)
    needle = normalise_text(selection.text)
    if needle:
        haystack = (features["name"].fillna("") + "\n" + features["name_en"].fillna("") + "\n"
                    + features["description"].fillna("")).map(normalise_text)
        keep &= haystack.str.contains(needle, regex=False)
    return keep
