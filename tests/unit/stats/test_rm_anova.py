"""rm_anova_effects on subject means computed by hand, checked against second implementations.

Paired t against scipy.stats.ttest_rel, F against statsmodels' AnovaRM, the Greenhouse-Geisser epsilon against
its textbook formula, d_z's CI against an inversion of the noncentral t quantile function and against its
coverage over simulated studies, Holm against a hand computation.
"""

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, stats
from statsmodels.stats.anova import AnovaRM

from hipdrop.stats.rm_anova import (
    NO_SPREAD,
    RM_EFFECT_COLUMNS,
    condition_anova,
    dz_confidence_interval,
    paired_effect,
    rm_anova_effects,
    runners_without_baseline,
)

#: subject means (deg) chosen so that the paired changes are whole numbers:
#: cadence - baseline = -2, -3, -1, -2 (mean -2, SD sqrt(2/3)); arm_swing - baseline = -1, 0, -1, 0 (mean -0.5,
#: SD sqrt(1/3))
MEANS = {
    "S1": {"baseline": 10.0, "cadence": 8.0, "arm_swing": 9.0},
    "S2": {"baseline": 12.0, "cadence": 9.0, "arm_swing": 12.0},
    "S3": {"baseline": 8.0, "cadence": 7.0, "arm_swing": 7.0},
    "S4": {"baseline": 10.0, "cadence": 8.0, "arm_swing": 10.0},
}


def stances_from(means, *, spread=0.5):
    """Two included stances per runner and condition at mean -/+ spread (so their mean is the subject mean), an
    included stance without a value and an excluded outlier, neither of which may count."""
    rows = []
    for subject, by_condition in means.items():
        for condition, mean in by_condition.items():
            for value, excluded in ((mean - spread, False), (mean + spread, False), (np.nan, False), (mean + 40, True)):
                rows.append({"subject": subject, "condition": condition, "trial": "1", "side": "L",
                             "cpd_peak_deg": value, "excluded": excluded})
    return pd.DataFrame(rows)


def long_means(means):
    return pd.DataFrame([{"subject": s, "condition": c, "mean": m} for s, row in means.items() for c, m in row.items()])


@pytest.fixture
def effects():
    return rm_anova_effects(stances_from(MEANS), metric="cpd_peak_deg", baseline="baseline").set_index("term")


def test_columns_and_one_row_per_condition(effects):
    assert list(rm_anova_effects(stances_from(MEANS), metric="cpd_peak_deg", baseline="baseline").columns) == \
        RM_EFFECT_COLUMNS
    assert list(effects.index) == ["condition[arm_swing]", "condition[cadence]"]
    assert (effects.analysis == "rm-anova").all() and effects.estimable.all() and (effects.reason == "").all()
    assert (effects.n_subjects == 4).all()
    assert (effects.n_stances == 4 * 2 * 2).all()  # 4 runners x 2 conditions x 2 stances with values


def test_paired_change_by_hand_and_against_scipy(effects):
    row = effects.loc["condition[cadence]"]
    sd = np.sqrt(2 / 3)  # changes -2, -3, -1, -2 around -2: squares 0 + 1 + 1 + 0 over 3
    se = sd / 2
    t = -2 / se
    assert row.estimate_deg == pytest.approx(-2.0)
    assert row.se_deg == pytest.approx(se)
    half = stats.t.ppf(0.975, 3) * se
    assert (row.ci_low, row.ci_high) == pytest.approx((-2 - half, -2 + half))
    reference = stats.ttest_rel([8, 9, 7, 8], [10, 12, 8, 10])
    assert reference.statistic == pytest.approx(t)
    assert row.p == pytest.approx(reference.pvalue)
    assert row.effect_size_dz == pytest.approx(-2 / sd)
    arm = effects.loc["condition[arm_swing]"]
    assert arm.estimate_deg == pytest.approx(-0.5)
    assert arm.p == pytest.approx(stats.ttest_rel([9, 12, 7, 10], [10, 12, 8, 10]).pvalue)
    assert arm.effect_size_dz == pytest.approx(-0.5 / np.sqrt(1 / 3))


def test_holm_by_hand_for_two_conditions(effects):
    p_cad, p_arm = effects.loc["condition[cadence]", "p"], effects.loc["condition[arm_swing]", "p"]
    assert p_cad < p_arm
    assert effects.loc["condition[cadence]", "p_holm"] == pytest.approx(min(1, 2 * p_cad))
    assert effects.loc["condition[arm_swing]", "p_holm"] == pytest.approx(max(2 * p_cad, p_arm))


