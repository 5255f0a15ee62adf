"""Design checks: one modification per condition in the sheet, and in what the runners did."""

import pandas as pd

from hipdrop.stats.design import Tolerances, manipulation_check, sheet_design_problems


def sheet(rows):
    return pd.DataFrame(rows, columns=["subject", "condition", "trial", "path", "target_cadence_change_pct", "arm_swing"])


def test_the_sheet_check_names_double_modifications_missing_baselines_and_lonely_conditions():
    problems = sheet_design_problems(sheet([
        ("A", "baseline", 1, "a0.c3d", 0, "normal"), ("A", "combo", 1, "a1.c3d", 10, "reduced"),
        ("B", "baseline", 1, "b0.c3d", 0, "normal"), ("B", "combo", 1, "b1.c3d", 10, "reduced"),
        ("C", "combo", 1, "c1.c3d", 10, "reduced"), ("C", "speed_4_5", 1, "c2.c3d", 0, "normal"),
    ]), baseline="baseline")
    assert len(problems) == 3
    assert problems[0].startswith("condition combo asks for two modifications at once (cadence +10 % and arm swing 'reduced')")
    assert problems[1] == "runner(s) without a baseline trial, left out of paired analyses: C"
    assert problems[2].startswith("condition speed_4_5 is run by a single runner")


def test_a_clean_design_has_no_problems():
    assert sheet_design_problems(sheet([
        (s, c, 1, f"{s}{c}.c3d", t, a) for s in "AB"
        for c, t, a in (("baseline", 0, "normal"), ("fast", 10, "normal"), ("arms", 0, "reduced"))
    ]), baseline="baseline") == []


def stances(runner_conditions):
    """Stances of one runner: {condition: (step time s, arm swing mm, target %, arm instruction)}."""
    rows = []
    for condition, (step, swing, target, arms) in runner_conditions.items():
        for side in "LR":
            rows.append({"subject": "A", "condition": condition, "side": side, "excluded": False, "step_time_s": step,
                         "arm_swing_mm": swing, "target_cadence_change_pct": target, "arm_swing": arms})
    return pd.DataFrame(rows)


def test_adherence_and_confounds_are_measured_against_the_tolerances():
    checks = manipulation_check(stances({
        "baseline": (0.40, 200.0, 0, "normal"),
        "fast": (0.40 / 1.09, 205.0, 10, "normal"),  # +9 % of a +10 % target, arms steady: adherent
        "slack": (0.40 / 1.05, 200.0, 10, "normal"),  # +5 % of a +10 % target: not adherent
        "arms": (0.40 / 1.05, 120.0, 0, "reduced"),  # arm swing -40 % but cadence +5 %: confounded
        "arms_clean": (0.40, 130.0, 0, "reduced"),  # arm swing -35 %, cadence steady: adherent, not confounded
    }), baseline="baseline", tolerances=Tolerances()).set_index("condition")
    assert checks.loc["fast", "adherent"] and not checks.loc["fast", "confounded"]
    assert not checks.loc["slack", "adherent"]
    assert "cadence +5.0 % for a target of +10 %" in checks.loc["slack", "design_notes"]
    assert checks.loc["arms", "confounded"] and "confound: cadence changed by +5.0 %" in checks.loc["arms", "design_notes"]
    assert checks.loc["arms", "adherent"] and checks.loc["arms", "targets"] == "arm swing"
    assert checks.loc["arms_clean", "adherent"] and not checks.loc["arms_clean", "confounded"]
    assert checks.loc["baseline", "targets"] == "baseline" and not checks.loc["baseline", "confounded"]


def test_a_condition_that_is_not_an_intervention_is_described_not_judged():
    """Issue 22 item 5: a faster speed changes cadence by design; "speed35 (none): 0 of 0 runners adherent, 1
    confounded" judged it as a failed modification. A condition without a cadence target or an arm-swing
    instruction is not an intervention unless config stats.interventions lists it."""
    runner = stances({"speed25": (0.40, 200.0, 0, "normal"), "speed35": (0.40 / 1.035, 230.0, 0, "normal")})
    checks = manipulation_check(runner, baseline="speed25").set_index("condition")
    assert checks.loc["speed35", "targets"] == "not an intervention"
    assert pd.isna(checks.loc["speed35", "adherent"]) and not checks.loc["speed35", "confounded"]
    assert checks.loc["speed35", "design_notes"] == ("not an intervention: changes described, not judged "
                                                     "(cadence +3.5 %, arm swing +15.0 %)")
    # listed as an intervention (say, a strength programme that should leave the gait alone): judged again
    listed = manipulation_check(runner, baseline="speed25", interventions=["speed35"]).set_index("condition")
    assert listed.loc["speed35", "targets"] == "none" and listed.loc["speed35", "confounded"]
    assert "confound: cadence changed by +3.5 %" in listed.loc["speed35", "design_notes"]
