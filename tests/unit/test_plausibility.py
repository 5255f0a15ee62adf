"""Samples no body makes, through the per-trial pipeline: counted by kind, made gaps, or the trial refused; and the
markers taken as stored (no low-pass, no fill) when the config says so."""

import numpy as np
import pytest

from hipdrop.io.c3d.reader import events_table, read_c3d, write_c3d
from hipdrop.kernels.pelvis import pelvic_angles, progression_heading
from hipdrop.simulate.running import CohortSpec, simulate_cohort
from hipdrop.trial.process import process_trial, static_reference


@pytest.fixture(scope="module")
def clean_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plausibility")
    simulate_cohort(folder, CohortSpec(n_subjects=1, duration_s=6.0, seed=5, gaps=False, static_trial=True))
    return folder / "S01_baseline_1.c3d"


def rewrite(source, target, change):
    """``source`` written again as ``target`` after ``change(xyz, names)`` edits its markers in place."""
    trial = read_c3d(source)
    xyz, names = trial["markers"].values.copy(), [str(m) for m in trial.marker.values]
    change(xyz, names)
    write_c3d(target, xyz, names, rate_hz=trial.attrs["rate_hz"], events=events_table(trial))
    return target


def test_bad_samples_are_counted_by_kind_and_become_gaps(clean_file, tmp_path):
    """What was written is what is counted; the spline fills the one-frame gaps, so every stance the clean file
    includes keeps its peak within 0.05 deg (the simulator's truth lies in the clean file)."""
    def damage(xyz, names):
        lasi, rasi, rhee, lwra = (names.index(m) for m in ("LASI", "RASI", "RHEE", "LWRA"))
        xyz[[320, 520, 720, 920], rasi] += [0.0, 0.0, 900.0]  # 0.9 m in 5 ms and back: 180 m/s
        xyz[[300, 500, 700], lasi] += [0.0, 0.0, 150_000.0]  # 150 m up for a frame: beyond any capture volume
        xyz[400:405, lwra] += [2.0e6, 0.0, 0.0]  # 2 km away for 25 ms
        xyz[600, rhee] += [0.0, 3500.0, 0.0]  # 3.5 m beside the runner, 700 m/s

    damaged = process_trial(rewrite(clean_file, tmp_path / "damaged.c3d", damage))
    assert damaged.ok, damaged.failure
    meta = {k: v for k, v in damaged.meta.items() if k.startswith("implausible_")}
    assert meta == {"implausible_samples": 13, "implausible_nonfinite": 0, "implausible_outside_volume": 8,
                    "implausible_off_body": 1, "implausible_spike": 4, "implausible_pelvis_shape": 0}
    clean = process_trial(clean_file)
    assert clean.meta["implausible_samples"] == 0
    both = clean.stances.merge(damaged.stances, on=["side", "stance_index"], suffixes=("", "_damaged"))
    kept = both[~both.excluded]
    assert len(kept) >= 10 and (~kept.excluded_damaged).all()
    assert np.abs(kept.cpd_peak_deg - kept.cpd_peak_deg_damaged).max() < 0.05


def test_a_pelvis_mostly_implausible_is_refused_with_the_reason(clean_file, tmp_path):
    def corrupt(xyz, names):
        for m in ("LASI", "RASI", "LPSI", "RPSI"):
            xyz[: int(0.6 * len(xyz)), names.index(m)] *= 1000.0  # metres written as mm: km from the origin

    result = process_trial(rewrite(clean_file, tmp_path / "corrupt.c3d", corrupt))
    assert not result.ok and result.failure.stage == "clean"
    assert "60 % of the recorded samples of the pelvis markers" in result.failure.reason
    assert "outside_volume 2880" in result.failure.reason and result.meta["implausible_outside_volume"] == 4 * 720
    with pytest.raises(Exception, match="implausible"):
        static_reference(tmp_path / "corrupt.c3d")


def test_markers_as_stored_give_the_pelvis_kernel_on_the_raw_markers(clean_file):
    """clean.lowpass_hz null and clean.max_gap_s 0: the pipeline's angles are the kernel's on the file's markers."""
    result = process_trial(clean_file, config={"clean": {"lowpass_hz": None, "max_gap_s": 0}, "pelvis": {"sequence": "tor"}})
    markers = read_c3d(clean_file)["markers"]
    direct = pelvic_angles(markers, sequence="tor", heading=float(progression_heading(markers)))
    for angle in ("tilt", "obliquity", "rotation"):
        np.testing.assert_array_equal(result.pelvis[angle].values, direct[angle].values)
    filtered = process_trial(clean_file, config={"pelvis": {"sequence": "tor"}})
    assert np.abs(filtered.pelvis["obliquity"] - direct["obliquity"]).max() > 1e-3  # the low-pass does act


def test_a_cutoff_at_or_above_nyquist_takes_the_markers_as_stored_and_says_so(clean_file):
    """200 Hz: a 120 Hz cut-off lies above the 100 Hz Nyquist frequency, where the recording holds nothing."""
    above = process_trial(clean_file, config={"clean": {"lowpass_hz": 120.0}})
    stored = process_trial(clean_file, config={"clean": {"lowpass_hz": None}})
    assert above.ok and "Nyquist frequency (100 Hz)" in above.meta["clean_warnings"]
    assert stored.meta["clean_warnings"] == ""
    np.testing.assert_array_equal(above.stances.cpd_peak_deg, stored.stances.cpd_peak_deg)
    reference = static_reference(clean_file.parent / "S01_static_1.c3d", config={"clean": {"lowpass_hz": 120.0}})
    assert reference == static_reference(clean_file.parent / "S01_static_1.c3d", config={"clean": {"lowpass_hz": None}})
