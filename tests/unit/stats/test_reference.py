""""Is this hip drop?" (hipdrop.stats.reference): runners of known baseline means against a sheet reference group
(z computed by hand, leave-one-out for the group's own runners), a config table by speed, and no reference."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from hipdrop.stats.reference import (NONE_GIVEN, page_line, reference_table, side_column, subject_columns,
                                     summary_lines)

#: the reference runners' baseline means (deg) and the others'
REFERENCE = {"R1": 4.0, "R2": 5.0, "R3": 6.0, "R4": 5.5, "R5": 4.5, "R6": 5.0}
OTHERS = {"P1": 9.0, "P2": 5.2}


def stances(means: dict, *, group: dict | None = None, speed: dict | None = None) -> pd.DataFrame:
    """Each runner: 20 baseline stances whose mean is exactly its value (+/- 0.7 deg alternating), an excluded
    outlier that must not count, and 10 stances of another condition."""
    rows = []
    for subject, mean in means.items():
        for k in range(20):
            rows.append({"subject": subject, "condition": "baseline", "excluded": False,
                         "cpd_peak_deg": mean + (0.7 if k % 2 else -0.7)})
        rows.append({"subject": subject, "condition": "baseline", "excluded": True, "cpd_peak_deg": 40.0})
        rows += [{"subject": subject, "condition": "cadence_plus10", "excluded": False, "cpd_peak_deg": mean - 2}] * 10
    table = pd.DataFrame(rows)
    if group is not None:
        table["group"] = table["subject"].map(group)  # NaN for runners outside any group
    if speed is not None:
        table["speed_m_s"] = table["subject"].map(speed)
    return table


def test_z_against_a_sheet_reference_group_and_leave_one_out():
    table = stances(REFERENCE | OTHERS, group={s: "reference" for s in REFERENCE})
    out = reference_table(table, baseline="baseline", z_threshold=2.0, min_runners=5).set_index("subject")
    ref = np.array(list(REFERENCE.values()))
    m, s = ref.mean(), ref.std(ddof=1)  # 5.0 and sqrt(0.5) by hand
    assert (m, s) == pytest.approx((5.0, np.sqrt(0.5)))
    p1 = out.loc["P1"]
    assert p1["reference_z"] == pytest.approx((9.0 - 5.0) / np.sqrt(0.5))  # 5.66
    assert p1["reference_flag"] is True or p1["reference_flag"] == True  # noqa: E712
    assert p1["reference_source"] == "sheet group 'reference', n=6"
    # Crawford & Howell: t = (x - m) / (s sqrt((n + 1) / n)) on n - 1 df
    t = (9.0 - 5.0) / (np.sqrt(0.5) * np.sqrt(7 / 6))
    assert p1["reference_percentile"] == pytest.approx(100 * st.t.cdf(t, 5))
    assert out.loc["P2", "reference_z"] == pytest.approx(0.2 / np.sqrt(0.5))
    assert not out.loc["P2", "reference_flag"]
    # R1 (4.0) against R2-R6 only: mean 5.2, SD of (5, 6, 5.5, 4.5, 5)
    rest = np.array([5.0, 6.0, 5.5, 4.5, 5.0])
    assert out.loc["R1", "reference_z"] == pytest.approx((4.0 - rest.mean()) / rest.std(ddof=1))
    assert out.loc["R1", "reference_source"] == "sheet group 'reference', n=5, leave-one-out"
    assert out.loc["R1", "reference_n"] == 5


def test_the_flag_follows_the_threshold():
    table = stances(REFERENCE | OTHERS, group={s: "reference" for s in REFERENCE})
    z_p1 = 4.0 / np.sqrt(0.5)
    above = reference_table(table, baseline="baseline", z_threshold=z_p1 - 0.01).set_index("subject")
    below = reference_table(table, baseline="baseline", z_threshold=z_p1 + 0.01).set_index("subject")
    assert above.loc["P1", "reference_flag"] and not below.loc["P1", "reference_flag"]


def test_too_small_a_group_gives_no_z_and_says_why():
    three = {s: REFERENCE[s] for s in ("R1", "R2", "R3")}
    out = reference_table(stances(three | OTHERS, group={s: "reference" for s in three}), baseline="baseline",
                          min_runners=5).set_index("subject")
    assert out["reference_z"].isna().all()
    assert "fewer than 5 reference runners" in out.loc["P1", "reference_source"]


def test_a_config_table_by_speed():
    table = stances(OTHERS | {"P3": 6.0}, speed={"P1": 3.2, "P2": 4.0, "P3": np.nan})
    bands = [{"speed_min_m_s": 3.0, "speed_max_m_s": 3.5, "mean_deg": 6.0, "sd_deg": 1.5, "source": "lab norms"},
             {"speed_min_m_s": 3.5, "speed_max_m_s": 4.5, "mean_deg": 7.0, "sd_deg": 2.0}]
    out = reference_table(table, baseline="baseline", table=bands).set_index("subject")
    assert out.loc["P1", "reference_z"] == pytest.approx((9.0 - 6.0) / 1.5)
    assert out.loc["P1", "reference_source"] == "config table, 3-3.5 m/s (lab norms)"
    assert out.loc["P1", "reference_flag"] == False  # noqa: E712  z = 2.0 is not above 2.0
    assert out.loc["P2", "reference_z"] == pytest.approx((5.2 - 7.0) / 2.0)
    assert np.isnan(out.loc["P3", "reference_z"]) and "speed_m_s" in out.loc["P3", "reference_source"]


def test_no_reference_gives_nan_columns_and_one_summary_line():
    out = reference_table(stances(OTHERS), baseline="baseline")
    assert out["reference_z"].isna().all() and (out["reference_source"] == NONE_GIVEN).all()
    assert out["reference_flag"].isna().all()
    lines = summary_lines(out, z_threshold=2.0)
    assert len(lines) == 1 and "none given" in lines[0]
    assert "not compared" in page_line("P1", out)


def test_summary_and_subjects_columns_name_the_flagged_runner():
    out = reference_table(stances(REFERENCE | OTHERS, group={s: "reference" for s in REFERENCE}), baseline="baseline")
    line = summary_lines(out, z_threshold=2.0)[0]
    # R3 (6.0) against R1, R2, R4-R6 (mean 4.8, SD sqrt(0.325)): z = 1.2 / 0.570 = 2.1, above 2 too
    assert "sheet group 'reference'" in line and "8 of 8 runners compared, 2 above z 2: P1 (z +5.7), R3 (z +2.1)" in line
    assert out.set_index("subject").loc["R3", "reference_z"] == pytest.approx(1.2 / np.sqrt(0.325))
    subjects = pd.DataFrame({"task": "running", "subject": ["P1", "P1", "P1"],
                             "condition": ["baseline", "baseline", "cadence_plus10"],
                             "metric": ["cpd_peak_deg", "cadence_spm", "cpd_peak_deg"]})
    merged = subject_columns(subjects, out, baseline="baseline")
    assert merged.loc[0, "reference_z"] == pytest.approx(4.0 / np.sqrt(0.5))
    assert merged.loc[1:, "reference_z"].isna().all()


def test_methods_name_the_reference_used_or_say_none_was_given():
    from hipdrop.stats.reference import methods_text

    stats = {"reference": {"z_threshold": 2.5}}
    used = reference_table(stances(REFERENCE | OTHERS, group={s: "reference" for s in REFERENCE}), baseline="baseline")
    text = methods_text(stats, used)
    assert "(sheet group 'reference')" in text and "z 2.5" in text and "leave-one-out" in text
    assert "No reference" in methods_text(stats, reference_table(stances(OTHERS), baseline="baseline"))


def test_a_runner_who_drops_on_one_side_only_is_flagged_on_that_side(tmp_path, monkeypatch):
    """A simulated cohort, 6 reference runners and 2 others, written as C3D files and analysed by process_trial.
    Runner S08 tilts its pelvis 7 deg right side up through the run (the simulator's running tilt, ``offset_deg``,
    raised by 7): its right-stance peak drop (left hip dropping) rises by 7 deg and its left-stance drop falls by
    7, so its mean is ordinary. Its mean must not be flagged, its right stance side must be, and every z (mean and
    sides) must equal the z computed from the simulator's true stance peaks (leave-one-out for the group)."""
    import json

    import hipdrop.simulate.running as running
    from hipdrop.trial.process import process_trial

    drawn = []

    def tilted(rng, spec):
        runner = original(rng, spec)
        drawn.append(runner)
        if len(drawn) == 8:
            runner["offset_deg"] += 7.0
        return runner

    original = running.draw_runner
    monkeypatch.setattr(running, "draw_runner", tilted)
    sheet = running.simulate_cohort(tmp_path, running.CohortSpec(n_subjects=8, duration_s=12.0, seed=41))
    group = {f"S{i:02d}": "reference" for i in range(1, 7)}
    parts = [process_trial(tmp_path / row.path).stances.assign(subject=row.subject, condition=row.condition)
             for row in sheet[sheet["condition"] == "baseline"].itertuples()]
    measured = pd.concat(parts, ignore_index=True).assign(group=lambda t: t["subject"].map(group))
    truth = pd.DataFrame(json.loads((tmp_path / "truth.json").read_text())["stances"])
    truth = truth[truth["condition"] == "baseline"].assign(excluded=False, group=lambda t: t["subject"].map(group))
    # the truth's z by hand: each runner's (and side's) mean of its true peaks against the other reference runners',
    # over the stances the analysis kept (matched within a frame)
    kept = measured[~measured["excluded"].astype(bool)]
    matched = pd.merge_asof(kept.sort_values("strike_s"), truth.sort_values("strike_s"), on="strike_s",
                            by=["subject", "side"], tolerance=0.006, direction="nearest", suffixes=("", "_true"))
    assert matched["cpd_peak_deg_true"].notna().all() and len(matched) > 8 * 25
    true_means = {"": matched.groupby("subject")["cpd_peak_deg_true"].mean()}
    true_means |= {s: matched[matched["side"] == s].groupby("subject")["cpd_peak_deg_true"].mean() for s in "LR"}
    out = reference_table(measured, baseline="baseline", z_threshold=2.0, min_runners=5).set_index("subject")
    for side, means in true_means.items():
        z_column = side_column("reference_z", side) if side else "reference_z"
        for subject in means.index:
            others = means[[s for s in group if s != subject]]
            expected = (means[subject] - others.mean()) / others.std(ddof=1)
            # stance peaks are measured within about 0.1 deg of the truth (tests/integration/test_workflow.py), so
            # a mean's z within 0.1 / the reference SD (1.3-2.4 deg here) of the true one
            assert out.loc[subject, z_column] == pytest.approx(expected, abs=0.1 / others.std(ddof=1) + 0.02), (
                side, subject)
    s08 = out.loc["S08"]
    assert not s08["reference_flag"] and abs(s08["reference_z"]) < 1.5
    assert s08["reference_flag_R"] and s08["reference_z_R"] > 2.0
    assert not s08["reference_flag_L"]
    assert (s08["baseline_peak_R_deg"] - s08["baseline_peak_L_deg"]) > 10.0  # 2 x 7 deg apart, less its own tilt
    lines = summary_lines(out.reset_index(), z_threshold=2.0)
    assert any("S08 right stance (z +" in line and "one side" in line for line in lines), lines
    page = page_line("S08", out.reset_index())
    assert "within the reference's range" in page and "right stance" in page and "ABOVE" in page.split("right")[1]
