"""Single-leg windows, obliquity and trunk lean on real files (tests/data/c3d/single_leg, README row there).

LASEM single-leg drop jumps (psbiomech/lasem-data-processing, GPL-3.0; 100 Hz, two force plates, a lab model's
pelvis and trunk angles stored as points): the subject stands on a box on one leg, drops, lands on one leg on a
plate, holds, jumps, lands again off the plates. nimble_complexknee (keenon/nimblephysics, BSD-2-Clause): about 11 s
on each leg while the free leg swings in large arcs, touching down between swings; no force plates, no events.

The files' own labels for the knee, ankle and shoulder markers are not in the built-in marker sets; ``ALIASES`` maps
them (LASEM: LLEPI lateral epicondyle, LSH acromion; nimble: LLKN/LMKN epicondyles, LLAK/LMAK malleoli, LSHL
acromion). LASEM's dynamic trials carry the lateral knee and ankle markers only, so their FPPA reads from
lateral markers (``knee_fppa``); nimble has both.

Measured with the default config (``rot`` obliquity; trunk lean from the shoulder line, neither file having T10 or
STRN). Stored angles: obliquity = ``<S>PelvisAngles`` y (Plug-in Gait sign: positive = that side up); trunk lean
toward S = -``<S>TrunkLABAngles`` y (the model's y is positive when side S is up, the trunk leaning away from S).
Correlation r and RMS difference over each window (whole trial in the last rows):

    file    task     side  window (s)     source     obliquity r / RMS    trunk lean r / RMS
    SLDJ01  landing  R     4.138-4.638    force      0.931 / 1.46         0.923 / 5.02
    SLDJ01  landing  R     5.109-5.609    kinematic  0.960 / 1.64         0.932 / 4.49
    SLDJ03  balance  R     0.97-3.10      kinematic  0.986 / 1.94         0.822 / 2.56
    SLDJ03  landing  L     3.743-4.243    force      0.873 / 3.38         0.228 / 4.87
    SLDJ03  landing  L     4.865-5.365    kinematic  0.901 / 3.17         0.926 / 4.79
    SLDJ04  balance  R     0.31-1.69      kinematic  0.996 / 1.80         0.994 / 3.92
    SLDJ04  landing  L     2.303-2.803    force      0.960 / 3.19         0.787 / 6.25
    SLDJ04  landing  L     3.304-3.670    kinematic  0.943 / 3.02         0.992 / 5.68
    SLDJ01  whole trial                              0.983 / 1.25         0.863 / 3.78
    SLDJ03  whole trial                              0.977 / 2.16         0.951 / 4.03
    SLDJ04  whole trial                              0.966 / 1.87         0.970 / 4.56

The lean differs mostly by an offset: in every window the shoulder line reads 2.5-6.2 deg further toward the
subject's right than the model's trunk (the mean difference): the shoulder line is not the model's trunk axis.
An axis from the pelvis centre to C7 follows the model with RMS 0.9-1.7 deg over the whole trials (r 0.91-0.98)
but less well in the first landings (r -0.07 to 0.66 there, where the arms fly out; the shoulder line's r is
0.23-0.92 there). Obliquity by ``tor`` (Plug-in Gait's sequence) follows the model less well (whole-trial r
0.60-0.94): the lab model is closer to ``rot``.

nimble_complexknee, balance windows (min_hold_s 1.0; support side, s): L 10.05-11.35, L 12.16-13.42,
L 14.39-15.56, L 16.63-17.73, R 21.18-22.49, R 23.40-24.79, R 25.46-26.71, R 29.70-30.77, R 35.55-37.51,
L 38.09-39.90 (bouts under 1 s, where the free foot touches down within a second, are steps, not holds).
"""

import numpy as np
import pytest
import yaml

from hipdrop.config import validate_config
from hipdrop.io.c3d.reader import events_table
from hipdrop.kernels.arrays import contiguous_runs
from hipdrop.kernels.events.force import force_plate_events
from hipdrop.trial.tasks import task_windows
from tests.conftest import shared_file
from tests.unit.test_tasks import prepared

