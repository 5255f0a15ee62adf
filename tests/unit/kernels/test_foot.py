"""Foot progression and foot-strike angles (hipdrop.kernels.foot) against analytic feet and the simulator's feet."""

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from hipdrop.config import validate_config
from hipdrop.io.c3d.reader import read_c3d
from hipdrop.kernels.foot import FOOT_COLUMNS, foot_angles, rearfoot_angles, stance_foot, strike_class
from hipdrop.simulate.running import CohortSpec, simulate_cohort
from hipdrop.trial.process import process_trial
from tests.conftest import marker_array

#: the flat-foot tolerance the pipeline passes: the running detector's landing height (config events)
FLAT_MM = validate_config({})["events"]["strike_height_mm"]

RATE = 200.0


def analytic_foot(heading_deg: float, toe_out_deg: dict, strike_pitch_deg: float, n: int = 200):
    """Heel and toe of both feet for a subject travelling along ``heading_deg``: a 200 mm foot line turned out by
    ``toe_out_deg[side]``, whose pitch goes linearly from ``strike_pitch_deg`` (toe up: turned about the heel; toe
    down: about the toe) at frame 50 to flat at frame 70 and stays flat to the foot off at frame 150 (heel marker
    30 mm and toe marker 20 mm above the floor when flat: the flat line itself is tilted toe down by
    atan(10 / 200)). The foot is on the ground from frame 50 to 150."""
    h = np.radians(heading_deg)
    forward, left = np.array([np.cos(h), np.sin(h), 0.0]), np.array([-np.sin(h), np.cos(h), 0.0])
    frames = np.arange(n)
    pitch = np.radians(strike_pitch_deg) * np.clip((70 - frames) / 20, 0, 1)  # extra pitch about the heel
    points = {}
    for side, sign in (("L", 1.0), ("R", -1.0)):
        out = np.radians(toe_out_deg[side]) * sign  # toward the left for the left foot
        along = np.cos(out) * forward + np.sin(out) * left
        heel = np.tile(300.0 * sign * left + [0, 0, 30.0], (n, 1))
        flat_drop = np.arctan2(-10.0, 200.0)
        angle = flat_drop + pitch
        line = 200.0 / np.cos(flat_drop) * (np.cos(angle)[:, None] * along + np.sin(angle)[:, None] * [0, 0, 1])
        if strike_pitch_deg < 0:  # forefoot first: the toe rests where it rests flat, the heel comes down
            toe = heel + 200.0 * along + [0, 0, -10.0]
            heel = toe - line
        else:
            toe = heel + line
        points[f"{side}HEE"], points[f"{side}TOE"] = heel, toe
    return marker_array(points, rate_hz=RATE)


def stance_rows(strike: int = 50, off: int = 150) -> pd.DataFrame:
    return pd.DataFrame({"side": ["L", "R"], "strike_frame": [strike] * 2, "off_frame": [off] * 2})


@pytest.mark.parametrize("heading_deg", [0.0, 90.0, -135.0])
@pytest.mark.parametrize("strike_deg", [18.0, 0.0, -9.0])
def test_analytic_foot_gives_its_angles(heading_deg, strike_deg):
    """Known toe-out (+7 deg left, -4 deg = toe-in right) and strike pitch relative to the flat foot, in any
    direction of travel: the marker heights' own tilt (atan(10/200) = 2.9 deg toe down) drops out."""
    markers = analytic_foot(heading_deg, {"L": 7.0, "R": -4.0}, strike_deg)
    angles = foot_angles(markers, heading=np.radians(heading_deg))
    table = stance_foot(stance_rows(), angles, flat_mm=FLAT_MM)
    assert list(table.columns) == FOOT_COLUMNS
    np.testing.assert_allclose(table.foot_progression_deg, [7.0, -4.0], atol=1e-9)
    np.testing.assert_allclose(table.foot_strike_angle_deg, [strike_deg, strike_deg], atol=1e-9)
    assert table.rearfoot_eversion_deg.isna().all() and table.foot_notes.str.contains("no calcaneus segment").all()


