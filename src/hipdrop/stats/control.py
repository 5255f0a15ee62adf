"""Control against fatigue: stride-to-stride variability and drift of pelvic drop per runner and condition.

A runner whose drop grows as the run goes on (fatigue of the hip abductors) and one who is steady can have the same
mean. Per runner x condition x metric (peak drop and excursion by default) this module gives

- the stride-to-stride variability: the SD about each side's own mean within each trial (pooled over side x trial
  cells: a left/right offset or a trial-to-trial shift is not stride-to-stride variation), and the CV, that SD over
  |mean|, only where |mean| is at least ``cv_min_abs_mean_deg`` (an angle's zero is level pelvis, not "none": near
  it a CV runs to infinity and says nothing);
- the drift: the slope of the metric against time in minutes, ``metric ~ cell + time``, fitted by least squares
  with one intercept per side (per side x trial when the trials' times in the run are unknown), with a CI from
  Newey-West (HAC) standard errors, because successive strides are not independent (docs/science.md section 12).

Time is the stance's foot strike in the recording (``strike_s``) plus, where the trial sheet gives it, the trial's
start in the run (``time_into_run_min``). When every trial of a runner-condition has a ``time_into_run_min`` the
drift is estimated across trials, from one intercept per side only (a fatigue protocol of trials in order through
a run); otherwise within trials (the trials' intercepts absorb their differences).

The cohort's answer, per condition and metric (``cohort_drift``, rows of ``level`` ``cohort``): does the drop grow
through the run across runners? The mean of the runners' drifts with a CI from Student's t on their spread (n - 1
df), the two-stage "summary statistics" estimate of a random-slope model's population slope (Holmes & Friston 1998,
NeuroImage 7:S754): each runner counts once, and the CI carries both how precisely each runner's drift is measured
and how much runners differ, without assuming the runners share one drift.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from hipdrop.config import schema_default, section_with_defaults

#: the metrics whose control is reported (degrees both: the CV rule's floor is in deg)
CONTROL_METRICS = ("cpd_peak_deg", "cpd_excursion_deg")
#: the sheet column giving a trial's start in the run (min), carried into the stance table
TIME_COLUMN = "time_into_run_min"
ACROSS_TRIALS = "across trials (time_into_run_min)"
WITHIN_TRIALS = "within trials"
#: a row's ``level``: one runner's control, or the cohort's drift (``cohort_drift``; subject "")
RUNNER, COHORT = "runner", "cohort"
CONTROL_COLUMNS = [
    "level", "subject", "condition", "metric", "n_values", "n_trials", "mean", "sd_within_side", "cv", "cv_reason",
    "drift_time", "time_span_min", "drift_per_min", "drift_se", "drift_ci_low", "drift_ci_high", "drift_p",
    "drift_hac_lags", "residual_sd", "drift_reason", "n_runners", "drift_runner_sd",
]
#: the columns of the control table that ``subject_columns`` adds to stats/subjects.csv
SUBJECT_CONTROL_COLUMNS = ["sd_within_side", "cv", "drift_per_min", "drift_ci_low", "drift_ci_high", "drift_time"]
_KEYS = ["subject", "condition"]


def control_settings(stats: dict | None = None) -> dict:
    """Config ``stats.control`` with the schema's defaults for every key it does not give. The key itself has no
    default in the schema (so that configs without it keep their hash); its defaults live in its properties."""
    return section_with_defaults({"stats": stats}, "stats.control")


def newey_west_lags(n: int) -> int:
    """Newey & West's (1994) automatic lag rule for the Bartlett kernel: floor(4 (n / 100) ^ (2/9)): 3 lags for
    28-99 stances (a 30 s trial), 4 for 100-272, 5 for 273-620, 6 for 621-1240."""
    return int(math.floor(4.0 * (max(n, 1) / 100.0) ** (2.0 / 9.0)))


def drift_fit(values: np.ndarray, time_min: np.ndarray, cells: np.ndarray, *,
              alpha: float = schema_default("stats.alpha"), maxlags: int | None = None) -> dict:
    """The slope of ``values`` against ``time_min`` with one intercept per ``cells`` label, and its HAC CI.

    Parameters
    ----------
    values, time_min, cells : arrays of one length, in time order (the order the HAC lags run along)
    alpha : the CI is ``1 - alpha``, two-sided, from Student's t on n - k df (default config ``stats.alpha``)
    maxlags : the Bartlett kernel's lags; None: ``newey_west_lags(n)``

    Returns
    -------
    dict with ``drift_per_min``, ``drift_se``, ``drift_ci_low``, ``drift_ci_high``, ``drift_p``,
    ``drift_hac_lags``, ``residual_sd`` (ddof = k) and ``drift_reason`` ("" when estimated).
    """
    # OLS from its own module: statsmodels.api also imports its distributions, graphics, datasets and time-series
    # packages, 0.2 cpu-s of the statistics job's start-up that no step uses (benchmarks/startup.py)
    from statsmodels.regression.linear_model import OLS

    values, time_min = np.asarray(values, float), np.asarray(time_min, float)
    labels, codes = np.unique(np.asarray(cells).astype(str), return_inverse=True)
    n, k = len(values), len(labels) + 1
    out = dict.fromkeys(["drift_per_min", "drift_se", "drift_ci_low", "drift_ci_high", "drift_p", "residual_sd"],
                        np.nan) | {"drift_hac_lags": np.nan, "drift_reason": ""}
    # time within its cell: the slope is estimated from the spread of time inside the cells only
    centred = time_min - np.bincount(codes, time_min)[codes] / np.bincount(codes)[codes]
    if n - k < 2 or not np.any(np.abs(centred) > 1e-9):
        out["drift_reason"] = ("no spread of time within a side (and trial)" if n - k >= 2
                               else f"{n} values for {k} coefficients")
        return out
    design = np.column_stack([np.eye(len(labels))[codes], time_min])
    lags = newey_west_lags(n) if maxlags is None else int(maxlags)
    fit = OLS(values, design).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}, use_t=True)
    low, high = fit.conf_int(alpha)[-1]
    out.update(drift_per_min=float(fit.params[-1]), drift_se=float(fit.bse[-1]), drift_ci_low=float(low),
               drift_ci_high=float(high), drift_p=float(fit.pvalues[-1]), drift_hac_lags=lags,
               residual_sd=float(np.sqrt(fit.ssr / (n - k))))
    return out


def pooled_within_sd(values: np.ndarray, cells: np.ndarray) -> float:
    """The SD of ``values`` about their own cell's mean, pooled over cells (ddof 1 per cell); NaN without 2 values
    in any cell."""
    frame = pd.DataFrame({"v": np.asarray(values, float), "c": np.asarray(cells).astype(str)})
    grouped = frame.groupby("c")["v"]
    df = (grouped.size() - 1).clip(lower=0)
    if df.sum() < 1:
        return np.nan
    return float(np.sqrt((grouped.var(ddof=1).fillna(0.0) * df).sum() / df.sum()))


def control_table(stances: pd.DataFrame, *, metrics: tuple[str, ...] = CONTROL_METRICS,
                  min_stances: int = schema_default("stats.min_stances"),
                  cv_min_abs_mean_deg: float = schema_default("stats.control.cv_min_abs_mean_deg"),
                  alpha: float = schema_default("stats.alpha"),
                  hac_maxlags: int | None = schema_default("stats.control.hac_maxlags")
                  ) -> pd.DataFrame:
    """Stride-to-stride variability and drift of each metric per runner and condition.

    Parameters
    ----------
    stances : the stance table: ``subject``, ``condition``, ``trial``, ``side``, ``strike_s``, ``excluded``, the
        metrics, and optionally ``time_into_run_min`` (the sheet's, per trial)
    metrics : the metrics (deg) to describe; those absent from ``stances`` are skipped
    min_stances : fewest included stances with a value behind a drift (config ``stats.min_stances``)
    cv_min_abs_mean_deg : the CV is NaN, with its reason, where |mean| is under this (config
        ``stats.control.cv_min_abs_mean_deg``)
    alpha : the drift's CI is ``1 - alpha`` (config ``stats.alpha``)
    hac_maxlags : lags of the Newey-West estimator; None: Newey & West's 1994 rule (``newey_west_lags``) (config
        ``stats.control.hac_maxlags``)

    Returns
    -------
    pandas.DataFrame, one row per subject x condition x metric with included stances (``CONTROL_COLUMNS``, ``level``
    ``runner``; ``n_runners`` and ``drift_runner_sd`` are the cohort rows' and NaN here):

    - ``n_values`` included stances with a finite value, ``n_trials`` their trials; ``mean`` (metric's unit)
    - ``sd_within_side``: the SD about each side x trial cell's mean, pooled (deg); ``cv`` = that over |mean|
      (a fraction), NaN with ``cv_reason`` where |mean| < ``cv_min_abs_mean_deg``
    - ``drift_time``: ``across trials (time_into_run_min)`` or ``within trials``; ``time_span_min`` the first to
      last strike (min)
    - ``drift_per_min`` (deg/min, + = the metric grows with time), ``drift_se``, ``drift_ci_low``,
      ``drift_ci_high`` (Newey-West HAC, t on n - k df), ``drift_p``, ``drift_hac_lags``, ``residual_sd`` (about the
      fitted line, deg); NaN with ``drift_reason`` where not estimable
    """
    needed = {"subject", "condition", "trial", "side", "strike_s", "excluded"}
    missing = needed - set(stances.columns)
    if missing:
        raise KeyError(f"control_table: the stance table lacks column(s) {sorted(missing)}")
    present = [m for m in metrics if m in stances.columns]
    included = stances[~stances["excluded"].astype(bool)]
    rows = []
    for (subject, condition), group in included.groupby(_KEYS, sort=True, observed=True):
        timed = TIME_COLUMN in group and pd.to_numeric(group[TIME_COLUMN], errors="coerce").notna().all()
        start = pd.to_numeric(group[TIME_COLUMN], errors="coerce") if timed else 0.0
        group = group.assign(_time=start + group["strike_s"].astype(float) / 60.0,
                             _cell=group["side"].astype(str) + ("" if timed else "|" + group["trial"].astype(str)),
                             _within=group["side"].astype(str) + "|" + group["trial"].astype(str))
        group = group.sort_values(["_time"] if timed else ["trial", "_time"], kind="stable")
        for metric in present:
            values = pd.to_numeric(group[metric], errors="coerce")
            ok = np.isfinite(values) & np.isfinite(group["_time"])
            g, v = group[ok], values[ok].to_numpy()
            row = {"level": RUNNER, "subject": subject, "condition": condition, "metric": metric, "n_values": len(v),
                   "n_trials": g["trial"].nunique(), "mean": float(v.mean()) if len(v) else np.nan,
                   "drift_time": ACROSS_TRIALS if timed else WITHIN_TRIALS,
                   "time_span_min": float(np.ptp(g["_time"])) if len(g) else np.nan}
            row["sd_within_side"] = pooled_within_sd(v, g["_within"]) if len(v) else np.nan
            row["cv"], row["cv_reason"] = np.nan, ""
            if not np.isfinite(row["mean"]) or not np.isfinite(row["sd_within_side"]):
                row["cv_reason"] = "fewer than 2 values in a side"
            elif abs(row["mean"]) < cv_min_abs_mean_deg:
                row["cv_reason"] = (f"|mean| {abs(row['mean']):.2f} deg under {cv_min_abs_mean_deg:g} deg "
                                    "(config stats.control.cv_min_abs_mean_deg): a CV near zero says nothing")
            else:
                row["cv"] = row["sd_within_side"] / abs(row["mean"])
            if len(v) < min_stances:
                fit = drift_fit(v[:0], v[:0], v[:0])
                fit["drift_reason"] = f"{len(v)} included stances, fewer than {min_stances} (config stats.min_stances)"
            else:
                fit = drift_fit(v, g["_time"].to_numpy(), g["_cell"].to_numpy(), alpha=alpha, maxlags=hac_maxlags)
            rows.append(row | fit)
    return pd.DataFrame(rows, columns=CONTROL_COLUMNS)


def runner_rows(control: pd.DataFrame) -> pd.DataFrame:
    """The runners' rows of a control table (``level`` ``runner``): all of a table without ``level``."""
    return control[control["level"] == RUNNER] if "level" in control else control


def cohort_drift(control: pd.DataFrame, *, alpha: float = schema_default("stats.alpha"),
                 min_subjects: int = schema_default("stats.min_subjects")) -> pd.DataFrame:
    """The cohort's drift per condition and metric from the runners' drifts (``control``'s ``runner`` rows).

    Parameters
    ----------
    control : ``control_table``'s rows (``level``, ``condition``, ``metric``, ``drift_per_min``, ``drift_time``,
        ``time_span_min``, ``n_values``, ``n_trials``, ``mean``)
    alpha : the CI is ``1 - alpha``, two-sided (config ``stats.alpha``)
    min_subjects : fewest runners with a drift behind a cohort drift (config ``stats.min_subjects``)

    Returns
    -------
    pandas.DataFrame (``CONTROL_COLUMNS``), one ``cohort`` row per condition x metric, ``subject`` "":
    ``n_runners`` (runners with a drift), ``drift_per_min`` their mean (deg/min), ``drift_runner_sd`` their SD
    (ddof 1), ``drift_se`` = SD / sqrt(n), ``drift_ci_low``/``_high`` and ``drift_p`` from Student's t on n - 1
    df; ``mean`` the runners' mean metric, ``n_values`` and ``n_trials`` their sums, ``time_span_min`` their
    median, ``drift_time`` theirs (joined with " / " where they differ); NaN with ``drift_reason`` where fewer than
    ``min_subjects`` runners have a drift.
    """
    from scipy import stats as st

    runners = runner_rows(control)
    rows = []
    for (condition, metric), group in runners.groupby(["condition", "metric"], sort=True, observed=True):
        drifts = pd.to_numeric(group["drift_per_min"], errors="coerce")
        have = group[np.isfinite(drifts)]
        d = drifts[np.isfinite(drifts)].to_numpy()
        row = dict.fromkeys(CONTROL_COLUMNS, np.nan) | {
            "level": COHORT, "subject": "", "condition": condition, "metric": metric, "n_runners": len(d),
            "n_values": int(have["n_values"].sum()), "n_trials": int(have["n_trials"].sum()),
            "mean": float(have["mean"].mean()) if len(have) else np.nan,
            "time_span_min": float(have["time_span_min"].median()) if len(have) else np.nan,
            "drift_time": " / ".join(sorted(set(have["drift_time"].astype(str)))), "cv_reason": "",
            "drift_reason": "",
        }
        if len(d) < max(min_subjects, 2):
            row["drift_reason"] = (f"{len(d)} runner(s) with a drift, fewer than {max(min_subjects, 2)} (config "
                                   "stats.min_subjects)")
        else:
            n, sd = len(d), float(np.std(d, ddof=1))
            se = sd / np.sqrt(n)
            half = float(st.t.ppf(1 - alpha / 2, n - 1)) * se
            mean = float(d.mean())
            row.update(drift_per_min=mean, drift_runner_sd=sd, drift_se=se, drift_ci_low=mean - half,
                       drift_ci_high=mean + half,
                       drift_p=float(2 * st.t.sf(abs(mean / se), n - 1)) if se > 0 else np.nan)
        rows.append(row)
    return pd.DataFrame(rows, columns=CONTROL_COLUMNS)


def with_cohort(control: pd.DataFrame, **settings) -> pd.DataFrame:
    """``control`` (the runners' rows) followed by ``cohort_drift``'s rows (``settings``: its ``alpha`` and
    ``min_subjects``)."""
    cohort = cohort_drift(control, **settings)
    return pd.concat([control, cohort], ignore_index=True) if len(cohort) else control


def cohort_lines(control: pd.DataFrame, *, metric: str = "cpd_peak_deg") -> list[str]:
    """The summary's lines on the cohort's drift of ``metric``, one per condition (task-labelled where the table
    has tasks): the mean of the runners' drifts with its CI, or why there is none."""
    from hipdrop.stats.tasks import with_task_labels

    rows = with_task_labels(control[(control["level"] == COHORT) & (control["metric"] == metric)])
    lines = []
    for row in rows.itertuples():
        if np.isfinite(row.drift_per_min):
            lines.append(f"drift of peak drop {row.condition} (cohort: mean of {int(row.n_runners)} runners' "
                         f"slopes, {row.drift_time}): {row.drift_per_min:+.3f} deg/min, 95 % CI "
                         f"{row.drift_ci_low:+.3f} to {row.drift_ci_high:+.3f}, p {row.drift_p:.3g}; runners' SD "
                         f"{row.drift_runner_sd:.3f}")
        else:
            lines.append(f"drift of peak drop {row.condition} (cohort): not estimated: {row.drift_reason}")
    return lines


def subject_columns(subjects: pd.DataFrame, control: pd.DataFrame) -> pd.DataFrame:
    """``subjects`` (stats/subjects.csv) with ``SUBJECT_CONTROL_COLUMNS`` of ``control`` beside the rows of their
    runner, condition and metric (and task, where both have one); NaN on rows of other metrics."""
    keys = [c for c in ("task", *_KEYS, "metric") if c in subjects and c in control]
    runners = runner_rows(control)
    extra = runners[keys + SUBJECT_CONTROL_COLUMNS]
    out = subjects.merge(extra, on=keys, how="left")
    assert len(out) == len(subjects), "control rows are unique per runner, condition and metric"
    return out


def page_lines(subject: str, control: pd.DataFrame, *, metric: str = "cpd_peak_deg") -> list[str]:
    """One phrase per condition of a runner, for the runner page: stride-to-stride SD and CV of ``metric``, its
    drift per minute with the CI, where the time came from and the time spanned."""
    runners = runner_rows(control)
    rows = runners[(runners["subject"].astype(str) == str(subject)) & (runners["metric"] == metric)]
    lines = []
    for row in rows.itertuples():
        cv = f"CV {100 * row.cv:.0f} %" if np.isfinite(row.cv) else "CV -"
        if np.isfinite(row.drift_per_min):
            drift = (f"drift {row.drift_per_min:+.2f} deg/min ({row.drift_ci_low:+.2f} to {row.drift_ci_high:+.2f}; "
                     f"{row.drift_time.split(' (')[0]}, {row.time_span_min:.1f} min)")
        else:
            drift = f"drift not estimated ({row.drift_reason})"
        sd = f"{row.sd_within_side:.2f} deg" if np.isfinite(row.sd_within_side) else "-"
        lines.append(f"{row.condition}: SD {sd}, {cv}, {drift}")
    return lines


def methods_text(stats: dict) -> str:
    """The methods' sentences on variability and drift, with this run's settings (config ``stats``)."""
    settings = control_settings(stats)
    lags = (f"{settings['hac_maxlags']} lags" if settings["hac_maxlags"] is not None
            else "floor(4 (n/100)^(2/9)) lags (Newey & West 1994)")
    return (
        "**Control against fatigue.** Per runner and condition, stride-to-stride variability of peak drop and "
        "excursion was the SD of the included stances about their own side's mean within each trial, pooled; the "
        "coefficient of variation (that SD over the absolute mean) was not reported where the absolute mean was "
        f"under {settings['cv_min_abs_mean_deg']:g} deg. Drift was the least-squares slope against time (min) with "
        "one intercept per side, time being the foot strike in the trial plus, where the trial sheet gave it, the "
        "trial's start in the run (then across trials; otherwise within trials, with one intercept per side and "
        "trial). Its confidence interval used heteroscedasticity- and autocorrelation-consistent standard errors "
        f"(Newey & West 1987; Bartlett kernel, {lags}) and Student's t on n - k df, since successive strides are "
        f"not independent; a drift needed at least {stats['min_stances']} included stances. The cohort's drift per "
        "condition was the mean of the runners' drifts with a confidence interval from Student's t on their spread "
        "(n - 1 df; the two-stage summary-statistics estimate of a random-slope model's mean slope, Holmes & Friston "
        f"1998), given where at least {stats['min_subjects']} runners had a drift.")
