"""Exclusion reasons grouped into their kinds: the stance table writes each reason with its own numbers ("pelvis
data filled for 0.035 s (> 0.007 s) in the stance"), so that a run with 13 fill durations has 13 different
reasons of one kind. A kind is the reason with its numbers taken out; it reads as the reason with each number
that varies within the kind given as its range ("filled for 0.010-0.210 s (> 0.007 s)")."""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

#: a number standing as a word of its own ("0.035", "[0.1,", "-2"), not a digit inside a name ("S01", "c3d")
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?![\w.]*[A-Za-z_])")
#: the dash between the ends of a range of numbers
RANGE_DASH = "\u2013"


def split_reasons(reasons: Iterable[str]) -> pd.Series:
    """Every single reason of ``reasons`` (a stance's reasons are joined by "; "); an empty one reads "no reason
    given"."""
    split = pd.Series(list(reasons), dtype=object).fillna("").astype(str).str.split(";").explode().str.strip()
    return split.replace("", "no reason given").reset_index(drop=True)


def reason_kind(reason: str) -> str:
    """The reason with every number replaced by "#": the key its kind is grouped by."""
    return _NUMBER.sub("#", reason)


def _kind_label(reasons: list[str]) -> str:
    """The reasons of one kind in one line: each number that differs between them as its range."""
    numbers = [_NUMBER.findall(r) for r in reasons]
    parts = _NUMBER.split(reasons[0])
    label = parts[0]
    for k, text in enumerate(parts[1:]):
        written = {n[k] for n in numbers}
        if len(written) == 1:
            label += written.pop()
        else:
            low, high = min(written, key=float), max(written, key=float)
            label += f"{low}{RANGE_DASH}{high}"
        label += text
    return label


def reason_kinds(reasons: Iterable[str]) -> pd.Series:
    """Stances per kind of reason, most first: ``reasons`` are the ``exclude_reason`` of the excluded stances (one
    with two reasons counts under both); the index is the kind's label (``_kind_label``)."""
    single = split_reasons(reasons)
    if single.empty:
        return pd.Series(dtype=int, name="stances")
    kinds = single.map(reason_kind)
    labels = {kind: _kind_label(sorted(set(members))) for kind, members in single.groupby(kinds)}
    counts = kinds.value_counts()
    return pd.Series(counts.to_numpy(), index=[labels[k] for k in counts.index], name="stances")
