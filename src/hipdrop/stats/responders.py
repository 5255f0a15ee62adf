"""Responders: which runners changed pelvic drop by more than their own measurement noise (docs/science.md section 10).

A runner's change under a condition is the difference of its condition and baseline means over its included
stances; it is called a change when it exceeds the minimal detectable change (MDC95) built from the runner's own
stride-to-stride spread, and from its trial-to-trial spread where it ran a condition more than once.

Table convention: one row per stance with ``subject``, ``condition``, ``trial``, ``side`` (L/R), ``excluded``
(bool) and the metric column (deg); a stance counts when it is not excluded and its metric is finite.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

RESPONDER_COLUMNS = [
    "subject", "condition", "metric", "n_baseline", "n_condition", "change_deg", "se_change_deg", "mdc95_deg",
    "mdc_source", "responder", "reason",
]
IMPROVED, WORSENED, UNCHANGED, NOT_ASSESSABLE = "improved", "worsened", "unchanged", "not assessable"
#: responder classes and the column each gets in ``responder_counts``
CLASS_COLUMNS = {IMPROVED: "improved", UNCHANGED: "unchanged", WORSENED: "worsened", NOT_ASSESSABLE: "not_assessable"}
STRIDE_SOURCE = "stride-to-stride"
TRIAL_SOURCE = "stride-to-stride and trial-to-trial"
#: a condition mean needs at least this many included stances before its spread means anything (an SD needs 2)
MIN_STANCES = 2


class _Stances(NamedTuple):
    """One runner's included stances of one condition: the metric (deg) and integer codes of side and trial."""
    values: np.ndarray
    side: np.ndarray
    trial: np.ndarray

    def on_sides(self, sides: np.ndarray) -> _Stances:
        keep = np.isin(self.side, sides)
        return _Stances(self.values[keep], self.side[keep], self.trial[keep])


def _condition_mean(stances: _Stances) -> tuple[float, float, float]:
    """Side-balanced mean (deg), its stride-based SE (deg) and its trial-based SE (deg, NaN with one trial).

    ``stances`` holds one runner's included stances of one condition, on the sides compared. In numpy, not with
    pandas' groupbys: it runs once per runner and condition, and a groupby's fixed cost per call would dominate an
    archive's responder table (benchmarks/archive.py times the statistics).
    """
    values = stances.values
    _, side = np.unique(stances.side, return_inverse=True)
    _, trial = np.unique(stances.trial, return_inverse=True)
    n_side = np.bincount(side).astype(float)
    side_means = np.bincount(side, weights=values) / n_side
    # mean of the side means: docs/science.md section 3 measured left/right asymmetries of 2 vs 6 deg (a static offset),
    # so a plain mean over stances would turn an unequal L/R count (exclusions) into a spurious change
    mean = float(side_means.mean())
    k = len(n_side)
    # stride-to-stride spread within trial and side, pooled: neither the L/R offset nor a trial shift is stride noise
    _, cell = np.unique(trial * k + side, return_inverse=True)
    deviations = values - (np.bincount(cell, weights=values) / np.bincount(cell))[cell]
    df_within = len(values) - (cell.max() + 1)
    var_within = float((deviations**2).sum()) / df_within if df_within > 0 else np.nan
    # variance of a mean of k side means, each over n_s stances: var / k^2 * sum(1 / n_s)
    se_stride = float(np.sqrt(var_within * np.sum(1.0 / n_side)) / k)
    se_trial = np.nan
    trials = trial.max() + 1
    if trials > 1:
        # trial means of side-centred stances, so trials holding different L/R mixes stay comparable
        centred = values - side_means[side]
        trial_means = np.bincount(trial, weights=centred) / np.bincount(trial)
        se_trial = float(trial_means.std(ddof=1) / np.sqrt(trials))
    return mean, se_stride, se_trial


def _too_few(base: _Stances, cond: _Stances, where: str = "") -> str:
    """Reason a runner is not assessable for want of stances, or "" when both conditions hold enough."""
    short = [f"{n} included {name} stance{'s' if n != 1 else ''}"
             for name, n in (("baseline", len(base.values)), ("condition", len(cond.values))) if n < MIN_STANCES]
    return " and ".join(short) + f"{where} (need {MIN_STANCES})" if short else ""


