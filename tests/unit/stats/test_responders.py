"""Responder calls on hand-built stance tables whose means and SDs are known by construction.

Each runner's baseline is [5, 7, 5, 7] deg (mean 6, sample variance 4/3), so with four stances a side the SE of a
condition mean is sqrt(4/3 / 4) = sqrt(1/3) deg and, against a condition of the same spread, SE_change = sqrt(2/3).
"""

import numpy as np
import pandas as pd
import pytest

from hipdrop.stats.responders import RESPONDER_COLUMNS, responder_counts, responder_table

BASE = [5.0, 7.0, 5.0, 7.0]
SE_SINGLE_TRIAL = np.sqrt(2 / 3)


def rows(subject, condition, values, *, trial="1", side="L", excluded=False):
    sides = side if isinstance(side, list) else [side] * len(values)
    flags = excluded if isinstance(excluded, list) else [excluded] * len(values)
    return [{"subject": subject, "condition": condition, "trial": trial, "side": s, "cpd_peak_deg": v, "excluded": e}
            for v, s, e in zip(values, sides, flags)]


@pytest.fixture(scope="module")
def table():
    data = (
        rows("improver", "baseline", BASE) + rows("improver", "fast", [2.0, 4.0, 2.0, 4.0])
        + rows("worsener", "baseline", BASE) + rows("worsener", "fast", [8.0, 10.0, 8.0, 10.0])
        + rows("steady", "baseline", BASE) + rows("steady", "fast", [6.0, 8.0, 6.0, 8.0])
        # one good stance in the condition: the other is excluded, the third has no metric
        + rows("one_stance", "baseline", BASE)
        + rows("one_stance", "fast", [3.0, 100.0, np.nan], excluded=[False, True, False])
        + rows("no_baseline", "fast", [2.0, 4.0, 2.0, 4.0])
        # two trials per condition; the condition's trial means are 2 and 6 deg apart by 4 deg
        + rows("two_trials", "baseline", BASE, trial="1") + rows("two_trials", "baseline", BASE, trial="2")
        + rows("two_trials", "fast", [1.0, 3.0, 1.0, 3.0], trial="1") + rows("two_trials", "fast", BASE, trial="2")
    )
    return responder_table(pd.DataFrame(data), baseline="baseline").set_index("subject")


def test_columns_and_one_row_per_runner_and_condition(table):
    assert list(table.reset_index().columns) == RESPONDER_COLUMNS
    assert sorted(table.index) == ["improver", "no_baseline", "one_stance", "steady", "two_trials", "worsener"]
    assert set(table.condition) == {"fast"} and set(table.metric) == {"cpd_peak_deg"}


@pytest.mark.parametrize(("subject", "change", "call"), [("improver", -3.0, "improved"), ("worsener", 3.0, "worsened"),
                                                          ("steady", 1.0, "unchanged")])
def test_clear_changes_are_called_against_the_hand_computed_mdc(table, subject, change, call):
    row = table.loc[subject]
    assert row.change_deg == pytest.approx(change)
    assert row.se_change_deg == pytest.approx(SE_SINGLE_TRIAL)
    assert row.mdc95_deg == pytest.approx(1.96 * SE_SINGLE_TRIAL)  # 1.60 deg
    assert (row.n_baseline, row.n_condition) == (4, 4)
    assert row.mdc_source == "stride-to-stride"
    assert row.responder == call and row.reason == ""


def test_a_runner_with_one_included_stance_is_not_assessable(table):
    row = table.loc["one_stance"]
    assert row.responder == "not assessable"
    assert row.n_condition == 1 and "1 included condition stance" in row.reason
    assert row.change_deg == pytest.approx(3.0 - 6.0)  # the excluded 100 deg and the NaN stance stay out
    assert np.isnan(row.se_change_deg) and np.isnan(row.mdc95_deg)


def test_a_runner_without_baseline_is_not_assessable(table):
    row = table.loc["no_baseline"]
    assert row.responder == "not assessable" and row.reason == "no baseline stances"
    assert row.n_baseline == 0 and np.isnan(row.change_deg)


def test_trial_to_trial_spread_widens_the_mdc(table):
    row = table.loc["two_trials"]
    assert row.change_deg == pytest.approx(4.0 - 6.0)
    # baseline: trial means agree, stride SE = sqrt(4/3 / 8); condition: trial means 2 and 6 deg, their SD
    # 2 sqrt(2) over sqrt(2 trials) = 2 deg, larger than its stride SE of sqrt(1/6)
    se = np.sqrt(4 / 3 / 8 + 2.0**2)
    assert row.se_change_deg == pytest.approx(se)
    assert row.mdc95_deg == pytest.approx(1.96 * se)
    assert row.mdc_source == "stride-to-stride and trial-to-trial"
    assert row.responder == "unchanged"
    # on stride noise alone the same runner would have been called an improver
    assert abs(row.change_deg) > 1.96 * np.sqrt(2 * 4 / 3 / 8)


