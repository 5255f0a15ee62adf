"""Sample sizes for the paired design: hand-computed cases, limits, and a stance-level simulation of whole studies."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hipdrop.stats.power import POWER_COLUMNS, power_table, required_runners, sd_change


def exact_power(n, sd, effect, alpha=0.05):
    """Power of the two-sided one-sample t-test on n changes: noncentral t, n - 1 df, nc = effect sqrt(n) / sd."""
    df, nc = n - 1, effect * np.sqrt(n) / sd
    critical = stats.t.ppf(1 - alpha / 2, df)
    return stats.nct.sf(critical, df, nc) + stats.nct.cdf(-critical, df, nc)


def test_sd_2_effect_3_needs_6_runners_by_hand():
    # printed t tables: t_0.975 and t_0.80 on 4 df 2.7764 and 0.9410, on 5 df 2.5706 and 0.9195
    assert stats.t.ppf([0.975, 0.8], 4) == pytest.approx([2.7764, 0.9410], abs=1e-4)
    assert stats.t.ppf([0.975, 0.8], 5) == pytest.approx([2.5706, 0.9195], abs=1e-4)
    assert (2.7764 + 0.9410) * 2 / 3 > np.sqrt(5)  # n = 5: 2.478 > 2.236
    assert (2.5706 + 0.9195) * 2 / 3 <= np.sqrt(6)  # n = 6: 2.327 <= 2.449
    assert required_runners(2.0, 3.0) == 6
    assert required_runners(2.0, -3.0) == 6  # two-sided: the sign does not matter


#: G*Power 3.1 (Faul F, Erdfelder E, Lang A-G, Buchner A (2007), Behav Res Methods 39:175-191), "t tests - Means:
#: Difference between two dependent means (matched pairs)", a priori, alpha 0.05 two-tailed, power 0.80:
#: effect size d_z -> total sample size (pairs), actual power
G_POWER_MATCHED_PAIRS = {0.5: (34, 0.8078), 0.8: (15, 0.8213)}


@pytest.mark.parametrize("dz", sorted(G_POWER_MATCHED_PAIRS))
def test_sample_sizes_are_g_powers_for_the_paired_t_test(dz):
    runners, actual_power = G_POWER_MATCHED_PAIRS[dz]
    assert required_runners(1.0, dz) == runners
    assert required_runners(2.0, 2.0 * dz) == runners  # only the ratio effect / SD of the change matters
    # the noncentral-t power the other tests here take as the exact answer is G*Power's too
    assert exact_power(runners, 1.0, dz) == pytest.approx(actual_power, abs=1e-4)
    assert exact_power(runners - 1, 1.0, dz) < 0.8


def test_the_12_runners_of_science_md_belong_to_a_smaller_effect_or_a_larger_sd():
    # docs/science.md section 6: "12 runners detect 3 deg" at SD 2 deg; the section 10 formula says 6 (test above).
    # 12 runners are what 1.78-1.87 deg at SD 2 deg, or 3 deg at SD 3.21-3.37 deg, need
    assert required_runners(2.0, 1.8) == 12
    assert required_runners(3.3, 3.0) == 12
    assert exact_power(12, 2.0, 3.0) > 0.99


def test_larger_effects_need_fewer_runners_and_larger_sds_more():
    effects = np.linspace(0.3, 5.0, 40)
    by_effect = [required_runners(2.0, e) for e in effects]
    assert all(a >= b for a, b in zip(by_effect, by_effect[1:])) and by_effect[0] > by_effect[-1]
    by_sd = [required_runners(s, 1.0) for s in np.linspace(0.2, 4.0, 40)]
    assert all(a <= b for a, b in zip(by_sd, by_sd[1:])) and by_sd[0] < by_sd[-1]
    assert required_runners(2.0, 3.0, power=0.9) > required_runners(2.0, 3.0)
    assert required_runners(2.0, 3.0, alpha=0.01) > required_runners(2.0, 3.0)


def test_the_formula_tracks_the_exact_noncentral_t_power():
    for ratio in np.linspace(0.4, 3.0, 27):
        n = required_runners(ratio, 1.0)
        assert exact_power(n, ratio, 1.0) >= 0.785  # the t-quantile formula runs slightly short for n = 4-7
        assert exact_power(n - 1, ratio, 1.0) < 0.801


def test_no_answer_for_no_effect_non_finite_inputs_or_past_the_cap():
    assert required_runners(2.0, 0.0) is None
    assert required_runners(np.nan, 3.0) is None
    assert required_runners(2.0, np.inf) is None
    assert required_runners(1.0, 0.1) == 787
    assert required_runners(1.0, 0.1, max_runners=786) is None
    assert required_runners(0.0, 1.0) == 2


@pytest.mark.parametrize("kwargs", [{"alpha": 1.2}, {"power": 0.0}, {"max_runners": 1}])
def test_bad_options_are_errors(kwargs):
    with pytest.raises(ValueError):
        required_runners(2.0, 3.0, **kwargs)


def test_negative_sd_is_an_error():
    with pytest.raises(ValueError, match="sd_change_deg"):
        required_runners(-1.0, 3.0)


def test_sd_change_adds_the_residual_share_of_a_runners_mean_change():
    # 0.25 + 1.0 * (1/20 + 1/40) = 0.325 deg^2
    assert sd_change(0.25, 1.0, stances_condition=20, stances_baseline=40) == pytest.approx(np.sqrt(0.325))
    # trials as a variance component: + 0.1 * (1/2 + 1/2)
    assert sd_change(0.25, 1.0, stances_condition=20, stances_baseline=40, trial_var_deg2=0.1, trials_condition=2,
                     trials_baseline=2) == pytest.approx(np.sqrt(0.425))
    # with endless strides only the runners' own spread of the effect is left
    assert sd_change(0.25, 1.0, stances_condition=1e12, stances_baseline=1e12) == pytest.approx(0.5)
    assert np.isnan(sd_change(np.nan, 1.0, stances_condition=20, stances_baseline=20))
    with pytest.raises(ValueError, match="residual_var_deg2"):
        sd_change(0.25, -1.0, stances_condition=20, stances_baseline=20)
    with pytest.raises(ValueError, match="stances_baseline"):
        sd_change(0.25, 1.0, stances_condition=20, stances_baseline=0)


def test_power_table_rows_and_notes():
    components = pd.DataFrame({
        "metric": ["cpd_peak_deg"] * 3, "condition": ["cadence_plus10", "arm_swing", "barefoot"],
        "effect_deg": [-1.5, 0.0, 0.4], "slope_var_deg2": [0.16, 0.16, np.nan], "residual_var_deg2": [0.64] * 3,
        "stances_condition": [40.0] * 3, "stances_baseline": [40.0] * 3,
    })
    table = power_table(components, smallest_effect_deg=0.5)
    assert list(table.columns) == POWER_COLUMNS
    sd = np.sqrt(0.16 + 0.64 * (2 / 40))
    first = table.iloc[0]
    assert first.sd_change_deg == pytest.approx(sd)
    assert first.runners_for_observed_effect == required_runners(sd, 1.5)
    assert first.runners_for_smallest_effect == required_runners(sd, 0.5)
    assert first.note == "" and (first.alpha, first.power, first.smallest_effect_deg) == (0.05, 0.8, 0.5)
    assert table.iloc[1].note == "observed effect 0: no sample size detects it"
    assert pd.isna(table.iloc[1].runners_for_observed_effect)
    assert not pd.isna(table.iloc[1].runners_for_smallest_effect)
    assert "SD of the change not finite" in table.iloc[2].note
    assert str(table["runners_for_observed_effect"].dtype) == "Int64"
    with pytest.raises(ValueError, match="stances_baseline"):
        power_table(components.drop(columns="stances_baseline"))


def simulated_power(rng, *, n_runners, studies, effect, slope_sd, residual_sd, n_condition, n_baseline):
    """Share of simulated studies whose paired t-test on runners' mean changes has p < 0.05; and those changes."""
    shape = (studies, n_runners)
    intercept = 6.0 + rng.normal(0.0, 1.5, shape)  # cancels in the change; there for realism
    true_change = effect + rng.normal(0.0, slope_sd, shape)
    baseline = intercept[..., None] + rng.normal(0.0, residual_sd, (*shape, n_baseline))
    condition = (intercept + true_change)[..., None] + rng.normal(0.0, residual_sd, (*shape, n_condition))
    changes = condition.mean(axis=-1) - baseline.mean(axis=-1)
    p = stats.ttest_1samp(changes, 0.0, axis=1).pvalue
    return float(np.mean(p < 0.05)), changes


