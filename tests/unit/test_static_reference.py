"""Static standing trials: a runner's standing pelvic obliquity referenced out of its stance peaks."""

import json

import numpy as np
import pandas as pd
import pytest

from hipdrop.cohort.batches import analyse_trials
from hipdrop.config import load_sheet, validate_config
from hipdrop.simulate.running import CohortSpec, simulate_cohort


def matched(out, directory):
    truth = pd.DataFrame(json.loads((directory / "truth.json").read_text())["stances"]).astype({"trial": str})
    kept = out["stances"][~out["stances"].excluded]
    return pd.merge_asof(kept.sort_values("strike_s"), truth.sort_values("strike_s"), on="strike_s",
                         by=["subject", "condition", "trial", "side"], tolerance=0.006, direction="nearest",
                         suffixes=("", "_true")).dropna(subset=["cpd_peak_deg_static_ref_true"])


@pytest.mark.parametrize("variation", [False, True])
def test_a_known_standing_obliquity_is_referenced_out_of_both_sides_peaks(tmp_path, variation):
    """The runner stands with the right ASIS 2.5 deg up, in the static trial and under every running trial: raw
    peaks differ between sides by twice that; static-referenced ones equal the truth within 0.1 deg per side."""
    simulate_cohort(tmp_path, CohortSpec(n_subjects=1, duration_s=6.0, seed=8, variation=variation,
                                         static_obliquity_deg=2.5, static_trial=True))
    out = analyse_trials(load_sheet(tmp_path / "trials.tsv"), config=validate_config({}), workers=1)
    static = out["trials"].set_index("condition").loc["static"]
    assert static.status == "static reference" and static.static_obliquity_deg == pytest.approx(2.5, abs=0.05)
    merged = matched(out, tmp_path)
    assert set(merged.side) == {"L", "R"} and (merged.static_obliquity_deg == static.static_obliquity_deg).all()
    for side, rows in merged.groupby("side"):
        error = (rows.cpd_peak_deg_static_ref - rows.cpd_peak_deg_static_ref_true).mean()
        assert abs(error) < 0.1, (side, error)
        raw = (rows.cpd_peak_deg - rows.cpd_peak_deg_static_ref_true).mean()
        assert raw == pytest.approx(2.5 if side == "R" else -2.5, abs=0.1)  # what the reference removes


def test_without_a_static_trial_nothing_changes(tmp_path):
    simulate_cohort(tmp_path, CohortSpec(n_subjects=1, duration_s=4.0, variation=False))
    out = analyse_trials(load_sheet(tmp_path / "trials.tsv"), config=validate_config({}), workers=1)
    assert not {"static_obliquity_deg", "cpd_peak_deg_static_ref"} & set(out["stances"].columns)
    assert np.isfinite(out["stances"].cpd_peak_deg).any()
