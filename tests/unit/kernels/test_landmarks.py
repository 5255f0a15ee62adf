"""Calibrated anatomical landmarks (hipdrop.kernels.landmarks) against rigid motions known exactly."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from hipdrop.kernels.landmarks import calibrate_landmarks, reconstruct_landmarks, rigid_fit
from tests.conftest import marker_array

CLUSTER = {"LTHLP": [60.0, 10.0, 120.0], "LTHLD": [70.0, 5.0, 20.0], "LTHAP": [-20.0, 60.0, 110.0],
           "LTHAD": [-10.0, 55.0, 15.0]}
LANDMARKS = {"LKNE": [55.0, 0.0, -80.0], "LKNM": [-55.0, 10.0, -90.0]}


def moving_segment(n=50, noise_mm=0.0, seed=0):
    """The thigh's markers turned through up to 60 deg about a wandering axis and carried 1 m, with the
    landmarks' true paths."""
    rng = np.random.default_rng(seed)
    rotations = Rotation.from_rotvec(np.linspace(0, 1, n)[:, None] * np.radians([40.0, -30.0, 25.0]))
    shift = np.linspace([0.0, 0.0, 800.0], [1000.0, 200.0, 700.0], n)
    move = lambda p: rotations.apply(np.asarray(p)) + shift
    points = {k: move(v) + rng.normal(0, noise_mm, (n, 3)) for k, v in {**CLUSTER, **LANDMARKS}.items()}
    return points


def test_rigid_fit_recovers_a_known_motion():
    points = moving_segment()
    reference = np.array(list(CLUSTER.values()))
    moved = np.stack([points[k] for k in CLUSTER], 1)
    rotation, translation, residual = rigid_fit(reference, moved)
    np.testing.assert_allclose(np.einsum("tij,kj->tki", rotation, reference) + translation[:, None], moved, atol=1e-9)
    np.testing.assert_allclose(np.linalg.det(rotation), 1.0)
    assert residual.max() < 1e-9


def test_hidden_landmark_is_rebuilt_from_the_static_pose():
    """Static: the first frame (standing). Dynamic: the medial knee marker hidden; rebuilt exactly without noise,
    and within the markers' noise (0.5 mm SD per axis) with it: a 4-marker cluster's fit adds about
    0.5 x sqrt(3 / 4) mm, the landmark's own noise 0.5 x sqrt(3) in the comparison."""
    for noise, tolerance in ((0.0, 1e-9), (0.5, 3.0)):
        points = moving_segment(noise_mm=noise)
        markers = marker_array(points)
        static = markers.isel(time=slice(0, 1))
        dynamic = markers.drop_sel(marker="LKNM")
        calibration = calibrate_landmarks(static, dynamic.marker.values)
        assert list(calibration["L"]["thigh"]["landmarks"]) == ["LKNM"]
        rebuilt = reconstruct_landmarks(dynamic, calibration)
        assert "LKNM (thigh: LTHLP, LTHLD, LTHAP, LTHAD)" in rebuilt.attrs["calibrated_landmarks"]
        error = np.linalg.norm(rebuilt.sel(marker="LKNM").values - points["LKNM"], axis=-1)
        assert np.median(error) < tolerance, (noise, np.median(error))


def test_a_missing_cluster_marker_leaves_that_frame_missing_and_present_landmarks_alone():
    points = moving_segment()
    markers = marker_array(points)
    calibration = calibrate_landmarks(markers.isel(time=slice(0, 1)), [*CLUSTER, "LKNE"])
    dynamic = markers.drop_sel(marker="LKNM").copy()
    dynamic.loc[{"marker": "LTHAD"}] = np.where(np.arange(len(dynamic.time))[:, None] == 10, np.nan,
                                                dynamic.sel(marker="LTHAD").values)
    rebuilt = reconstruct_landmarks(dynamic, calibration)
    knm = rebuilt.sel(marker="LKNM").values
    assert np.isnan(knm[10]).all() and np.isfinite(np.delete(knm, 10, 0)).all()
    np.testing.assert_array_equal(rebuilt.sel(marker="LKNE").values, dynamic.sel(marker="LKNE").values)
    assert reconstruct_landmarks(markers, calibration).sizes["marker"] == markers.sizes["marker"]
