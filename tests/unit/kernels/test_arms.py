"""hipdrop.kernels.arms against analytic cases: synthetic markers with a known crossover, elbow angle, thorax-pelvis
yaw and arm-leg phase, in a body turned and moving through the lab (the measures must not see either)."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from hipdrop.kernels.arms import ARM_COLUMNS, arm_measures, first_harmonic_phase, included_angle, next_same_side

RATE, STRIDE, N = 200.0, 140, 520  # frames; a 0.7 s stride
YAW = np.radians(30.0)  # the body faces 30 deg from lab X
SPEED = 3000.0  # mm/s along its facing: overground


def _stances():
    rows = [("L", f) for f in (0, 140, 280)] + [("R", f) for f in (70, 210, 350)]
    return pd.DataFrame(rows, columns=["side", "strike_frame"]).sort_values("strike_frame").reset_index(drop=True)


def _body(*, cross_mm=50.0, rest_mm=150.0, elbow_amp_deg=20.0, thorax_deg=10.0, pelvis_deg=5.0, phase_deg=25.0,
          drop=(), single_wrist=False, fixed_shoulders=False):
    """Markers in a body frame (x forward, y left, z up), then turned by YAW and moved along the facing.

    The L wrist's distance from the midline is rest - (rest + cross) (1 - cos w)/2 with w the L stride phase: it
    reaches ``cross_mm`` across the midline; the R wrist mirrors it half a stride later. The thorax (C7, CLAV,
    shoulders) yaws by thorax_deg sin w, the pelvis by -pelvis_deg sin w about the vertical through the origin.
    The L arm's fore-aft position leads the R foot's by ``phase_deg``. The shoulder markers move with the arm
    (shoulder, elbow and wrist in one fore-aft plane: the elbow angle is the drawn one) unless ``fixed_shoulders``
    puts them on the thorax (a shoulder line for the frame)."""
    t = np.arange(N)
    w = {"L": 2 * np.pi * t / STRIDE, "R": 2 * np.pi * (t - STRIDE / 2) / STRIDE}
    pts = {}
    spin = lambda deg: np.radians(deg)

    def turn(p, angle):  # p [N, 3] about z by angle [N]
        c, s = np.cos(angle), np.sin(angle)
        return np.stack([c * p[:, 0] - s * p[:, 1], s * p[:, 0] + c * p[:, 1], p[:, 2]], -1)

    const = lambda x, y, z: np.tile([x, y, z], (N, 1)).astype(float)
    thorax = spin(thorax_deg) * np.sin(w["L"])
    pelvis = -spin(pelvis_deg) * np.sin(w["L"])
    pts["C7"], pts["CLAV"] = turn(const(-80, 0, 1400), thorax), turn(const(60, 0, 1360), thorax)
    for side, sign in (("L", 1.0), ("R", -1.0)):
        shoulder = const(-10, sign * 170, 1400)
        # the arm hangs from the shoulder; the elbow angle (shoulder-elbow-wrist) is 90 + amp sin w
        angle = np.radians(90.0 + elbow_amp_deg * np.sin(w[side]))
        elbow = shoulder + [0, 0, -280.0]
        # the L arm's fore-aft swing is in phase with the R foot's, plus phase_deg
        fore = 200 * np.cos(w[side] + np.radians(phase_deg))
        lateral = sign * (rest_mm - (rest_mm + cross_mm) * (1 - np.cos(w[side])) / 2)
        # the forearm points forward and down from the elbow at (180 - angle) from straight down
        forearm = 250 * np.stack([np.sin(np.pi - angle), np.zeros(N), -np.cos(np.pi - angle)], -1)
        elbow_pt = elbow + np.stack([fore, np.zeros(N), np.zeros(N)], -1)
        shoulder_pt = shoulder + np.stack([fore, np.zeros(N), np.zeros(N)], -1)  # the arm moves as a whole
        wrist = elbow_pt + forearm
        wrist[:, 1] = lateral  # the wrist's lateral place is set outright (the elbow angle lies in the x-z plane)
        elbow_pt[:, 1] = lateral
        shoulder_pt[:, 1] = lateral
        pts[f"{side}SHO"] = turn(shoulder if fixed_shoulders else shoulder_pt, thorax)
        pts[f"{side}ELB"] = turn(elbow_pt, thorax)
        wrist = turn(wrist, thorax)
        if single_wrist:
            pts[f"{side}WRI"] = wrist
        else:
            pts[f"{side}WRA"], pts[f"{side}WRB"] = wrist + [0, 25, 0], wrist - [0, 25, 0]
        # the other foot swings fore-aft in phase with this arm, lagging it by phase_deg
        other = "R" if side == "L" else "L"
        pts[f"{other}ANK"] = const(0, -sign * 90, 80) + np.stack([300 * np.cos(w[side]), np.zeros(N), np.zeros(N)], -1)
    for name, (x, y) in {"LASI": (0, 120), "RASI": (0, -120), "LPSI": (-150, 45), "RPSI": (-150, -45)}.items():
        pts[name] = turn(const(x, y, 950), pelvis)
    names = [n for n in pts if n not in drop]
    xyz = np.stack([pts[n] for n in names], 1)
    c, s = np.cos(YAW), np.sin(YAW)
    rot = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    xyz = xyz @ rot.T + (t / RATE * SPEED)[:, None, None] * np.array([c, s, 0])
    return xr.DataArray(xyz, dims=("time", "marker", "axis"),
                        coords={"time": t / RATE, "marker": names, "axis": ["x", "y", "z"]})


def _measure(markers):
    return arm_measures(markers, _stances(), heading=YAW)


def test_crossover_peak_and_share_are_the_drawn_ones():
    out = _measure(_body(thorax_deg=0.0, pelvis_deg=0.0))
    strides = out[out["arm_reason"] == ""]
    assert len(strides) == 4  # the last strike of each side has no stride
    # peak at w = pi, 50 mm across; across while (1 - cos w)/2 > 150/200, i.e. cos w < -0.5: a third of the stride
    np.testing.assert_allclose(strides["arm_crossover_mm"], 50.0, atol=0.05)
    np.testing.assert_allclose(strides["arm_crossover_pct"], 100 / 3, atol=100 / STRIDE)
    assert (strides["arm_frame"] == "thorax").all()
    # a runner whose wrists stay 40 mm short of the midline
    short = _measure(_body(cross_mm=-40.0, thorax_deg=0.0, pelvis_deg=0.0)).dropna(subset=["arm_crossover_mm"])
    np.testing.assert_allclose(short["arm_crossover_mm"], -40.0, atol=0.05)
    assert (short["arm_crossover_pct"] == 0).all()


def test_crossover_is_measured_from_the_turning_thorax():
    # the thorax yaws 10 deg; the wrists are drawn in its frame: the crossover is unchanged by the yaw
    out = _measure(_body(thorax_deg=10.0)).dropna(subset=["arm_crossover_mm"])
    np.testing.assert_allclose(out["arm_crossover_mm"], 50.0, atol=0.05)


def test_elbow_angle_mean_and_range():
    out = _measure(_body()).dropna(subset=["elbow_angle_mean_deg"])
    assert len(out) == 4
    # 90 + 20 sin w over whole strides: mean 90, range 40 (sampled 140 times a stride: within 0.02 deg)
    np.testing.assert_allclose(out["elbow_angle_mean_deg"], 90.0, atol=0.01)
    np.testing.assert_allclose(out["elbow_angle_range_deg"], 40.0, atol=0.02)
    assert included_angle(np.array([[0, 0, 1.0]]), np.zeros((1, 3)), np.array([[1.0, 0, 0]]))[0] == pytest.approx(90)


def test_thorax_pelvis_rotation_range():
    # thorax 10 sin w against pelvis -5 sin w: relative yaw 15 sin w, range 30 deg
    out = _measure(_body(thorax_deg=10.0, pelvis_deg=5.0)).dropna(subset=["thorax_pelvis_rotation_deg"])
    np.testing.assert_allclose(out["thorax_pelvis_rotation_deg"], 30.0, atol=0.01)


def test_arm_leg_phase():
    for phase in (0.0, 25.0, -40.0):
        out = _measure(_body(phase_deg=phase, thorax_deg=0.0, pelvis_deg=0.0)).dropna(subset=["arm_leg_phase_deg"])
        np.testing.assert_allclose(out["arm_leg_phase_deg"], phase, atol=0.01)
    theta = 2 * np.pi * np.arange(100) / 100
    assert abs(first_harmonic_phase(np.cos(theta), np.cos(theta + np.pi))) == pytest.approx(180.0)  # with the same-side leg


def test_one_wrist_marker_is_the_pair_centre():
    pair, single = _measure(_body()), _measure(_body(single_wrist=True))
    pd.testing.assert_frame_equal(pair, single)


def test_pelvis_stands_in_for_a_missing_thorax():
    # no C7, CLAV or shoulders: crossover from the pelvis midline (the pelvis does not yaw here: the same values)
    out = _measure(_body(thorax_deg=0.0, pelvis_deg=0.0, drop=("C7", "CLAV", "LSHO", "RSHO")))
    strides = out.dropna(subset=["arm_crossover_mm"])
    assert len(strides) == 4 and (strides["arm_frame"] == "pelvis").all()
    np.testing.assert_allclose(strides["arm_crossover_mm"], 50.0, atol=0.05)
    assert strides["thorax_pelvis_rotation_deg"].isna().all() and strides["elbow_angle_mean_deg"].isna().all()
    assert strides["arm_reason"].str.contains("no thorax markers").all()
    assert strides["arm_reason"].str.contains("needs LSHO and LELB|needs RSHO and RELB").all()


def test_shoulders_give_the_frame_without_c7_and_clav():
    out = _measure(_body(thorax_deg=10.0, drop=("C7", "CLAV"), fixed_shoulders=True)).dropna(subset=["arm_crossover_mm"])
    assert (out["arm_frame"] == "thorax").all()
    np.testing.assert_allclose(out["arm_crossover_mm"], 50.0, atol=0.05)


def test_no_wrists_and_gaps_say_why():
    out = _measure(_body(drop=("LWRA", "LWRB", "RWRA", "RWRB")))
    assert list(out.columns) == ARM_COLUMNS
    assert out[["arm_crossover_mm", "elbow_angle_mean_deg", "arm_leg_phase_deg"]].isna().all().all()
    assert out["arm_reason"].str.contains("wrist markers").all()
    markers = _body()
    markers.loc[{"time": markers["time"][150:160], "marker": "LWRA"}] = np.nan  # inside the L stride from frame 140
    gap = _measure(markers)
    stances = _stances()
    row = gap[(stances["side"] == "L") & (stances["strike_frame"] == 140)]
    assert row["arm_crossover_mm"].isna().all() and row["arm_reason"].str.contains("missing wrist").all()


def test_next_same_side():
    np.testing.assert_array_equal(next_same_side(_stances()), [140, 210, 280, 350, -1, -1])
