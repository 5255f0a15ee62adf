"""Marker-based events on real files against independent references (docs/science.md section 4)."""

import functools

import numpy as np
import pandas as pd
import pytest

from hipdrop.io.c3d.reader import events_table, read_c3d
from hipdrop.kernels.events.agreement import event_agreement
from hipdrop.kernels.events.walking import IMPACT_LAG_S
from hipdrop.trial.process import process_trial
from tests.conftest import shared_file

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def rbds():
    path = shared_file("running/RBDS001runT35.c3d")
    return {source: process_trial(path, config={"events": {"sources": [source]}}) for source in ("force", "kinematic")}


#: every running file of tests/data/c3d with force plates or stored events, and what it is (here each calibrated on
#: its own plates). The plate-free constants come from RBDS, dorn and opensim_jogging, flash_maxSprint kept aside
#: (benchmarks/events.py; docs/science.md section 4).
RUNNING_FILES = {
    "running/RBDS001runT35.c3d": "treadmill, 150 Hz, heel + MT1/MT5, one plate seeing both feet",
    "running/dorn_JA1Gait35.c3d": "overground runway, 250 Hz, 1.3 s, heel/toe/P1MT/P5MT, 8 plates and stored events",
    "running/flash_maxSprint.c3d": "overground sprint, 250 Hz, fore-foot contacts of 0.15 s, CAL/MT1/MT5, 8 plates",
}


def unmatched_detections(reference: pd.DataFrame, detected: pd.DataFrame, *, tolerance_s: float = 0.06) -> int:
    """Marker events inside the span the reference covers with no reference event of that side and kind nearby."""
    lo, hi = reference.time_s.min() - tolerance_s, reference.time_s.max() + tolerance_s
    count = 0
    for row in detected[(detected.time_s >= lo) & (detected.time_s <= hi)].itertuples():
        mine = reference[(reference.side == row.side) & (reference.event == row.event)].time_s
        count += not (np.abs(mine - row.time_s) <= tolerance_s).any()
    return count


@pytest.mark.parametrize("name", RUNNING_FILES)
def test_running_events_against_force_plates_and_stored_events(name):
    """Every contact the force plates (at 30 N) or the lab's stored events show is found on its own side, none is
    made up, and the median |error| is at most 10 ms for both events; Zeni reported beside (its foot off is known
    to be ~50-100 ms late in running)."""
    result = process_trial(shared_file(name), config={"events": {"sources": ["kinematic"]}})
    assert result.ok, result.failure
    assert result.agreement is not None
    for reference, mine in result.agreement.groupby("reference"):
        running, zeni = mine[mine.method == "running"], mine[mine.method == "zeni"]
        assert running.error_ms.notna().all(), (reference, running[running.error_ms.isna()])
        for event in ("foot_strike", "foot_off"):
            assert running[running.event == event].error_ms.abs().median() <= 10.0, (reference, event)
        table = running.rename(columns={"reference_s": "time_s"})
        assert unmatched_detections(table, result.events) == 0, reference
        assert zeni[zeni.event == "foot_off"].error_ms.abs().median() > 30.0


def test_running_events_keep_their_treadmill_figures(rbds):
    """RBDS001 at 3.5 m/s, 150 Hz, against its force plate at 30 N: within the figures of the treadmill-only
    detector this one replaced (median |error| 3.2 ms at strike, 6.3 ms at off), every contact matched."""
    agreement = rbds["kinematic"].agreement
    running = agreement[agreement.method == "running"]
    assert running.error_ms.notna().all() and len(running) == 170
    assert running[running.event == "foot_strike"].error_ms.abs().median() <= 3.2
    assert running[running.event == "foot_off"].error_ms.abs().median() <= 6.3
    assert (running[running.event == "foot_strike"].strike_type != "").all()


def test_peak_drop_does_not_depend_on_the_event_source(rbds):
    kinematic, force = (rbds[s].stances.query("not excluded").sort_values("strike_s") for s in ("kinematic", "force"))
    matched = pd.merge_asof(kinematic, force, on="strike_s", by="side", direction="nearest", tolerance=0.05, suffixes=("_k", "_f"))
    matched = matched.dropna(subset=["cpd_peak_deg_f"])
    assert len(matched) >= 0.9 * len(force)
    assert abs((matched.cpd_peak_deg_k - matched.cpd_peak_deg_f).mean()) < 0.1


@pytest.fixture(scope="module")
def walking_pair():
    reference = events_table(read_c3d(shared_file("pig/gaitalytics_treadmill_events.c3d")))
    detected = process_trial(shared_file("pig/gaitalytics_treadmill_no_events.c3d"), config={"events": {"sources": ["kinematic"]}}).events
    frame_ms = 10.0  # 100 Hz
    return event_agreement(reference.assign(strike_type=""), detected, method="walking"), frame_ms


