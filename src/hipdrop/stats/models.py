"""Condition effects on pelvic drop from all stances: a linear mixed model (docs/science.md section 6).

Strides are nested in trials nested in subjects. The model is ``metric ~ condition + side`` with a random
intercept and random condition slopes per subject, each runner's own left/right offset as a subject-by-side
variance component and trials as a variance component (Tirrell et al. 2018, J Biomech 69:34). When that cannot
be estimated (few subjects, or no between-subject variation at all) the next simpler model is fitted and named in
the ``model`` column, with why the fuller ones were rejected in ``model_notes``, never silently. CIs and p values
use Student's t with Satterthwaite's degrees of freedom (``satterthwaite_df``).

No number without the data behind it: a condition is estimated from the runners who ran it *and* the baseline;
with fewer than ``min_subjects`` such runners its row says "not estimable" and why, and a fit is accepted only
with a finite log-likelihood, a non-singular random-effects covariance and finite, plausible standard errors.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats

from hipdrop.config import schema_default

EFFECT_COLUMNS = [
    "metric", "term", "estimate_deg", "se_deg", "ci_low", "ci_high", "p", "p_holm", "model", "n_subjects", "n_stances",
    "analysis", "estimable", "reason", "model_notes",
]
MIXED = "mixed model"
#: each optimizer is tried from statsmodels' default start, never from where another one failed: Powell started
#: from a failed L-BFGS point can walk into a singular covariance where the REML log-likelihood is +inf and
#: still report convergence (one of 373 simulated 4-runner studies: estimates off by 2-4 deg)
OPTIMIZERS = ("lbfgs", "powell", "nm")
#: a random-effects covariance whose smallest eigenvalue is below this share of its largest is singular
SINGULAR_RATIO = 1e-8
#: an effect's standard error above this multiple of the metric's stance-to-stance SD is not plausible: even one
#: runner per condition gives an SE near that SD (a singular fit gave 7 million degrees)
PLAUSIBLE_SE_RATIO = 3.0


def effect_term(condition: str) -> str:
    """The effects' ``term`` of a condition: ``condition[cadence_plus10]``."""
    return f"condition[{condition}]"


