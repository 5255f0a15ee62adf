"""Gait events from the C3D, force plates and markers against the simulator's true events."""

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from hipdrop.config import validate_config
from hipdrop.kernels.events.force import force_plate_events
from hipdrop.simulate.running import CohortSpec, simulate_cohort
from hipdrop.trial.process import process_trial
from tests.conftest import marker_array


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    directory = tmp_path_factory.mktemp("events")
    simulate_cohort(directory, CohortSpec(n_subjects=4, duration_s=8.0, seed=5, force_plate=True))
    truth = json.loads((directory / "truth.json").read_text())
    return directory, truth


def errors_ms(events: pd.DataFrame, truth: pd.DataFrame, kind: str, column: str) -> np.ndarray:
    """Detected minus true time (ms) for every true event of that kind detected within 50 ms."""
    out = []
    for side, mine in truth.groupby("side"):
        times = events[(events.side == side) & (events.event == kind)].time_s.to_numpy()
        for t in mine[column]:
            d = times - t
            if len(d) and np.abs(d).min() < 0.05:
                out.append(1000 * d[np.argmin(np.abs(d))])
    return np.array(out)


@pytest.mark.parametrize(("source", "tolerance_ms"), [("c3d", 2.5), ("force", 3.0), ("kinematic", 6.0)])
def test_each_source_finds_the_true_events(cohort, source, tolerance_ms):
    """c3d: events are stored to the nearest 5 ms frame; force: 30 N on a 1000 Hz half-sine rising ~1.5 ms after
    contact; kinematic: the landing marker meets the belt 4 mm above its rest (so it is 5 mm up ~1 ms before
    contact), the toe is 18 mm up at foot off and 15 mm up ~4 ms before it (simulate._foot)."""
    directory, truth = cohort
    stances = pd.DataFrame(truth["stances"])
    for subject in truth["subjects"]:
        result = process_trial(directory / f"{subject}_baseline_1.c3d", config={"events": {"sources": [source]}})
        assert result.ok, result.failure
        mine = stances[(stances.subject == subject) & (stances.condition == "baseline")]
        for kind, column in (("foot_strike", "strike_s"), ("foot_off", "off_s")):
            err = errors_ms(result.events, mine, kind, column)
            assert len(err) >= len(mine) - 2  # the first and last may be cut by the recording
            assert np.median(np.abs(err)) <= tolerance_ms, (source, kind, np.median(err))
        assert set(result.events.source) == {source}


def test_strike_type_is_recognised(cohort):
    directory, truth = cohort
    for subject, runner in truth["subjects"].items():
        result = process_trial(directory / f"{subject}_baseline_1.c3d", config={"events": {"sources": ["kinematic"]}})
        types = result.stances.strike_type.value_counts()
        assert types.index[0] == runner["strike_type"] and types.iloc[0] >= 0.9 * len(result.stances)


def test_force_and_marker_events_agree_on_the_simulator(cohort):
    directory, truth = cohort
    result = process_trial(directory / "S01_baseline_1.c3d")
    agreement = result.agreement
    # plate-calibrated: the running detector calibrated on every other plate contact, scoring the hidden ones
    assert set(agreement.method) == {"running", "zeni", "plate-calibrated"} and set(agreement.reference) == {"force", "c3d"}
    running = agreement[(agreement.method == "running") & (agreement.reference == "force")]
    assert running.error_ms.notna().sum() >= len(running) - 2  # a contact cut by the recording edge may go unmatched
    assert running.error_ms.abs().median() < 6.0


@pytest.mark.parametrize("rate_hz", [100.0, 300.0])
def test_kinematic_events_from_100_to_300_hz(tmp_path, rate_hz):
    """Offs within a frame at 100 and 300 Hz. Strikes (the arrest of the landing marker's descent,
    ``ARREST_FRAMES``, a duration in frames as measured on real files at 150-300 Hz) within a frame and the
    difference between the simulator's arrest (its pad compresses over PAD_S, a fixed time within the real files'
    7-17 ms) and the rule's ARREST_FRAMES frames at that rate."""
    from hipdrop.kernels.events.running import ARREST_FRAMES
    from hipdrop.simulate.body import PAD_S

    simulate_cohort(tmp_path, CohortSpec(n_subjects=1, duration_s=6.0, seed=9, rate_hz=rate_hz))
    truth = pd.DataFrame(json.loads((tmp_path / "truth.json").read_text())["stances"])
    result = process_trial(tmp_path / "S01_baseline_1.c3d", config={"events": {"sources": ["kinematic"]}})
    mine = truth[truth.condition == "baseline"]
    frame_ms = 1000.0 / rate_hz
    for kind, column in (("foot_strike", "strike_s"), ("foot_off", "off_s")):
        err = errors_ms(result.events, mine, kind, column)
        allowed = frame_ms + 2.0
        if kind == "foot_strike":
            allowed += abs(1000.0 * PAD_S - ARREST_FRAMES * frame_ms)
        assert len(err) >= len(mine) - 2 and np.median(np.abs(err)) <= allowed, (kind, np.median(err))


