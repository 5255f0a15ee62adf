"""How many stances each number rests on, and why the others were left out.

The stance table keeps every stance, excluded ones with ``exclude_reason`` (one or more reasons joined by "; ",
each with its measured values: "stance time 0.710 s outside [0.1, 0.5] s"). A reader needs them counted by kind,
not by value: 27 stances "outside [0.1, 0.5] s" is one finding, not 13 bars of 0.690, 0.700, 0.710 s. A kind is
the reason with its numbers taken out; it reads as the reason with each number that varies within the kind given
as its range ("pelvis data filled for 0.010-0.210 s (> 0.007 s)").

Table convention: one row per stance with ``subject``, ``condition``, ``excluded`` (bool) and ``exclude_reason``.
"""

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


def excluded_by_kind(stances: pd.DataFrame) -> pd.Series:
    """Excluded stances per kind of reason (``reason_kinds``: a stance with two reasons counts
    under both), commonest first."""
    excluded = stances["excluded"].astype(bool)
    return reason_kinds(stances.loc[excluded, "exclude_reason"] if "exclude_reason" in stances else [""] * int(excluded.sum()))


def kinds_sentence(counts: pd.Series, *, first: int = 3) -> str:
    """``counts`` (``excluded_by_kind``) as "27 stance time outside [0.1, 0.5] s, 5 contact cut by ...", the
    ``first`` commonest kinds and how many stances the rest hold."""
    shown = [f"{n} {kind}" for kind, n in counts.head(first).items()]
    rest = int(counts.iloc[first:].sum())
    return ", ".join(shown + ([f"{rest} for {len(counts) - first} other reason(s)"] if rest else []))


def stance_counts(stances: pd.DataFrame, *, keys: tuple[str, ...] = ("subject", "condition")) -> pd.DataFrame:
    """Per ``keys``: ``n_stances``, ``n_included``, ``n_excluded`` and ``excluded_pct`` (%)."""
    groups = stances.assign(excluded=stances["excluded"].astype(bool)).groupby(list(keys), sort=True)
    counts = groups.agg(n_stances=("excluded", "size"), n_excluded=("excluded", "sum"))
    counts["n_included"] = counts["n_stances"] - counts["n_excluded"]
    counts["excluded_pct"] = 100.0 * counts["n_excluded"] / counts["n_stances"]
    return counts.reset_index()[[*keys, "n_stances", "n_included", "n_excluded", "excluded_pct"]]