pytestmark = pytest.mark.realdata

#: the files' labels for the markers the compensations need (the lead adds them to the built-in Plug-in Gait set)
ALIASES = {
    "LSHO": ["LSH", "LSHL"], "RSHO": ["RSH", "RSHL"],
    "LKNE": ["LLEPI", "LLKN"], "RKNE": ["RLEPI", "RLKN"], "LKNM": ["LMEPI", "LMKN"], "RKNM": ["RMEPI", "RMKN"],
    "LANK": ["LLAK"], "RANK": ["RLAK"], "LMED": ["LMMAL", "LMAK"], "RMED": ["RMMAL", "RMAK"],
}
LASEM = ("SLDJ01", "SLDJ03", "SLDJ04")


@pytest.fixture(scope="module")
def aliases(tmp_path_factory):
    path = tmp_path_factory.mktemp("markersets") / "single_leg.yaml"
    path.write_text(yaml.safe_dump({"name": "single_leg_test", "markers": ALIASES}))
    return (str(path),)


@pytest.fixture(scope="module")
def lasem(aliases):
    out = {}
    for name in LASEM:
        trial, markers, feet, pelvis = prepared(shared_file(f"single_leg/lasem_FAILT01_{name}.c3d"), aliases)
        windows = {task: task_windows(trial, markers, pelvis, task=task, config=validate_config(None), event_markers=feet)[0]
                   for task in ("single_leg_landing", "single_leg_balance")}
        out[name] = trial, markers, feet, pelvis, windows
    return out


def _agreement(mine: np.ndarray, stored: np.ndarray) -> tuple[float, float]:
    ok = np.isfinite(mine) & np.isfinite(stored)
    return float(np.corrcoef(mine[ok], stored[ok])[0, 1]), float(np.sqrt(np.mean((mine[ok] - stored[ok]) ** 2)))


@pytest.mark.parametrize("name", LASEM)
def test_the_landing_starts_at_the_force_plates_contact(lasem, name):
    """The landing on the plate: its window starts at the plate's contact (30 N), which the file's own foot-strike
    event also marks (to the frame: 100 Hz), on that side, and runs the configured 0.5 s."""
    trial, _, feet, _, windows = lasem[name]
    force = force_plate_events(trial["forces"], feet, rate_hz=100.0, threshold_n=30.0, lowpass_hz=30.0, min_contact_s=0.08)
    strike = force[force["event"] == "foot_strike"].iloc[0]
    stored = events_table(trial)
    stored_strike = stored[stored["event"] == "foot_strike"].iloc[0]
    landings = windows["single_leg_landing"]
    first = landings.iloc[int(np.argmin(np.abs(landings["strike_s"] - strike.time_s)))]
    assert first.side == strike.side == stored_strike.side and first.event_source == "force"
    assert first.strike_s == pytest.approx(strike.time_s, abs=1e-6)
    assert first.strike_s == pytest.approx(stored_strike.time_s, abs=0.011)
    assert first.stance_time_s == pytest.approx(0.5) and not first.excluded


@pytest.mark.parametrize("name", ["SLDJ03", "SLDJ04"])
def test_the_hold_on_the_box_is_where_the_raised_foot_is(lasem, name):
    """Before the drop the subject stands on the right leg on the box, the left toe raised (README: 100-150 mm).
    Every frame before the box foot leaves (the file's right foot-off event) in which each left-foot landmark is
    40 mm or more above the right foot's is inside the hold; inside it, the left toe is 100-200 mm above the right
    one (median; measured 158 and 174 mm, the heel less: 44 and 55 mm)."""
    trial, markers, _, _, windows = lasem[name]
    hold = windows["single_leg_balance"].iloc[0]
    stored = events_table(trial)
    off_box = float(stored[(stored["side"] == "R") & (stored["event"] == "foot_off")]["time_s"].iloc[0])
    assert hold.side == "R" and hold.off_s < off_box and hold.stance_time_s > 1.3 and not hold.excluded
    z = lambda m: trial["markers"].sel(marker=m, axis="z").to_numpy()
    lift = np.nanmin([z(f"L{p}") - z(f"R{p}") for p in ("HEE", "TOE", "MT1", "MT5")], axis=0)
    time = trial["time"].to_numpy()
    inside = (time >= hold.strike_s) & (time <= hold.off_s)
    raised = (lift >= 40.0) & (time < off_box)
    assert raised.sum() > 100 and inside[raised].all()
    assert 100.0 <= np.median((z("LTOE") - z("RTOE"))[inside]) <= 200.0