def holm(p) -> np.ndarray:
    """Holm's step-down adjusted p values (Holm 1979, Scand J Stat 6:65).

    Parameters
    ----------
    p : array_like
        Unadjusted p values; NaN ones are not tests and stay NaN.

    Returns
    -------
    numpy.ndarray
        The k-th smallest of the m finite p values times (m - k + 1), made non-decreasing in that order and capped
        at 1, in the order of ``p``.

    Notes
    -----
    Equal to statsmodels' ``multipletests(p, method="holm")[1]`` (tests/unit/stats/test_models.py), which runs a
    full garbage collection on every call: 0.15 s in a process holding a workflow's tables, a quarter of the
    statistics' time on a small study.
    """
    p = np.asarray(p, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    tests = np.flatnonzero(np.isfinite(p))
    order = tests[np.argsort(p[tests], kind="stable")]
    adjusted[order] = np.minimum(np.maximum.accumulate(p[order] * np.arange(len(order), 0, -1)), 1.0)
    return adjusted


@dataclass
class ConditionFit:
    """The accepted fit of one metric: fixed effects with SEs, variance components, and the reasoning."""

    model: str
    params: pd.Series
    bse: pd.Series
    notes: list[str] = field(default_factory=list)
    cov_re: pd.DataFrame | None = None  # random-effects covariance (deg^2), None for OLS
    residual_var: float = np.nan  # stance-level residual variance (deg^2)
    vcomp: dict = field(default_factory=dict)  # variance components by name (deg^2)
    df: pd.Series | None = None  # Satterthwaite degrees of freedom of each fixed effect, None for OLS


def _check(fit, data: pd.DataFrame, metric: str) -> str | None:
    """Why a mixed-model fit cannot be trusted, or None."""
    if not fit.converged:
        return "did not converge"
    if not np.isfinite(fit.llf):
        return f"log-likelihood {fit.llf}"
    cov = np.asarray(fit.cov_re, dtype=float)
    eig = np.linalg.eigvalsh(cov) if cov.size else np.array([1.0])
    if not np.isfinite(eig).all() or eig.max() <= 0 or eig.min() < SINGULAR_RATIO * eig.max():
        return "singular random-effects covariance"
    bse = fit.bse_fe
    limit = PLAUSIBLE_SE_RATIO * float(data[metric].std())
    if not (np.isfinite(bse).all() and (bse > 0).all() and (bse < limit).all()):
        return f"standard errors not finite or implausible (largest {float(bse.max()):.3g}, limit {limit:.3g})"
    return None


def first_acceptable_fit(formula: str, data: pd.DataFrame, *, metric: str, candidates: list[tuple[str, dict]],
                         best_of_optimizers: bool = False):
    """REML fits of ``formula`` with subjects as groups, candidates (name, mixedlm keyword arguments) fullest
    first, each with every optimizer of ``OPTIMIZERS`` from the default start; the first fit ``_check`` accepts.
    Returns (name, fit, notes): name and fit None when none is accepted, notes saying why each candidate was
    rejected.

    ``best_of_optimizers``: a candidate's accepted fit with the highest REML likelihood over every optimizer, not
    the first. A random slope on a continuous covariate (the dose-response) has local optima: on 2 of 12 simulated
    10-runner studies L-BFGS stopped at one 22 log-likelihood units below Powell's, with a slope SE 17 times the
    runners' own slopes' (tests/unit/stats/test_dose_response.py)."""
    notes = []
    for name, kwargs in candidates:
        reasons, accepted = [], []
        for method in OPTIMIZERS:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fit = smf.mixedlm(formula, data, groups=data["subject"], **kwargs).fit(reml=True, method=method)
                problem = _check(fit, data, metric)
            except (np.linalg.LinAlgError, ValueError) as err:
                problem = f"{type(err).__name__}: {err}"
            if problem is None:
                if not best_of_optimizers:
                    return name, fit, notes
                accepted.append(fit)
            else:
                reasons.append(f"{method}: {problem}")
        if accepted:
            return name, max(accepted, key=lambda fit: fit.llf), notes
        notes.append(f"{name} rejected ({'; '.join(reasons)})")
    return None, None, notes


def fit_condition_model(data: pd.DataFrame, *, metric: str, baseline: str) -> ConditionFit:
    """The fullest acceptable model of ``metric ~ condition + side`` on included stances ``data``.

    Candidates, fullest first: random intercept and condition slopes per subject (only with more runners than
    random effects per runner: an unstructured covariance of q effects is not identified from q or fewer runners),
    then a random intercept and independent condition slopes (one variance per condition, no covariances), then a
    random intercept with a subject-by-condition variance component, then a random intercept only; each
    with a subject-by-side variance component when some runner has stances on both sides, and a trial variance
    component when some subject ran a condition more than once; each with every optimizer of ``OPTIMIZERS`` from
    the default start. The first fit that passes ``_check`` is used, with Satterthwaite degrees of freedom for its
    fixed effects (``satterthwaite_df``); if none does, OLS with subject-clustered standard errors. ``notes`` says
    why each rejected candidate was rejected.
    """
    fixed = f"{metric} ~ C(condition, Treatment({baseline!r})) + C(side)"
    data = data.copy()
    repeated = data.groupby(["subject", "condition"])["trial_key"].nunique().max() > 1
    components = {"trial": "0 + C(trial_key)"} if repeated else {}
    suffix = ", trial variance component" if repeated else ""
    if (data.groupby("subject")["side"].nunique() > 1).any():
        # each runner's own left/right tilt (the simulator's offset_deg, SD 2.0 deg learned from real running;
        # hipdrop/data/obliquity_template.json): the fixed side term takes out only the cohort's mean, and left in the
        # residual it made that 4-27 times the stance-to-stance variance and the effects' SEs 1.3 times their spread
        # over simulated studies (benchmarks/calibration.py, README)
        components["side"] = "0 + C(side)"
        suffix += ", subject-by-side variance component"
    n_effects = data["condition"].nunique()  # random intercept + one slope per condition other than baseline
    # one column per condition other than baseline, 1 on its stances: a runner's own effect of that condition
    slopes = {}
    for i, condition in enumerate(sorted(set(data["condition"]) - {baseline})):
        data[f"is_condition_{i}"] = (data["condition"] == condition).astype(float)
        slopes[f"slope[{condition}]"] = f"0 + is_condition_{i}"
    candidates = [
        # each condition's effect varies between runners with a variance of its own, without covariances: k - 1
        # variances where the unstructured covariance above needs k (k + 1) / 2, so it is identified from 3
        # runners; each effect's df then come out near the paired t's n - 1. The model the simulator draws from
        # (hipdrop.simulate.running: a runner's deviation from each condition's effect, independent, none at baseline)
        (f"{MIXED}: random intercept + independent condition slopes per subject{suffix}",
         dict(re_formula="1", vc_formula={**slopes, **components})),
        # the condition effects still vary between runners, with one shared variance and no covariances to
        # estimate: the effects' SEs keep the between-runner part that a random intercept alone would drop.
        # re_formula "1" is needed: given a vc_formula, statsmodels leaves the random intercept out, and the
        # runners' spread of 2-16 deg then went into the subject-by-condition component (SE 3.4 deg where the
        # paired analysis gave 0.2 on a simulated 4-runner study)
        (f"{MIXED}: random intercept per subject, subject-by-condition variance component{suffix}",
         dict(re_formula="1", vc_formula={"condition": "0 + C(condition)", **components})),
        (f"{MIXED}: random intercept per subject{suffix}", dict(re_formula="1", vc_formula=components or None)),
    ]
    notes = []
    if data["subject"].nunique() > n_effects:
        candidates.insert(0, (f"{MIXED}: random intercept + condition slopes per subject{suffix}",
                              dict(re_formula=f"~C(condition, Treatment({baseline!r}))", vc_formula=components or None)))
    else:
        notes.append(f"random condition slopes not tried: {data['subject'].nunique()} runners for {n_effects} random "
                     "effects per runner")
    name, fit, rejected = first_acceptable_fit(fixed, data, metric=metric, candidates=candidates)
    notes += rejected
    if fit is not None:
        vcomp = dict(zip(fit.model.exog_vc.names, np.atleast_1d(fit.vcomp))) if fit.model.k_vc else {}
        return ConditionFit(name, fit.fe_params, fit.bse_fe, notes, pd.DataFrame(fit.cov_re), float(fit.scale), vcomp,
                            satterthwaite_df(fit))
    fit = smf.ols(fixed, data).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(data["subject"])[0]})
    return ConditionFit("ols: subject-clustered standard errors (mixed model not estimable)", fit.params, fit.bse,
                        notes, None, float(fit.scale))