def test_holm_by_hand_for_three_conditions():
    rng = np.random.default_rng(11)
    means = {f"S{i}": {"baseline": 10 + rng.normal(), "a": 0.0, "b": 0.0, "c": 0.0} for i in range(6)}
    for row in means.values():
        row.update(a=row["baseline"] - 2 + rng.normal(0, 1), b=row["baseline"] - 0.8 + rng.normal(0, 1),
                   c=row["baseline"] + rng.normal(0, 1))
    effects = rm_anova_effects(stances_from(means), metric="cpd_peak_deg", baseline="baseline")
    p = effects.p.to_numpy()
    order = np.argsort(p)
    by_hand = np.empty(3)
    running = 0.0
    for rank, index in enumerate(order):  # step-down: (m - rank) x p, never below the previous, capped at 1
        running = max(running, min(1.0, (3 - rank) * p[index]))
        by_hand[index] = running
    assert effects.p_holm.to_numpy() == pytest.approx(by_hand)
    assert effects.model.str.contains("Holm across 3 conditions").all()


def test_rm_anova_f_and_p_agree_with_statsmodels():
    means = long_means(MEANS)
    anova = condition_anova(means, conditions=["baseline", "cadence", "arm_swing"])
    reference = AnovaRM(means, depvar="mean", subject="subject", within=["condition"]).fit().anova_table.iloc[0]
    assert anova.f == pytest.approx(reference["F Value"])
    assert anova.p_unc == pytest.approx(reference["Pr > F"])
    assert (anova.df1, anova.df2) == (reference["Num DF"], reference["Den DF"]) == (2, 6)
    assert anova.subjects == ["S1", "S2", "S3", "S4"] and anova.dropped == []


def greenhouse_geisser(wide):
    """epsilon = tr(M)^2 / ((k - 1) tr(M^2)), M the covariance of orthonormal contrasts (Greenhouse & Geisser 1959)."""
    k = wide.shape[1]
    helmert = np.array([[1.0] * j + [-float(j)] + [0.0] * (k - j - 1) for j in range(1, k)])
    contrasts = helmert / np.linalg.norm(helmert, axis=1, keepdims=True)
    m = contrasts @ np.cov(wide, rowvar=False) @ contrasts.T
    return np.trace(m) ** 2 / ((k - 1) * np.trace(m @ m))


@pytest.mark.parametrize("seed", range(5))
def test_greenhouse_geisser_epsilon_within_its_bounds_and_as_the_formula(seed):
    rng = np.random.default_rng(seed)
    k, n = 4, 7
    wide = rng.normal(0, 1, (n, k)) + rng.normal(0, 2, (n, 1)) * rng.uniform(0, 2, k)  # unequal variances
    means = pd.DataFrame([{"subject": f"S{i}", "condition": f"c{j}", "mean": wide[i, j]}
                          for i in range(n) for j in range(k)])
    anova = condition_anova(means, conditions=[f"c{j}" for j in range(k)])
    assert 1 / (k - 1) - 1e-12 <= anova.eps_gg <= 1 + 1e-12
    assert anova.eps_gg == pytest.approx(greenhouse_geisser(wide))
    df1, df2 = anova.eps_gg * (k - 1), anova.eps_gg * (k - 1) * (n - 1)
    assert anova.p_gg == pytest.approx(stats.f.sf(anova.f, df1, df2))


def test_two_conditions_have_epsilon_one_and_the_paired_t_as_f():
    means = long_means({s: {"baseline": m["baseline"], "cadence": m["cadence"]} for s, m in MEANS.items()})
    anova = condition_anova(means, conditions=["baseline", "cadence"])
    assert anova.eps_gg == 1.0 and anova.p_gg == anova.p_unc
    t = stats.ttest_rel([8, 9, 7, 8], [10, 12, 8, 10])
    assert anova.f == pytest.approx(t.statistic**2) and anova.p_unc == pytest.approx(t.pvalue)


def independent_dz_interval(t, n, alpha=0.05):
    """The noncentrality delta whose 1 - alpha/2 (alpha/2) quantile is the observed t, found on the quantile
    function rather than the CDF, in a fixed wide bracket."""
    df = n - 1
    low = optimize.brentq(lambda d: stats.nct.ppf(1 - alpha / 2, df, d) - t, -60, 60, xtol=1e-12)
    high = optimize.brentq(lambda d: stats.nct.ppf(alpha / 2, df, d) - t, -60, 60, xtol=1e-12)
    return low / np.sqrt(n), high / np.sqrt(n)


