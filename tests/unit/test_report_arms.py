"""The arm measures in the methods and on the runner page (hipdrop.report.arms)."""

import numpy as np
import pandas as pd

from hipdrop.config import validate_config
from hipdrop.report.arms import methods_text, page_line
from hipdrop.report.methods import methods_paragraph


def test_methods_name_the_measures_and_the_run_s_tolerances():
    config = validate_config({"stats": {"arm_crossover_min_change_mm": 25.0}})
    text = methods_text(config["stats"])
    assert "25 mm (crossover)" in text and "10 deg (elbow angle)" in text and "stats/arm_effects.csv" in text
    paragraph = methods_paragraph(config, {"trials": pd.DataFrame({"status": ["ok"], "event_source": ["c3d"]}),
                                           "stances": pd.DataFrame({"subject": ["A"], "condition": ["baseline"],
                                                                    "trial": [1], "excluded": [False]})})
    assert "**Arm swing.**" in paragraph


def test_page_line_lists_the_measured_conditions_only():
    rows = pd.DataFrame({"arm_crossover_mm": [31.6, -12.2, np.nan], "elbow_angle_mean_deg": [95.2, 94.0, np.nan],
                         "thorax_pelvis_rotation_deg": [20.0, 19.0, np.nan]},
                        index=pd.Index(["baseline", "no_crossover", "fast"], name="condition"))
    line = page_line(rows, ["baseline", "no_crossover", "fast"])
    assert line.endswith("rotation deg): baseline +32 / 95 / 20; no_crossover -12 / 94 / 19; fast - / - / -")
    assert page_line(rows.iloc[2:], ["fast"]) == ""