@pytest.mark.parametrize("name", LASEM)
def test_obliquity_and_trunk_lean_follow_the_stored_model(lasem, name):
    """Correlation and RMS difference with the lab model's angles (module docstring): obliquity over the whole
    trial r >= 0.95, RMS <= 2.5 deg, and r >= 0.85 in every window; trunk lean r >= 0.85, RMS <= 5 deg over the
    whole trial (its offset is the shoulder line's, not the model's trunk axis)."""
    trial, markers, feet, pelvis, windows = lasem[name]
    from hipdrop.kernels.compensations import compensation_angles

    lean = compensation_angles(markers)["trunk_lean"]
    stored = trial["markers"]
    time = trial["time"].to_numpy()
    r, rms = _agreement(pelvis.obliquity.sel(side="L").to_numpy(), stored.sel(marker="LPelvisAngles", axis="y").to_numpy())
    assert r >= 0.95 and rms <= 2.5
    r, rms = _agreement(lean.sel(side="L").to_numpy(), -stored.sel(marker="LTrunkLABAngles", axis="y").to_numpy())
    assert r >= 0.85 and rms <= 5.0
    for table in windows.values():
        for w in table.itertuples():
            inside = (time >= w.strike_s - 1e-9) & (time <= w.off_s + 1e-9)
            obliquity = pelvis.obliquity.sel(side=w.side).to_numpy()[inside]
            r, _ = _agreement(obliquity, stored.sel(marker=f"{w.side}PelvisAngles", axis="y").to_numpy()[inside])
            assert r >= 0.85, (w.side, w.strike_s)


@pytest.fixture(scope="module")
def nimble(aliases):
    trial, markers, feet, pelvis = prepared(shared_file("single_leg/nimble_complexknee_2022_01_0401.c3d"), aliases)
    return trial, task_windows(trial, markers, pelvis, task="single_leg_balance", config=validate_config(None),
                               event_markers=feet)[0]


def test_nimble_holds_alternate_and_sit_where_the_feet_say(nimble):
    """Independent of the window rule (which compares the feet with each other): each foot's floor is its lowest
    landmark's 1st percentile over the trial. In every window the support foot's lowest landmark is within 10 mm of
    its floor and the free foot's more than 20 mm above its own; every stretch of 1.2 s or more with the free foot
    80 mm up and the support foot down is inside a window of that side."""
    trial, windows = nimble
    assert len(windows) >= 8 and not windows["excluded"].any()
    assert set(windows["side"]) == {"L", "R"} and (windows["stance_time_s"] >= 1.0).all()
    time = trial["time"].to_numpy()
    low = {s: trial["markers"].sel(marker=[f"{s}HEE", f"{s}TOE", f"{s}MT5"], axis="z").min("marker").to_numpy()
           for s in "LR"}
    above = {s: low[s] - np.nanpercentile(low[s], 1) for s in "LR"}
    for side, free in (("L", "R"), ("R", "L")):
        inside = np.zeros(len(time), bool)
        for w in windows[windows["side"] == side].itertuples():
            inside |= (time >= w.strike_s) & (time <= w.off_s)
        assert (above[side][inside] < 10.0).all() and (above[free][inside] > 20.0).all()
        clear = (above[free] > 80.0) & (above[side] < 10.0)
        for a, b in contiguous_runs(clear):
            if (b - a) / 100.0 >= 1.2:
                assert inside[a:b].all(), (side, time[a], time[b - 1])