def _bump(t: np.ndarray, start: float, stop: float, peak_n: float = 1500.0) -> np.ndarray:
    """Vertical force of one contact: a half sine from ``start`` to ``stop`` (s)."""
    phase = np.clip((t - start) / (stop - start), 0, 1)
    return peak_n * np.sin(np.pi * phase)


def test_force_plates_of_a_runway():
    """Overground: the left foot lands on plate 1 and rolls onto plate 2 (one contact, 0.50-0.80 s, not two
    strikes 50 ms apart), the right foot lands on plate 2 later, plate 3 sees nothing but reads a 31.5 N offset."""
    rate, analog_rate = 100.0, 1000.0
    time = np.arange(0, 2.0, 1 / rate)
    down = lambda start, stop: np.where((time >= start) & (time <= stop), 20.0, 250.0)
    feet = {f"{side}{part}": np.stack([time * 0, time * 0, down(*span)], axis=1)
            for side, span in (("L", (0.5, 0.8)), ("R", (1.2, 1.5))) for part in ("HEE", "TOE")}
    markers = marker_array(feet, rate_hz=rate)
    t = np.arange(0, 2.0, 1 / analog_rate)
    plate_1 = _bump(t, 0.50, 0.62)
    plate_2 = _bump(t, 0.55, 0.80) + _bump(t, 1.20, 1.50)
    plate_3 = 31.5 + 0.3 * np.sin(2 * np.pi * 7 * t)
    fz = np.stack([plate_1, plate_2, plate_3], axis=1)
    forces = xr.DataArray(
        np.stack([np.zeros_like(fz), np.zeros_like(fz), fz], axis=2),
        dims=("analog_time", "plate", "component"),
        coords={"analog_time": t, "plate": [1, 2, 3], "component": ["fx", "fy", "fz"]}, attrs={"rate_hz": analog_rate},
    )
    events = force_plate_events(forces, markers, rate_hz=rate, threshold_n=30.0, lowpass_hz=30.0, min_contact_s=0.08)
    strikes = events[events.event == "foot_strike"]
    assert list(strikes.side) == ["L", "R"]
    left = events[events.side == "L"].set_index("event").time_s
    assert abs(left["foot_strike"] - 0.50) < 0.005 and abs(left["foot_off"] - 0.80) < 0.005


def test_a_stance_with_an_uncertain_event_is_excluded():
    """stances.max_event_uncertainty_s: an event whose uncertainty_s exceeds it excludes its stance, naming it."""
    from hipdrop.kernels.stances import stance_table

    rate = 100.0
    time = np.arange(0, 2.0, 1 / rate)
    obliquity = xr.DataArray(np.zeros((len(time), 2)), dims=("time", "side"), coords={"time": time, "side": ["L", "R"]})
    rows = [("L", "foot_strike", 0.2, 0.002), ("L", "foot_off", 0.45, 0.002), ("R", "foot_strike", 0.6, 0.030),
            ("R", "foot_off", 0.85, 0.002), ("L", "foot_strike", 1.0, 0.002), ("L", "foot_off", 1.25, 0.002),
            ("R", "foot_strike", 1.4, 0.002), ("R", "foot_off", 1.65, 0.002)]
    events = pd.DataFrame([(s, e, int(round(t * rate)), t, "kinematic", u) for s, e, t, u in rows],
                          columns=["side", "event", "frame", "time_s", "source", "uncertainty_s"])
    filled = xr.DataArray(np.zeros(len(time), bool), dims="time", coords={"time": time})
    settings = {k: v for k, v in validate_config({})["stances"].items() if k != "max_event_uncertainty_s"}
    kwargs = settings | dict(pelvis_filled=filled, min_stance_s=0.1, max_stance_s=0.5)
    judged, _ = stance_table(obliquity, events, max_event_uncertainty_s=0.015, **kwargs)
    first_right = judged[judged.side == "R"].iloc[0]
    assert first_right.excluded and "foot strike uncertain by 0.030 s (> 0.015 s)" in first_right.exclude_reason
    assert not judged.exclude_reason.str.contains("uncertain").drop(first_right.name).any()
    unjudged, _ = stance_table(obliquity, events, **kwargs)
    assert not unjudged.exclude_reason.str.contains("uncertain").any()


