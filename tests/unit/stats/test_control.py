"""Variability and drift (hipdrop.stats.control) against truths from outside the code: an exact line, a
hand-written Newey-West sandwich, the coverage of the CI on data of known slope, and the simulator's drift."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from hipdrop.stats.control import (ACROSS_TRIALS, COHORT, CONTROL_COLUMNS, WITHIN_TRIALS, cohort_drift, cohort_lines,
                                   control_table, drift_fit, newey_west_lags, pooled_within_sd, subject_columns,
                                   with_cohort)


def stances_of(values, times_s, *, sides=None, trial="1", subject="A", condition="baseline", start_min=None):
    n = len(values)
    table = pd.DataFrame({"subject": subject, "condition": condition, "trial": trial,
                          "side": sides if sides is not None else np.where(np.arange(n) % 2, "L", "R"),
                          "strike_s": times_s, "excluded": False, "cpd_peak_deg": values,
                          "cpd_excursion_deg": np.asarray(values) / 2})
    if start_min is not None:
        table["time_into_run_min"] = start_min
    return table


def test_an_exact_line_with_a_side_offset_gives_its_slope_and_no_residual():
    t = np.arange(60) * 0.35  # s
    sides = np.where(np.arange(60) % 2, "L", "R")
    y = 5.0 + np.where(sides == "R", 2.0, 0.0) + 0.3 * t / 60.0  # 0.3 deg per minute
    row = control_table(stances_of(y, t, sides=sides)).set_index("metric").loc["cpd_peak_deg"]
    assert row["drift_per_min"] == pytest.approx(0.3, abs=1e-9)
    assert row["residual_sd"] == pytest.approx(0.0, abs=1e-9)
    assert row["drift_time"] == WITHIN_TRIALS
    # within each side the values are a line: SD = 0.3/60 x SD of the side's times (sides have the same spread)
    expected = np.sqrt(np.mean([np.var(0.3 * t[sides == s] / 60, ddof=1) for s in "LR"]))
    assert row["sd_within_side"] == pytest.approx(expected, rel=1e-9)
    assert row["cv"] == pytest.approx(expected / abs(y.mean()), rel=1e-9)


def test_the_cv_is_left_out_near_zero_with_its_reason():
    rng = np.random.default_rng(1)
    y = rng.normal(0.5, 0.8, 40)
    row = control_table(stances_of(y, np.arange(40) * 0.35), cv_min_abs_mean_deg=2.0).iloc[0]
    assert np.isnan(row["cv"]) and "under 2 deg" in row["cv_reason"]
    assert np.isfinite(row["sd_within_side"])


def test_too_few_stances_give_no_drift_and_say_why():
    row = control_table(stances_of([5.0, 6.0, 5.5, 6.5], [0.1, 0.4, 0.7, 1.0]), min_stances=10).iloc[0]
    assert np.isnan(row["drift_per_min"]) and "fewer than 10" in row["drift_reason"]
    assert list(control_table(stances_of([5.0] * 4, [0, 1, 2, 3])).columns) == CONTROL_COLUMNS


def test_pooled_within_sd_is_the_root_mean_of_the_cells_variances_by_their_df():
    a, b = np.array([1.0, 2.0, 4.0]), np.array([10.0, 13.0])
    expected = np.sqrt((np.var(a, ddof=1) * 2 + np.var(b, ddof=1) * 1) / 3)
    assert pooled_within_sd(np.r_[a, b], ["a"] * 3 + ["b"] * 2) == pytest.approx(expected)


def test_hac_standard_error_equals_a_hand_written_newey_west_sandwich():
    """Second implementation: (X'X)^-1 X' Omega X (X'X)^-1 with Bartlett weights 1 - l/(L+1), scaled by
    n/(n-k) (statsmodels' use_correction), against drift_fit's statsmodels result."""
    rng = np.random.default_rng(7)
    n, lags = 120, 4
    t = np.sort(rng.uniform(0, 10, n))
    cells = np.where(np.arange(n) % 2, "L", "R")
    e = np.zeros(n)
    for i in range(1, n):  # AR(1) errors
        e[i] = 0.5 * e[i - 1] + rng.normal(0, 1)
    y = np.where(cells == "R", 1.0, 0.0) + 0.2 * t + e
    X = np.column_stack([cells == "L", cells == "R", t]).astype(float)
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    u = (y - X @ beta)[:, None] * X
    omega = u.T @ u
    for lag in range(1, lags + 1):
        gamma = u[lag:].T @ u[:-lag]
        omega += (1 - lag / (lags + 1)) * (gamma + gamma.T)
    bread = np.linalg.inv(X.T @ X)
    cov = bread @ omega @ bread * n / (n - X.shape[1])
    fit = drift_fit(y, t, cells, maxlags=lags)
    assert fit["drift_per_min"] == pytest.approx(beta[-1], rel=1e-10)
    assert fit["drift_se"] == pytest.approx(np.sqrt(cov[-1, -1]), rel=1e-10)
    half = st.t.ppf(0.975, n - 3) * np.sqrt(cov[-1, -1])
    assert fit["drift_ci_high"] - fit["drift_ci_low"] == pytest.approx(2 * half, rel=1e-10)


def test_newey_west_lag_rule():
    # floor(4 (n/100)^(2/9)) by hand: 4 x 0.27^(2/9) = 2.98, 4 x 0.28^(2/9) = 3.01, 4 x 1 = 4, 4 x 2.73^(2/9) = 5.00
    assert [newey_west_lags(n) for n in (27, 28, 99, 100, 272, 273)] == [2, 3, 3, 4, 4, 5]


@pytest.mark.parametrize("phi", [0.0, 0.4])
def test_the_drift_ci_covers_a_known_slope_at_about_its_level(phi):
    """Coverage on 400 series of 80 alternating stances over 0.5 min, true slope 0.5 deg/min, AR(1) errors of
    stationary SD 0.8 deg. With phi = 0.4 ordinary least-squares intervals undercover; Newey-West's are
    meant to hold near 95 % (they run a little under it in samples this small)."""
    rng = np.random.default_rng(2026)
    n, slope, sd = 80, 0.5, 0.8
    t = np.arange(n) * 0.375 / 60  # min
    cells = np.where(np.arange(n) % 2, "L", "R")
    hits, widths = [], []
    for _ in range(400):
        e = np.zeros(n)
        e[0] = rng.normal(0, sd)
        for i in range(1, n):
            e[i] = phi * e[i - 1] + rng.normal(0, sd * np.sqrt(1 - phi ** 2))
        fit = drift_fit(3.0 + slope * t + e, t, cells)
        hits.append(fit["drift_ci_low"] <= slope <= fit["drift_ci_high"])
        widths.append(fit["drift_ci_high"] - fit["drift_ci_low"])
    coverage = np.mean(hits)
    assert 0.89 <= coverage <= 0.99, coverage
    # against the analytic width for independent errors, 2 t sd / sqrt(Sxx) (Sxx within sides)
    sxx = sum(np.sum((t[cells == c] - t[cells == c].mean()) ** 2) for c in "LR")
    analytic = 2 * st.t.ppf(0.975, n - 3) * sd / np.sqrt(sxx)
    assert 0.8 < np.median(widths) / analytic < (1.2 if phi == 0 else 2.5)


def test_drift_across_trials_uses_the_trials_start_in_the_run():
    rng = np.random.default_rng(3)
    parts = []
    for k, start in enumerate([0.0, 10.0, 20.0]):
        t = np.arange(40) * 0.36
        parts.append(stances_of(6.0 + 0.05 * (start + t / 60) + rng.normal(0, 0.3, 40), t, trial=str(k + 1),
                                start_min=start))
    table = pd.concat(parts, ignore_index=True)
    across = control_table(table).set_index("metric").loc["cpd_peak_deg"]
    assert across["drift_time"] == ACROSS_TRIALS and across["n_trials"] == 3
    assert across["drift_ci_low"] <= 0.05 <= across["drift_ci_high"]
    assert across["drift_ci_high"] - across["drift_ci_low"] < 0.05  # 20 min apart: tight
    # without the times, only within-trial slopes (0.24 min each): far wider
    within = control_table(table.drop(columns="time_into_run_min")).set_index("metric").loc["cpd_peak_deg"]
    assert within["drift_time"] == WITHIN_TRIALS
    assert within["drift_ci_high"] - within["drift_ci_low"] > 10 * (across["drift_ci_high"] - across["drift_ci_low"])


def test_subject_columns_sit_beside_their_metric_rows_only():
    subjects = pd.DataFrame({"task": "running", "subject": ["A", "A"], "condition": "baseline",
                             "metric": ["cpd_peak_deg", "cadence_spm"], "mean": [6.0, 170.0]})
    control = control_table(stances_of(np.linspace(5, 7, 30), np.arange(30) * 0.35)).assign(task="running")
    out = subject_columns(subjects, control)
    assert len(out) == 2 and np.isfinite(out.loc[0, "drift_per_min"]) and np.isnan(out.loc[1, "drift_per_min"])


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_simulated_drift_and_stride_sd_are_recovered_through_the_c3d_files(tmp_path, seed):
    """The simulator's fatigue: 4 baseline trials of 30 s at 0, 5, 10 and 15 min into the run, peak drop growing
    0.1 deg/min with a stride-to-stride SD of 0.8 deg, written as C3D files and analysed by process_trial. The CI
    covers the true drift and its width is within 0.7-1.4 times the analytic width for independent strides."""
    from hipdrop.simulate.running import CohortSpec, simulate_cohort
    from hipdrop.trial.process import process_trial

    spec = CohortSpec(n_subjects=1, trials_per_condition=4, duration_s=30.0, seed=seed, drift_deg_per_min=0.1,
                      stride_sd_deg=0.8, trial_interval_min=5.0)
    sheet = simulate_cohort(tmp_path, spec)
    assert list(pd.read_csv(tmp_path / "trials.tsv", sep="\t")["time_into_run_min"].unique()) == [0.0, 5.0, 10.0, 15.0]
    parts = []
    for row in sheet[sheet["condition"] == "baseline"].itertuples():
        result = process_trial(tmp_path / row.path)
        parts.append(result.stances.assign(subject=row.subject, condition=row.condition, trial=str(row.trial),
                                           time_into_run_min=row.time_into_run_min))
    stances = pd.concat(parts, ignore_index=True)
    row = control_table(stances).set_index("metric").loc["cpd_peak_deg"]
    assert row["drift_time"] == ACROSS_TRIALS
    assert row["drift_ci_low"] <= 0.1 <= row["drift_ci_high"]
    kept = stances[~stances["excluded"].astype(bool)]
    time_min = kept["time_into_run_min"] + kept["strike_s"] / 60
    sxx = sum(((g - g.mean()) ** 2).sum() for _, g in time_min.groupby(kept["side"]))
    analytic = 2 * st.t.ppf(0.975, len(kept) - 3) * 0.8 / np.sqrt(sxx)
    assert 0.7 < (row["drift_ci_high"] - row["drift_ci_low"]) / analytic < 1.4
    assert row["sd_within_side"] == pytest.approx(0.8, rel=0.15)
    # the excursion carries no drift in the simulator (the drift moves the whole first half of stance)
    excursion = control_table(stances).set_index("metric").loc["cpd_excursion_deg"]
    assert abs(excursion["drift_per_min"]) < 0.02


def test_cohort_drift_is_the_runners_mean_with_a_t_interval_on_their_spread():
    """Hand-computed: five runners whose drifts are exact lines of 0.1, 0.2, 0.3, 0.4 and 0.5 deg/min (no noise):
    mean 0.3, SD sqrt(0.025), CI 0.3 +/- t(0.975, 4) x SD / sqrt(5); two runners are too few at min_subjects 3."""
    t = np.arange(60) * 0.35
    parts = [stances_of(5.0 + slope * t / 60.0, t, subject=f"R{k}") for k, slope in enumerate([0.1, 0.2, 0.3, 0.4, 0.5])]
    runners = control_table(pd.concat(parts, ignore_index=True))
    cohort = cohort_drift(runners, min_subjects=3).set_index("metric").loc["cpd_peak_deg"]
    sd = np.std([0.1, 0.2, 0.3, 0.4, 0.5], ddof=1)
    half = st.t.ppf(0.975, 4) * sd / np.sqrt(5)
    assert cohort["level"] == COHORT and cohort["subject"] == "" and cohort["n_runners"] == 5
    assert cohort["drift_per_min"] == pytest.approx(0.3, abs=1e-9)
    assert cohort["drift_runner_sd"] == pytest.approx(sd, rel=1e-6)
    assert (cohort["drift_ci_low"], cohort["drift_ci_high"]) == pytest.approx((0.3 - half, 0.3 + half), rel=1e-6)
    few = cohort_drift(runners[runners["subject"].isin(["R0", "R1"])], min_subjects=3).iloc[0]
    assert np.isnan(few["drift_per_min"]) and "fewer than 3" in few["drift_reason"]
    # the cohort's rows stay out of the runners' columns in subjects.csv and of the runner page
    both = with_cohort(runners, min_subjects=3)
    subjects = pd.DataFrame({"subject": ["R0"], "condition": "baseline", "metric": ["cpd_peak_deg"]})
    assert len(subject_columns(subjects, both)) == 1
    line = cohort_lines(both)[0]
    assert "baseline (cohort: mean of 5 runners' slopes, within trials): +0.300 deg/min" in line


@pytest.mark.parametrize("seed", [21, 22])
def test_the_cohort_drift_of_a_simulated_fatigue_protocol_is_recovered(tmp_path, seed):
    """A simulated cohort of 6 runners whose peak drop grows 0.1 deg/min (the simulator's drift_deg_per_min, the
    same for every runner), 3 baseline and 3 cadence +10 % trials of 20 s at 0, 5 and 10 min into the run, stride SD
    0.8 deg, through process_trial. Per condition the cohort's CI covers 0.1 and excludes 0. In the baseline, with
    one true drift for all, the runners' drifts differ by estimation error alone, so the cohort's SE (their SD /
    sqrt(6)) should be their median HAC SE / sqrt(6) within the SD's sampling range on 5 df, sqrt(chi2_5 / 5):
    0.20-2.02 at 0.1 % and 99.9 %. (Not in cadence +10 %: each trial's achieved cadence, and so its effect, differs,
    a trial-level variation the runner's fit does not model and the runners' spread carries.)"""
    from hipdrop.simulate.running import CohortSpec, simulate_cohort
    from hipdrop.trial.process import process_trial

    spec = CohortSpec(n_subjects=6, trials_per_condition=3, duration_s=20.0, seed=seed, drift_deg_per_min=0.1,
                      stride_sd_deg=0.8, trial_interval_min=5.0)
    sheet = simulate_cohort(tmp_path, spec)
    parts = []
    for row in sheet[sheet["condition"].isin(["baseline", "cadence_plus10"])].itertuples():
        result = process_trial(tmp_path / row.path)
        parts.append(result.stances.assign(subject=row.subject, condition=row.condition, trial=str(row.trial),
                                           time_into_run_min=row.time_into_run_min))
    control = with_cohort(control_table(pd.concat(parts, ignore_index=True)), min_subjects=3)
    runners = control[(control["level"] == "runner") & (control["metric"] == "cpd_peak_deg")]
    cohort = control[(control["level"] == COHORT) & (control["metric"] == "cpd_peak_deg")].set_index("condition")
    assert sorted(cohort.index) == ["baseline", "cadence_plus10"]
    for condition, row in cohort.iterrows():
        assert row["n_runners"] == 6 and row["drift_time"] == ACROSS_TRIALS
        assert row["drift_ci_low"] <= 0.1 <= row["drift_ci_high"] and row["drift_ci_low"] > 0, row
    own = runners.loc[runners["condition"] == "baseline", "drift_se"].median() / np.sqrt(6)
    low, high = np.sqrt(st.chi2.ppf([0.001, 0.999], 5) / 5)
    assert low < cohort.loc["baseline", "drift_se"] / own < high, (cohort.loc["baseline", "drift_se"], own)
