"""Per-runner summaries of the stance table: one row per subject x condition x metric.

A stance table has one row per stance (columns ``subject``, ``condition``, ``trial``, ``side``, ``excluded`` and
the metrics). Averaging a runner's strides per condition is the first step of the analysis the published papers
use (subject means, then a repeated-measures ANOVA; docs/science.md section 6), and the stride-to-stride SD is what a
responder call needs (docs/science.md section 10).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hipdrop.config import schema_default
from hipdrop.kernels.arms import ARM_METRICS
from hipdrop.kernels.foot import FOOT_METRICS

#: the metrics summarised by default; arm swing is absent from tables of marker sets without wrist markers
#: the other arm measures (crossover, elbow angle, thorax-pelvis rotation, arm-leg phase) follow, where measured
#: and the foot's progression and strike angles (hipdrop.kernels.foot), where the feet were measured
SUBJECT_METRICS = ("cpd_peak_deg", "cpd_excursion_deg", "cadence_spm", "arm_swing_mm", *ARM_METRICS, *FOOT_METRICS)
SUBJECT_COLUMNS = [
    "subject", "condition", "metric", "n_included", "n_excluded", "n_values", "mean", "sd", "median",
    "baseline_mean", "change_from_baseline", "few_stances",
]
_KEYS = ["subject", "condition"]


def subject_table(
    stances: pd.DataFrame, *, baseline: str, metrics: tuple[str, ...] = SUBJECT_METRICS,
    min_stances: int = schema_default("stats.min_stances"),
) -> pd.DataFrame:
    """Mean, stride-to-stride SD and median of each metric per runner and condition, and the change from baseline.

    Parameters
    ----------
    stances : pandas.DataFrame
        One row per stance with columns ``subject``, ``condition``, ``excluded`` (bool) and the metrics.
    baseline : str
        The condition each runner's change is measured from.
    metrics : tuple of str, optional
        Metric columns to summarise; those not in ``stances`` (e.g. ``arm_swing_mm`` without arm markers) are
        skipped.
    min_stances : int, default config ``stats.min_stances``
        Fewest values behind a trustworthy mean; fewer are flagged, not dropped.

    Returns
    -------
    pandas.DataFrame
        One row per subject x condition (every pair with at least one stance, included or not) x metric, sorted by
        subject, condition and then the order of ``metrics``, with columns

        - ``subject``, ``condition``, ``metric``
        - ``n_included``: stances of that runner and condition not excluded (whether or not the metric is finite)
        - ``n_excluded``: stances with ``excluded`` True (whether or not the metric is finite)
        - ``n_values``: included stances with a finite value of the metric; the statistics below use only these
        - ``mean``, ``sd`` (ddof=1, the stride-to-stride variability; NaN with fewer than 2 values), ``median``,
          in the metric's unit (deg, steps/min, mm)
        - ``baseline_mean``: the runner's own ``mean`` in ``baseline`` (NaN when that runner has no baseline
          values)
        - ``change_from_baseline``: ``mean - baseline_mean`` in the metric's unit; NaN when the runner has no
          baseline values; 0.0 on the baseline row itself when it has values
        - ``few_stances``: True when ``n_values`` is under ``min_stances`` (a mean and SD of 2-9 strides are
          uncertain: the error of peak obliquity stays under 1.5 deg only from 5-10 cycles, docs/science.md section 3)

    Notes
    -----
    ``cadence_spm`` is per step in the stance table (60 / step time, docs/science.md section 5), and its mean here is
    the mean of the per-step cadences as they are. That is not the same as 60 / mean step time (which
    ``hipdrop.stats.design.manipulation_check`` reports): by Jensen's inequality the mean of 60 / step time is at
    least 60 / mean step time, by about ``cadence x CV^2`` (0.2 steps/min at 170 steps/min and a 3 % step-time
    CV). Changes from baseline are nearly unaffected, since both conditions carry a similar bias.

    Examples
    --------
    >>> import pandas as pd
    >>> stances = pd.DataFrame({"subject": "A", "condition": ["base", "base", "fast"], "excluded": False,
    ...                         "cpd_peak_deg": [6.0, 8.0, 5.0]})
    >>> table = subject_table(stances, baseline="base")
    >>> table[["condition", "mean", "change_from_baseline"]].to_dict("list")
    {'condition': ['base', 'fast'], 'mean': [7.0, 5.0], 'change_from_baseline': [0.0, -2.0]}
    """
    missing = {"subject", "condition", "excluded"} - set(stances.columns)
    if missing:
        raise KeyError(f"subject_table: the stance table lacks column(s) {sorted(missing)}; pass the stance table "
                       "written by the stances stage (one row per stance)")
    # an arm measure of kernels.arms that no stance has (no arm markers, or only single-leg tasks) gets no rows
    present = [m for m in dict.fromkeys(metrics) if m in stances.columns
               and (m not in ARM_METRICS or stances[m].notna().any())]
    excluded = stances["excluded"].astype(bool)
    counts = (stances.assign(n_included=~excluded, n_excluded=excluded)
              .groupby(_KEYS, observed=True, sort=True)[["n_included", "n_excluded"]].sum().astype(int))
    if not present or counts.empty:
        return pd.DataFrame(columns=SUBJECT_COLUMNS)

    long = stances.loc[~excluded, [*_KEYS, *present]].melt(id_vars=_KEYS, var_name="metric", value_name="value")
    long["value"] = pd.to_numeric(long["value"], errors="coerce")
    # inf is no more a measurement than NaN (a 0 s step gives an infinite cadence)
    long = long[np.isfinite(long["value"])]
    summary = long.groupby([*_KEYS, "metric"], observed=True)["value"].agg(
        n_values="size", mean="mean", sd=lambda v: v.std(ddof=1), median="median")

    # every runner x condition with a stance gets a row per metric, even without a value: the counts say why
    grid = pd.MultiIndex.from_tuples([(*key, m) for key in counts.index for m in present],
                                     names=[*_KEYS, "metric"])
    table = summary.reindex(grid).reset_index()
    table["n_values"] = table["n_values"].fillna(0).astype(int)
    table = table.merge(counts.reset_index(), on=_KEYS, how="left")

    base = table.loc[table["condition"] == baseline, ["subject", "metric", "mean"]]
    table = table.merge(base.rename(columns={"mean": "baseline_mean"}), on=["subject", "metric"], how="left")
    table["change_from_baseline"] = table["mean"] - table["baseline_mean"]
    table["few_stances"] = table["n_values"] < min_stances
    # exactly 0.0 on the baseline row (x - x is 0.0 for finite x anyway); NaN stays NaN when there are no values
    on_base = (table["condition"] == baseline) & np.isfinite(table["mean"])
    table.loc[on_base, "change_from_baseline"] = 0.0

    order = {m: i for i, m in enumerate(present)}
    by_metric_order = lambda column: column.map(order) if column.name == "metric" else column
    table = table.sort_values(["subject", "condition", "metric"], key=by_metric_order)
    return table[SUBJECT_COLUMNS].reset_index(drop=True)