def satterthwaite_df(fit) -> pd.Series:
    """Satterthwaite's degrees of freedom of each fixed effect of a statsmodels REML ``MixedLMResults`` ``fit``.

    The effect's variance v(theta), the diagonal of (X' V(theta)^-1 X)^-1 over the variance parameters theta (the
    random-effects covariance's elements, the variance components, the residual variance), is treated as a scaled
    chi-square: df = 2 v^2 / (g' A g), g the gradient of v over theta and A the asymptotic covariance of theta's
    REML estimates, the inverse of the expected information 1/2 tr(P dV_j P dV_k) with
    P = V^-1 - V^-1 X (X' V^-1 X)^-1 X' V^-1 (Satterthwaite 1946, Biometrics Bull 2:110; Giesbrecht & Burns 1985,
    Biometrics 41:477; the df of lmerTest and SAS's DDFM=SATTERTHWAITE). Evaluated runner by runner, V being
    block-diagonal over runners: no N x N matrix. A paired design's df come out as n_subjects - 1 when the
    runners' own effects dominate the SE and more when the stances' residual does, or when the model pools one
    subject-by-condition variance over several conditions (the rm-ANOVA's (n - 1)(k - 1); tests/unit/stats).
    NaN for a parameter whose df cannot be computed (an information matrix without a finite inverse)."""
    model = fit.model
    cov_re = np.asarray(fit.cov_re, float)
    vcomp = np.atleast_1d(np.asarray(fit.vcomp, float)) if model.k_vc else np.array([])
    pairs = [(a, b) for a in range(cov_re.shape[0]) for b in range(a + 1)]
    k, p = len(pairs) + model.k_vc + 1, model.exog.shape[1]
    xvx, h, cross, traces = np.zeros((p, p)), np.zeros((k, p, p)), np.zeros((k, k, p, p)), np.zeros((k, k))
    for i in range(model.n_groups):  # V is block-diagonal over runners: sum each runner's part, keep none
        x, z = model.exog_li[i], model.exog_re_li[i]
        w = [model.exog_vc.mats[j][i] for j in range(model.k_vc)]
        # dV / d theta_j = left_j right_j' (low rank but for the residual's identity), so every product below
        # is of thin matrices: an m x m inverse per runner is the largest
        left = [z[:, [a, b]] if a != b else z[:, [a]] for a, b in pairs] + w + [np.eye(len(x))]
        right = [z[:, [b, a]] if a != b else z[:, [a]] for a, b in pairs] + w + [np.eye(len(x))]
        v = z @ cov_re @ z.T + sum(s * m @ m.T for s, m in zip(vcomp, w)) + float(fit.scale) * np.eye(len(x))
        v_inv = np.linalg.inv(v)
        vx = v_inv @ x
        v_left = [v_inv if j == k - 1 else v_inv @ left[j] for j in range(k)]
        xv_left = [vx.T @ m for m in left]  # X' V^-1 left_j
        right_vx = [m.T @ vx for m in right]  # right_j' V^-1 X
        xvx += x.T @ vx
        for j in range(k):
            h[j] += xv_left[j] @ right_vx[j]  # X' V^-1 dV_j V^-1 X
            for m in range(k):
                inner = right[m].T @ v_left[j]  # right_m' V^-1 left_j
                cross[m, j] += xv_left[m] @ inner @ right_vx[j]  # X' V^-1 dV_m V^-1 dV_j V^-1 X
                traces[j, m] += np.sum(inner * (right[j].T @ v_left[m]).T)  # tr(V^-1 dV_j V^-1 dV_m)
    cov_fe = np.linalg.inv(xvx)
    info = np.array([[0.5 * (traces[j, m] - np.trace(cov_fe @ cross[m, j]) - np.trace(cov_fe @ cross[j, m])
                             + np.trace(cov_fe @ h[j] @ cov_fe @ h[m])) for m in range(k)] for j in range(k)])
    gradient = np.stack([np.diag(cov_fe @ h[j] @ cov_fe) for j in range(k)])  # [theta, fixed effect]
    try:
        spread = np.einsum("jb,jm,mb->b", gradient, np.linalg.pinv(info, hermitian=True), gradient)
    except np.linalg.LinAlgError:
        spread = np.full(p, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = 2 * np.diag(cov_fe) ** 2 / spread
    return pd.Series(np.where(np.isfinite(df) & (df > 0), df, np.nan), index=fit.fe_params.index)


def runners_by_condition(data: pd.DataFrame, *, baseline: str) -> dict[str, list[str]]:
    """For each condition other than ``baseline``: the runners who ran it and the baseline (sorted)."""
    with_baseline = set(data.loc[data["condition"] == baseline, "subject"])
    return {
        condition: sorted(set(group["subject"]) & with_baseline)
        for condition, group in data[data["condition"] != baseline].groupby("condition")
    }


def _not_estimable(metric: str, condition: str, reason: str, n_subjects: int, n_stances: int) -> dict:
    return {"metric": metric, "term": effect_term(condition), "estimate_deg": np.nan, "se_deg": np.nan, "ci_low": np.nan,
            "ci_high": np.nan, "p": np.nan, "model": "", "n_subjects": n_subjects, "n_stances": n_stances,
            "analysis": MIXED, "estimable": False, "reason": reason, "model_notes": ""}


COMPONENT_COLUMNS = ["metric", "condition", "effect_deg", "slope_var_deg2", "residual_var_deg2", "stances_condition",
                     "stances_baseline", "source"]
#: how the ``source`` of a component row without components begins (``hipdrop.stats.effects.with_unestimable``)
UNESTIMABLE_SOURCE = "effect not estimable: "


@dataclass
class Effects:
    """``condition_effects``' table and, per estimable condition, the variance components behind it
    (``COMPONENT_COLUMNS``: what a power calculation needs)."""

    table: pd.DataFrame
    components: pd.DataFrame


def _components(fit: ConditionFit, data: pd.DataFrame, runners: dict, *, metric: str, baseline: str, table: pd.DataFrame) -> pd.DataFrame:
    """Between-runner variance of each condition effect and the residual variance, from the accepted fit."""
    rows = []
    for row in table[table["estimable"].astype(bool)].itertuples():
        condition = row.term[len("condition[") : -1]
        key = f"C(condition, Treatment({baseline!r}))[T.{condition}]"
        if fit.cov_re is not None and key in fit.cov_re.index:
            slope_var, source = float(fit.cov_re.loc[key, key]), "random condition slope"
        elif f"slope[{condition}]" in fit.vcomp:
            slope_var, source = float(fit.vcomp[f"slope[{condition}]"]), "independent random condition slope"
        elif "condition" in fit.vcomp:
            # a runner's change is the difference of two independent deviations with this variance
            slope_var, source = 2.0 * float(fit.vcomp["condition"]), "subject-by-condition variance component"
        elif fit.cov_re is not None:
            slope_var, source = 0.0, "random intercept only: no between-runner variation of the effect estimable"
        else:
            slope_var, source = np.nan, "no mixed model: variance components unknown"
        mine = data[data["subject"].isin(runners[condition])]
        counts = mine.groupby(["subject", "condition"]).size()
        rows.append({"metric": metric, "condition": condition, "effect_deg": row.estimate_deg, "slope_var_deg2": slope_var,
                     "residual_var_deg2": fit.residual_var if fit.cov_re is not None else np.nan,
                     "stances_condition": float(counts.xs(condition, level="condition").mean()),
                     "stances_baseline": float(counts.xs(baseline, level="condition").mean()), "source": source})
    return pd.DataFrame(rows, columns=COMPONENT_COLUMNS)


def condition_effects(stances: pd.DataFrame, **options) -> pd.DataFrame:
    """The table of ``fit_effects`` (same options)."""
    return fit_effects(stances, **options).table


def fit_effects(
    stances: pd.DataFrame, *, metric: str, baseline: str, alpha: float = schema_default("stats.alpha"),
    min_subjects: int = schema_default("stats.min_subjects"),
    exclude: pd.DataFrame | None = None,
) -> Effects:
    """Effect of each condition against ``baseline`` on ``metric`` (degrees), with 1 - ``alpha`` CI and Holm-adjusted
    p (``alpha`` and ``min_subjects``: default config ``stats.alpha``, ``stats.min_subjects``).

    Uses the included stances of the runners who have a baseline, less the (subject, condition) pairs in
    ``exclude`` (e.g. those a design check found confounded). Returns ``Effects``: one row per condition other
    than baseline (``EFFECT_COLUMNS``), a condition run by fewer than ``min_subjects`` of them "not estimable"
    (NaN numbers, ``estimable`` False, the ``reason``) and kept out of the model; and the variance components.

    Notes
    -----
    Condition effects vary between subjects, so their information comes from the subjects, not the strides:
    CIs and p values use Student's t with the accepted model's Satterthwaite degrees of freedom for the effect
    (``satterthwaite_df``; statsmodels offers neither it nor Kenward-Roger), near n_subjects - 1 when the runners'
    own effects dominate its SE; n_subjects - 1 (the paired design's df, n_subjects counting the runners with that
    condition and a baseline) for the OLS fallback or where they cannot be computed. Calibration at 3-8 runners:
    ``hipdrop.stats.calibration``.
    """
    data = stances[~stances["excluded"].astype(bool)].dropna(subset=[metric])
    if exclude is not None and len(exclude):
        dropped = pd.MultiIndex.from_frame(exclude[["subject", "condition"]])
        data = data[~pd.MultiIndex.from_frame(data[["subject", "condition"]]).isin(dropped)]
    data = data.copy()
    conditions = sorted(set(stances["condition"]) - {baseline})
    empty = pd.DataFrame(columns=COMPONENT_COLUMNS)
    if baseline not in set(data["condition"]):
        reason = f"the baseline condition {baseline!r} has no included stances"
        return Effects(pd.DataFrame([_not_estimable(metric, c, reason, 0, 0) for c in conditions], columns=EFFECT_COLUMNS), empty)
    runners = runners_by_condition(data, baseline=baseline)
    data = data[data["subject"].isin(set(data.loc[data["condition"] == baseline, "subject"]))]
    rows, estimable = {}, []
    for condition in conditions:
        mine = runners.get(condition, [])
        n_stances = int(data["condition"].isin([condition, baseline]).sum() if mine else 0)
        if len(mine) < min_subjects:
            rows[condition] = _not_estimable(
                metric, condition, f"{len(mine)} runner(s) ran {condition} and {baseline}; at least {min_subjects} "
                f"are needed", len(mine), n_stances)
        else:
            estimable.append(condition)
    data = data[data["condition"].isin([baseline, *estimable])].copy()
    data["trial_key"] = data["condition"].astype(str) + "/" + data["trial"].astype(str)

    def counts(condition: str) -> tuple[int, int]:
        """The runners with ``condition`` and the baseline, and their stances in the two."""
        mine = data[data["subject"].isin(runners[condition])]
        return len(runners[condition]), int(mine["condition"].isin([condition, baseline]).sum())

    if estimable and data[metric].nunique() == 1:
        # one value in every included stance (a wrist that never crosses the midline: a crossover share of 0 %):
        # no variation from which an effect or its uncertainty could come, and nothing for the optimizers to find
        # (the candidate models' failing fits cost 7.7 cpu-s on the demo's constant crossover share)
        for condition in estimable:
            rows[condition] = _not_estimable(
                metric, condition, f"{metric} does not vary among the included stances (every one is "
                f"{data[metric].iloc[0]:g}): no uncertainty can be given", *counts(condition))
        estimable = []
    fit = fit_condition_model(data, metric=metric, baseline=baseline) if estimable else None
    for condition in estimable:
        n_subjects, n_stances = counts(condition)
        key = f"C(condition, Treatment({baseline!r}))[T.{condition}]"
        satterthwaite = np.nan if fit.df is None else float(fit.df[key])
        # Satterthwaite's df of the accepted mixed model; the paired design's n - 1 for OLS (or a df not computable)
        df, df_text = ((satterthwaite, f"t with {satterthwaite:.1f} df (Satterthwaite)") if np.isfinite(satterthwaite)
                       else (n_subjects - 1, f"t with {n_subjects - 1} df (runners - 1)"))
        quantile = stats.t.ppf(1 - alpha / 2, df)
        est, se = float(fit.params[key]), float(fit.bse[key])
        if not se > 0:
            # every included stance of these runners has the same value (e.g. a wrist that never crosses the midline:
            # a crossover share of 0 %): the data hold no variation from which an effect's uncertainty could come
            rows[condition] = _not_estimable(
                metric, condition, f"{metric} does not vary among the included stances (standard error {se:g}): no "
                "uncertainty can be given", n_subjects, n_stances)
            continue
        rows[condition] = {
            "metric": metric, "term": effect_term(condition), "estimate_deg": est, "se_deg": se,
            "ci_low": est - quantile * se, "ci_high": est + quantile * se, "p": float(2 * stats.t.sf(abs(est / se), df)),
            "model": f"{fit.model}; {df_text}", "n_subjects": n_subjects, "n_stances": n_stances,
            "analysis": MIXED, "estimable": True, "reason": "", "model_notes": "; ".join(fit.notes),
        }
    table = pd.DataFrame([rows[c] for c in conditions], columns=EFFECT_COLUMNS)
    ok = table["estimable"].astype(bool)
    table["p_holm"] = np.nan
    if ok.any():
        table.loc[ok, "p_holm"] = holm(table.loc[ok, "p"])
    components = _components(fit, data, runners, metric=metric, baseline=baseline, table=table) if fit else empty
    return Effects(table, components)
