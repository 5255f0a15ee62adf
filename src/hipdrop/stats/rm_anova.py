"""Condition effects from subject means: the repeated-measures ANOVA of the published papers (docs/science.md section 6).

Bramah et al. (2019) and the studies like it average each runner's strides per condition, run a one-way
repeated-measures ANOVA over the conditions and compare each condition with baseline by paired t-tests. This module
does that, as the comparison for the mixed model of ``hipdrop.stats.models`` (the stronger analysis, which uses
every stride): same row layout, ``analysis`` "rm-anova".

- The ANOVA needs a balanced design: it runs on the runners who have a subject mean in every analysed condition
  (the baseline and every estimable condition) and names the runners it dropped. Sphericity is not assumed:
  the Greenhouse-Geisser corrected p is reported next to the uncorrected one.
- Each condition is compared with baseline on the runners who have both (paired t, n - 1 df), with Holm's
  correction across the conditions, the mean change with its SE and CI, and Cohen's d_z with a noncentral-t CI.

No number without the data behind it: a condition that fewer than ``min_subjects`` runners have together with the
baseline gets NaN numbers, ``estimable`` False and the reason; a change that is identical in every runner keeps
its estimate (SE 0, a CI of width 0) but no d_z, and says so.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pingouin
from scipy import optimize, stats

from hipdrop.config import schema_default
from hipdrop.stats.models import effect_term, holm
from hipdrop.stats.subjects import subject_table

RM_ANOVA = "rm-anova"
RM_EFFECT_COLUMNS = [
    "metric", "term", "estimate_deg", "se_deg", "ci_low", "ci_high", "p", "p_holm", "model", "n_subjects", "n_stances",
    "analysis", "effect_size_dz", "dz_ci_low", "dz_ci_high", "estimable", "reason",
]
#: a spread of the paired changes below this share of the size of the subject means is floating-point noise, not
#: between-runner variation: means of a few hundred stances carry ~1e-15 relative rounding, which would otherwise
#: turn "every runner changed by exactly 1.5 deg" into t ~ 1e15 and a d_z of the same size
ZERO_SPREAD_RTOL = 1e-9
NO_SPREAD = "no between-runner variation of the change"


def _runners(n: int) -> str:
    return f"{n} runner{'' if n == 1 else 's'}"


def subject_means(stances: pd.DataFrame, *, metric: str, baseline: str) -> pd.DataFrame:
    """Subject means of ``metric`` over the included stances with a finite value.

    Returns
    -------
    pandas.DataFrame
        columns subject, condition, mean (the metric's unit), n_values (the stances behind the mean); only
        runner x condition pairs with at least one value.
    """
    table = subject_table(stances, baseline=baseline, metrics=(metric,))
    table = table[table["n_values"] > 0]
    return table[["subject", "condition", "mean", "n_values"]].reset_index(drop=True)


def runners_without_baseline(stances: pd.DataFrame, *, baseline: str, metric: str | None = None) -> list[str]:
    """The runners with included stances but none in ``baseline`` (sorted): they are left out of paired comparisons.

    With ``metric``, a stance counts only with a finite value of that metric, as in ``rm_anova_effects``.
    """
    kept = stances[~stances["excluded"].astype(bool)]
    if metric is not None:
        values = pd.to_numeric(kept[metric], errors="coerce") if metric in kept else pd.Series(np.nan, kept.index)
        kept = kept[np.isfinite(values)]
    with_baseline = set(kept.loc[kept["condition"] == baseline, "subject"])
    return sorted(set(kept["subject"]) - with_baseline)


def dz_confidence_interval(t: float, n: int, *, alpha: float = schema_default("stats.alpha")) -> tuple[float, float]:
    """Confidence interval of Cohen's d_z from a paired t statistic on ``n`` runners (noncentral t).

    Parameters
    ----------
    t : float
        The paired t statistic (mean change over its SE).
    n : int
        Runners (paired changes); the t has n - 1 df.
    alpha : float, default config ``stats.alpha``
        1 - the confidence level.

    Returns
    -------
    tuple of float
        (low, high) limits of d_z; (NaN, NaN) when ``t`` is not finite or ``n`` < 2.

    Notes
    -----
    ``t`` has a noncentral t distribution with n - 1 df and noncentrality ``delta = d_z * sqrt(n)``. The limits
    for delta are the noncentrality parameters under which the observed ``t`` is the 1 - alpha/2 and the alpha/2
    quantile (Steiger & Fouladi 1997, in Harlow et al., What if there were no significance tests?, 221-257;
    Cumming & Finch 2001, Educ Psychol Meas 61:532; as MBESS' ``conf.limits.nct``, Kelley 2007, J Stat Softw
    20(8)); dividing by sqrt(n) gives the limits for d_z. Found with Brent's method on
    ``P(T <= t | delta) = nct.sf(-t, df, -delta)`` (T is -T' with T' noncentral t of noncentrality -delta):
    scipy's (Boost's) ``nct.cdf`` returns NaN over wide stretches of delta where the probability is near 0 or 1
    (t = -27 on 3 df: every delta from 0.26 |t| to beyond 3 |t|, crossed by the bracket), its ``sf`` of the
    mirrored arguments stayed finite over all of them (t in [-1e4, 1e4], 1-199 df). Agrees with a quadrature of
    the CDF conditioned on the normal numerator to 1e-12 for |t| <= 100 and to 3e-9 relative at |t| = 1e4, where
    Boost's tail carries ~1e-9 absolute error (tests/unit/stats/test_rm_anova.py).
    """
    if not (np.isfinite(t) and n >= 2):
        return np.nan, np.nan
    df = n - 1

    def limit(prob: float) -> float:
        # P(T <= t | delta) falls as delta grows: widen a bracket around t until it holds the root
        gap = lambda delta: stats.nct.sf(-t, df, -delta) - prob
        width = 1.0
        for _ in range(60):
            low, high = t - width, t + width
            f_low, f_high = gap(low), gap(high)
            if np.isfinite(f_low) and np.isfinite(f_high) and f_low > 0 > f_high:
                return optimize.brentq(gap, low, high, xtol=1e-12, rtol=1e-12)
            width *= 2
        return np.nan

    return limit(1 - alpha / 2) / np.sqrt(n), limit(alpha / 2) / np.sqrt(n)


def paired_effect(after: np.ndarray, before: np.ndarray, *, alpha: float = schema_default("stats.alpha")) -> dict:
    """Paired comparison of subject means ``after`` against ``before`` (same runners, same order).

    Returns
    -------
    dict
        estimate (mean change, the metric's unit), se (SD of the changes / sqrt(n)), ci_low, ci_high (t with n - 1
        df, level 1 - alpha), t, p (two-sided), dz (mean / SD of the changes), dz_ci_low, dz_ci_high
        (``dz_confidence_interval``), note ("" or why d_z or p is missing).

    Notes
    -----
    When every runner changed by the same amount (SD of the changes within ``ZERO_SPREAD_RTOL`` of the size of the
    means) the estimate stands with SE 0 and a CI of width 0, p is 0 (t is infinite; undefined, so NaN, when the
    change is also 0) and d_z is NaN: dividing by a zero SD says nothing about the runners.
    """
    after, before = np.asarray(after, float), np.asarray(before, float)
    diff = after - before
    n = diff.size
    if n < 2:
        raise ValueError(f"paired_effect: {n} paired runner(s); a paired t needs at least 2")
    estimate, sd = float(diff.mean()), float(diff.std(ddof=1))
    scale = float(max(np.abs(after).max(), np.abs(before).max()))
    df = n - 1
    quantile = stats.t.ppf(1 - alpha / 2, df)
    if sd <= ZERO_SPREAD_RTOL * scale:
        no_change = abs(estimate) <= ZERO_SPREAD_RTOL * scale
        note = NO_SPREAD + (" and no change at all: t and p undefined" if no_change else "") + "; d_z not defined"
        return {"estimate": estimate, "se": 0.0, "ci_low": estimate, "ci_high": estimate,
                "t": np.nan if no_change else np.copysign(np.inf, estimate), "p": np.nan if no_change else 0.0,
                "dz": np.nan, "dz_ci_low": np.nan, "dz_ci_high": np.nan, "note": note}
    se = sd / np.sqrt(n)
    t = estimate / se
    dz_low, dz_high = dz_confidence_interval(t, n, alpha=alpha)
    return {"estimate": estimate, "se": se, "ci_low": estimate - quantile * se, "ci_high": estimate + quantile * se,
            "t": t, "p": float(2 * stats.t.sf(abs(t), df)), "dz": estimate / sd, "dz_ci_low": dz_low,
            "dz_ci_high": dz_high, "note": ""}


@dataclass
class RmAnova:
    """A one-way repeated-measures ANOVA over conditions on balanced subject means, or why there is none."""

    conditions: list[str]
    subjects: list[str] = field(default_factory=list)  # the runners with every condition, analysed
    dropped: list[str] = field(default_factory=list)  # runners with some of the conditions but not all of them
    f: float = np.nan
    df1: int = 0
    df2: int = 0
    p_unc: float = np.nan
    eps_gg: float = np.nan  # Greenhouse-Geisser epsilon, in [1 / (k - 1), 1]
    p_gg: float = np.nan
    reason: str = ""  # "" when F was computed

    def sentence(self) -> str:
        """The ANOVA in one sentence for the ``model`` column."""
        dropped = f", dropped {', '.join(self.dropped)}" if self.dropped else ""
        where = (f"over {len(self.conditions)} conditions ({', '.join(self.conditions)}) on "
                 f"{_runners(len(self.subjects))} with all of them{dropped}")
        if self.reason:
            return f"rm-ANOVA on subject means not computed ({self.reason})"
        return (f"rm-ANOVA on subject means {where}: F({self.df1}, {self.df2}) = {self.f:.3g}, "
                f"GG epsilon {self.eps_gg:.3f}, p_GG {self.p_gg:.3g} (uncorrected p {self.p_unc:.3g})")


def condition_anova(means: pd.DataFrame, *, conditions: list[str],
                    min_subjects: int = schema_default("stats.min_subjects")) -> RmAnova:
    """One-way repeated-measures ANOVA of subject means over ``conditions``, Greenhouse-Geisser corrected.

    Parameters
    ----------
    means : pandas.DataFrame
        Subject means, columns subject, condition, mean (one row per runner and condition, as ``subject_means``).
    conditions : list of str
        The conditions compared (at least 2).
    min_subjects : int, default config ``stats.min_subjects``
        The fewest runners with every condition for which an F is reported.

    Notes
    -----
    Runs ``pingouin.rm_anova(..., correction=True, detailed=True)`` on the runners with a mean in every condition
    (a repeated-measures ANOVA needs complete cases); F and the uncorrected p are the classical ones (statsmodels'
    ``AnovaRM`` gives the same). With 2 conditions sphericity holds trivially: epsilon is 1 and p_GG the
    uncorrected p. With no subject-by-condition variation (every runner changed by the same amounts) F is not
    defined and ``reason`` says so.
    """
    means = means[means["condition"].isin(conditions) & np.isfinite(means["mean"])]
    complete = means.groupby("subject")["condition"].nunique()
    subjects = sorted(complete.index[complete == len(conditions)])
    dropped = sorted(set(means["subject"]) - set(subjects))
    result = RmAnova(conditions=list(conditions), subjects=subjects, dropped=dropped)
    if len(conditions) < 2:
        result.reason = f"{len(conditions)} estimable condition(s); at least 2 are needed"
        return result
    if len(subjects) < max(min_subjects, 2):
        result.reason = (f"{_runners(len(subjects))} with all of {', '.join(conditions)}; at least "
                         f"{max(min_subjects, 2)} are needed")
        return result
    data = means[means["subject"].isin(subjects)].astype({"subject": str, "condition": str})
    wide = data.pivot(index="subject", columns="condition", values="mean").to_numpy()
    # the subject-by-condition residuals, computed directly: pingouin's error SS is a difference of large sums of
    # squares whose rounding (~1e-16 x sum of y^2) can pass for real variation and give F ~ 1e15
    residual = wide - wide.mean(axis=1, keepdims=True) - wide.mean(axis=0, keepdims=True) + wide.mean()
    if np.abs(residual).max() <= ZERO_SPREAD_RTOL * np.abs(wide).max():
        result.reason = ("no subject-by-condition variation: every runner changed by the same amounts, F is "
                         "not defined")
        return result
    with warnings.catch_warnings():
        # pingouin uses pandas APIs that pandas 3 deprecates
        warnings.simplefilter("ignore")
        table = pingouin.rm_anova(data=data, dv="mean", within="condition", subject="subject", correction=True,
                                  detailed=True)
    effect, error = table.iloc[0], table.iloc[1]
    result.df1, result.df2 = int(effect["DF"]), int(error["DF"])
    result.f, result.p_unc = float(effect["F"]), float(effect["p_unc"])
    result.eps_gg = float(effect["eps"]) if "eps" in effect and np.isfinite(effect["eps"]) else 1.0
    # pingouin leaves out p_GG_corr for 2 conditions, where epsilon is 1 and the correction changes nothing
    result.p_gg = float(effect["p_GG_corr"]) if "p_GG_corr" in effect else result.p_unc
    return result


def _not_estimable(metric: str, condition: str, reason: str, n_subjects: int, n_stances: int) -> dict:
    return {"metric": metric, "term": effect_term(condition), "estimate_deg": np.nan, "se_deg": np.nan, "ci_low": np.nan,
            "ci_high": np.nan, "p": np.nan, "p_holm": np.nan, "model": "", "n_subjects": n_subjects,
            "n_stances": n_stances, "analysis": RM_ANOVA, "effect_size_dz": np.nan, "dz_ci_low": np.nan,
            "dz_ci_high": np.nan, "estimable": False, "reason": reason}


def rm_anova_effects(
    stances: pd.DataFrame, *, metric: str, baseline: str, min_subjects: int = schema_default("stats.min_subjects"),
    alpha: float = schema_default("stats.alpha"),
) -> pd.DataFrame:
    """Effect of each condition against ``baseline`` on ``metric`` from subject means: rm-ANOVA and paired t-tests.

    Parameters
    ----------
    stances : pandas.DataFrame
        One row per stance: subject, condition, excluded (bool) and ``metric``.
    metric : str
        The column analysed, e.g. ``cpd_peak_deg``.
    baseline : str
        The reference condition.
    min_subjects : int, default config ``stats.min_subjects``
        The fewest runners with a condition and the baseline for which that condition is estimated (at least 2).
    alpha : float, default config ``stats.alpha``
        1 - the confidence level of the CIs; the t-tests are two-sided.

    Returns
    -------
    pandas.DataFrame
        One row per condition other than ``baseline`` (sorted), columns ``RM_EFFECT_COLUMNS``:

        - ``metric``, ``term`` (``condition[<name>]``)
        - ``estimate_deg``, ``se_deg``, ``ci_low``, ``ci_high``: the mean paired change from baseline over the
          runners with both, its SE and 1 - alpha CI (t, n - 1 df), in the metric's unit (deg for the pelvic-drop
          metrics; the names match ``hipdrop.stats.models.EFFECT_COLUMNS``)
        - ``p`` (paired t), ``p_holm`` (Holm across the conditions with a p)
        - ``model``: the rm-ANOVA (F, df, GG epsilon, p_GG, the runners dropped for balance) and the paired test
        - ``n_subjects``: runners with this condition and a baseline; ``n_stances``: their included stances with a
          finite ``metric`` in the two conditions
        - ``analysis`` ("rm-anova"); ``effect_size_dz``, ``dz_ci_low``, ``dz_ci_high``: Cohen's d_z (mean / SD of
          the changes) and its noncentral-t CI (``dz_confidence_interval``)
        - ``estimable`` (bool) and ``reason``: "" when estimable, except that an estimable change that is the
          same in every runner keeps its estimate and carries the reason its d_z is NaN

    Notes
    -----
    Subject means are the means of the included stances with a finite value (``subject_table``). Runners without
    a baseline (``runners_without_baseline``) are left out of the paired comparisons. The ANOVA is run over the
    baseline and the estimable conditions only, so that one runner's extra condition does not take everyone else
    out of the balanced set. Compared with the mixed model, subject means weigh every runner alike whatever their
    number of strides, and ignore side; with a few runners the two should agree on the direction and roughly the
    size of each effect.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = [{"subject": s, "condition": c, "excluded": False, "cpd_peak_deg": 6.0 + i - d}
    ...         for i, s in enumerate("ABCD") for c, d in (("base", 0.0), ("fast", 1.0 + 0.1 * i))]
    >>> rm_anova_effects(pd.DataFrame(rows), metric="cpd_peak_deg", baseline="base")["estimate_deg"].round(2).tolist()
    [-1.15]
    """
    if min_subjects < 2:
        raise ValueError(f"rm_anova_effects: min_subjects={min_subjects}; a paired t needs at least 2 runners")
    conditions = sorted(set(stances["condition"]) - {baseline})
    if metric not in stances.columns:
        reason = f"{metric} is not in the stance table"
        return pd.DataFrame([_not_estimable(metric, c, reason, 0, 0) for c in conditions], columns=RM_EFFECT_COLUMNS)
    means = subject_means(stances, metric=metric, baseline=baseline)
    wide = means.pivot(index="subject", columns="condition", values="mean")
    counts = means.pivot(index="subject", columns="condition", values="n_values").fillna(0)
    if baseline not in wide.columns:
        reason = f"the baseline condition {baseline!r} has no included stances with a finite {metric}"
        return pd.DataFrame([_not_estimable(metric, c, reason, 0, 0) for c in conditions], columns=RM_EFFECT_COLUMNS)

    rows, paired = {}, {}
    for condition in conditions:
        both = wide.index[wide[baseline].notna() & wide[condition].notna()] if condition in wide else wide.index[:0]
        n_stances = int(counts.loc[both, [baseline, condition]].to_numpy().sum()) if len(both) else 0
        if len(both) < min_subjects:
            rows[condition] = _not_estimable(
                metric, condition, f"{_runners(len(both))} {'has' if len(both) == 1 else 'have'} both {condition} "
                f"and {baseline}; at least {min_subjects} are needed", len(both), n_stances)
            continue
        effect = paired_effect(wide.loc[both, condition], wide.loc[both, baseline], alpha=alpha)
        paired[condition] = effect
        rows[condition] = {
            "metric": metric, "term": effect_term(condition), "estimate_deg": effect["estimate"], "se_deg": effect["se"],
            "ci_low": effect["ci_low"], "ci_high": effect["ci_high"], "p": effect["p"], "p_holm": np.nan,
            "model": "", "n_subjects": len(both), "n_stances": n_stances, "analysis": RM_ANOVA,
            "effect_size_dz": effect["dz"], "dz_ci_low": effect["dz_ci_low"], "dz_ci_high": effect["dz_ci_high"],
            "estimable": True, "reason": effect["note"],
        }

    anova = condition_anova(means, conditions=[baseline, *paired], min_subjects=min_subjects)
    tested = [c for c in paired if np.isfinite(rows[c]["p"])]
    if tested:
        for condition, adjusted in zip(tested, holm([rows[c]["p"] for c in tested])):
            rows[condition]["p_holm"] = float(adjusted)
    for condition in paired:
        df = rows[condition]["n_subjects"] - 1
        rows[condition]["model"] = (f"{anova.sentence()}; paired t vs {baseline} with {df} df, Holm across "
                                    f"{len(tested)} condition{'' if len(tested) == 1 else 's'}")
    return pd.DataFrame([rows[c] for c in conditions], columns=RM_EFFECT_COLUMNS)
