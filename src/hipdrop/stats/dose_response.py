"""Dose-response: pelvic drop against the cadence change each runner achieved (docs/science.md section 6).

A cadence condition's instruction (+5 %, +10 %) is not what runners do: the achieved change differs between
runners and trials, and it is the achieved change that moves the pelvis. The slope of peak drop on achieved
cadence change, with a random slope per runner, answers "how much less drop per 1 % more cadence" and gives each
runner's own slope.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from hipdrop.config import schema_default
from hipdrop.stats.models import first_acceptable_fit

DOSE_COLUMNS = [
    "level", "subject", "metric", "slope_deg_per_pct", "se", "ci_low", "ci_high", "p", "own_slope_deg_per_pct",
    "n_subjects", "n_stances", "achieved_min_pct", "achieved_max_pct", "model", "estimable", "reason",
]


def achieved_cadence_change(stances: pd.DataFrame, *, baseline: str) -> pd.Series:
    """Achieved cadence change (% of the runner's own baseline cadence) of each stance's trial.

    Cadence of a trial = 60 / its mean step time over included stances (a mean of per-step cadences is biased
    by frame quantisation); the baseline cadence pools the runner's baseline trials. NaN for a runner without
    baseline.
    """
    kept = stances[~stances["excluded"].astype(bool)]
    per_trial = 60.0 / kept.groupby(["subject", "condition", "trial"])["step_time_s"].mean()
    base = 60.0 / kept[kept["condition"] == baseline].groupby("subject")["step_time_s"].mean()
    keys = pd.MultiIndex.from_frame(stances[["subject", "condition", "trial"]])
    cadence = per_trial.reindex(keys).to_numpy()
    return pd.Series(100.0 * (cadence / stances["subject"].map(base).to_numpy() - 1.0), index=stances.index)


def cadence_conditions(stances: pd.DataFrame) -> list[str]:
    """Conditions whose design (the sheet's ``target_cadence_change_pct``, carried into the stance table) asks
    for a cadence change."""
    if "target_cadence_change_pct" not in stances:
        return []
    targets = stances.groupby("condition")["target_cadence_change_pct"].first()
    return sorted(targets[targets.fillna(0) != 0].index)


def dose_response(
    stances: pd.DataFrame, *, baseline: str, cadence_conditions: list[str], metric: str = "cpd_peak_deg",
    alpha: float = schema_default("stats.alpha"), min_subjects: int = schema_default("stats.min_subjects"),
) -> pd.DataFrame:
    """Slope of ``metric`` (deg) per 1 % achieved cadence change over the baseline and cadence conditions.

    Returns ``DOSE_COLUMNS``: one ``population`` row (the fixed slope, 1 - ``alpha`` CI and p with Student's t on
    n_subjects - 1 df, as for the condition effects) and one ``runner`` row per runner (the fixed slope plus the
    runner's predicted random slope, and ``own_slope_deg_per_pct``, the runner's own least-squares slope).

    Notes
    -----
    ``metric ~ achieved_pct + side`` with a random intercept and a random ``achieved_pct`` slope per runner
    (achieved_pct from ``achieved_cadence_change``; 0 at baseline by definition); if that fit fails the checks
    of ``hipdrop.stats.models`` (finite likelihood, regular covariance, plausible SEs) with every optimizer, a
    random intercept only, named in ``model``. Runners without baseline are left out; fewer than
    ``min_subjects`` runners with baseline and a cadence condition give a not-estimable row with the reason.
    ``alpha`` and ``min_subjects`` default to config ``stats.alpha`` and ``stats.min_subjects``.
    """
    data = stances[stances["condition"].isin([baseline, *cadence_conditions]) & ~stances["excluded"].astype(bool)]
    data = data.assign(achieved_pct=achieved_cadence_change(data, baseline=baseline)).dropna(subset=[metric, "achieved_pct"])
    runners = sorted(set(data.loc[data["condition"] == baseline, "subject"])
                     & set(data.loc[data["condition"].isin(cadence_conditions), "subject"]))
    data = data[data["subject"].isin(runners)]
    population = dict.fromkeys(DOSE_COLUMNS, np.nan) | {
        "level": "population", "subject": "", "metric": metric, "n_subjects": len(runners), "n_stances": len(data),
        "achieved_min_pct": data["achieved_pct"].min(), "achieved_max_pct": data["achieved_pct"].max(),
        "model": "", "estimable": False, "reason": "",
    }
    if len(runners) < min_subjects:
        population["reason"] = (f"{len(runners)} runner(s) ran the baseline and a cadence condition "
                                f"({', '.join(cadence_conditions) or 'none in the sheet'}); at least {min_subjects} are needed")
        return pd.DataFrame([population], columns=DOSE_COLUMNS)
    name, fit, notes = first_acceptable_fit(
        f"{metric} ~ achieved_pct + C(side)", data, metric=metric,
        candidates=[("random intercept + achieved-cadence slope per runner", dict(re_formula="~achieved_pct")),
                    ("random intercept per runner", {})], best_of_optimizers=True)
    model = f"mixed model: {name}"
    if fit is None:
        population["reason"] = "no mixed model could be fitted: " + "; ".join(notes)
        return pd.DataFrame([population], columns=DOSE_COLUMNS)
    df = len(runners) - 1
    slope, se = float(fit.fe_params["achieved_pct"]), float(fit.bse_fe["achieved_pct"])
    half = stats.t.ppf(1 - alpha / 2, df) * se
    population.update(slope_deg_per_pct=slope, se=se, ci_low=slope - half, ci_high=slope + half,
                      p=float(2 * stats.t.sf(abs(slope / se), df)),
                      model=f"{model}; t with {df} df" + (f" ({'; '.join(notes)})" if notes else ""), estimable=True)
    rows = [population]
    for subject, mine in data.groupby("subject"):
        spread = mine["achieved_pct"].max() - mine["achieved_pct"].min()
        own = float(np.polyfit(mine["achieved_pct"], mine[metric], 1)[0]) if spread > 0 else np.nan
        deviation = float(fit.random_effects[subject].get("achieved_pct", 0.0))
        rows.append(dict.fromkeys(DOSE_COLUMNS, np.nan) | {
            "level": "runner", "subject": subject, "metric": metric, "slope_deg_per_pct": slope + deviation,
            "own_slope_deg_per_pct": own, "n_subjects": 1, "n_stances": len(mine),
            "achieved_min_pct": mine["achieved_pct"].min(), "achieved_max_pct": mine["achieved_pct"].max(),
            "model": f"{model}: fixed slope + the runner's predicted random slope", "estimable": True,
            "reason": "" if spread > 0 else "no spread of achieved cadence: own slope undefined",
        })
    return pd.DataFrame(rows, columns=DOSE_COLUMNS)