def test_a_left_right_offset_neither_widens_the_mdc_nor_makes_a_change():
    # L stances about 2 deg, R about 6 deg (docs/science.md section 3 reports such offsets), no true change; the L/R
    # counts swap between conditions, which would move a plain mean over stances by (6 - 2) / 3 = 1.33 deg
    data = pd.DataFrame(
        rows("asym", "baseline", [1.0, 3.0, 1.0, 3.0, 5.0, 7.0], side=["L"] * 4 + ["R"] * 2)
        + rows("asym", "fast", [1.0, 3.0, 5.0, 7.0, 5.0, 7.0], side=["L"] * 2 + ["R"] * 4)
    )
    row = responder_table(data, baseline="baseline").iloc[0]
    assert row.change_deg == pytest.approx(0.0)
    # pooled within-side variance (4 + 2) / (6 - 2) = 1.5; SE^2 of a mean of two side means = 1.5 / 4 * (1/4 + 1/2)
    assert row.se_change_deg == pytest.approx(np.sqrt(2 * 1.5 / 4 * 0.75))  # 0.75 deg
    assert row.responder == "unchanged"


def test_a_runner_who_never_ran_a_condition_gets_no_verdict_on_it():
    """Issue 22 item 6: "overground: 6 not assessable" where 3 ran it. A runner without the condition is not among
    its runners at all; one who ran it with every stance excluded is, as not assessable."""
    excluded = [{**row, "excluded": True} for row in rows("C", "fast", BASE)]
    data = pd.DataFrame(rows("A", "baseline", BASE) + rows("A", "fast", BASE) + rows("B", "baseline", BASE)
                        + rows("C", "baseline", BASE) + excluded)
    table = responder_table(data, baseline="baseline").set_index("subject")
    assert list(table.index) == ["A", "C"]
    assert table.loc["C", "responder"] == "not assessable" and table.loc["C", "reason"].startswith("0 included condition")
    assert responder_counts(table.reset_index())["n_runners"].tolist() == [2]


def test_counts_per_condition(table):
    counts = responder_counts(table.reset_index())
    assert counts.to_dict("records") == [{
        "metric": "cpd_peak_deg", "condition": "fast", "improved": 1, "unchanged": 2, "worsened": 1,
        "not_assessable": 2, "n_runners": 6,
    }]


def test_an_unknown_baseline_makes_every_runner_not_assessable_and_says_why():
    # a task without any baseline trial is valid data (found by the property test, seed 106): it must not stop the
    # study's other tasks; a misspelt baseline reads the same way, naming the conditions there are
    table = responder_table(pd.DataFrame(rows("A", "baseline", BASE) + rows("A", "fast", BASE)), baseline="rest")
    assert list(table["condition"]) == ["baseline", "fast"]
    assert (table["responder"] == "not assessable").all()
    assert (table["reason"] == "the baseline condition 'rest' is not in the stances; conditions: ['baseline', "
                               "'fast']").all()


def _grouped_by_pandas(stances: pd.DataFrame) -> tuple[float, float, float]:
    """The condition mean and its two SEs as docs/science.md section 10 words them, in pandas groupbys: a second
    implementation of ``_condition_mean`` (which does it in numpy)."""
    values = stances["cpd_peak_deg"]
    by_side = values.groupby(stances["side"])
    cell = [stances["trial"], stances["side"]]
    deviations = values - values.groupby(cell).transform("mean")
    df_within = len(values) - values.groupby(cell).ngroups
    var_within = (deviations**2).sum() / df_within if df_within > 0 else np.nan
    n_side = by_side.size().to_numpy(float)
    se_trial = np.nan
    if stances["trial"].nunique() > 1:
        trial_means = (values - by_side.transform("mean")).groupby(stances["trial"]).mean()
        se_trial = trial_means.std(ddof=1) / np.sqrt(len(trial_means))
    return by_side.mean().mean(), np.sqrt(var_within * np.sum(1 / n_side)) / len(n_side), se_trial


def test_condition_means_and_their_errors_equal_a_pandas_groupby_implementation():
    from hipdrop.stats.responders import _condition_mean, _Stances

    rng = np.random.default_rng(7)
    for _ in range(200):
        n = int(rng.integers(1, 40))
        stances = pd.DataFrame({"trial": rng.choice(["1", "2", "3"], n), "side": rng.choice(["L", "R"], n),
                                "cpd_peak_deg": rng.normal(5.0, 2.0, n)})
        codes = (pd.factorize(stances[c])[0] for c in ("side", "trial"))
        got = _condition_mean(_Stances(stances["cpd_peak_deg"].to_numpy(), *codes))
        np.testing.assert_allclose(got, _grouped_by_pandas(stances), rtol=1e-12, atol=1e-12, equal_nan=True)
