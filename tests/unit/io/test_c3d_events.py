"""Stored C3D events are trusted only when they make sense: first-frame-relative times, non-alternating events."""

import numpy as np
import pandas as pd
import pytest

from hipdrop.io.c3d.events import FIRST_FRAME_RELATIVE, MAX_LISTED_PROBLEMS, parse_event_group, stored_event_problems
from hipdrop.io.c3d.reader import read_c3d, write_c3d
from hipdrop.simulate.running import MARKERS, CohortSpec, simulate_cohort
from hipdrop.trial.process import process_trial

RATE_HZ, FIRST_FRAME, N_FRAMES = 100.0, 501, 300  # stored frames 501..800: capture-relative 5.01..8.00 s
#: (side, event, sample index) of a clean running sequence inside the stored frames
EVENTS = [("R", "foot_strike", 20), ("R", "foot_off", 50), ("L", "foot_strike", 70), ("L", "foot_off", 100),
          ("R", "foot_strike", 120), ("R", "foot_off", 150), ("L", "foot_strike", 170), ("L", "foot_off", 200)]


def event_group(events, seconds) -> dict:
    """The C3D parameters with a Vicon-style EVENT group: TIMES (2, n) as minutes and seconds."""
    seconds = np.asarray(seconds, dtype=float)
    minutes = np.floor(seconds / 60.0)
    return {"EVENT": {
        "USED": {"value": [len(events)]},
        "LABELS": {"value": ["Foot Strike" if e == "foot_strike" else "Foot Off" for _, e, _ in events]},
        "CONTEXTS": {"value": ["Left" if s == "L" else "Right" for s, _, _ in events]},
        "TIMES": {"value": np.vstack([minutes, seconds - 60.0 * minutes])},
    }}


def capture_seconds(events, first_frame=FIRST_FRAME):
    """Capture-relative times of sample indexes: ``time = (index + first_frame) / rate``."""
    return [(i + first_frame) / RATE_HZ for _, _, i in events]


def first_frame_seconds(events):
    """The same events as a writer that forgot the first frame stores them (its first stored frame is frame 1)."""
    return [(i + 1) / RATE_HZ for _, _, i in events]


def parse(parameters, *, first_frame=FIRST_FRAME):
    return parse_event_group(parameters, rate_hz=RATE_HZ, first_frame=first_frame, n_frames=N_FRAMES)


def test_capture_relative_events_are_unchanged():
    table, warnings = parse(event_group(EVENTS, capture_seconds(EVENTS)))
    assert warnings == []
    assert table["frame"].tolist() == [i for _, _, i in EVENTS]
    assert np.allclose(table["time_s"], capture_seconds(EVENTS))
    assert stored_event_problems(table) == []


def test_first_frame_relative_events_are_detected_shifted_and_warned():
    table, warnings = parse(event_group(EVENTS, first_frame_seconds(EVENTS)))
    assert table["frame"].tolist() == [i for _, _, i in EVENTS]
    assert np.allclose(table["time_s"], capture_seconds(EVENTS))  # on the capture clock, like the marker times
    assert len(warnings) == 1 and warnings[0].startswith(FIRST_FRAME_RELATIVE)
    assert "+5.0000 s" in warnings[0] and ";" not in warnings[0]  # the QC record joins warnings with "; "


def test_first_frame_relative_times_over_a_minute_use_the_minutes_row():
    late = 12000  # the capture started recording at C3D frame 12001: two minutes in at 100 Hz
    table, warnings = parse(event_group(EVENTS, first_frame_seconds(EVENTS)), first_frame=late + 1)
    assert table["frame"].tolist() == [i for _, _, i in EVENTS] and warnings[0].startswith(FIRST_FRAME_RELATIVE)
    assert np.allclose(table["time_s"], capture_seconds(EVENTS, first_frame=late + 1))


def test_mixed_inside_and_outside_events_are_not_shifted():
    """Half the events capture-relative, half first-frame-relative: an offset explains neither reading."""
    seconds = capture_seconds(EVENTS[:4]) + first_frame_seconds(EVENTS[4:])
    table, warnings = parse(event_group(EVENTS, seconds))
    assert table["frame"].tolist() == [i for _, _, i in EVENTS[:4]]
    assert np.allclose(table["time_s"], capture_seconds(EVENTS[:4]))
    assert len(warnings) == 4 and all("outside the stored frames; ignored" in w for w in warnings)
    assert not any(w.startswith(FIRST_FRAME_RELATIVE) for w in warnings)


def test_events_outside_either_way_are_dropped_not_shifted():
    after_the_end = [(i + FIRST_FRAME + N_FRAMES) / RATE_HZ for _, _, i in EVENTS]
    table, warnings = parse(event_group(EVENTS, after_the_end))
    assert table.empty and len(warnings) == len(EVENTS)
    assert not any(w.startswith(FIRST_FRAME_RELATIVE) for w in warnings)


