"""Trunk lean, hip and knee centres and knee FPPA against analytic truths (docs/science.md section 8)."""

import dask.array
import numpy as np
import pytest

from hipdrop.kernels.compensations import (
    compensation_angles,
    facing_heading,
    hip_joint_centres,
    knee_centres,
    knee_fppa,
    trunk_lean,
)
from hipdrop.simulate.body import PELVIS_LOCAL, pelvis_pose
from tests.conftest import marker_array

N = 20


def _turn(heading_deg: float) -> np.ndarray:
    h = np.radians(heading_deg)
    return np.array([[np.cos(h), -np.sin(h), 0], [np.sin(h), np.cos(h), 0], [0, 0, 1]])


def _pelvis(heading_deg=0.0, *, obliquity=0.0, tilt=12.0, rotation=0.0):
    """Pelvis markers (PELVIS_LOCAL: ASIS 240 mm apart, mid-PSIS 150 mm behind mid-ASIS) facing ``heading``, and
    the pose [time, 3, 3] and origin [time, 3] they were built from."""
    pose = _turn(heading_deg) @ pelvis_pose(*(np.radians(np.full(N, a)) for a in (rotation, obliquity, tilt)))
    origin = np.tile([100.0, -50.0, 950.0], (N, 1))
    return {name: origin + pose @ np.array(local) for name, local in PELVIS_LOCAL.items()}, pose, origin


def _thorax(lean_left_deg, flexion_deg, heading_deg=0.0):
    """Thorax markers flexed forward, then leaned about the forward axis by ``lean_left_deg`` (toward the left when
    positive), facing ``heading``."""
    f, lean = np.radians(flexion_deg), np.radians(lean_left_deg)
    flex = np.array([[np.cos(f), 0, np.sin(f)], [0, 1, 0], [-np.sin(f), 0, np.cos(f)]])
    tip = np.array([[1, 0, 0], [0, np.cos(lean), np.sin(lean)], [0, -np.sin(lean), np.cos(lean)]])  # Rx(-lean)
    pose = _turn(heading_deg) @ tip @ flex
    base = np.array([60.0, -50.0, 1100.0])
    local = {"T10": (-90, 0, 0), "STRN": (90, 0, 0), "C7": (-70, 0, 330), "CLAV": (70, 0, 330),
             "LSHO": (-20, 170, 270), "RSHO": (-20, -170, 270)}
    return {name: np.tile(base + pose @ np.array(p, float), (N, 1)) for name, p in local.items()}


def test_facing_heading_is_where_the_pelvis_faces_not_snapped():
    for heading in (0.0, 37.0, 90.0, -160.0):
        pelvis, _, _ = _pelvis(heading, obliquity=6.0, tilt=25.0)
        assert np.degrees(float(facing_heading(marker_array(pelvis)))) == pytest.approx(heading, abs=1e-9)


@pytest.mark.parametrize("heading", [0.0, 37.0, -120.0])
@pytest.mark.parametrize("thorax", ["pig", "shoulders"])
def test_trunk_lean_reads_the_lean_whatever_the_flexion_and_heading(heading, thorax):
    pelvis, _, _ = _pelvis(heading)
    markers = _thorax(6.0, 30.0, heading)
    if thorax == "shoulders":
        markers = {k: v for k, v in markers.items() if k in ("C7", "LSHO", "RSHO")}
    lean = trunk_lean(marker_array(pelvis | markers))
    np.testing.assert_allclose(lean.sel(side="L"), 6.0, atol=1e-9)  # leaning left: +6 toward the left
    np.testing.assert_allclose(lean.sel(side="R"), -6.0, atol=1e-9)
    assert ("Plug-in Gait" in lean.attrs["source"]) == (thorax == "pig")


def test_trunk_lean_without_thorax_markers_is_nan_with_a_reason():
    pelvis, _, _ = _pelvis()
    lean = trunk_lean(marker_array(pelvis | {"C7": pelvis["LASI"] + 600}))
    assert lean.isnull().all()
    assert "no thorax markers" in lean.attrs["missing_L"] and lean.attrs["missing_R"]


def test_harrington_hip_centres_by_hand():
    """PW 240 mm, PD 150 mm: x = -0.24*150 - 9.9 = -45.9, up = -0.30*240 - 10.9 = -82.9, lateral 0.33*240 + 7.3 =
    86.5 mm in the pelvis frame (Harrington 2007), carried by the pelvis's pose into the lab."""
    pelvis, pose, origin = _pelvis(40.0, obliquity=5.0, tilt=15.0, rotation=8.0)
    hips = hip_joint_centres(marker_array(pelvis))
    for side, lateral in (("L", 86.5), ("R", -86.5)):
        expected = origin + pose @ np.array([-45.9, lateral, -82.9])
        np.testing.assert_allclose(hips.sel(side=side), expected, atol=1e-9)