@pytest.mark.parametrize(("t", "n"), [(-4.898979, 4), (2.0, 10), (0.0, 6), (7.5, 15)])
def test_dz_interval_agrees_with_an_inversion_of_the_quantile_function(t, n):
    low, high = dz_confidence_interval(t, n)
    assert (low, high) == pytest.approx(independent_dz_interval(t, n), abs=1e-6)
    assert low < t / np.sqrt(n) < high
    assert dz_confidence_interval(-t, n) == pytest.approx((-high, -low))  # symmetric in the sign of t


def test_dz_interval_of_the_cadence_effect(effects):
    row = effects.loc["condition[cadence]"]
    t = row.estimate_deg / row.se_deg
    assert (row.dz_ci_low, row.dz_ci_high) == pytest.approx(independent_dz_interval(t, 4), abs=1e-6)


def test_dz_interval_covers_the_true_dz_in_95_percent_of_simulated_studies():
    rng = np.random.default_rng(2019)
    true_dz, n, studies = 0.8, 8, 1000
    hits = 0
    for _ in range(studies):
        diff = rng.normal(true_dz, 1.0, n)
        low, high = dz_confidence_interval(diff.mean() / (diff.std(ddof=1) / np.sqrt(n)), n)
        hits += low <= true_dz <= high
    assert 0.93 <= hits / studies <= 0.97  # binomial SE 0.007


def test_a_condition_run_by_one_runner_is_not_estimable():
    means = {**MEANS, "S1": {**MEANS["S1"], "speed_4_5": 13.0}}
    effects = rm_anova_effects(stances_from(means), metric="cpd_peak_deg", baseline="baseline").set_index("term")
    row = effects.loc["condition[speed_4_5]"]
    assert not row.estimable and row.n_subjects == 1
    assert row.reason == "1 runner has both speed_4_5 and baseline; at least 3 are needed"
    assert np.isnan([row.estimate_deg, row.se_deg, row.p, row.p_holm, row.effect_size_dz]).all()
    # the other conditions and their ANOVA are those without the extra condition
    cadence = effects.loc["condition[cadence]"]
    assert cadence.estimable and cadence.estimate_deg == pytest.approx(-2.0)
    assert "over 3 conditions (baseline, arm_swing, cadence) on 4 runners" in cadence.model
    assert "Holm across 2 conditions" in cadence.model


def test_a_runner_without_baseline_is_left_out_of_the_paired_tests():
    means = {**MEANS, "S5": {"cadence": 2.0, "arm_swing": 30.0}}
    stances = stances_from(means)
    assert runners_without_baseline(stances, baseline="baseline") == ["S5"]
    effects = rm_anova_effects(stances, metric="cpd_peak_deg", baseline="baseline").set_index("term")
    row = effects.loc["condition[cadence]"]
    assert row.n_subjects == 4 and row.n_stances == 16
    assert row.estimate_deg == pytest.approx(-2.0)
    assert row.p == pytest.approx(stats.ttest_rel([8, 9, 7, 8], [10, 12, 8, 10]).pvalue)
    assert "on 4 runners with all of them, dropped S5" in row.model


def test_a_baseline_with_only_excluded_or_missing_values_counts_as_none():
    stances = stances_from(MEANS)
    stances.loc[(stances.subject == "S4") & (stances.condition == "baseline"), "excluded"] = True
    assert runners_without_baseline(stances, baseline="baseline") == ["S4"]
    stances = stances_from(MEANS)
    stances.loc[(stances.subject == "S3") & (stances.condition == "baseline"), "cpd_peak_deg"] = np.nan
    assert runners_without_baseline(stances, baseline="baseline") == []
    assert runners_without_baseline(stances, baseline="baseline", metric="cpd_peak_deg") == ["S3"]
    effects = rm_anova_effects(stances, metric="cpd_peak_deg", baseline="baseline")
    assert (effects.n_subjects == 3).all()


def test_too_few_runners_with_baseline_is_not_estimable():
    means = {s: MEANS[s] for s in ("S1", "S2")}
    effects = rm_anova_effects(stances_from(means), metric="cpd_peak_deg", baseline="baseline")
    assert not effects.estimable.any()
    assert effects.reason.tolist() == [f"2 runners have both {c} and baseline; at least 3 are needed"
                                       for c in ("arm_swing", "cadence")]