def test_toe_from_the_metatarsal_heads_and_missing_markers():
    """Without TOE, mid(MT1, MT5) is the toe; a side without a foot line, or a stance without a foot off, is NaN
    with the reason."""
    markers = analytic_foot(0.0, {"L": 5.0, "R": 5.0}, 10.0)
    toe = markers.sel(marker="LTOE")
    across = np.array([0.0, 30.0, 0.0])
    mt = markers.sel(marker=["LTOE", "LTOE"]).copy()
    mt.values[:, 0] = toe.values + across
    mt.values[:, 1] = toe.values - across
    mt = mt.assign_coords(marker=["LMT1", "LMT5"])
    both = xr.concat([markers.drop_sel(marker=["LTOE", "RTOE"]), mt], dim="marker")
    angles = foot_angles(both, heading=0.0)
    assert angles.attrs["source_L"] == "LHEE to mid(LMT1, LMT5)" and "no foot line" in angles.attrs["missing_R"]
    table = stance_foot(pd.DataFrame({"side": ["L", "R", "L"], "strike_frame": [50, 50, 50],
                                      "off_frame": [150, 150, -1]}), angles, flat_mm=FLAT_MM)
    np.testing.assert_allclose(table.foot_strike_angle_deg[0], 10.0, atol=1e-9)
    np.testing.assert_allclose(table.foot_progression_deg[0], 5.0, atol=1e-9)
    assert np.isnan(table.foot_strike_angle_deg[1]) and "no foot line" in table.foot_notes[1]
    assert np.isnan(table.foot_progression_deg[2]) and "no foot off" in table.foot_notes[2]


def test_strike_classes_of_altman_and_davis():
    assert [strike_class(a) for a in (20.0, 3.0, -5.0, np.nan)] == ["rearfoot", "midfoot", "forefoot", ""]


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    """Three runners, one of each strike pattern (seed chosen so: asserted below), 8 s each."""
    directory = tmp_path_factory.mktemp("foot")
    simulate_cohort(directory, CohortSpec(n_subjects=3, duration_s=8.0, seed=17, effects_deg={}))
    return directory, json.loads((directory / "truth.json").read_text())


def raw_truth(path, stances: pd.DataFrame) -> pd.DataFrame:
    """The angles of the simulated (unfiltered) markers at the true strike and over the true stance: the
    simulator's foot is flat from 12 % of stance (the later part lands by then) until the heel rises at 60 %."""
    markers = read_c3d(path)["markers"]
    angles = foot_angles(markers, heading=0.0)  # the simulated runners face +X
    rows = []
    for st in stances.itertuples():
        side = angles.sel(side=st.side)
        at = lambda s: side.interp(time=s)
        flat = side.sel(time=slice(st.strike_s + 0.2 * (st.off_s - st.strike_s), st.strike_s + 0.5 * (st.off_s - st.strike_s)))
        rows.append({"strike_s": st.strike_s, "side": st.side,
                     "strike_angle": float(at(st.strike_s).foot_pitch - flat.foot_pitch.median()),
                     "progression": float(flat.foot_progression.mean())})
    return pd.DataFrame(rows)


def test_simulated_strike_patterns_are_recovered(cohort):
    """Through process_trial (kinematic events, 15 Hz low-pass), each runner's median strike angle lies within 2 deg
    of the simulated feet's own angle and in Altman & Davis's class of the simulated strike pattern; the foot
    progression angle within 0.5 deg. 2 deg: a fifth of the midfoot band's width (-1.6 to 8 deg), so a class is
    never lost to it."""
    directory, truth = cohort
    kinds = {s: r["strike_type"] for s, r in truth["subjects"].items()}
    assert sorted(kinds.values()) == ["forefoot", "midfoot", "rearfoot"]
    stances = pd.DataFrame(truth["stances"])
    for subject, kind in kinds.items():
        path = directory / f"{subject}_baseline_1.c3d"
        result = process_trial(path, config={"events": {"sources": ["kinematic"]}})
        assert result.ok, result.failure
        mine = stances[(stances.subject == subject) & (stances.condition == "baseline")]
        true = raw_truth(path, mine)
        got = result.stances[~result.stances.excluded]
        for side in ("L", "R"):
            angle = got[got.side == side].foot_strike_angle_deg.median()
            assert abs(angle - true[true.side == side].strike_angle.median()) < 2.0, (subject, kind, side, angle)
            assert strike_class(angle) == kind, (subject, kind, side, angle)
            fpa = got[got.side == side].foot_progression_deg.median()
            assert abs(fpa - true[true.side == side].progression.median()) < 0.5, (subject, side, fpa)


