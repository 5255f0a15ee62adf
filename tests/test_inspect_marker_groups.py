"""``hipdrop inspect`` on what each marker group gives the analysis (issue 22, item 12): a label no map names but
that looks like a landmark is said to be unmapped, not absent; single wrist markers (LWR/RWR) are mapped and give
the arm swing; and inspect says about the trunk lean and the knee FPPA what ``hipdrop trial`` computes."""

import json

import numpy as np
import pandas as pd
import pytest

from hipdrop.io.markersets import normalise
from tests.conftest import shared_file
from tests.test_cli import hipdrop

pytestmark = pytest.mark.realdata


def inspect(relative: str, *args) -> tuple[dict, str]:
    path = shared_file(relative)
    return json.loads(hipdrop("inspect", path, "--json", *args).stdout), hipdrop("inspect", path, *args).stdout


def test_unmapped_knee_labels_are_named_not_called_absent():
    """BTS's Davis-protocol labels: 'r knee 1', 'r knee 2' and the joint centre 'r knee'; which epicondyle each is
    the labels do not say, so no map names them."""
    report, text = inspect("formats/c3dorg_bts_dynamic.C3D")
    knees = report["marker_groups"]["knees"]
    assert knees["lookalikes"] == ["r knee 1", "r knee 2", "l knee 1", "l knee 2", "r knee", "l knee"]
    assert "knees: none in the file" not in text and "knees: none mapped (no knee FPPA)" in text
    assert "r knee 1, r knee 2, l knee 1, l knee 2, r knee, l knee look like knee markers but no marker-set map" in text
    assert report["marker_groups"]["feet"]["lookalikes"] == ["r mall", "r met", "l mall", "l met", "r ankle", "l ankle"]
    # and 'r should' / 'l should', BTS's acromion markers, are mapped to the shoulders
    assert {"r should": "RSHO", "l should": "LSHO"}.items() <= report["mapped_markers"].items()


def test_single_wrist_markers_are_mapped_and_give_the_arm_swing(tmp_path):
    relative = "running/dorn_JA1Gait35.c3d"
    report, text = inspect(relative)
    wrists = [(r["raw"], r["name"]) for r in report["analysed_markers"] if r["group"] == "wrists"]
    assert wrists == [("LWR", "LWRI"), ("RWR", "RWRI")]
    assert "wrists: none in the file" not in text and "wrists (arm swing from LWRI, RWRI)" in text
    assert hipdrop("trial", shared_file(relative), "-o", tmp_path).returncode == 0
    stances = pd.read_csv(tmp_path / "stances.csv")
    strides = stances[stances.stance_index < stances.groupby("side").stance_index.transform("max")]  # next strike
    assert len(strides) and np.isfinite(strides.arm_swing_mm).all() and (strides.arm_swing_mm > 300).all()


@pytest.mark.parametrize(("relative", "trunk"), [
    ("events/ezc3d_Qualisys.c3d", None),  # C7 alone: no thorax, no shoulders
    ("formats/ezc3d_BTS.c3d", "shoulder line LSHO - RSHO"),  # C7 with BTS's 'r should' / 'l should'
    ("pig/gaitalytics_test_small.c3d", "Plug-in Gait thorax"),
])
def test_inspect_and_trial_agree_on_the_trunk_lean(relative, trunk, tmp_path):
    report, text = inspect(relative)
    group = report["marker_groups"]["trunk"]
    assert "C7" in [r["name"] for r in report["analysed_markers"] if r["group"] == "trunk"]
    done = hipdrop("trial", shared_file(relative), "-o", tmp_path)
    notes = " ".join(pd.read_csv(tmp_path / "stances.csv").compensation_notes.fillna("")) if done.returncode == 0 else ""
    if trunk is None:
        why = "no thorax markers (needs C7, CLAV, T10 and STRN, or LSHO and RSHO)"
        assert group == {"use": "", "not_used": f"no trunk lean: {why}", "lookalikes": []}
        assert f"trunk (no trunk lean: {why})" in text and f"trunk lean: {why}" in notes
    else:
        assert trunk in group["use"] and not group["not_used"] and "no thorax" not in notes
        assert f"trunk (trunk lean from the {trunk}" in text


def test_the_lookalike_patterns_leave_model_outputs_and_mapped_names_alone():
    from hipdrop.trial.inspection import LOOKS_LIKE

    for label in ("LKneeAngles", "RKneeMoment", "LWristAngles", "RShoulderPower", "LAnkleForce", "r bar 1", "SCL1"):
        assert not any(p.fullmatch(normalise(label)) for p in LOOKS_LIKE.values()), label
    for label, group in (("r knee 1", "knees"), ("L.Knee.Medial", "knees"), ("LWRIST", "wrists"), ("l should", "trunk"),
                         ("r mall", "feet"), ("Left_ASIS", "pelvis")):
        assert LOOKS_LIKE[group].fullmatch(normalise(label)), label
