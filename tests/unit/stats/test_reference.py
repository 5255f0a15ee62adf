""""Is this hip drop?" (hipdrop.stats.reference): runners of known baseline means against a sheet reference group
(z computed by hand, leave-one-out for the group's own runners), a config table by speed, and no reference."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from hipdrop.stats.reference import NONE_GIVEN, page_line, reference_table, subject_columns, summary_lines

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