def test_condition_effects_on_the_foot_through_the_statistics(cohort):
    """The simulated foot is the same in every condition (only stance time and cadence change), so the effects on
    both foot angles that subjects.csv and the mixed model report are estimable and within 0.5 deg of zero: a
    twentieth of Altman & Davis's midfoot band, far below the 5-10 deg a strike-pattern change moves it."""
    from hipdrop.stats.models import condition_effects
    from hipdrop.stats.subjects import subject_table

    directory, truth = cohort
    sheet = pd.read_csv(directory / "trials.tsv", sep="\t")
    tables = []
    for row in sheet.itertuples():
        result = process_trial(directory / row.path)
        assert result.ok, result.failure
        tables.append(result.stances.assign(subject=row.subject, condition=row.condition, trial=str(row.trial)))
    stances = pd.concat(tables, ignore_index=True)
    subjects = subject_table(stances, baseline="baseline")
    foot = subjects[subjects.metric.isin(["foot_progression_deg", "foot_strike_angle_deg"])]
    assert len(foot) == 2 * len(sheet) and foot["mean"].notna().all()
    for metric in ("foot_progression_deg", "foot_strike_angle_deg"):
        table = condition_effects(stances, metric=metric, baseline="baseline")
        assert len(table) == sheet.condition.nunique() - 1 and table.estimable.all(), table
        assert (table.estimate_deg.abs() < 0.5).all(), (metric, table.estimate_deg.tolist())


@pytest.mark.parametrize("heading_deg", [0.0, 120.0])
def test_analytic_rearfoot_angle_and_eversion_excursion(heading_deg):
    """A shank leaning 5 deg out (lower end lateral) and a heel line turning from 3 to 15 deg out at frame 100 and
    back: the rearfoot angle is their difference, -2 to +10 deg, and the stance's eversion excursion 12 deg."""
    h = np.radians(heading_deg)
    left, up = np.array([-np.sin(h), np.cos(h), 0.0]), np.array([0.0, 0.0, 1.0])
    n = 200
    calcaneus = np.radians(3.0 + 12.0 * np.sin(np.pi * np.clip((np.arange(n) - 50) / 100, 0, 1)))
    points = {}
    for side, sign in (("L", 1.0), ("R", -1.0)):
        lateral = sign * left
        heel0 = 300.0 * sign * left + 40.0 * up
        heel = np.tile(heel0, (n, 1))
        points[f"{side}HEE"] = heel
        points[f"{side}HET"] = heel + 50.0 * (np.cos(calcaneus)[:, None] * up - np.sin(calcaneus)[:, None] * lateral)
        points[f"{side}TOE"] = heel + 200.0 * np.array([np.cos(h), np.sin(h), 0.0])
        shank = np.radians(5.0)
        axis = np.cos(shank) * up - np.sin(shank) * lateral  # bottom to top
        bottom = heel0 + 100.0 * up
        across = np.array([np.cos(h), np.sin(h), 0.0]) * 30.0  # the cluster's second column, in front
        for name, at in (("SBL", bottom), ("SBM", bottom + across), ("STL", bottom + 120.0 * axis),
                         ("STM", bottom + 120.0 * axis + across)):
            points[f"{side}{name}"] = np.tile(at, (n, 1))
    markers = marker_array(points, rate_hz=RATE)
    angle = rearfoot_angles(markers, heading=h)
    np.testing.assert_allclose(angle.sel(side="L").values, np.degrees(calcaneus) - 5.0, atol=1e-9)
    np.testing.assert_allclose(angle.sel(side="R").values, np.degrees(calcaneus) - 5.0, atol=1e-9)
    table = stance_foot(pd.DataFrame({"side": ["L", "R"], "strike_frame": [50, 50], "off_frame": [150, 150]}),
                        foot_angles(markers, heading=h), flat_mm=FLAT_MM, rearfoot=angle)
    np.testing.assert_allclose(table.rearfoot_eversion_deg, [12.0, 12.0], atol=1e-9)
    assert not table.foot_notes.str.contains("rearfoot").any()
    assert "no calcaneus segment" in rearfoot_angles(markers.drop_sel(marker="LHET"), heading=h).attrs["missing_L"]