def _assess(base: _Stances, cond: _Stances, z: float, has_baseline: bool) -> dict:
    """One responder row (without subject/condition/metric) from a runner's included stances of two conditions."""
    row = {"n_baseline": len(base.values), "n_condition": len(cond.values), "change_deg": np.nan,
           "se_change_deg": np.nan, "mdc95_deg": np.nan, "mdc_source": "", "responder": NOT_ASSESSABLE, "reason": ""}
    if not has_baseline:
        row["reason"] = "no baseline stances"
        return row
    reason = _too_few(base, cond)
    # compare like with like: only sides with included stances in both conditions
    sides = np.intersect1d(base.side, cond.side)
    if len(sides):
        base, cond = base.on_sides(sides), cond.on_sides(sides)
        row["n_baseline"], row["n_condition"] = len(base.values), len(cond.values)
        mean_b, stride_b, trial_b = _condition_mean(base)
        mean_c, stride_c, trial_c = _condition_mean(cond)
        row["change_deg"] = mean_c - mean_b
        reason = reason or _too_few(base, cond, " on the sides present in both conditions")
    elif not reason:
        reason = "no side with included stances in both conditions"
    if reason:
        row["reason"] = reason
        return row
    # trial-to-trial variation is real error for a within-session change, but the SD of 2-3 trial means rests on
    # 1-2 df and can land below the stride-based SE by chance, so the larger of the two stands for each condition
    se_b, se_c = np.fmax(stride_b, trial_b), np.fmax(stride_c, trial_c)
    if not (np.isfinite(se_b) and np.isfinite(se_c)):
        row["reason"] = "no stride-to-stride spread: a single stance per trial and side, in a single trial"
        return row
    se = float(np.sqrt(se_b**2 + se_c**2))
    mdc = z * se
    uses_trials = (np.isfinite(trial_b) and trial_b > stride_b) or (np.isfinite(trial_c) and trial_c > stride_c)
    # NaN stride SE beside a finite trial SE (1 stance per trial and side) counts as trial-based too
    uses_trials = uses_trials or not (np.isfinite(stride_b) and np.isfinite(stride_c))
    change = row["change_deg"]
    # positive CPD is drop of the other side (docs/science.md section 3): less drop, a negative change, is improvement
    responder = IMPROVED if change < -mdc else WORSENED if change > mdc else UNCHANGED
    row.update(se_change_deg=se, mdc95_deg=mdc, mdc_source=TRIAL_SOURCE if uses_trials else STRIDE_SOURCE,
               responder=responder)
    return row