def test_no_baseline_at_all_makes_every_condition_not_estimable():
    means = {s: {c: m for c, m in row.items() if c != "baseline"} for s, row in MEANS.items()}
    effects = rm_anova_effects(stances_from(means), metric="cpd_peak_deg", baseline="baseline")
    assert effects.term.tolist() == ["condition[arm_swing]", "condition[cadence]"]
    assert not effects.estimable.any() and effects.estimate_deg.isna().all() and (effects.n_subjects == 0).all()
    assert effects.reason.str.contains("baseline condition 'baseline' has no included stances").all()


def test_a_missing_metric_is_not_estimable_rather_than_an_error():
    effects = rm_anova_effects(stances_from(MEANS), metric="arm_swing_mm", baseline="baseline")
    assert not effects.estimable.any() and (effects.reason == "arm_swing_mm is not in the stance table").all()


def test_the_same_change_in_every_runner_keeps_the_estimate_but_gives_no_dz():
    # every runner's change is -1.3 deg, up to floating-point rounding of the means (SD 4e-16, not 0)
    offsets = {"S1": 0.37, "S2": 0.91, "S3": 0.13, "S4": 0.55}
    means = {s: {"baseline": m["baseline"] + offsets[s], "cadence": m["baseline"] + offsets[s] - 1.3,
                 "arm_swing": m["arm_swing"]} for s, m in MEANS.items()}
    changes = [((m["cadence"] - 0.3) + (m["cadence"] + 0.3)) / 2 - ((m["baseline"] - 0.3) + (m["baseline"] + 0.3)) / 2
               for m in means.values()]
    assert 0 < np.std(changes, ddof=1) < 1e-14
    effects = rm_anova_effects(stances_from(means, spread=0.3), metric="cpd_peak_deg",
                               baseline="baseline").set_index("term")
    row = effects.loc["condition[cadence]"]
    assert row.estimable and row.estimate_deg == pytest.approx(-1.3)
    assert row.se_deg == 0.0 and row.ci_low == row.ci_high == row.estimate_deg
    assert row.p == 0.0 and np.isnan([row.effect_size_dz, row.dz_ci_low, row.dz_ci_high]).all()
    assert row.reason.startswith(NO_SPREAD)
    assert np.isfinite(effects.loc["condition[arm_swing]", "effect_size_dz"])


def test_the_same_changes_in_every_runner_give_no_f_despite_rounding():
    # every runner: cadence -1.3 deg, arm swing +0.7 deg from baseline, the means rounded as stance means are
    levels = {"S1": 10.37, "S2": 12.91, "S3": 8.13, "S4": 10.55}
    means = long_means({s: {c: ((x + d - 0.3) + (x + d + 0.3)) / 2 for c, d in
                            (("baseline", 0.0), ("cadence", -1.3), ("arm_swing", 0.7))} for s, x in levels.items()})
    anova = condition_anova(means, conditions=["baseline", "cadence", "arm_swing"])
    assert np.isnan(anova.f) and "no subject-by-condition variation" in anova.reason


def test_no_change_at_all_has_no_p_and_no_f():
    effect = paired_effect([5.0, 6.0, 7.0], [5.0, 6.0, 7.0])
    assert effect["estimate"] == 0.0 and effect["se"] == 0.0 and np.isnan(effect["p"]) and np.isnan(effect["dz"])
    means = long_means({s: {"baseline": m["baseline"], "cadence": m["baseline"] - 2.0} for s, m in MEANS.items()})
    anova = condition_anova(means, conditions=["baseline", "cadence"])
    assert np.isnan(anova.f) and "no subject-by-condition variation" in anova.reason
    assert "not computed" in anova.sentence()


def test_excluded_stances_change_nothing():
    stances = stances_from(MEANS)
    outliers = stances.excluded
    stances.loc[outliers, "cpd_peak_deg"] = -500.0
    again = rm_anova_effects(stances, metric="cpd_peak_deg", baseline="baseline")
    before = rm_anova_effects(stances_from(MEANS), metric="cpd_peak_deg", baseline="baseline")
    pd.testing.assert_frame_equal(again, before)


def test_min_subjects_below_two_is_refused():
    with pytest.raises(ValueError, match="at least 2"):
        rm_anova_effects(stances_from(MEANS), metric="cpd_peak_deg", baseline="baseline", min_subjects=1)


