"""How many stances each number rests on, and why the others were left out.

The stance table keeps every stance, excluded ones with ``exclude_reason`` (one or more reasons joined by "; ",
each with its measured values: "stance time 0.710 s outside [0.1, 0.5] s"). A reader needs them counted by kind,
not by value: 27 stances "outside [0.1, 0.5] s" is one finding, not 13 bars of 0.690, 0.700, 0.710 s.

Table convention: one row per stance with ``subject``, ``condition``, ``excluded`` (bool) and ``exclude_reason``.
"""

from __future__ import annotations

import pandas as pd

from hipdrop.reasons import reason_kinds


def excluded_by_kind(stances: pd.DataFrame) -> pd.Series:
    """Excluded stances per kind of reason (``hipdrop.reasons.reason_kinds``: a stance with two reasons counts
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
    """Per ``keys``: ``n_stances``, ``n_included``, ``n_excluded``, ``excluded_pct`` (%) and ``main_reason`` (the
    commonest kind of exclusion; "" when none was excluded or the table has no ``exclude_reason``)."""
    groups = stances.assign(excluded=stances["excluded"].astype(bool)).groupby(list(keys), sort=True)
    counts = groups.agg(n_stances=("excluded", "size"), n_excluded=("excluded", "sum"))
    counts["n_included"] = counts["n_stances"] - counts["n_excluded"]
    counts["excluded_pct"] = 100.0 * counts["n_excluded"] / counts["n_stances"]
    counts["main_reason"] = [next(iter(excluded_by_kind(rows).index), "") for _, rows in groups]
    return counts.reset_index()[[*keys, "n_stances", "n_included", "n_excluded", "excluded_pct", "main_reason"]]
