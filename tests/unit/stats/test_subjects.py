"""subject_table on a hand-built stance table whose means, SDs and counts are computed by hand."""

import numpy as np
import pandas as pd
import pytest

from hipdrop.stats.subjects import SUBJECT_COLUMNS, subject_table


def stance(subject, condition, peak, cadence=170.0, excluded=False):
    return {"subject": subject, "condition": condition, "trial": "1", "side": "L", "cpd_peak_deg": peak,
            "cpd_excursion_deg": 2 * peak, "cadence_spm": cadence, "step_time_s": 60.0 / cadence, "excluded": excluded}


@pytest.fixture
def table():
    """A: baseline 6, 8 (plus an included stance without a value and an excluded outlier), fast 4, 5, 6.
    B: every baseline stance excluded, fast 3, 5. No arm markers, so no arm_swing_mm column."""
    rows = [
        stance("A", "baseline", 6.0, cadence=170.0), stance("A", "baseline", 8.0, cadence=180.0),
        stance("A", "baseline", np.nan, cadence=np.nan), stance("A", "baseline", 100.0, excluded=True),
        stance("A", "fast", 4.0), stance("A", "fast", 5.0), stance("A", "fast", 6.0),
        stance("B", "baseline", 7.0, excluded=True), stance("B", "baseline", 9.0, excluded=True),
        stance("B", "fast", 3.0), stance("B", "fast", 5.0), stance("B", "fast", 5.0, excluded=True),
    ]
    return subject_table(pd.DataFrame(rows), baseline="baseline").set_index(["subject", "condition", "metric"])


def test_one_row_per_subject_condition_and_metric_present(table):
    assert list(table.reset_index().columns) == SUBJECT_COLUMNS
    # arm_swing_mm is in SUBJECT_METRICS but not in the table: skipped, not a column of NaN
    assert set(table.index.get_level_values("metric")) == {"cpd_peak_deg", "cpd_excursion_deg", "cadence_spm"}
    assert len(table) == 2 * 2 * 3
    assert list(table.reset_index().metric[:3]) == ["cpd_peak_deg", "cpd_excursion_deg", "cadence_spm"]


def test_means_sds_and_medians_of_included_finite_values(table):
    base = table.loc[("A", "baseline", "cpd_peak_deg")]
    assert (base.n_included, base.n_excluded, base.n_values) == (3, 1, 2)  # the NaN stance is included, no value
    assert base["mean"] == pytest.approx(7.0) and base["median"] == pytest.approx(7.0)
    assert base.sd == pytest.approx(np.sqrt(2.0))  # (6 - 7)^2 + (8 - 7)^2 over 2 - 1
    fast = table.loc[("A", "fast", "cpd_peak_deg")]
    assert (fast["mean"], fast.sd, fast["median"]) == pytest.approx((5.0, 1.0, 5.0))
    assert table.loc[("A", "fast", "cpd_excursion_deg"), "mean"] == pytest.approx(10.0)


def test_change_from_the_runners_own_baseline(table):
    assert table.loc[("A", "fast", "cpd_peak_deg"), "baseline_mean"] == pytest.approx(7.0)
    assert table.loc[("A", "fast", "cpd_peak_deg"), "change_from_baseline"] == pytest.approx(-2.0)
    assert table.loc[("A", "baseline", "cpd_peak_deg"), "change_from_baseline"] == 0.0
    assert table.loc[("A", "fast", "cpd_excursion_deg"), "change_from_baseline"] == pytest.approx(-4.0)


def test_a_runner_without_baseline_values_has_no_change(table):
    base = table.loc[("B", "baseline", "cpd_peak_deg")]
    assert (base.n_included, base.n_excluded, base.n_values) == (0, 2, 0)
    assert np.isnan(base["mean"]) and np.isnan(base.change_from_baseline)
    fast = table.loc[("B", "fast", "cpd_peak_deg")]
    assert (fast.n_included, fast.n_excluded, fast.n_values) == (2, 1, 2)
    assert fast["mean"] == pytest.approx(4.0)
    assert np.isnan(fast.baseline_mean) and np.isnan(fast.change_from_baseline)


def test_cadence_is_the_mean_of_per_step_cadences():
    rows = [stance("A", "baseline", 6.0, cadence=150.0), stance("A", "baseline", 6.0, cadence=200.0)]
    row = subject_table(pd.DataFrame(rows), baseline="baseline", metrics=("cadence_spm",)).iloc[0]
    assert row["mean"] == pytest.approx(175.0)
    # not 60 / mean step time, which is lower (Jensen): 60 / mean(0.4, 0.3) = 171.4 steps/min
    assert 60.0 / np.mean([60 / 150, 60 / 200]) == pytest.approx(171.43, abs=0.01)


def test_a_single_value_has_no_sd_and_infinite_values_do_not_count():
    rows = [stance("A", "baseline", 6.0), stance("A", "baseline", np.inf)]
    row = subject_table(pd.DataFrame(rows), baseline="baseline", metrics=("cpd_peak_deg",)).iloc[0]
    assert row.n_values == 1 and row["mean"] == 6.0 and np.isnan(row.sd)


def test_no_metric_present_gives_an_empty_table_with_the_columns():
    rows = [stance("A", "baseline", 6.0)]
    table = subject_table(pd.DataFrame(rows), baseline="baseline", metrics=("arm_swing_mm",))
    assert table.empty and list(table.columns) == SUBJECT_COLUMNS


def test_a_table_without_the_excluded_column_is_refused_with_what_to_do():
    with pytest.raises(KeyError, match="excluded"):
        subject_table(pd.DataFrame({"subject": ["A"], "condition": ["baseline"]}), baseline="baseline")


def test_a_mean_from_fewer_than_min_stances_is_flagged():
    """Issue 22 item 8: a runner's mean from 2 stances (a 0.98 s trial) was shown like any other."""
    rows = [{"subject": "A", "condition": c, "excluded": False, "cpd_peak_deg": 5.0 + i}
            for c, n in (("baseline", 12), ("short", 2)) for i in range(n)]
    table = subject_table(pd.DataFrame(rows), baseline="baseline", metrics=("cpd_peak_deg",), min_stances=10)
    assert table.set_index("condition")["few_stances"].to_dict() == {"baseline": False, "short": True}
    assert table.set_index("condition").loc["short", "n_values"] == 2