def quadrature_nct_cdf(t, df, delta):
    """P(T <= t) for T = (Z + delta) / X, Z standard normal, X = sqrt(V / df), V chi-square on df: conditioned on Z
    and integrated over it (scipy's quad), a different computation from Boost's series in ``scipy.stats.nct``.

    T <= t is Z + delta <= t X: for t > 0 certain when Z + delta <= 0, else X >= (Z + delta) / t; for t < 0 it needs
    Z + delta < 0 and X <= (Z + delta) / t. The normal weight beyond |z| = 40 is below 1e-300."""
    if t == 0:
        return stats.norm.cdf(-delta)
    chi2 = lambda z: df * ((z + delta) / t) ** 2
    if t > 0:
        lo, hi, base = max(-delta, -40.0), 40.0, stats.norm.cdf(-delta)
        inner = lambda z: stats.norm.pdf(z) * stats.chi2.sf(chi2(z), df)
    else:
        lo, hi, base = -40.0, min(-delta, 40.0), 0.0
        inner = lambda z: stats.norm.pdf(z) * stats.chi2.cdf(chi2(z), df)
    if lo >= hi:
        return base
    return base + integrate.quad(inner, lo, hi, epsabs=1e-15, epsrel=1e-13, limit=500)[0]


def quadrature_dz_interval(t, n, alpha=0.05):
    """d_z limits by bisection on ``quadrature_nct_cdf`` (no Brent, no Boost), from a bracket around the normal
    approximation delta = t +- z sqrt(1 + t^2 / (2 df)) widened until it holds the root."""
    df = n - 1
    spread = stats.norm.ppf(1 - alpha / 2) * np.sqrt(1 + t**2 / (2 * df))
    limits = []
    for prob in (1 - alpha / 2, alpha / 2):
        gap = lambda d: quadrature_nct_cdf(t, df, d) - prob
        low, high = t - 2 * spread - 1, t + 2 * spread + 1
        while gap(low) <= 0:
            low -= 2 * (high - low)
        while gap(high) >= 0:
            high += 2 * (high - low)
        limits.append(optimize.bisect(gap, low, high, xtol=1e-12, rtol=1e-15, maxiter=400) / np.sqrt(n))
    return tuple(limits)


#: d_z limits of 1e4-scale agree to 1e-6 of their size: at |t| = 1e4 Boost's noncentral t tail is off by ~1e-9 in
#: probability (the quadrature matches the large-t expansion P = 2 Q(c) + c phi(c) / t^2 of 1 df to 1e-15 there:
#: 15849.1107598 for t = 1e4, n = 2, where scipy gives 15849.1107159), which moves a limit of 1.6e4 by 4e-5
DZ_REL = 1e-6


@pytest.mark.parametrize(("t", "n"), [(-27.0, 4), (-1e4, 3), (1e4, 2), (-20.0, 3), (-55.0, 6), (-3000.0, 4),
                                      (80.0, 2), (-1e4, 200), (-2.5, 3)])
def test_dz_interval_at_extreme_t_agrees_with_a_quadrature_of_the_noncentral_t(t, n):
    # before the fix scipy's nct.cdf returned NaN inside the bracket and brentq raised for each of these but the
    # last two
    low, high = dz_confidence_interval(t, n)
    assert (low, high) == pytest.approx(quadrature_dz_interval(t, n), rel=DZ_REL, abs=1e-6)
    assert low < t / np.sqrt(n) < high
    assert dz_confidence_interval(-t, n) == pytest.approx((-high, -low), rel=1e-12)


def test_dz_interval_of_one_df_at_large_t_matches_its_asymptotic_expansion():
    # n = 2: T = (Z + delta) / |W|; for t -> inf, P(T <= t) = 2 Q(c) + c phi(c) / t^2 + O(t^-4) with c = delta / t
    # (Taylor in Z of 2 Q((Z + delta) / t)); at t = 1e4 the remainder is ~1e-17
    t, n = 1e4, 2
    expected = [optimize.brentq(lambda c: 2 * stats.norm.sf(c) + c * stats.norm.pdf(c) / t**2 - p, 0.0, 5.0,
                                xtol=1e-16) * t / np.sqrt(n) for p in (0.975, 0.025)]
    assert dz_confidence_interval(t, n) == pytest.approx(expected, rel=DZ_REL)


def test_dz_interval_is_finite_and_monotone_in_t_over_the_whole_range():
    magnitudes = np.geomspace(1e-3, 1e4, 40)
    ts = np.concatenate([-magnitudes[::-1], [0.0], magnitudes])
    for n in (2, 3, 4, 5, 6, 8, 13, 40, 200):
        limits = np.array([dz_confidence_interval(t, n) for t in ts])
        assert np.isfinite(limits).all(), n
        assert (np.diff(limits, axis=0) > 0).all(), n  # both limits rise with t
        assert ((limits[:, 0] < ts / np.sqrt(n)) & (ts / np.sqrt(n) < limits[:, 1])).all(), n
