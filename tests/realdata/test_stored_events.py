"""Stored events of real files that do not start at frame 1: correctly capture-relative, so never shifted."""

import json

import numpy as np
import pytest

from hipdrop.io.c3d.events import FIRST_FRAME_RELATIVE, parse_event_group, stored_event_problems
from hipdrop.io.c3d.reader import events_table, read_c3d
from hipdrop.trial.process import process_trial
from tests.conftest import shared_file

pytestmark = pytest.mark.realdata

#: file, first frame, stored foot events, capture-relative time of the first of them (s)
FILES = [
    ("pig/c3dorg_gait-pig-nz.c3d", 300, 7, 3.1333),
    ("running/dorn_JA1Gait35.c3d", 833, 10, 3.564),
]


@pytest.mark.parametrize(("name", "first_frame", "n_events", "first_s"), FILES)
def test_capture_relative_events_are_kept_without_offset_or_warning(name, first_frame, n_events, first_s):
    trial = read_c3d(shared_file(name))
    table = events_table(trial)
    assert trial.attrs["first_frame"] == first_frame and len(table) == n_events
    assert table["time_s"].iloc[0] == pytest.approx(first_s, abs=1e-3)  # the stored time, no offset added
    assert (table["frame"] == np.rint(table["time_s"] * trial.attrs["rate_hz"]) - first_frame).all()
    assert not any(w.startswith(FIRST_FRAME_RELATIVE) for w in json.loads(trial.attrs["qc_warnings"]))
    assert stored_event_problems(table) == []
    result = process_trial(shared_file(name))
    assert result.ok and result.meta["event_source"] == "c3d" and result.meta["event_warnings"] == ""
    assert np.allclose(result.events["time_s"], table["time_s"])


@pytest.mark.parametrize(("name", "first_frame", "n_events", "first_s"), FILES)
def test_the_same_events_written_first_frame_relative_are_recognised(name, first_frame, n_events, first_s):
    """The file's own events as a writer that forgot the first frame would store them come back on the same frames."""
    trial = read_c3d(shared_file(name))
    table, rate = events_table(trial), trial.attrs["rate_hz"]
    offset = (first_frame - 1) / rate
    parameters = {"EVENT": {
        "USED": {"value": [len(table)]},
        "LABELS": {"value": ["Foot Strike" if e == "foot_strike" else "Foot Off" for e in table["event"]]},
        "CONTEXTS": {"value": ["Left" if s == "L" else "Right" for s in table["side"]]},
        "TIMES": {"value": np.vstack([np.zeros(len(table)), table["time_s"].to_numpy() - offset])},
    }}
    shifted, warnings = parse_event_group(parameters, rate_hz=rate, first_frame=first_frame, n_frames=trial.sizes["time"])
    assert shifted["frame"].tolist() == table["frame"].tolist()
    assert np.allclose(shifted["time_s"], table["time_s"])
    assert len(warnings) == 1 and warnings[0].startswith(FIRST_FRAME_RELATIVE)
