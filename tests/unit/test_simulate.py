"""The simulator's truth: the markers it writes give back the obliquity and events it intended."""

import json

import numpy as np
import pandas as pd
import pytest

from hipdrop.io.c3d import events_table, read_c3d
from hipdrop.kernels.pelvis import pelvic_angles
from hipdrop.simulate import CohortSpec, simulate_cohort


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    directory = tmp_path_factory.mktemp("sim")
    sheet = simulate_cohort(directory, CohortSpec(n_subjects=2, duration_s=6.0, seed=7))
    return directory, sheet, json.loads((directory / "truth.json").read_text())


def test_written_pelvis_markers_carry_the_intended_peak_drop(cohort):
    """Raw (unfiltered) rot obliquity of the C3D markers: its max over each true stance is the true peak."""
    directory, sheet, truth = cohort
    stances = pd.DataFrame(truth["stances"])
    for row in sheet.itertuples():
        trial = read_c3d(directory / row.path)
        obl = pelvic_angles(trial["markers"], sequence="rot").obliquity
        mine = stances[(stances.subject == row.subject) & (stances.condition == row.condition)]
        for st in mine.itertuples():
            window = obl.sel(side=st.side).sel(time=slice(st.strike_s, st.off_s))
            # marker noise of 0.5 mm over a 240 mm ASIS span moves obliquity by ~0.2 deg
            assert float(window.max()) == pytest.approx(st.cpd_peak_deg, abs=0.6)


def test_noise_free_markers_reproduce_the_truth_exactly(tmp_path):
    simulate_cohort(tmp_path, CohortSpec(n_subjects=1, duration_s=4.0, variation=False))
    truth = pd.DataFrame(json.loads((tmp_path / "truth.json").read_text())["stances"])
    trial = read_c3d(tmp_path / "S01_cadence_plus10_1.c3d")
    obl = pelvic_angles(trial["markers"], sequence="rot").obliquity
    for st in truth[truth.condition == "cadence_plus10"].itertuples():
        window = obl.sel(side=st.side).sel(time=slice(st.strike_s, st.off_s))
        # the continuous peak falls between frames: near it the bump is 1 - 23.8 ds^2 (a=3, b=7), and half a 5 ms
        # frame of a 0.22 s stance is ds = 0.011, so the sampled max may sit 0.003 x 4.5 deg = 0.014 deg low
        assert float(window.max()) == pytest.approx(st.cpd_peak_deg, abs=0.015)
        assert float(window[0]) == pytest.approx(0.0, abs=0.05)  # the drop starts at foot strike


def test_events_in_the_file_are_the_true_events(cohort):
    directory, sheet, truth = cohort
    stances = pd.DataFrame(truth["stances"])
    row = sheet.iloc[0]
    events = events_table(read_c3d(directory / row.path))
    strikes = events[events.event == "foot_strike"]
    mine = stances[(stances.subject == row.subject) & (stances.condition == row.condition)]
    assert len(strikes) == len(mine)
    np.testing.assert_allclose(np.sort(strikes.time_s), np.sort(mine.strike_s), atol=0.5 / 200)  # to the nearest frame


def test_same_seed_same_files(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    spec = CohortSpec(n_subjects=1, duration_s=2.0, seed=3)
    simulate_cohort(a, spec)
    simulate_cohort(b, spec)
    for f in sorted(a.glob("*.c3d")):
        assert f.read_bytes() == (b / f.name).read_bytes()


def test_committed_demo_sheet_matches_the_simulator(tmp_path):
    """config/trials.tsv is the default simulated cohort's sheet, with paths into data/demo."""
    from tests.conftest import ROOT

    sheet = simulate_cohort(tmp_path, CohortSpec(duration_s=0.5))
    committed = pd.read_csv(ROOT / "config" / "trials.tsv", sep="\t")
    assert committed["path"].tolist() == ["../data/demo/" + p for p in sheet["path"]]
    pd.testing.assert_frame_equal(committed.drop(columns="path"), sheet.drop(columns="path"), check_dtype=False)


def test_runners_do_not_depend_on_trial_length(tmp_path):
    truths = []
    for name, duration in (("short", 1.0), ("long", 3.0)):
        simulate_cohort(tmp_path / name, CohortSpec(n_subjects=3, duration_s=duration))
        truths.append(json.loads((tmp_path / name / "truth.json").read_text()))
    assert truths[0]["subjects"] == truths[1]["subjects"]
    assert truths[0]["cohort_effects_deg"] == truths[1]["cohort_effects_deg"]
