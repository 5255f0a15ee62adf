"""Condition effects on pelvic drop from all stances: a linear mixed model (science.md section 6).

Strides are nested in trials nested in subjects. The model is ``metric ~ condition + side`` with a random
intercept and random condition slopes per subject and trials as a variance component (Tirrell et al. 2018,
J Biomech 69:34). When that cannot be estimated (few subjects, or no between-subject variation at all) the
next simpler model is fitted and named in the ``model`` column, never silently.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.multitest import multipletests

EFFECT_COLUMNS = ["metric", "term", "estimate_deg", "se_deg", "ci_low", "ci_high", "p", "p_holm", "model", "n_subjects", "n_stances"]


def _term(condition: str) -> str:
    return f"condition[{condition}]"


def _fits(data: pd.DataFrame, metric: str, baseline: str):
    """Candidate fits, from the fullest model down; yields (name, fitted result)."""
    fixed = f"{metric} ~ C(condition, Treatment({baseline!r})) + C(side)"
    vc = {"trial": "0 + C(trial_key)"} if data.groupby(["subject", "condition"])["trial_key"].nunique().max() > 1 else None
    candidates = [
        ("mixed: random intercept + condition slopes per subject" + (", trial variance component" if vc else ""),
         dict(re_formula=f"~C(condition, Treatment({baseline!r}))", vc_formula=vc)),
        ("mixed: random intercept per subject" + (", trial variance component" if vc else ""), dict(vc_formula=vc)),
    ]
    for name, kwargs in candidates:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = smf.mixedlm(fixed, data, groups=data["subject"], **kwargs).fit(reml=True, method=["lbfgs", "powell"])
            bse = fit.bse_fe
            if fit.converged and np.isfinite(bse).all() and (bse > 0).all():
                return name, fit.fe_params, bse
        except (np.linalg.LinAlgError, ValueError):
            continue
    # no identifiable random effects (e.g. simulated subjects without variation): OLS with subject-cluster SEs
    fit = smf.ols(fixed, data).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(data["subject"])[0]})
    return "ols: subject-clustered standard errors (mixed model not estimable)", fit.params, fit.bse


def condition_effects(stances: pd.DataFrame, *, metric: str, baseline: str, alpha: float = 0.05) -> pd.DataFrame:
    """Effect of each condition against ``baseline`` on ``metric`` (degrees), with 95 % CI and Holm-adjusted p.

    Uses the included stances only. Returns one row per condition other than baseline (``EFFECT_COLUMNS``).

    Notes
    -----
    Condition effects vary between subjects, so their information comes from the subjects, not the strides:
    CIs and p values use Student's t with n_subjects - 1 degrees of freedom (the paired-design df; statsmodels
    offers no Kenward-Roger), which keeps them honest for the 8-20 runners of a typical study.
    """
    data = stances[~stances["excluded"].astype(bool)].dropna(subset=[metric]).copy()
    if baseline not in set(data["condition"]):
        raise ValueError(f"baseline condition {baseline!r} has no included stances; conditions: {sorted(set(data['condition']))}")
    data["trial_key"] = data["condition"].astype(str) + "/" + data["trial"].astype(str)
    model, params, bse = _fits(data, metric, baseline)
    rows = []
    n_subjects = data["subject"].nunique()
    df = max(n_subjects - 1, 1)
    quantile = stats.t.ppf(1 - alpha / 2, df)
    for condition in sorted(set(data["condition"]) - {baseline}):
        key = f"C(condition, Treatment({baseline!r}))[T.{condition}]"
        est, se = float(params[key]), float(bse[key])
        rows.append({
            "metric": metric, "term": _term(condition), "estimate_deg": est, "se_deg": se,
            "ci_low": est - quantile * se, "ci_high": est + quantile * se, "p": float(2 * stats.t.sf(abs(est / se), df)),
            "model": f"{model}; t with {df} df", "n_subjects": n_subjects, "n_stances": len(data),
        })
    table = pd.DataFrame(rows)
    table["p_holm"] = multipletests(table["p"], method="holm")[1] if len(table) else []
    return table[EFFECT_COLUMNS]
