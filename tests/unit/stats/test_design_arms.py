"""The manipulation check follows the arm measure the sheet's ``arm_swing_target`` names (issue 26 item 1)."""

import numpy as np
import pandas as pd
import pytest

from hipdrop.stats.design import Tolerances, manipulation_check


def _stances(runners):
    """{subject: {condition: (arm swing mm, crossover mm, elbow deg, rotation deg)}}; the no_crossover condition
    targets crossover, the bent_arms condition the elbow angle; the step time stays (no cadence change)."""
    design = {"baseline": ("normal", "amplitude"), "no_crossover": ("no_crossover", "crossover"),
              "bent_arms": ("bend", "elbow_angle")}
    rows = []
    for subject, conditions in runners.items():
        for condition, (swing, cross, elbow, rotation) in conditions.items():
            for side in "LR":
                rows.append({"subject": subject, "condition": condition, "side": side, "excluded": False,
                             "step_time_s": 0.35, "arm_swing_mm": swing, "arm_crossover_mm": cross,
                             "elbow_angle_mean_deg": elbow, "thorax_pelvis_rotation_deg": rotation,
                             "target_cadence_change_pct": 0.0, "arm_swing": design[condition][0],
                             "arm_swing_target": design[condition][1]})
    return pd.DataFrame(rows)


def test_crossover_cue_is_judged_by_crossover_and_amplitude_is_the_confound():
    table = manipulation_check(_stances({
        "A": {"baseline": (220, 30, 95, 20), "no_crossover": (215, -15, 95, 20)},  # did it: 45 mm less crossing
        "B": {"baseline": (220, 30, 95, 20), "no_crossover": (130, 28, 95, 20)},  # swung less instead
        "C": {"baseline": (220, 30, 95, 20), "no_crossover": (220, 20, 95, 20)},  # 10 mm: too little
    }), baseline="baseline").set_index(["subject", "condition"])
    a, b, c = (table.loc[(s, "no_crossover")] for s in "ABC")
    assert a["arm_crossover_change_mm"] == pytest.approx(-45.0) and bool(a["adherent"]) and not a["confounded"]
    assert a["targets"] == "arm swing (crossover)"
    assert b["arm_crossover_change_mm"] == pytest.approx(-2.0)
    assert not bool(b["adherent"]) and b["confounded"]
    assert "confound: arm swing amplitude changed by -40.9 %" in b["design_notes"]
    assert not bool(c["adherent"]) and not c["confounded"]
    assert "crossover -10.0 mm (less than 20 mm asked)" in c["design_notes"]
    assert np.isnan(table.loc[("A", "baseline"), "adherent"])


def test_elbow_cue_and_tolerances():
    stances = _stances({"A": {"baseline": (220, 30, 95, 20), "bent_arms": (225, 30, 80, 20)}})
    row = manipulation_check(stances, baseline="baseline").set_index("condition").loc["bent_arms"]
    assert row["elbow_angle_mean_change_deg"] == pytest.approx(-15.0) and bool(row["adherent"])
    strict = manipulation_check(stances, baseline="baseline", tolerances=Tolerances(elbow_angle_min_change_deg=20.0))
    assert not bool(strict.set_index("condition").loc["bent_arms", "adherent"])


def test_without_a_target_column_the_amplitude_is_judged_as_before():
    stances = _stances({"A": {"baseline": (220, 30, 95, 20), "no_crossover": (215, -15, 95, 20)}})
    row = manipulation_check(stances.drop(columns="arm_swing_target"), baseline="baseline")
    row = row.set_index("condition").loc["no_crossover"]
    assert row["targets"] == "arm swing" and not bool(row["adherent"])  # 2 % of amplitude: less than 20 % asked
