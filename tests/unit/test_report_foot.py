"""The foot measures in the methods and on the runner page (hipdrop.report.foot)."""

import numpy as np
import pandas as pd

from hipdrop.config import validate_config
from hipdrop.report.foot import page_line
from hipdrop.report.methods import methods_paragraph


def test_methods_define_both_angles_and_cite_their_classes():
    paragraph = methods_paragraph(validate_config({}), {
        "trials": pd.DataFrame({"status": ["ok"], "event_source": ["c3d"]}),
        "stances": pd.DataFrame({"subject": ["A"], "condition": ["baseline"], "trial": [1], "excluded": [False]})})
    assert "**Foot.**" in paragraph and "25-50 % of stance" in paragraph and "above 8 deg" in paragraph
    assert "Altman AR, Davis IS (2012)" in paragraph


def test_page_line_gives_each_condition_s_medians_and_strike_class():
    stances = pd.DataFrame({"condition": ["baseline"] * 3 + ["cadence_plus10"] * 2 + ["fast"],
                            "foot_progression_deg": [4.0, 6.0, 9.0, -2.0, -3.0, np.nan],
                            "foot_strike_angle_deg": [12.0, 14.0, 20.0, 1.0, 3.0, np.nan]})
    line = page_line(stances, ["baseline", "cadence_plus10", "fast"])
    assert line.endswith("baseline: progression +6 deg, strike +14 deg (rearfoot); "
                         "cadence_plus10: progression -2 deg, strike +2 deg (midfoot)")
    assert page_line(stances[["condition"]], ["baseline"]) == ""


def test_the_runner_page_carries_the_foot_line(tmp_path):
    """A runner whose stances have foot angles gets them on the page, under the table."""
    import matplotlib

    matplotlib.use("Agg")
    from hipdrop.report.runner_pages import runner_page
    from tests.unit.test_runner_pages import small_tables

    curves, stances, responders, manipulation = small_tables()
    stances = stances.assign(foot_progression_deg=7.0, foot_strike_angle_deg=np.where(
        stances.condition == "baseline", 15.0, -4.0))
    figure = runner_page("A", curves, stances, responders, manipulation)
    texts = " ".join(t.get_text() for ax in figure.axes for t in ax.texts)
    assert "baseline: progression +7 deg, strike +15 deg (rearfoot)" in texts.replace("\n", " ")
    assert "cadence_plus10: progression +7 deg, strike -4 deg (forefoot)" in texts.replace("\n", " ")
    figure.savefig(tmp_path / "page.png", dpi=60)


def test_methods_say_when_the_fppa_used_a_static_calibration():
    from hipdrop.report.foot import methods_text

    trials = pd.DataFrame({"status": ["ok", "ok", "ok"], "calibrated_landmarks": ["LKNM (thigh: LTH1, LTH2, LTH3)", "", None]})
    assert "In 1 of 3 analysed trials the medial epicondyle" in methods_text(trials)
    assert "static trial" not in methods_text(trials.assign(calibrated_landmarks=""))
    assert "static trial" not in methods_text(None)
