"""The run summary's lines on the size of a study: a caveat where the analysis was measured off its nominal level."""

import pandas as pd

from hipdrop.cohort.summary import run_summary
from hipdrop.stats.calibration import CALIBRATION, Calibration


def _summary(n_subjects: int, **extra) -> str:
    effects = pd.DataFrame({
        "task": "running", "metric": "cpd_peak_deg", "term": "condition[fast]", "analysis": ["mixed model", "rm-anova"],
        "estimable": True, "estimate_deg": -1.0, "ci_low": -2.0, "ci_high": 0.0, "p_holm": 0.04, "n_subjects": n_subjects,
        "n_stances": 40 * n_subjects, "reason": "", "model_notes": ""})
    empty = {name: pd.DataFrame(columns=columns) for name, columns in (
        ("manipulation", ["task", "subject", "condition", "targets", "adherent", "confounded", "achieved_cadence_change_pct"]),
        ("responders", ["task", "subject", "condition", "metric", "responder"]),
        ("dose_response", ["task", "level", "estimable", "reason"]))}
    trials = pd.DataFrame({"status": ["ok"] * n_subjects})
    return run_summary({"trials": trials, "effects": effects, **empty, **extra}, sheet_problems=[],
                       quarantine_path="q.csv")


def test_a_study_of_a_size_where_an_analysis_is_conservative_says_so(monkeypatch):
    """Measured (CALIBRATION): both analyses hold at every size, so no summary carries a caveat. A size measured off
    its level (the mixed model at 3 runners before issue 25's calibration work: its CIs covered 100.0 % and p < 0.05
    never came, benchmarks/calibration.py at ac0b336): the summary of a 3-runner study says so once, with the
    figures."""
    assert not [line for n in (3, 4, 8) for line in _summary(n).splitlines() if line.startswith("calibration: ")]
    monkeypatch.setitem(CALIBRATION, ("mixed model", 3), Calibration(1.000, 0.002, 0.000, 0.002, 200))
    text = _summary(3)
    caveats = [line for line in text.splitlines() if line.startswith("calibration: ")]
    assert len(caveats) == 1 and caveats[0].startswith("calibration: mixed model at 3 runners")
    assert "100.0 %" in caveats[0] and "conservative" in caveats[0]
    assert "peak drop condition[fast] (mixed model): -1.00 deg" in text and "3 runners, 120 stances" in text
    # the rm-ANOVA, calibrated at every size measured, never carries one
    assert not [line for line in _summary(8).splitlines() if line.startswith("calibration: rm-anova")]


def test_the_cohort_drift_of_stats_control_csv_is_a_line_per_condition():
    """control.csv's cohort rows, as read back from the CSV (two tasks: labelled), give one summary line each."""
    import numpy as np

    control = pd.DataFrame({
        "task": ["running", "running", "squat"], "level": ["runner", "cohort", "cohort"], "subject": ["S01", np.nan, np.nan],
        "condition": ["baseline", "baseline", "baseline"], "metric": "cpd_peak_deg", "n_runners": [np.nan, 6, 2],
        "drift_per_min": [0.2, 0.1034, np.nan], "drift_ci_low": [0.1, 0.0712, np.nan], "drift_ci_high": [0.3, 0.1356, np.nan],
        "drift_p": [0.01, 0.0004, np.nan], "drift_runner_sd": [np.nan, 0.0307, np.nan],
        "drift_time": "across trials (time_into_run_min)", "drift_reason": ["", "", "2 runner(s) with a drift, fewer than 3"]})
    lines = [line for line in _summary(6, control=control).splitlines() if line.startswith("drift of peak drop")]
    assert lines == [
        "drift of peak drop running: baseline (cohort: mean of 6 runners' slopes, across trials (time_into_run_min)): "
        "+0.103 deg/min, 95 % CI +0.071 to +0.136, p 0.0004; runners' SD 0.031",
        "drift of peak drop squat: baseline (cohort): not estimated: 2 runner(s) with a drift, fewer than 3"]