def test_simulated_studies_reach_the_planned_power():
    # a 1 deg effect, runners' effects spread by 1 deg, stride SD 1 deg (docs/science.md section 3: 0.45-1.2 deg),
    # 20 stances per condition (its minimum): SD of the change sqrt(1 + 1 * 2/20) = 1.049 deg -> 11 runners
    effect, slope_sd, residual_sd, stances, studies = 1.0, 1.0, 1.0, 20, 2000
    sd = sd_change(slope_sd**2, residual_sd**2, stances_condition=stances, stances_baseline=stances)
    n = required_runners(sd, effect)
    assert n == 11
    rng = np.random.default_rng(2024)
    for runners in (n, n - 1):
        empirical, changes = simulated_power(rng, n_runners=runners, studies=studies, effect=effect, slope_sd=slope_sd,
                                             residual_sd=residual_sd, n_condition=stances, n_baseline=stances)
        # the SD of a runner's mean change is what sd_change says (leaving out the residual share, 1.0 deg, would
        # be 5 % off; the SD of 20000+ changes is known to about 0.5 %)
        assert changes.std(ddof=1) == pytest.approx(sd, rel=0.02)
        exact = exact_power(runners, sd, effect)
        binomial_se = np.sqrt(exact * (1 - exact) / studies)  # about 0.009
        assert abs(empirical - exact) < 3 * binomial_se
        if runners == n:
            assert exact >= 0.8 and empirical >= 0.8 - 3 * np.sqrt(0.8 * 0.2 / studies)
        else:
            assert exact < 0.8 and empirical < 0.8 + 3 * np.sqrt(0.8 * 0.2 / studies)
