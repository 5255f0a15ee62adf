"""Statistics per task: each task's conditions are compared with that task's own baseline, never pooled."""

import numpy as np
import pandas as pd

from hipdrop.stats.design import manipulation_check
from hipdrop.stats.effects import effects_per_task
from hipdrop.stats.tasks import by_task, per_task, with_task_labels
from tests.unit.stats.paired import runner_changes, t_half_width

#: true effects per task; both tasks name their reference "baseline", and the squat's post-training condition
#: shares nothing with running's cadence change
EFFECTS = {"running": {"baseline": 0.0, "cadence_plus10": -1.5}, "single_leg_squat": {"baseline": 0.0, "post_training": -3.0}}
#: the squat's drop sits 4 deg above running's: pooling both tasks' baselines would bias both effects
LEVEL = {"running": 6.0, "single_leg_squat": 10.0}


def windows(rng, *, n_subjects=8, per_cell=12):
    rows = []
    for task, effects in EFFECTS.items():
        for s in range(n_subjects):
            intercept = LEVEL[task] + rng.normal(0, 1.0)
            for condition, effect in effects.items():
                for side in "LR":
                    rows += [{"task": task, "subject": f"S{s}", "condition": condition, "trial": "1", "side": side,
                              "cpd_peak_deg": intercept + effect + rng.normal(0, 0.5), "excluded": False,
                              "step_time_s": 0.35 if task == "running" else np.nan,
                              "arm_swing_mm": 200.0 if task == "running" else np.nan} for _ in range(per_cell)]
    return pd.DataFrame(rows)


def test_each_task_is_compared_with_its_own_baseline():
    table = windows(np.random.default_rng(5))
    checks = per_task(table, lambda rows: manipulation_check(rows, baseline="baseline"))
    effects, components, notes = effects_per_task(table, checks, baseline="baseline", metrics=["cpd_peak_deg"])
    assert list(effects.columns[:1]) == ["task"] and list(components.columns[:1]) == ["task"]
    mixed = effects[effects["analysis"] == "mixed model"].set_index(["task", "term"])
    assert sorted(mixed.index) == [("running", "condition[cadence_plus10]"),
                                   ("single_leg_squat", "condition[post_training]")]
    for (task, term), row in mixed.iterrows():
        truth = EFFECTS[task][term[len("condition["):-1]]
        assert row.ci_low < truth < row.ci_high, (task, term)
        assert row.n_subjects == 8
        # covering the truth by being wide is not enough: the paired t interval on the task's own runners
        changes = runner_changes(table[table["task"] == task], term[len("condition["):-1])
        assert 0.75 < (row.ci_high - row.ci_low) / 2 / t_half_width(changes) < 1.5, (task, term)


def test_tables_without_a_task_are_running_and_labels_name_the_task_only_when_there_are_several():
    table = windows(np.random.default_rng(6))
    assert [task for task, _ in by_task(table.drop(columns="task"))] == ["running"]
    assert [task for task, _ in by_task(table)] == ["running", "single_leg_squat"]
    labelled = with_task_labels(table)
    assert set(labelled["condition"]) == {"running: baseline", "running: cadence_plus10",
                                          "single_leg_squat: baseline", "single_leg_squat: post_training"}
    running = table[table["task"] == "running"]
    assert with_task_labels(running) is running


def test_mean_curves_keep_each_tasks_baseline_apart():
    import xarray as xr

    from hipdrop.stats.waveforms import subject_mean_curves

    level = {"running": 1.0, "single_leg_squat": 5.0}
    tasks = ["running", "running", "single_leg_squat", "single_leg_squat"]
    curves = xr.DataArray(np.array([[level[t]] * 3 for t in tasks]), dims=("stance", "pct"),
                          coords={"pct": [0.0, 50.0, 100.0], "task": ("stance", tasks),
                                  "subject": ("stance", ["S1"] * 4), "condition": ("stance", ["baseline"] * 4),
                                  "excluded": ("stance", [False] * 4)})
    means = subject_mean_curves(curves)
    assert list(means["condition"].values) == ["running: baseline", "single_leg_squat: baseline"]
    np.testing.assert_array_equal(means.sel(subject="S1").values, [[1.0] * 3, [5.0] * 3])
    # one task alone keeps plain condition names (what the per-task SPM compares against its baseline)
    assert list(subject_mean_curves(curves[:2])["condition"].values) == ["baseline"]


def test_a_task_whose_every_stance_was_excluded_gives_reasons_not_an_exception():
    # found by the property test (seed 19): the manipulation check of such a task divided strings (an empty map
    # keeps the names' dtype) and effects_per_task looked up its absent manipulation rows
    table = windows(np.random.default_rng(7), n_subjects=3, per_cell=2)
    table.loc[table["task"] == "single_leg_squat", "excluded"] = True
    checks = per_task(table, lambda rows: manipulation_check(rows, baseline="baseline"))
    assert set(checks["task"]) == {"running"}
    effects, _, _ = effects_per_task(table, checks, baseline="baseline", metrics=["cpd_peak_deg"])
    squat = effects[effects["task"] == "single_leg_squat"]
    assert len(squat) == 2 and not squat["estimable"].any()  # both analyses of post_training
    assert (squat["reason"] == "the baseline condition 'baseline' has no included stances").any()
    assert manipulation_check(table[table["task"] == "single_leg_squat"], baseline="baseline").empty
