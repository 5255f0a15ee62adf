"""The simulator's truth: the markers it writes give back the obliquity and events it intended."""

import json

import numpy as np
import pandas as pd
import pytest

from hipdrop.io.c3d.reader import events_table, read_c3d
from hipdrop.kernels.pelvis import pelvic_angles
from hipdrop.simulate.running import CohortSpec, simulate_cohort


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
        # the continuous peak falls between frames: half a 5 ms frame of a 0.23 s stance from it, the template's
        # broad peak is a few thousandths of a degree lower
        assert float(window.max()) == pytest.approx(st.cpd_peak_deg, abs=0.015)
        # the excursion starts from the value at foot strike, within a frame of it
        assert float(window.max() - window[0]) == pytest.approx(st.cpd_excursion_deg, abs=0.05)
        peak_pct = 100 * (float(window.idxmax("time")) - st.strike_s) / (st.off_s - st.strike_s)
        assert peak_pct == pytest.approx(st.cpd_peak_pct, abs=3.0)


def test_noise_free_runner_runs_like_the_real_runners(tmp_path):
    """The template's mean (docs/science.md section 11): positive at strike, a peak at 30-50 % of stance, through
    zero to negative at toe-off; the flight joins the next stance, so the obliquity never jumps."""
    simulate_cohort(tmp_path, CohortSpec(n_subjects=1, duration_s=3.0, variation=False))
    truth = pd.DataFrame(json.loads((tmp_path / "truth.json").read_text())["stances"])
    obl = pelvic_angles(read_c3d(tmp_path / "S01_baseline_1.c3d")["markers"], sequence="rot").obliquity
    # no jump: the change from frame to frame is up to 0.5 deg per 5 ms late in stance (as in RBDS) and turns by
    # at most 0.25 deg per frame, at foot off, where the obliquity turns as the pelvis does at push-off
    assert float(np.abs(obl.sel(side="R").diff("time").diff("time")).max()) < 0.25
    for st in truth[truth.condition == "baseline"].itertuples():
        window = obl.sel(side=st.side).sel(time=slice(st.strike_s, st.off_s))
        assert 1.5 < float(window[0]) < 5.5 and float(window[-1]) < -2.0
        assert 30.0 < st.cpd_peak_pct < 50.0 and 3.5 < st.cpd_peak_deg < 8.5


def test_drawn_runners_keep_a_real_runners_shape():
    """Every drawn runner's own mean stance curve peaks where and as high as real runners' do (docs/science.md
    section 11: real running-condition means peak at 32-47 % of stance at 4-8.5 deg; before the runner scores were
    bounded, one runner in five peaked at strike, up to 15-22 deg). The symmetric curve, without the runner's tilt."""
    from hipdrop.simulate.obliquity import load_template
    from hipdrop.simulate.running import draw_runner

    n = load_template("")["n"]
    for seed in range(40):
        for i in range(8):
            shape = np.asarray(draw_runner(np.random.default_rng([seed, i]), CohortSpec(seed=seed))["shape"])[:n]
            assert 30.0 <= 100 * np.argmax(shape) / (n - 1) <= 50.0 and 3.0 < shape.max() < 8.5, (seed, i)


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


# ------------------------------------------------------------------------------------------------ single-leg tasks
from hipdrop.kernels.compensations import compensation_angles  # noqa: E402
from hipdrop.simulate.tasks import TaskCohortSpec, simulate_task_cohort, simulate_task_trial  # noqa: E402
from hipdrop.trial.tasks import task_settings  # noqa: E402


