"""Dose-response of peak drop on achieved cadence change, from real statsmodels fits on stances with a known slope."""

import numpy as np
import pandas as pd
import pytest

from hipdrop.stats.dose_response import achieved_cadence_change, dose_response
from tests.unit.stats.paired import t_half_width

SLOPE = -0.15  # deg per 1 % cadence change
TARGETS = {"baseline": 0.0, "cadence_plus5": 5.0, "cadence_plus10": 10.0}


def stances(rng, *, n_subjects=10, per_trial=30, slope_sd=0.03, stride_sd=0.6, exact=False):
    rows = []
    for s in range(n_subjects):
        base_step = 0.35 * (1 + (0 if exact else rng.normal(0, 0.03)))
        own = SLOPE + (0 if exact else rng.normal(0, slope_sd))
        intercept = 6 + (0 if exact else rng.normal(0, 1.5))
        for condition, target in TARGETS.items():
            achieved = target * (1 if exact else rng.uniform(0.7, 1.05))
            step = base_step / (1 + achieved / 100)
            for k in range(per_trial):
                rows.append({"subject": f"S{s}", "condition": condition, "trial": "1", "side": "LR"[k % 2],
                             "step_time_s": step, "excluded": False,
                             "cpd_peak_deg": intercept + own * achieved + (0 if exact else rng.normal(0, stride_sd)),
                             "true_achieved": achieved})
    return pd.DataFrame(rows)


def test_achieved_change_is_the_trial_cadence_over_the_runners_baseline():
    data = stances(np.random.default_rng(1))
    np.testing.assert_allclose(achieved_cadence_change(data, baseline="baseline"), data.true_achieved, atol=1e-9)


def test_exact_data_give_the_exact_slope():
    data = stances(np.random.default_rng(2), exact=True)
    data["cpd_peak_deg"] += np.random.default_rng(3).normal(0, 1e-6, len(data))  # keep the fit non-degenerate
    table = dose_response(data, baseline="baseline", cadence_conditions=["cadence_plus5", "cadence_plus10"])
    population = table[table.level == "population"].iloc[0]
    assert population.slope_deg_per_pct == pytest.approx(SLOPE, abs=1e-4)
    runners = table[table.level == "runner"]
    assert len(runners) == 10 and np.allclose(runners.own_slope_deg_per_pct, SLOPE, atol=1e-4)


def own_slopes_half_width(data) -> float:
    """The t interval's half-width on each runner's own least-squares slope of peak drop on achieved change: the
    two-stage analysis the mixed model's slope CI should be about as wide as."""
    slopes = [np.polyfit(rows["true_achieved"], rows["cpd_peak_deg"], 1)[0] for _, rows in data.groupby("subject")]
    return t_half_width(slopes)


def test_the_slope_is_recovered_within_its_confidence_interval():
    data = stances(np.random.default_rng(4))
    table = dose_response(data, baseline="baseline", cadence_conditions=["cadence_plus5", "cadence_plus10"])
    population = table[table.level == "population"].iloc[0]
    assert population.estimable and population.ci_low < SLOPE < population.ci_high
    assert 0.75 < (population.ci_high - population.ci_low) / 2 / own_slopes_half_width(data) < 1.5
    assert population.model.startswith("mixed model: random intercept + achieved-cadence slope per runner")
    assert population.n_subjects == 10 and population.achieved_max_pct > 7


def test_the_slope_ci_covers_and_is_about_as_wide_as_the_two_stage_interval_over_seeds():
    """Twelve simulated studies: the CI covers the true slope in at least 10 (95 %: 11.4 expected) and none is
    wider than 1.5 times the two-stage interval on the runners' own slopes."""
    covered, ratios = [], []
    for seed in range(4, 16):
        data = stances(np.random.default_rng(seed))
        population = dose_response(data, baseline="baseline", cadence_conditions=["cadence_plus5", "cadence_plus10"])
        population = population[population.level == "population"].iloc[0]
        covered.append(population.ci_low < SLOPE < population.ci_high)
        ratios.append((population.ci_high - population.ci_low) / 2 / own_slopes_half_width(data))
    assert sum(covered) >= 10
    assert max(ratios) < 1.5, dict(zip(range(4, 16), np.round(ratios, 2)))


def test_too_few_runners_is_not_estimable():
    data = stances(np.random.default_rng(5), n_subjects=2)
    table = dose_response(data, baseline="baseline", cadence_conditions=["cadence_plus5", "cadence_plus10"])
    assert len(table) == 1 and not table.estimable.iloc[0] and "2 runner(s)" in table.reason.iloc[0]
    assert np.isnan(table.slope_deg_per_pct.iloc[0])
