"""Arm measures (hipdrop.kernels.arms) on the real running files with arm markers: every full stride of both files
is measured in the thorax frame, and the values lie where running arms can be (bounds from anatomy and published
running, docs/science.md section 12, not from these files)."""

import numpy as np
import pytest

from hipdrop.trial.process import process_trial
from tests.conftest import shared_file

#: Plug-in Gait full body (LSHO/LELB/LWRA/LWRB, C7, CLAV) and Dorn's single wrist markers (LSH, LELB, LWR, C7)
FILES = ["running/opensim_jogging.c3d", "running/dorn_JA1Gait35.c3d"]


@pytest.mark.parametrize("relative", FILES)
def test_arm_measures_are_those_running_arms_can_have(relative):
    result = process_trial(shared_file(relative))
    assert result.ok, result.failure
    table = result.stances
    strides = table[table["arm_reason"] == ""]
    # every stance with a next strike of its side is a measured stride: one or two a side in 1.3 s overground
    assert len(strides) == (table["arm_reason"] != "no next strike of the side: no stride").sum() >= 2
    assert (strides["arm_frame"] == "thorax").all()
    # a wrist centre cannot pass a shoulder width (~350 mm) across the midline, nor swing wider than an arm's
    # abduction allows while running (350 mm to its own side)
    assert strides["arm_crossover_mm"].between(-350, 250).all()
    assert strides["arm_crossover_pct"].between(0, 100).all()
    # runners carry the elbow flexed: included angle 45-150 deg (flexion 30-135), swinging through at most 120 deg
    assert strides["elbow_angle_mean_deg"].between(45, 150).all()
    assert strides["elbow_angle_range_deg"].between(0, 120).all()
    # thorax against pelvis: counter-rotation of a few to about 40 deg in running (Arellano & Kram 2014)
    assert strides["thorax_pelvis_rotation_deg"].between(3, 60).all()
    # the arm swings with the opposite leg (Hinrichs 1987, Pontzer 2009): well within a quarter cycle of it
    assert (strides["arm_leg_phase_deg"].abs() < 90).all()
    assert np.isfinite(strides[["arm_crossover_mm", "elbow_angle_mean_deg", "thorax_pelvis_rotation_deg",
                                "arm_leg_phase_deg"]]).all().all()