@pytest.fixture(scope="module", params=["single_leg_squat", "single_leg_balance", "single_leg_landing"])
def task_trial(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("task") / f"{request.param}.c3d"
    truth = simulate_task_trial(path, request.param, variation=False)
    return request.param, read_c3d(path), pd.DataFrame(truth)


def test_task_markers_carry_the_intended_drop_lean_and_fppa(task_trial):
    """Raw markers, no filter: over each true window the support side's rot obliquity, trunk lean toward it and its
    knee's FPPA peak at the true heights. Sampled at 100 Hz, the largest sample may miss a bump's top by half a
    frame: near its top the bump is 1 - 23.8 ds^2 (a = 3, b = 7), and half a frame of the landing's 0.5 s window is
    ds = 0.01, so 0.0024 of the 8 deg valgus: 0.02 deg."""
    task, trial, truth = task_trial
    obliquity = pelvic_angles(trial["markers"], sequence="rot").obliquity
    angles = compensation_angles(trial["markers"])
    for w in truth.itertuples():
        window = dict(side=w.side, time=slice(w.strike_s, w.off_s))
        assert float(obliquity.sel(**window).max()) == pytest.approx(w.cpd_peak_deg, abs=0.02)
        assert float(angles.trunk_lean.sel(**window).max()) == pytest.approx(w.trunk_lean_peak_deg, abs=0.02)
        assert float(angles.knee_fppa.sel(**window).max()) == pytest.approx(w.knee_fppa_peak_deg, abs=0.02)
        peak_time = w.strike_s + w.cpd_peak_pct / 100 * (w.off_s - w.strike_s)
        at_peak = lambda name: float(angles[name].sel(side=w.side).interp(time=peak_time))
        assert at_peak("trunk_lean") == pytest.approx(w.trunk_lean_at_peak_deg, abs=0.01)
        assert at_peak("knee_fppa") == pytest.approx(w.knee_fppa_at_peak_deg, abs=0.01)


def test_task_windows_are_where_the_feet_and_pelvis_put_them(task_trial):
    """The true windows against the written markers: a hold lasts while every landmark of the free foot is
    ``clearance_mm`` above the support foot's (down to clearance - 5 mm on the way down); a landing starts when the
    landing foot's toe reaches the floor; a squat repetition runs between two still tops of the pelvis."""
    task, trial, truth = task_trial
    markers, time = trial["markers"], trial["time"].to_numpy()
    z = lambda name: markers.sel(marker=name, axis="z").to_numpy()
    clearance = task_settings(task)["clearance_mm"]
    for w in truth.itertuples():
        free = "R" if w.side == "L" else "L"
        lift = np.minimum(z(f"{free}HEE") - z(f"{w.side}HEE"), z(f"{free}TOE") - z(f"{w.side}TOE"))
        inside = (time >= w.strike_s) & (time <= w.off_s)
        if task == "single_leg_balance":
            assert lift[inside].min() >= clearance - 5.0 - 1e-6
            assert lift[np.flatnonzero(inside)[0] - 1] < clearance and lift[np.flatnonzero(inside)[-1] + 1] < clearance - 5.0
        elif task == "single_leg_landing":
            toe = z(f"{w.side}TOE")
            assert toe[time < w.strike_s - 0.01][-1] > 20.0 + 1.0 and np.allclose(toe[time >= w.strike_s + 0.01][:50], 20.0)
            assert lift[inside].min() > clearance
        else:
            pelvis = (z("LASI") + z("RASI")) / 2
            assert time[np.argmin(np.where(inside, pelvis, np.inf))] == pytest.approx(w.deepest_s, abs=0.006)
            speed = np.abs(np.gradient(pelvis, time))
            for edge in (w.strike_s, w.off_s):
                assert speed[np.argmin(np.abs(time - edge))] < 5.0  # mm/s: still at the top
            assert lift[inside].min() > clearance


def test_task_cohort_sheet_and_effects(tmp_path):
    sheet = simulate_task_cohort(tmp_path, TaskCohortSpec(n_subjects=2, variation=False))
    assert sheet.columns.tolist() == ["subject", "condition", "trial", "path", "task"]
    assert (sheet["task"] == "single_leg_squat").all() and set(sheet["condition"]) == {"baseline", "post_training"}
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert truth["cohort_effects_deg"] == {"post_training": -1.5}  # no variation: every subject's own effect
    windows = pd.DataFrame(truth["windows"])
    by_condition = windows.groupby("condition")["cpd_peak_deg"].mean()
    assert by_condition["post_training"] - by_condition["baseline"] == pytest.approx(-1.5)
    for row in sheet.itertuples():
        assert (tmp_path / row.path).exists()


def test_task_cohort_same_seed_same_files(tmp_path):
    for name in ("a", "b"):
        simulate_task_cohort(tmp_path / name, TaskCohortSpec(task="single_leg_balance", n_subjects=1, seed=4))
    for f in sorted((tmp_path / "a").iterdir()):
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes()
