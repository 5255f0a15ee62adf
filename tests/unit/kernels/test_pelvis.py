"""Pelvic angles against analytic truths (docs/science.md section 2)."""

import numpy as np
import pytest

from hipdrop.kernels.pelvis import pelvic_angles, progression_heading
from hipdrop.simulate.body import PELVIS_LOCAL, pelvis_pose
from tests.conftest import marker_array


def posed_pelvis(rotation_deg, obliquity_deg, tilt_deg, *, n=50, heading_deg=0.0, travel_mm=0.0):
    """Pelvis markers posed with Baker's sequence (left-side obliquity), on a path along ``heading``."""
    r, o, t = (np.radians(np.broadcast_to(np.asarray(a, float), (n,))) for a in (rotation_deg, obliquity_deg, tilt_deg))
    h = np.radians(heading_deg)
    turn = np.array([[np.cos(h), -np.sin(h), 0], [np.sin(h), np.cos(h), 0], [0, 0, 1]])
    pose = turn @ pelvis_pose(r, o, t)
    origin = np.linspace(0, travel_mm, n)[:, None] * turn[:, 0] + np.array([0, 0, 950.0])
    return marker_array({name: origin + pose @ np.array(local) for name, local in PELVIS_LOCAL.items()})


@pytest.mark.parametrize("sequence", ["rot", "tor"])
def test_pure_roll_reads_its_angle(sequence):
    angles = pelvic_angles(posed_pelvis(0.0, 5.0, 0.0), sequence=sequence)
    np.testing.assert_allclose(angles.obliquity.sel(side="L"), 5.0, atol=1e-9)
    np.testing.assert_allclose(angles.obliquity.sel(side="R"), -5.0, atol=1e-9)
    np.testing.assert_allclose(angles.tilt, 0.0, atol=1e-9)


@pytest.mark.parametrize(("tilt", "rotation", "tor_obliquity"), [(30.0, 20.0, -9.85), (15.0, 10.0, -2.58)])
def test_level_hips_tilted_and_rotated(tilt, rotation, tor_obliquity):
    """docs/science.md: level hips with tilt 30 and rotation 20 read 0.00 under rot and -9.85 under tor."""
    markers = posed_pelvis(rotation, 0.0, tilt)
    rot = pelvic_angles(markers, sequence="rot")
    tor = pelvic_angles(markers, sequence="tor")
    np.testing.assert_allclose(rot.obliquity, 0.0, atol=1e-9)
    np.testing.assert_allclose(rot.tilt, tilt, atol=1e-9)
    np.testing.assert_allclose(rot.rotation.sel(side="R"), rotation, atol=1e-9)  # turned left: right side forward
    assert abs(float(tor.obliquity.sel(side="L").mean()) - tor_obliquity) < 0.005


def test_rot_obliquity_does_not_depend_on_heading():
    wave = 6 * np.sin(np.linspace(0, 4 * np.pi, 50))
    reference = pelvic_angles(posed_pelvis(10.0, wave, 12.0), sequence="rot").obliquity
    for heading in (37.0, 90.0, 180.0, -123.0):
        turned = pelvic_angles(posed_pelvis(10.0, wave, 12.0, heading_deg=heading), sequence="rot").obliquity
        np.testing.assert_allclose(turned, reference, atol=1e-9)


def test_mirroring_left_and_right_flips_obliquity_and_rotation():
    markers = posed_pelvis(8.0, 4.0, 10.0)
    mirrored = markers.copy()
    mirrored.loc[dict(axis="y")] *= -1  # reflect the lab through the sagittal plane...
    mirrored = mirrored.assign_coords(marker=[{"L": "R", "R": "L"}[m[0]] + m[1:] for m in markers.marker.values])  # ...and swap sides
    a, b = pelvic_angles(markers), pelvic_angles(mirrored)
    np.testing.assert_allclose(b.obliquity.sel(side="L"), a.obliquity.sel(side="R"), atol=1e-9)
    np.testing.assert_allclose(b.rotation.sel(side="L"), a.rotation.sel(side="R"), atol=1e-9)
    np.testing.assert_allclose(b.tilt, a.tilt, atol=1e-9)


def test_metres_and_millimetres_give_the_same_angles():
    markers = posed_pelvis(5.0, 3.0, 11.0)
    a = pelvic_angles(markers, sequence="tor")
    b = pelvic_angles(markers / 1000.0, sequence="tor", heading=0.0)
    for name in ("tilt", "obliquity", "rotation"):
        np.testing.assert_allclose(a[name], b[name], atol=1e-9)


@pytest.mark.parametrize(("heading", "travel", "expected"), [(0, 0, 0.0), (90, 0, 90.0), (180, 2000, 180.0), (-90, 2000, -90.0), (8, 0, 0.0)])
def test_progression_frame(heading, travel, expected):
    """Walking (LASI travels > 800 mm) or facing on a treadmill, snapped to the nearest lab axis."""
    markers = posed_pelvis(0.0, 0.0, 10.0, heading_deg=heading, travel_mm=travel)
    assert np.degrees(float(progression_heading(markers))) == pytest.approx(expected)


def test_kernel_stays_lazy_on_dask():
    markers = posed_pelvis(10.0, 4.0, 12.0).chunk({"time": 10})
    angles = pelvic_angles(markers, sequence="tor")
    assert all(isinstance(angles[v].data, __import__("dask").array.Array) for v in angles.data_vars)
    np.testing.assert_allclose(angles.compute().obliquity, pelvic_angles(markers.compute(), sequence="tor").obliquity)