def responder_table(stances: pd.DataFrame, *, baseline: str, metric: str = "cpd_peak_deg", z: float = 1.96) -> pd.DataFrame:
    """Classify each runner's change from ``baseline`` under every other condition against its own MDC95.

    Parameters
    ----------
    stances : pandas.DataFrame
        One row per stance with ``subject``, ``condition``, ``trial``, ``side``, ``excluded`` and ``metric``.
        Only included stances (``excluded`` False, finite metric) are used.
    baseline : str
        The reference condition.
    metric : str, default "cpd_peak_deg"
        Stance metric in degrees.
    z : float, default 1.96
        Normal quantile of the MDC; 1.96 gives the 95 % MDC (the column keeps the name ``mdc95_deg``).

    Returns
    -------
    pandas.DataFrame
        One row per runner and condition other than baseline that the runner ran (a stance in the table,
        included or not; a condition it never ran gets no row), sorted, with
        ``RESPONDER_COLUMNS``: ``n_baseline``, ``n_condition`` (included stances on the compared sides),
        ``change_deg`` (condition minus baseline mean, deg; negative = less drop), ``se_change_deg`` (deg),
        ``mdc95_deg`` (deg), ``mdc_source`` ("stride-to-stride" or "stride-to-stride and trial-to-trial"),
        ``responder`` ("improved", "worsened", "unchanged" or "not assessable") and ``reason`` (why not
        assessable; empty otherwise). ``change_deg`` is given where both means exist even when the runner is not
        assessable.

    Raises
    ------
    ValueError
        When a required column is missing. A ``baseline`` that is no condition of ``stances`` (a task none of whose
        runners has a baseline trial, or a misspelt name) makes every row not assessable, the reason naming the
        conditions there are, as ``hipdrop.stats.rm_anova`` and ``hipdrop.stats.models`` make their rows not
        estimable: one task without a baseline must not stop a study's other tasks.

    Notes
    -----
    Rule (docs/science.md section 10): ``change = mean_condition - mean_baseline``,
    ``SE_change = sqrt(SE_baseline^2 + SE_condition^2)`` with ``SE = s / sqrt(n)`` from the stride-to-stride SD
    ``s`` of ``n`` stances, ``MDC95 = z * SE_change``; "improved" when ``change < -MDC95``, "worsened" when
    ``change > MDC95``, else "unchanged". Not assessable: no baseline stances, fewer than 2 included stances in
    either condition, or no stride spread at all.

    Why this form and not Weir's ``MDC95 = 1.96 * sqrt(2) * SEM`` (Weir 2005, J Strength Cond Res 19:231): that
    form is for the difference of two single scores, each carrying one SEM, with the SEM from a separate
    reliability study. Here each condition score is the mean of 20-80 strides measured in the session itself, so
    its error is ``s / sqrt(n)``; using ``1.96 * sqrt(2) * s`` would treat each condition as one stride and
    overstate the MDC about sqrt(n)-fold (6-fold for the ~40 strides per side of a 30 s trial, section 3).
    ``sqrt(s1^2/n1 + s2^2/n2)`` is the same ``sqrt(2)``-SEM idea applied to means of many strides, without
    assuming equal spread in the two conditions.

    Details:

    - Sides: each condition mean is the mean of its side means, over the sides with included stances in both
      conditions, and ``s`` is pooled within trial and side, so a runner's left/right offset (2 vs 6 deg in
      section 3) neither enters the spread nor, through unequal L/R counts, the change. Its SE is
      ``s / k * sqrt(sum_side 1 / n_side)`` for ``k`` sides (``s / sqrt(n)`` for one side).
    - Trials: where a condition holds more than one trial, the SE of the mean of its trial means (SD of the
      trial means of side-centred stances over sqrt(n_trials)) replaces the stride-based SE when larger; it
      already contains the stride noise, and the maximum guards against an SD of 2-3 trial means that lands low
      by chance. ``mdc_source`` says when it was used.
    - ``z`` is a normal quantile: fine for stride-based SEs on 20+ strides (t_0.975 on 40 df is 2.02), optimistic
      for trial-based SEs on 1-2 df (t_0.975 on 1 df is 12.7), so read trial-based calls with care.
    - The MDC covers within-session noise only: markers were not re-applied between conditions, so a
      between-day MDC (which also holds marker placement) would be larger.
    """
    missing = {"subject", "condition", "trial", "side", "excluded", metric} - set(stances.columns)
    if missing:
        raise ValueError(f"responder_table: stance table lacks columns {sorted(missing)}; pass the stances table of the pipeline")
    conditions = set(stances["condition"])
    no_baseline = "" if baseline in conditions else (
        f"the baseline condition {baseline!r} is not in the stances; conditions: {sorted(map(str, conditions))}")
    has_rows = set(zip(stances["subject"], stances["condition"]))
    included = stances[~stances["excluded"].astype(bool) & np.isfinite(stances[metric].astype(float))]
    # sides and trials as integer codes (a missing label is a label too), each runner's stances as numpy arrays
    values, side, trial = (included[metric].to_numpy(float),
                           *(pd.factorize(included[c], use_na_sentinel=False)[0] for c in ("side", "trial")))
    groups = {key: _Stances(values[at], side[at], trial[at])
              for key, at in included.groupby(["subject", "condition"], sort=False).indices.items()}
    empty = _Stances(values[:0], side[:0], trial[:0])
    rows = []
    for subject in sorted(set(stances["subject"])):
        base = groups.get((subject, baseline), empty)
        for condition in sorted(conditions - {baseline}):
            if (subject, condition) not in has_rows:
                continue  # a runner who never ran the condition gets no verdict on it, not even "not assessable"
            cond = groups.get((subject, condition), empty)
            row = _assess(base, cond, z, has_baseline=(subject, baseline) in has_rows)
            row["reason"] = no_baseline or row["reason"]
            rows.append({"subject": subject, "condition": condition, "metric": metric, **row})
    return pd.DataFrame(rows, columns=RESPONDER_COLUMNS)


def responder_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Number of runners in each responder class, per metric and condition.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of ``responder_table`` (or several concatenated, one per metric).

    Returns
    -------
    pandas.DataFrame
        Columns ``metric``, ``condition``, ``improved``, ``unchanged``, ``worsened``, ``not_assessable`` (counts
        of runners, zero when a class is empty) and ``n_runners`` (their sum).
    """
    counts = (table.groupby(["metric", "condition"])["responder"].value_counts().unstack("responder")
              .reindex(columns=list(CLASS_COLUMNS), fill_value=0).fillna(0).astype(int)
              .rename(columns=CLASS_COLUMNS))
    counts.columns.name = None
    counts["n_runners"] = counts.sum(axis=1)
    return counts.reset_index()