def _sinking_toe_foot(dip_mm: float, rate: float = 200.0) -> tuple[xr.DataArray, list[float]]:
    """A left foot running overground, drawn piecewise linear: four contacts, the heel rising 80 ms before each
    contact's end (``ends``, s), the toe at rest 50 mm up, sinking ``dip_mm`` over the 40 ms before 20 ms ahead of
    the end, then rising at 0.5 m/s; between contacts the foot swings 3 m/s forward and 100 mm up."""
    time = np.arange(0, 3.2, 1 / rate)
    starts, ends = [0.3, 1.0, 1.7, 2.4], [0.55, 1.25, 1.95, 2.65]
    toe_t, toe_z, heel_t, heel_z, x_t, x = [0.0], [50.0], [0.0], [40.0], [0.0], [0.0]
    for k, (s, e) in enumerate(zip(starts, ends)):
        nxt = starts[k + 1] if k + 1 < len(starts) else 3.2
        toe_t += [s, e - 0.06, e - 0.02, e + 0.1, (e + nxt) / 2, nxt - 0.001]
        toe_z += [50.0, 50.0, 50.0 - dip_mm, 50.0 - dip_mm + 0.12 * 500, 150.0, 50.0]
        heel_t += [s, e - 0.08, e - 0.03, (e + nxt) / 2, nxt - 0.001]
        heel_z += [40.0, 40.0, 115.0, 200.0, 40.0]
        x_t += [e, nxt - 0.001]
        x += [x[-1], x[-1] + 3000.0 * (nxt - 0.001 - e)]
    along = np.interp(time, x_t, x)
    toe = np.stack([along + 150.0, time * 0, np.interp(time, toe_t, toe_z)], axis=1)
    heel = np.stack([along, time * 0, np.interp(time, heel_t, heel_z)], axis=1)
    return marker_array({"LHEE": heel, "LTOE": toe}, rate_hz=rate), ends


@pytest.mark.parametrize(("dip_mm", "leaves_above_mm"), [(8.0, 42.0), (0.5, 50.0)])
def test_a_toe_that_sinks_before_it_rises_leaves_from_its_lowest_point(dip_mm, leaves_above_mm):
    """A toe marker that sinks 8 mm below its rest as the foot rolls over the toes (opensim_jogging's: 4.5 and
    8.5 mm) has left when it is the off height above that low point, not above its rest: the off is where the
    drawn trajectory crosses 42 + 15 mm, 10 ms after the contact's end here (from the rest, 50 + 15 mm, it would
    be 26 ms). A dip within marker noise (0.5 mm, under ``DIP_MIN_MM``) leaves the rest as the base."""
    from hipdrop.kernels.events.running import DIP_MIN_MM, foot_contacts

    assert dip_mm < DIP_MIN_MM or dip_mm > 2 * DIP_MIN_MM
    rate = 200.0
    markers, ends = _sinking_toe_foot(dip_mm, rate)
    contacts = [c for c in foot_contacts(markers, "L", rate_hz=rate, min_contact_s=0.08, strike_height_mm=5.0,
                                         off_height_mm=15.0) if c["off"] is not None and c["strike"] is not None]
    assert len(contacts) >= 3
    for c in contacts:
        end = min(ends, key=lambda e: abs(e - c["off"] / rate))
        # the toe's crossing of base + 15 mm on the drawn line: 20 ms before the end it is at 50 - dip, then 0.5 mm/ms
        expected = end - 0.02 + (leaves_above_mm + 15.0 - (50.0 - dip_mm)) / 500.0
        assert abs(c["off"] / rate - expected) < 0.5 / rate, (c["off"] / rate, expected)


def test_the_leaving_base_is_a_toe_bend_not_a_step_down():
    """``leaving_base``: a marker resting at 50 mm that sinks to 42 mm before rising leaves from 42 mm (frame 12);
    one that sinks 0.5 mm (noise) or 150 mm (a foot stepping down off a drop-jump box, more than the 15 mm off
    height below its rest: it left that surface) leaves from its rest."""
    from hipdrop.kernels.events.running import leaving_base

    rest, rise = np.full(10, 50.0), np.linspace(51.0, 120.0, 10)
    for sinking, expected in (([48.0, 46.0, 42.0, 44.0], (42.0, 12)), ([49.8, 49.6, 49.5, 49.7], (50.0, 2)),
                              ([0.0, -60.0, -100.0, -60.0], (50.0, 2))):
        height = np.concatenate([rest, sinking, rise])
        assert leaving_base(height, 50.0, 2, len(height) - 1.0, 15.0) == expected, sinking
