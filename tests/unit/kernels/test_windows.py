"""Single-leg support windows and their metrics on hand-built feet, pelvis heights and angles."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from hipdrop.kernels.windows.balance import balance_windows
from hipdrop.kernels.windows.landing import landing_windows
from hipdrop.kernels.windows.squat import squat_windows
from hipdrop.kernels.windows.support import hysteresis_runs, single_leg_support, support_contacts
from hipdrop.kernels.windows.table import stance_compensations, window_table
from hipdrop.config import validate_config
from tests.conftest import marker_array

RATE = 100.0
#: the config's defaults the kernels take: the contact heights (events) and the pelvis QC of the window table
CONFIG = validate_config({})
HEIGHTS = {k: CONFIG["events"][k] for k in ("strike_height_mm", "off_height_mm")}
TABLE = {k: CONFIG["stances"][k] for k in ("max_filled_s", "curve_points")}


def _feet(left_z: np.ndarray, right_z: np.ndarray) -> dict:
    """Heel and toe markers of two feet whose ankles are ``*_z`` mm up (heel 55 mm, toe 60 mm below the ankle)."""
    out = {}
    for side, z, y in (("L", left_z, 100.0), ("R", right_z, -100.0)):
        zeros = np.zeros_like(z)
        out[f"{side}HEE"] = np.stack([zeros - 60, zeros + y, z - 55], -1)
        out[f"{side}TOE"] = np.stack([zeros + 130, zeros + y, z - 60], -1)
    return out


def _lift(t, up_at, down_at, height=150.0, over=0.3):
    ramp = lambda a: (1 - np.cos(np.pi * np.clip((t - a) / over, 0, 1))) / 2
    return height * ramp(up_at) * (1 - ramp(down_at))


def _support(left_z, right_z, **kwargs):
    markers = marker_array(_feet(left_z, right_z), rate_hz=RATE)
    contacts = support_contacts(markers, rate_hz=RATE, min_contact_s=0.08, **HEIGHTS)
    return single_leg_support(markers, contacts, clearance_mm=30.0, **kwargs), contacts


def test_hysteresis_runs_need_the_high_level_and_end_below_the_low_one():
    values = np.array([0, 28, 31, 27, 26, 24, 28, 29, 0, 40, np.nan, 40], float)
    np.testing.assert_array_equal(hysteresis_runs(values, on=30, off=25), [[1, 5], [9, 10], [11, 12]])


@pytest.mark.parametrize("floor", [0.0, 300.0])
def test_a_lifted_foot_makes_single_leg_support_on_the_other_on_any_floor(floor):
    """The right foot lifted 150 mm over 0.3 s from 1.0 s, lowered from 3.0 s: the left foot supports alone from
    the moment the right toe clears 30 mm until it falls back under 25 mm (the cosine lift's crossings)."""
    t = np.arange(500) / RATE
    support, _ = _support(np.full(500, floor + 80.0), floor + 80.0 + _lift(t, 1.0, 3.0))
    left = support.sel(side="L").to_numpy()
    assert not support.sel(side="R").any()
    up = 1.0 + 0.3 * np.arccos(1 - 2 * 30 / 150) / np.pi
    down = 3.0 + 0.3 * (1 - np.arccos(1 - 2 * 25 / 150) / np.pi)
    frames = np.flatnonzero(left)
    assert frames[0] == int(np.ceil(up * RATE)) and frames[-1] == int(np.floor(down * RATE))
    assert left[frames[0] : frames[-1] + 1].all()


def test_no_single_leg_support_while_both_feet_fall():
    """A hold on the left foot on a box, then the drop at 1.0 s: both feet fall together, the right one 150 mm
    higher. The hold ends once the left foot falls faster than 500 mm/s (FALLING_MM_S), 51 ms into the fall."""
    t = np.arange(300) / RATE
    fall = np.where(t > 1.0, 0.5 * 9810 * (t - 1.0) ** 2, 0.0)
    support, _ = _support(380.0 - fall, 530.0 - fall)
    left = support.sel(side="L").to_numpy()
    assert left[20:100].all() and not left[106:].any()


def _mask(n, runs, side="L"):
    m = np.zeros((n, 2), bool)
    for a, b in runs:
        m[a:b, 0 if side == "L" else 1] = True
    return xr.DataArray(m, dims=("time", "side"), coords={"time": np.arange(n) / RATE, "side": ["L", "R"]})


NO_CONTACTS = {"L": [], "R": []}


def test_balance_keeps_holds_long_enough_and_flags_those_the_recording_cuts():
    support = _mask(1000, [(0, 150), (200, 260), (300, 500), (900, 1000)])
    windows = balance_windows(support, NO_CONTACTS, rate_hz=RATE, min_hold_s=1.0)
    assert [(w["start"], w["end"]) for w in windows] == [(0, 149), (300, 499), (900, 999)]  # 0.6 s is a step
    assert "start of the recording" in windows[0]["reasons"][0] and not windows[1]["reasons"]
    assert "end of the recording" in windows[2]["reasons"][0]


def _squats(n=1200, starts=(200, 600), rep=300, depth=150.0):
    """Pelvis height with cosine repetitions of ``rep`` frames from ``starts``, still in between."""
    h = np.full(n, 950.0)
    for a in starts:
        u = np.clip((np.arange(n) - a) / rep, 0, 1)
        h -= depth * (1 - np.cos(2 * np.pi * u)) / 2
    return h


def test_squat_repetitions_start_deepest_and_end():
    height = _squats()
    support = _mask(1200, [(100, 1100)])
    windows = squat_windows(support, height, NO_CONTACTS, rate_hz=RATE, min_depth_mm=50.0)
    assert len(windows) == 2
    for w, a in zip(windows, (200, 600)):
        assert w["side"] == "L" and not w["reasons"]
        # a cosine's speed reaches 2 % of its peak 0.32 % of the repetition after it starts: 1 frame in 300
        assert w["start"] == pytest.approx(a, abs=1.0) and w["end"] == pytest.approx(a + 300, abs=1.0)
        assert w["deepest"] == pytest.approx(a + 150, abs=0.01)


def test_a_foot_put_down_in_a_repetition_excludes_it_and_a_two_footed_squat_is_no_window():
    height = _squats()
    support = _mask(1200, [(100, 330), (360, 580)])  # the other foot down 3.3-3.6 s: in the first repetition
    windows = squat_windows(support, height, NO_CONTACTS, rate_hz=RATE, min_depth_mm=50.0)
    assert len(windows) == 1  # the second repetition (6-9 s) had no single-leg support at all
    assert "no single-leg support at the deepest point" in windows[0]["reasons"][0]
    assert "breaks within the repetition for 0.30 s" in windows[0]["reasons"][1]


def test_shallow_dips_are_not_repetitions():
    windows = squat_windows(_mask(1200, [(0, 1200)]), _squats(depth=30.0), NO_CONTACTS, rate_hz=RATE, min_depth_mm=50.0)
    assert windows == []


def _contact(start, end, seen=True, source="kinematic"):
    return {"start": start, "end": end, "start_seen": seen, "end_seen": True, "source": source,
            "on_plate": source == "force"}


def test_landing_runs_from_contact_for_the_window_or_until_the_other_foot_lands():
    support = _mask(600, [(100, 400), (450, 470)], side="R")
    contacts = {"R": [_contact(99.6, 599, source="force")], "L": [_contact(400, 599)]}
    windows = landing_windows(support, contacts, rate_hz=RATE, window_s=0.5, min_window_s=0.2, min_contact_s=0.08)
    assert len(windows) == 1 and windows[0]["side"] == "R" and windows[0]["source"] == "force"
    assert windows[0]["start"] == 99.6 and windows[0]["end"] == pytest.approx(149.6)
    short = landing_windows(support, contacts, rate_hz=RATE, window_s=5.0, min_window_s=0.2, min_contact_s=0.08)
    assert short[0]["end"] == 399  # the other foot came down at frame 400


def test_a_two_footed_landing_is_excluded_and_a_foot_let_down_beside_a_box_is_no_landing():
    support = _mask(600, [(100, 110)], side="R")
    two_feet = {"R": [_contact(100, 599)], "L": [_contact(111, 599)]}
    windows = landing_windows(support, two_feet, rate_hz=RATE, window_s=0.5, min_window_s=0.2, min_contact_s=0.08)
    assert windows[0]["reasons"] and "ends 0.10 s after initial contact" in windows[0]["reasons"][0]
    standing = {"R": [_contact(100, 150)], "L": [_contact(0, 599, seen=False)]}  # L had been on the box all along
    assert landing_windows(support, standing, rate_hz=RATE, window_s=0.5, min_window_s=0.2, min_contact_s=0.08) == []


def _angles(n, lean_r, fppa_r):
    side = lambda r: np.stack([-r, r], -1)
    coords = {"time": np.arange(n) / RATE, "side": ["L", "R"]}
    fppa = np.stack([np.full(n, np.nan), fppa_r], -1)  # no left knee markers
    ds = xr.Dataset({"trunk_lean": (("time", "side"), side(lean_r)), "knee_fppa": (("time", "side"), fppa)}, coords=coords)
    ds.trunk_lean.attrs.update(missing_L="", missing_R="")
    ds.knee_fppa.attrs.update(missing_L="no lateral knee marker LKNE", missing_R="")
    return ds


def test_window_metrics_on_analytic_curves():
    """R window over frames 100-300: obliquity 1 + 4 sin^2 peaking at 50 %; lean a parabola peaking at frame 150;
    FPPA rising linearly."""
    n = 400
    frames = np.arange(n)
    u = np.clip((frames - 100) / 200, 0, 1)
    obl_r = 1.0 + 4.0 * np.sin(np.pi * u) ** 2
    obliquity = xr.DataArray(np.stack([-obl_r, obl_r], -1), dims=("time", "side"),
                             coords={"time": frames / RATE, "side": ["L", "R"]})
    lean = 3.0 - 0.001 * (frames - 150.0) ** 2
    fppa = 0.01 * frames
    windows = [{"side": "R", "start": 100.0, "end": 300.0, "deepest": 180.0, "source": "kinematic", "reasons": []}]
    table, curves = window_table(windows, obliquity, task="single_leg_squat", angles=_angles(n, lean, fppa), **TABLE)
    row = table.iloc[0]
    assert row.task == "single_leg_squat" and row.strike_s == 1.0 and row.off_s == 3.0 and row.stance_time_s == 2.0
    assert row.cpd_peak_deg == pytest.approx(5.0) and row.cpd_excursion_deg == pytest.approx(4.0)
    assert row.cpd_peak_pct == pytest.approx(50.0)
    assert row.cpd_deepest_deg == pytest.approx(1 + 4 * np.sin(np.pi * 0.4) ** 2) and row.deepest_s == 1.8
    assert row.trunk_lean_peak_deg == pytest.approx(3.0)
    assert row.trunk_lean_at_peak_deg == pytest.approx(3.0 - 0.001 * 50**2)
    assert row.knee_fppa_peak_deg == pytest.approx(3.0) and row.knee_fppa_at_peak_deg == pytest.approx(2.0)
    assert not row.excluded and row.compensation_notes == ""
    assert float(curves.sel(stance=0, pct=50)) == pytest.approx(5.0)
    left = window_table([windows[0] | {"side": "L"}], obliquity, task="single_leg_squat", angles=_angles(n, lean, fppa),
                        **TABLE)
    left = left[0].iloc[0]
    assert np.isnan(left.knee_fppa_peak_deg) and "knee FPPA: no lateral knee marker LKNE" in left.compensation_notes


def test_missing_pelvis_data_excludes_the_window():
    n = 400
    obliquity = xr.DataArray(np.zeros((n, 2)), dims=("time", "side"),
                             coords={"time": np.arange(n) / RATE, "side": ["L", "R"]})
    obliquity[150] = np.nan
    windows = [{"side": "L", "start": 100.0, "end": 200.0, "deepest": np.nan, "source": "force", "reasons": []}]
    row = window_table(windows, obliquity, task="single_leg_balance", **TABLE)[0].iloc[0]
    assert row.excluded and "missing pelvis data" in row.exclude_reason and np.isnan(row.cpd_peak_deg)


def test_running_stances_get_compensations_at_their_peak_drop():
    n = 200
    frames = np.arange(n)
    stances = pd.DataFrame({"side": ["R", "L"], "strike_frame": [20, 120], "off_frame": [80, -1],
                            "cpd_peak_pct": [25.0, np.nan]})
    out = stance_compensations(stances, _angles(n, 0.1 * frames, 0.02 * frames))
    # peak drop at 25 % of frames 20-80: frame 35
    assert out.loc[0, "trunk_lean_peak_deg"] == pytest.approx(8.0) and out.loc[0, "trunk_lean_at_peak_deg"] == pytest.approx(3.5)
    assert out.loc[0, "knee_fppa_at_peak_deg"] == pytest.approx(0.7)
    assert np.isnan(out.loc[1, "trunk_lean_peak_deg"]) and out.loc[1, "compensation_notes"] == "no foot off"