def test_walking_foot_off_within_one_frame_of_the_stored_events(walking_pair):
    agreement, frame_ms = walking_pair
    off = agreement[agreement.event == "foot_off"].error_ms
    assert off.notna().mean() > 0.8 and off.abs().median() <= frame_ms


def test_walking_foot_strike_within_one_frame_of_the_stored_events(walking_pair):
    agreement, frame_ms = walking_pair
    strike = agreement[agreement.event == "foot_strike"].error_ms
    assert strike.notna().mean() > 0.8 and strike.abs().median() <= frame_ms


#: the corpus's other walking files with stored events and heel markers; the gaitalytics lab (the test pair's) is
#: left out, so the impact lag is not fitted to the pair that scores it
LAG_FILES = ["pig/c3dorg_pycgm2_cgm24_walking01.c3d", "pig/fmc_MH0222_BP06.c3d", "events/ezc3d_Qualisys.c3d",
             "pig/sydney_S4-AMGait03.c3d", "pig/sydney_S4-AMGait04.c3d", "formats/rch_RCH08_labels2.c3d"]


def test_the_impact_lag_is_what_other_labs_walking_files_give():
    """IMPACT_LAG_S is the median over LAG_FILES of each file's median lag from the heel's impact peak back to the
    lab's stored foot strike: recomputed here, so a change to the detector or its filtering cannot leave it stale."""
    file_medians = []
    for name in LAG_FILES:
        path = shared_file(name)
        reference = events_table(read_c3d(path))
        detected = process_trial(path, config={"events": {"sources": ["kinematic"], "kinematic_method": "walking"}}).events
        agreement = event_agreement(reference.assign(strike_type=""), detected, method="walking")
        strike = agreement[agreement.event == "foot_strike"].error_ms.dropna()
        assert len(strike) >= 3, name
        file_medians.append((strike + 1000 * IMPACT_LAG_S).median())  # the peak's own lag, correction undone
    assert abs(pd.Series(file_medians).median() - 1000 * IMPACT_LAG_S) <= 0.5


def test_walking_without_heel_markers_says_so():
    result = process_trial(shared_file("pig/c3dorg_gait-pig-nz.c3d"), config={"events": {"sources": ["kinematic"], "kinematic_method": "walking"}})
    assert result.failure.stage == "events" and "need heel markers" in result.failure.reason


#: running files with at least two plate contacts per side (benchmarks/events.py, plate-calibration check)
CALIBRATION_FILES = ["running/RBDS001runT35.c3d", "running/dorn_JA1Gait35.c3d", "running/flash_maxSprint.c3d"]


@pytest.mark.parametrize("name", CALIBRATION_FILES)
def test_plate_calibration_finds_hidden_contacts_within_5_ms(name):
    """Issue 24: every other plate contact of a foot hidden and scored with thresholds calibrated on the foot's
    others: all found, median |error| at most 5 ms at strike and at off (measured 0.1-0.6 / 0.4-0.9 ms)."""
    result = process_trial(shared_file(name), config={"events": {"sources": ["kinematic"]}})
    check = result.agreement[result.agreement.method == "plate-calibrated"]
    assert len(check) and check.error_ms.notna().all()
    for event in ("foot_strike", "foot_off"):
        assert check[check.event == event].error_ms.abs().median() <= 5.0, event
    assert "hidden-contact check" in result.meta["event_calibration"]


def test_opensim_jogging_strikes_are_flagged_uncertain():
    """opensim_jogging's heel skims its rest height 60 ms before the plate feels it: the marker strikes come 42 and
    100 ms early, and their uncertainty (over 15 ms) excludes both stances rather than let them count. The
    thigh markers its Plug-in Gait labels call FM1 are no foot markers and are not read as such."""
    result = process_trial(shared_file("running/opensim_jogging.c3d"), config={"events": {"sources": ["kinematic"]}})
    strikes = result.events[result.events.event == "foot_strike"]
    assert (strikes.uncertainty_s.dropna() > 0.015).sum() >= 2
    uncertain = result.stances.exclude_reason.str.contains("foot strike uncertain")
    assert uncertain.sum() >= 2 and result.stances[uncertain].excluded.all()


