"""Calibrated anatomical landmarks on the real files (hipdrop.kernels.landmarks, hipdrop.trial.calibration).

nimble_complexknee has medial and lateral knee and ankle markers and four-marker thigh and shank plates in a
dynamic trial: hidden, the medial markers are rebuilt from a calibration window and compared with the measured ones.
The LASEM drop jumps have only the lateral markers; their static trial has the medial ones.
"""

import numpy as np
import pandas as pd
import pytest

from hipdrop.cohort.batches import analyse_trials
from hipdrop.config import validate_config
from hipdrop.io.c3d.reader import read_c3d
from hipdrop.kernels.compensations import knee_fppa
from hipdrop.kernels.landmarks import calibrate_landmarks, reconstruct_landmarks
from hipdrop.trial.calibration import static_calibration
from hipdrop.trial.process import process_trial
from tests.conftest import shared_file

MEDIAL = ["LKNM", "RKNM", "LMED", "RMED"]
LASEM_STATIC = "single_leg/lasem_FAILT01_static02.c3d"
LASEM_TRIALS = ["single_leg/lasem_FAILT01_SLDJ01.c3d", "single_leg/lasem_FAILT01_SLDJ03.c3d",
                "single_leg/lasem_FAILT01_SLDJ04.c3d"]


def calibration_window(markers, frames=100):
    """The first of the 1 s windows with every medial marker present in which the legs move least: the nearest
    thing to a static trial in a trial of swinging legs (nimble_complexknee has no standing start)."""
    legs = markers.sel(marker=["LANK", "RANK", "LKNE", "RKNE"]).values
    speed = np.nanmax(np.linalg.norm(np.diff(legs, axis=0), axis=-1), -1)
    present = np.isfinite(markers.sel(marker=MEDIAL).values).all((-1, -2))[1:]
    mean = np.convolve(np.where(present & np.isfinite(speed), speed, np.inf), np.ones(frames) / frames, "valid")
    return int(np.argmin(mean))


def test_hidden_medial_markers_are_rebuilt_from_their_clusters():
    """Outside the calibration window, each rebuilt medial marker's median distance from the measured one is under
    a third of the joint's width (the lateral-to-medial distance): the lateral marker alone, the estimate it
    replaces, misses the centre by half that width. FPPA from the rebuilt centres removes at least 80 % of the
    lateral-only error (median absolute difference from FPPA on the measured centres)."""
    markers = read_c3d(shared_file("single_leg/nimble_complexknee_2022_01_0401.c3d"))["markers"]
    k = calibration_window(markers)
    dynamic = markers.drop_sel(marker=MEDIAL)
    calibration = calibrate_landmarks(markers.isel(time=slice(k, k + 100)), dynamic.marker.values)
    rebuilt = reconstruct_landmarks(dynamic, calibration)
    outside = np.r_[0:k, k + 100 : markers.sizes["time"]]
    for medial, lateral in zip(MEDIAL, ["LKNE", "RKNE", "LANK", "RANK"]):
        width = np.nanmedian(np.linalg.norm(markers.sel(marker=medial).values - markers.sel(marker=lateral).values, axis=-1))
        error = np.linalg.norm(rebuilt.sel(marker=medial).values - markers.sel(marker=medial).values, axis=-1)[outside]
        print(f"{medial}: width {width:.0f} mm, error median {np.nanmedian(error):.1f}, 95th percentile "
              f"{np.nanpercentile(error, 95):.1f} mm")
        assert np.nanmedian(error) < width / 3, (medial, np.nanmedian(error), width)
    measured, calibrated, lateral_only = (knee_fppa(m).isel(time=outside) for m in (markers, rebuilt, dynamic))
    for side in ("L", "R"):
        off = float(np.abs(calibrated - measured).sel(side=side).median())
        bias = float(np.abs(lateral_only - measured).sel(side=side).median())
        print(f"{side} FPPA: calibrated - measured median |.| {off:.2f} deg, lateral-only {bias:.1f} deg")
        assert off < 0.2 * bias, (side, off, bias)


def test_lasem_fppa_from_the_static_calibration():
    """Every landing and balance window of the LASEM drop jumps: the static trial's medial markers carried in, the
    knee FPPA moves toward valgus against the lateral-only estimate (the lateral markers lie lateral of the joint
    centres; docs/science.md section 8), by the amounts printed (-s) for the notes."""
    calibration = static_calibration(shared_file(LASEM_STATIC))
    assert {s: sorted(n for seg in d.values() for n in seg["landmarks"]) for s, d in calibration.items()} == {
        "L": ["LANK", "LKNE", "LKNM", "LMED"], "R": ["RANK", "RKNE", "RKNM", "RMED"]}
    changes = []
    for relative in LASEM_TRIALS:
        for task in ("single_leg_landing", "single_leg_balance"):
            lateral = process_trial(shared_file(relative), task=task)
            static = process_trial(shared_file(relative), task=task, calibration=calibration)
            assert lateral.ok and static.ok
            assert static.meta["calibrated_landmarks"].count("(") == 4  # LKNM, LMED, RKNM, RMED
            keys = ["side", "strike_s", "off_s"]
            both = lateral.stances.merge(static.stances, on=keys, suffixes=("_lateral", "_static"))
            assert len(both) == len(lateral.stances)
            change = both.knee_fppa_peak_deg_static - both.knee_fppa_peak_deg_lateral
            for row, d in zip(both.itertuples(), change):
                print(f"{relative} {task} {row.side} {row.strike_s:.2f}-{row.off_s:.2f} s: peak FPPA "
                      f"{row.knee_fppa_peak_deg_lateral:+.1f} (lateral only) -> {row.knee_fppa_peak_deg_static:+.1f} deg "
                      f"({d:+.1f})")
            changes += change.tolist()
    assert len(changes) >= 6 and all(d > 0 for d in changes)


def test_the_workflow_carries_a_runners_static_calibration(tmp_path):
    """analyse_trials with the sheet's static row gives the dynamic trial the calibrated FPPA of process_trial."""
    static, dynamic = shared_file(LASEM_STATIC), shared_file(LASEM_TRIALS[0])
    sheet = pd.DataFrame({"subject": ["FAILT01", "FAILT01"], "condition": ["static", "baseline"], "trial": [1, 1],
                          "path": [str(static), str(dynamic)], "static": [True, False],
                          "task": ["single_leg_landing"] * 2})
    out = analyse_trials(sheet, config=validate_config({}), workers=1)
    direct = process_trial(dynamic, task="single_leg_landing", calibration=static_calibration(static))
    np.testing.assert_allclose(out["stances"].knee_fppa_peak_deg.to_numpy(), direct.stances.knee_fppa_peak_deg.to_numpy())
    assert "LKNM" in out["trials"].set_index("condition").loc["baseline", "calibrated_landmarks"]
