"""Tables that cannot hold numbers say why (issue 22 item 7): variance components and power for effects that were
not estimable are rows with the reason, not header-only files."""

import numpy as np
import pandas as pd

from hipdrop.stats.design import manipulation_check
from hipdrop.stats.effects import effects_per_task
from hipdrop.stats.power import power_table


def _two_runners() -> pd.DataFrame:
    """Two runners (fewer than the 3 an effect needs), baseline and one condition, 20 stances each."""
    rng = np.random.default_rng(1)
    rows = [{"subject": s, "condition": c, "trial": "1", "side": "LR"[i % 2], "excluded": False, "task": "running",
             "cpd_peak_deg": 6.0 + rng.normal(0, 0.8), "cpd_excursion_deg": 3.0, "step_time_s": 0.35, "arm_swing_mm": 200.0}
            for s in ("A", "B") for c in ("base", "fast") for i in range(20)]
    return pd.DataFrame(rows)


def test_components_and_power_name_why_an_effect_had_none():
    stances = _two_runners()
    checks = manipulation_check(stances, baseline="base").assign(task="running")
    _, components, _ = effects_per_task(stances, checks, baseline="base", metrics=["cpd_peak_deg"], min_subjects=3)
    assert len(components) == 1
    row = components.iloc[0]
    assert row["condition"] == "fast" and np.isnan(row["slope_var_deg2"])
    assert row["source"] == "effect not estimable: 2 runner(s) ran fast and base; at least 3 are needed"
    power = power_table(components.drop(columns="task"))
    assert power["note"].tolist() == [row["source"]]
    assert power["runners_for_smallest_effect"].isna().all()


def test_a_configured_metric_the_stance_table_lacks_is_not_estimable_with_the_reason():
    """stats.metrics may name cpd_peak_deg_static_ref (the schema accepts it); a cohort without static trials has
    no such column, and each of its effects says so instead of failing the run."""
    from hipdrop.config import validate_config

    assert "cpd_peak_deg_static_ref" in validate_config({"stats": {"metrics": ["cpd_peak_deg_static_ref"]}})["stats"]["metrics"]
    stances = _two_runners()
    checks = manipulation_check(stances, baseline="base").assign(task="running")
    effects, _, notes = effects_per_task(stances, checks, baseline="base", min_subjects=2,
                                         metrics=["cpd_peak_deg", "cpd_peak_deg_static_ref"])
    static = effects[effects["metric"] == "cpd_peak_deg_static_ref"]
    assert len(static) == 2 and not static["estimable"].any()  # the mixed model's row and the rm-ANOVA's
    assert (static["reason"] == "the stance table has no cpd_peak_deg_static_ref column: it needs a static standing "
                                "trial per runner (trial sheet column static)").all()
    assert effects[effects["metric"] == "cpd_peak_deg"]["estimable"].all()
    assert any("cpd_peak_deg_static_ref" in note and "static standing trial" in note for note in notes)
