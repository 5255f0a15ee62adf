"""Condition effects from a real statsmodels mixed-model fit on stances with known effects."""

import numpy as np
import pandas as pd
import pytest

from hipdrop.stats.design import manipulation_check
from hipdrop.stats.models import condition_effects

EFFECTS = {"baseline": 0.0, "cadence_plus10": -1.5, "arm_swing": -0.5}


def stances(rng, *, n_subjects=10, per_cell=30, subject_sd=1.5, slope_sd=0.4, stride_sd=0.8):
    rows = []
    for s in range(n_subjects):
        intercept = 6 + rng.normal(0, subject_sd)
        for condition, effect in EFFECTS.items():
            mean = intercept + effect + (rng.normal(0, slope_sd) if condition != "baseline" else 0)
            for side in "LR":
                for _ in range(per_cell):
                    rows.append({"subject": f"S{s}", "condition": condition, "trial": "1", "side": side,
                                 "cpd_peak_deg": mean + rng.normal(0, stride_sd), "excluded": False,
                                 "step_time_s": 0.35, "arm_swing_mm": 200.0})
    return pd.DataFrame(rows)


def test_effects_are_recovered_within_their_confidence_intervals():
    table = condition_effects(stances(np.random.default_rng(1)), metric="cpd_peak_deg", baseline="baseline")
    assert set(table.term) == {"condition[cadence_plus10]", "condition[arm_swing]"}
    for row in table.itertuples():
        truth = EFFECTS[row.term[len("condition[") : -1]]
        assert row.ci_low < truth < row.ci_high
        assert row.model.startswith("mixed")
        assert row.p_holm >= row.p


def test_exact_data_gives_exact_effects():
    data = stances(np.random.default_rng(2), subject_sd=0, slope_sd=0, stride_sd=0)
    data["cpd_peak_deg"] += np.random.default_rng(3).normal(0, 1e-6, len(data))  # keep the fit non-degenerate
    table = condition_effects(data, metric="cpd_peak_deg", baseline="baseline")
    for row in table.itertuples():
        assert row.estimate_deg == pytest.approx(EFFECTS[row.term[len("condition[") : -1]], abs=1e-4)


def test_excluded_stances_do_not_enter_the_model():
    data = stances(np.random.default_rng(4), stride_sd=0.1)
    data.loc[data.condition == "arm_swing", "excluded"] = True
    assert set(condition_effects(data, metric="cpd_peak_deg", baseline="baseline").term) == {"condition[cadence_plus10]"}


def test_manipulation_check_measures_the_cadence_change():
    data = pd.DataFrame({
        "subject": ["A"] * 4, "condition": ["baseline", "baseline", "fast", "fast"], "excluded": False,
        "side": ["L", "R", "L", "R"], "step_time_s": [0.40, 0.40, 0.36, 0.36], "arm_swing_mm": [220, 180, 150, 150],
        "target_cadence_change_pct": [0, 0, 10, 10],
    })
    checks = manipulation_check(data, baseline="baseline").set_index("condition")
    assert checks.loc["fast", "achieved_cadence_change_pct"] == pytest.approx(100 * (0.40 / 0.36 - 1))
    assert checks.loc["fast", "arm_swing_change_pct"] == pytest.approx(-25.0)
    assert checks.loc["baseline", "arm_swing_asymmetry_pct"] == pytest.approx(20.0)  # (220 - 180) / 200
    assert checks.loc["fast", "arm_swing_asymmetry_pct"] == pytest.approx(0.0)
