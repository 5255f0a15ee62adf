"""Valid but degenerate metrics never crash the effects: a metric with one value in every stance (a wrist that never
crosses the midline: crossover share 0 %) and one no stance measured (trials without wrist markers)."""

import numpy as np
import pandas as pd

from hipdrop.stats.effects import both_analyses


def _stances(value_baseline: float, value_condition: float, n_runners: int = 5) -> pd.DataFrame:
    rows = [{"subject": f"S{s}", "condition": c, "side": "LR"[k % 2], "trial": f"S{s}-{c}", "excluded": False,
             "m": value_baseline if c == "baseline" else value_condition}
            for s in range(n_runners) for c in ("baseline", "cadence_10") for k in range(20)]
    return pd.DataFrame(rows)


NO_FLAGS = pd.DataFrame({"subject": [], "condition": [], "confounded": []})


def test_a_metric_with_one_value_everywhere_is_not_estimable_by_the_mixed_model_and_says_why():
    effects, components, notes = both_analyses(_stances(0.0, 0.0), NO_FLAGS, baseline="baseline", metrics=["m"])
    mixed = effects[effects["analysis"] == "mixed model"].iloc[0]
    rm = effects[effects["analysis"] == "rm-anova"].iloc[0]
    assert not mixed["estimable"] and np.isnan(mixed["estimate_deg"])
    assert "does not vary" in mixed["reason"]
    # the paired analysis of the runners' mean changes: exactly no change, and it says its t is undefined
    assert rm["estimate_deg"] == 0.0 and "undefined" in rm["reason"]
    assert any("does not vary" in note for note in notes)
    assert components["source"].str.startswith("effect not estimable").all()


def test_a_metric_no_stance_measured_says_so_rather_than_blaming_the_baseline():
    stances = _stances(np.nan, np.nan)
    effects, _, _ = both_analyses(stances, NO_FLAGS, baseline="baseline", metrics=["m"])
    assert not effects["estimable"].any()
    assert effects["reason"].eq("no stance has a value of m").all()


def test_a_constant_metric_other_than_zero_is_not_estimable_either():
    """A metric of 5.0 in every stance: before df14f89 the model's fit came out "estimable", an effect of 9e-16 with
    an SE of 4e-16 (rounding), which no test of a zero constant could see."""
    effects, _, _ = both_analyses(_stances(5.0, 5.0), NO_FLAGS, baseline="baseline", metrics=["m"])
    mixed = effects[effects["analysis"] == "mixed model"].iloc[0]
    assert not mixed["estimable"] and np.isnan(mixed["estimate_deg"]) and "does not vary" in mixed["reason"]


def test_every_condition_of_a_constant_metric_gets_its_row():
    stances = _stances(0.0, 0.0)
    second = stances[stances["condition"] == "cadence_10"].assign(condition="cadence_5", trial=lambda t: t["trial"] + "b")
    effects, _, _ = both_analyses(pd.concat([stances, second]), NO_FLAGS, baseline="baseline", metrics=["m"])
    mixed = effects[effects["analysis"] == "mixed model"]
    assert sorted(mixed["term"]) == ["condition[cadence_10]", "condition[cadence_5]"]
    assert not mixed["estimable"].any() and mixed["reason"].str.contains("does not vary").all()