def test_a_sacrum_marker_stands_in_for_the_psis():
    pelvis, _, _ = _pelvis(tilt=10.0)
    with_sacrum = {k: v for k, v in pelvis.items() if k in ("LASI", "RASI")} | {"SACR": (pelvis["LPSI"] + pelvis["RPSI"]) / 2}
    np.testing.assert_allclose(hip_joint_centres(marker_array(with_sacrum)), hip_joint_centres(marker_array(pelvis)), atol=1e-9)


def _leg(side: str, *, knee_medial_mm: float, hip, lateral_sign: float, markers: str = "both"):
    """A straight-down leg under ``hip`` [N, 3] in the frontal (Y-Z) plane of a subject facing +X, its knee moved
    ``knee_medial_mm`` toward the midline, 400 mm segments; epicondyle and malleolus markers 50 and 35 mm either
    side of the centres."""
    lateral = np.array([0.0, lateral_sign, 0.0])
    knee = hip + np.array([30.0, 0.0, -400.0]) - knee_medial_mm * lateral
    ankle = hip + np.array([-20.0, 0.0, -800.0])
    out = {f"{side}KNE": knee + 50 * lateral, f"{side}ANK": ankle + 35 * lateral}
    if markers == "both":
        out |= {f"{side}KNM": knee - 50 * lateral, f"{side}MED": ankle - 35 * lateral}
    return out, knee, ankle


def test_fppa_of_a_knee_moved_medially_is_valgus_by_the_angle_it_makes():
    pelvis, pose, origin = _pelvis(tilt=0.0)
    hips = {s: origin + pose @ np.array([-45.9, lat, -82.9]) for s, lat in (("L", 86.5), ("R", -86.5))}
    left, knee, _ = _leg("L", knee_medial_mm=40.0, hip=hips["L"], lateral_sign=1.0)
    right, _, _ = _leg("R", knee_medial_mm=-30.0, hip=hips["R"], lateral_sign=-1.0)  # moved out: varus
    markers = marker_array(pelvis | left | right)
    np.testing.assert_allclose(knee_centres(markers).sel(side="L"), knee, atol=1e-9)
    fppa = knee_fppa(markers)
    # thigh and shank each turn atan(d / 400) away from the vertical, in opposite senses
    np.testing.assert_allclose(fppa.sel(side="L"), 2 * np.degrees(np.arctan(40.0 / 400.0)), atol=1e-9)
    np.testing.assert_allclose(fppa.sel(side="R"), -2 * np.degrees(np.arctan(30.0 / 400.0)), atol=1e-9)


def test_fppa_with_lateral_markers_alone_says_so_and_reads_varus():
    pelvis, pose, origin = _pelvis(tilt=0.0)
    hip = origin + pose @ np.array([-45.9, 86.5, -82.9])
    left, _, _ = _leg("L", knee_medial_mm=0.0, hip=hip, lateral_sign=1.0, markers="lateral")
    fppa = knee_fppa(marker_array(pelvis | left))
    # the knee point 50 mm and the ankle point 35 mm lateral of the centres: atan(50/400) + atan(15/400) of varus
    np.testing.assert_allclose(fppa.sel(side="L"), -np.degrees(np.arctan(50 / 400) + np.arctan(15 / 400)), atol=1e-9)
    assert "LKNE alone" in fppa.attrs["source_L"] and "LANK alone" in fppa.attrs["source_L"]
    assert fppa.sel(side="R").isnull().all() and "no lateral knee marker RKNE" in fppa.attrs["missing_R"]


def test_fppa_without_pelvis_is_nan_with_a_reason():
    left, _, _ = _leg("L", knee_medial_mm=10.0, hip=np.tile([0.0, 90.0, 870.0], (N, 1)), lateral_sign=1.0)
    fppa = knee_fppa(marker_array(left))
    assert fppa.isnull().all() and "no pelvis landmarks" in fppa.attrs["missing_L"]


def test_kernels_stay_lazy_on_dask():
    pelvis, pose, origin = _pelvis(25.0, obliquity=3.0)
    hip = origin + pose @ np.array([-45.9, 86.5, -82.9])
    left, _, _ = _leg("L", knee_medial_mm=20.0, hip=hip, lateral_sign=1.0)
    markers = marker_array(pelvis | _thorax(4.0, 10.0, 25.0) | left)
    lazy = compensation_angles(markers.chunk({"time": 5}))
    assert all(isinstance(lazy[v].data, dask.array.Array) for v in lazy.data_vars)
    eager = compensation_angles(markers)
    for name in ("trunk_lean", "knee_fppa"):
        np.testing.assert_allclose(lazy[name].compute(), eager[name])
    np.testing.assert_allclose(eager.trunk_lean.sel(side="L"), 4.0, atol=1e-9)
