"""``hipdrop trial --task single_leg_*`` and ``hipdrop inspect --task`` on the real single-leg files (issue 22,
item 11): events.csv holds the windows' boundaries, every candidate window dropped is named with why, a trial
without any window says why, and a side without windows is not reported as if its windows were excluded."""

import json

import pandas as pd
import pytest

from tests.conftest import shared_file
from tests.test_cli import hipdrop

pytestmark = pytest.mark.realdata


def test_balance_writes_its_windows_as_events_and_names_the_short_holds(tmp_path):
    done = hipdrop("trial", shared_file("single_leg/lasem_FAILT01_SLDJ03.c3d"), "-o", tmp_path,
                   "--task", "single_leg_balance")
    assert done.returncode == 0, done.stderr
    stances, events = pd.read_csv(tmp_path / "stances.csv"), pd.read_csv(tmp_path / "events.csv")
    assert len(stances) == 1 and stances.side.tolist() == ["R"]
    assert events.event.tolist() == ["window_start", "window_end"] and set(events.side) == {"R"}
    assert events.time_s.tolist() == pytest.approx([stances.strike_s[0], stances.off_s[0]])
    assert events.frame.tolist() == [stances.strike_frame[0], stances.off_frame[0]]
    # the left side has no balance window at all: nothing of it was excluded
    assert "L no single_leg_balance windows" in done.stdout and "none included" not in done.stdout
    # the 0.97 s hold on the left, under min_hold_s 1.0 s, is named with its reason
    assert "3 candidate window(s) dropped" in done.stdout
    assert "L 4.87-5.83 s: a hold of 0.97 s, shorter than min_hold_s 1 s" in done.stdout


def test_excluded_windows_are_counted_per_side(tmp_path):
    done = hipdrop("trial", shared_file("single_leg/lasem_FAILT01_SLDJ03.c3d"), "-o", tmp_path,
                   "--task", "single_leg_squat")
    assert done.returncode == 0, done.stderr
    assert "L none included (all 2 excluded), R no single_leg_squat windows" in done.stdout


def test_a_trial_without_windows_says_why_instead_of_failing(tmp_path):
    """nimble_complexknee alternates single-leg stance with both feet down between: no landing from flight."""
    done = hipdrop("trial", shared_file("single_leg/nimble_complexknee_2022_01_0401.c3d"), "-o", tmp_path,
                   "--task", "single_leg_landing")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "0 single_leg_landing windows" in done.stdout
    assert "no window: none of the 27 foot contacts that begin within the recording begins with the other foot " \
           "lifted clear" in done.stdout
    assert pd.read_csv(tmp_path / "events.csv").empty


def test_inspect_lists_the_dropped_holds_with_their_reason():
    path = shared_file("single_leg/nimble_complexknee_2022_01_0401.c3d")
    report = json.loads(hipdrop("inspect", path, "--json", "--task", "single_leg_balance").stdout)
    dropped = report["analysis"]["dropped_windows"]
    assert len(report["analysis"]["windows"]) == 10 and len(dropped) == 6
    assert {"side": "R", "start_s": 32.24, "end_s": 33.18, "reason": "a hold of 0.95 s, shorter than min_hold_s 1 s"} in dropped
    assert report["analysis"]["no_windows"] == ""
    text = hipdrop("inspect", path, "--task", "single_leg_balance").stdout
    assert "6 candidate window(s) dropped" in text and "R 32.240-33.180 s, dropped: a hold of 0.95 s" in text
