"""Pelvic angles (tor, progression frame) against the LPelvisAngles/RPelvisAngles Vicon Nexus stored in pig/."""

import ezc3d
import numpy as np
import pytest

from hipdrop.io.c3d import read_c3d
from hipdrop.io.markersets import strip_prefix
from hipdrop.kernels.pelvis import pelvic_angles
from tests.conftest import SHARED_C3D

pytestmark = pytest.mark.realdata

PIG_FILES = sorted((SHARED_C3D / "pig").glob("*.c3d"))


def nexus_angles(path):
    c3d = ezc3d.c3d(str(path))
    labels = [strip_prefix(label) for label in c3d["parameters"]["POINT"]["LABELS"]["value"]]
    is_float = float(c3d["parameters"]["POINT"]["SCALE"]["value"][0]) < 0  # negative scale = float storage
    return {s: c3d["data"]["points"][:3, labels.index(f"{s}PelvisAngles")].T for s in "LR"}, is_float


@pytest.mark.parametrize("path", PIG_FILES, ids=[p.name for p in PIG_FILES])
def test_tor_angles_match_nexus(path):
    stored, is_float = nexus_angles(path)
    angles = pelvic_angles(read_c3d(path)["markers"], sequence="tor")
    tolerance = 1e-4 if is_float else 0.1  # integer files store angles to the POINT:SCALE step
    for side in "LR":
        ours = np.stack([angles[v].sel(side=side).values for v in ("tilt", "obliquity", "rotation")], -1)
        valid = ~np.all(stored[side] == 0, axis=1) & np.isfinite(ours).all(1)
        assert valid.sum() > 50
        rms = np.sqrt(((ours[valid] - stored[side][valid]) ** 2).mean(0))
        assert (rms < tolerance).all(), (side, rms)