@functools.cache
def _benchmark():
    """benchmarks/events.py as a module: its ``prepare`` captures the markers the detectors see and the plates' events
    (loaded once for the tests that read it)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("events_benchmark", Path(__file__).parents[2] / "benchmarks" / "events.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def opensim_plate_free():
    """opensim_jogging's marker events with the configured thresholds and no plate calibration, and their
    agreement with its plates at 30 N."""
    from hipdrop.kernels.events.detect import kinematic_events

    data = _benchmark().prepare("running/opensim_jogging.c3d")
    ev = data["ev"]
    table = kinematic_events(data["markers"], rate_hz=data["trial"].attrs["rate_hz"], min_contact_s=ev["min_contact_s"],
                             heading=data["heading"], strike_height_mm=ev["strike_height_mm"], off_height_mm=ev["off_height_mm"])
    return table, event_agreement(data["plates"], table, method="running", tolerance_s=0.15)


def test_opensim_jogging_strikes_without_plates_land_at_the_plates(opensim_plate_free):
    """Issue 24: without a plate calibration, opensim_jogging's heel skims within 2 mm of its rest for 60 ms before
    the plate feels it (heights put the strikes 42-100 ms early); the arrest of the descent (``ARREST_FRAMES``,
    derived from this file and two others) finds both plate strikes on their side within 5 ms (measured -2.5 and
    +1.4 ms; held out, with the frames of RBDS and dorn alone, bias -0.6 ms: benchmarks/events.py), each with an
    uncertainty under ``stances.max_event_uncertainty_s``."""
    table, agreement = opensim_plate_free
    strikes = agreement[agreement.event == "foot_strike"]
    assert len(strikes) == 2 and strikes.error_ms.notna().all()
    assert (strikes.error_ms.abs() <= 5.0).all(), strikes
    assert (table[table.event == "foot_strike"].uncertainty_s.dropna() < 0.015).all()


def test_opensim_jogging_offs_without_plates_leave_at_the_plates(opensim_plate_free):
    """Issue 24: opensim_jogging's toe markers sink 4.5 and 8.5 mm below their rest before they rise; measured from
    their rest, the configured 15 mm put the plate-free offs 12.8 and 13.6 ms late (leave-one-file-out 15.6, worst
    15.9). Measured from the lowest point they sank to (``leaving_base``), both plate offs are found on their side
    within 15 ms, median within 5 ms (measured +1.0 and +5.5 ms at the configured 15 mm; held out, with the leaving
    height pooled from RBDS and dorn alone, +3.4 ms median, worst 5.7: benchmarks/events.py)."""
    table, agreement = opensim_plate_free
    offs = agreement[agreement.event == "foot_off"]
    assert len(offs) == 2 and offs.error_ms.notna().all()
    assert (offs.error_ms.abs() <= 15.0).all(), offs
    assert offs.error_ms.abs().median() <= 5.0, offs


def test_a_walking_heel_that_pauses_above_the_floor_has_not_landed():
    """ezc3d_BTS (walking, 100 Hz, heel markers only: read as running, the heel's rise looking like a flight phase):
    one heel stops 4.2 mm above its rest 110 ms before the plate feels it, rises to 7.8 mm (above the 5 mm strike
    height) and comes down again. The arrest of the descent is sought only in the run in which the marker stays
    within the strike height through its rest, so that pause is no landing: every plate strike (30 N) is found
    within 20 ms (measured -15.0 to -15.6 ms; with the pause taken for the landing one came 131.6 ms early)."""
    from hipdrop.kernels.events.detect import kinematic_events

    data = _benchmark().prepare("formats/ezc3d_BTS.c3d")
    ev = data["ev"]
    table = kinematic_events(data["markers"], rate_hz=data["trial"].attrs["rate_hz"], min_contact_s=ev["min_contact_s"],
                             heading=data["heading"], strike_height_mm=ev["strike_height_mm"], off_height_mm=ev["off_height_mm"])
    strikes = event_agreement(data["plates"], table, method="running", tolerance_s=0.15).query("event == 'foot_strike'")
    assert len(strikes) == 3 and strikes.error_ms.notna().all()
    assert (strikes.error_ms.abs() <= 20.0).all(), strikes


@pytest.mark.parametrize("name", CALIBRATION_FILES)
def test_calibrated_detection_reusing_the_configured_contacts_equals_a_fresh_one(name):
    """A trial with plates finds each foot's rest windows and ground velocity once (``configured_contacts``) and
    the plate-calibrated detection reuses them with its own thresholds: the events must equal a detection that
    finds everything afresh with those thresholds (the windows hold for any threshold)."""
    from hipdrop.kernels.events.calibration import calibrated_events
    from hipdrop.kernels.events.detect import configured_contacts, kinematic_events

    shared_file(name)  # skips, naming the file, where this checkout has no copy of it
    data = _benchmark().prepare(name)
    ev, markers = data["ev"], data["markers"]
    settings = {"rate_hz": data["trial"].attrs["rate_hz"], "min_contact_s": ev["min_contact_s"],
                "strike_height_mm": ev["strike_height_mm"], "off_height_mm": ev["off_height_mm"]}
    found = configured_contacts(markers, **settings)
    reused = calibrated_events(markers, data["plates"], heading=data["heading"], found=found, **settings)
    fresh = kinematic_events(markers, method="running", heading=data["heading"], thresholds=reused.attrs["calibration"],
                             **settings)
    assert len(reused) > 10
    pd.testing.assert_frame_equal(reused.reset_index(drop=True), fresh.reset_index(drop=True))