def test_a_first_frame_of_one_cannot_tell_and_needs_no_shift():
    table, warnings = parse(event_group(EVENTS, capture_seconds(EVENTS, first_frame=1)), first_frame=1)
    assert warnings == [] and table["frame"].tolist() == [i for _, _, i in EVENTS]


def test_non_alternating_events_are_reported():
    events = [("R", "foot_strike", 20), ("R", "foot_strike", 80), ("R", "foot_off", 110),  # an off lost
              ("L", "foot_off", 40), ("L", "foot_strike", 70), ("L", "foot_off", 100), ("L", "foot_off", 130),
              ("L", "foot_strike", 170), ("L", "foot_off", 170)]  # an off written as a strike at the off's frame
    table, warnings = parse(event_group(events, capture_seconds(events)))
    assert warnings == [] and len(table) == len(events)
    problems = stored_event_problems(table)
    assert sorted(problems) == sorted([
        "R foot strikes at frames 20 and 80 (5.210 s, 5.810 s) without a foot off between them",
        "L foot offs at frames 100 and 130 (6.010 s, 6.310 s) without a foot strike between them",
        "L foot strike and foot off at the same frame 170",
    ])


def test_a_scrambled_side_lists_a_few_problems_and_counts_the_rest():
    events = [("L", "foot_strike", 10 * k) for k in range(1, 12)]  # eleven strikes: ten pairs in a row
    problems = stored_event_problems(parse(event_group(events, capture_seconds(events)))[0])
    assert len(problems) == MAX_LISTED_PROBLEMS + 1 and problems[-1] == f"L: {10 - MAX_LISTED_PROBLEMS} more such problems"


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    """A simulated treadmill trial's markers and stored (capture-relative, first frame 1) events."""
    directory = tmp_path_factory.mktemp("sim")
    simulate_cohort(directory, CohortSpec(n_subjects=1, duration_s=3.0, variation=False))
    trial = read_c3d(directory / "S01_baseline_1.c3d")
    events = pd.DataFrame({"side": trial.event_side.values, "event": trial.event_event.values, "time_s": trial.event_time_s.values})
    return directory, trial["markers"].values, events


def test_process_trial_does_not_use_non_alternating_stored_events_and_records_why(simulated):
    directory, markers, events = simulated
    clean = process_trial(directory / "S01_baseline_1.c3d")
    assert clean.ok and clean.meta["event_source"] == "c3d" and clean.meta["event_warnings"] == ""
    wrong = events.copy()
    first_left_off = wrong.index[(wrong.side == "L") & (wrong.event == "foot_off")][0]
    wrong.loc[first_left_off, "event"] = "foot_strike"  # an off labelled as a strike: two strikes in a row
    path = directory / "mislabelled.c3d"
    write_c3d(path, markers, list(MARKERS), rate_hz=200.0, events=wrong)

    result = process_trial(path)
    assert result.ok and result.meta["event_source"] == "kinematic"  # the next configured source
    assert "L foot strikes at frames" in result.meta["event_warnings"]
    only_stored = process_trial(path, config={"events": {"sources": ["c3d"]}})
    assert not only_stored.ok and only_stored.failure.stage == "events"
    assert "do not alternate strike and off" in only_stored.failure.reason
    assert "L foot strikes at frames" in only_stored.meta["event_warnings"]  # recorded for a quarantined trial too


def test_process_trial_uses_events_stored_relative_to_the_first_frame_and_records_the_warning(simulated):
    """The same 3 s trial written as if captured from frame 1001 (5 s at 200 Hz): events stored capture-relative
    are used as they are; the same events stored relative to the first frame are recognised, shifted by 5 s
    onto the same frames, used, and the shift is in the trial's QC record."""
    directory, markers, events = simulated
    rate, first_frame = 200.0, 1001
    offset = (first_frame - 1) / rate
    capture = directory / "late_capture.c3d"
    write_c3d(capture, markers, list(MARKERS), rate_hz=rate, events=events.assign(time_s=events.time_s + offset),
              first_frame=first_frame)
    relative = directory / "late_capture_first_frame_relative.c3d"
    write_c3d(relative, markers, list(MARKERS), rate_hz=rate, events=events, first_frame=first_frame)

    reference = process_trial(capture)
    assert reference.ok and reference.meta["event_source"] == "c3d" and reference.meta["event_warnings"] == ""
    shifted = process_trial(relative)
    assert shifted.ok and shifted.meta["event_source"] == "c3d"
    assert shifted.meta["event_warnings"].startswith(FIRST_FRAME_RELATIVE)
    pd.testing.assert_frame_equal(shifted.events[["side", "event", "frame"]], reference.events[["side", "event", "frame"]])
    np.testing.assert_allclose(shifted.events.time_s, reference.events.time_s, atol=1e-6)
