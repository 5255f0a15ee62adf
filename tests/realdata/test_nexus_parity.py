"""Pelvic angles (tor, progression frame) against the LPelvisAngles/RPelvisAngles Vicon Nexus stored in pig/."""

import ezc3d
import numpy as np
import pytest

from hipdrop.io.c3d.reader import read_c3d
from hipdrop.io.markersets import strip_prefix
from hipdrop.kernels.pelvis import pelvic_angles
from tests.conftest import corpus_rows, shared_file

pytestmark = pytest.mark.realdata

#: the pig/ rows of the corpus manifest (tests/data/c3d/MANIFEST.tsv), whether or not this checkout has the files
PIG_FILES = sorted(row["file"] for row in corpus_rows("pig"))


def nexus_angles(path):
    c3d = ezc3d.c3d(str(path))
    labels = [strip_prefix(label) for label in c3d["parameters"]["POINT"]["LABELS"]["value"]]
    is_float = float(c3d["parameters"]["POINT"]["SCALE"]["value"][0]) < 0  # negative scale = float storage
    return {s: c3d["data"]["points"][:3, labels.index(f"{s}PelvisAngles")].T for s in "LR"}, is_float


@pytest.mark.parametrize("relative", PIG_FILES)
def test_tor_angles_match_nexus(relative):
    path = shared_file(relative)
    stored, is_float = nexus_angles(path)
    angles = pelvic_angles(read_c3d(path)["markers"], sequence="tor")
    tolerance = 1e-4 if is_float else 0.1  # integer files store angles to the POINT:SCALE step
    for side in "LR":
        ours = np.stack([angles[v].sel(side=side).values for v in ("tilt", "obliquity", "rotation")], -1)
        valid = ~np.all(stored[side] == 0, axis=1) & np.isfinite(ours).all(1)
        assert valid.sum() > 50
        rms = np.sqrt(((ours[valid] - stored[side][valid]) ** 2).mean(0))
        assert (rms < tolerance).all(), (side, rms)


#: MANIFEST.tsv: of the 11 pig/ files these two store integers; the other nine are float files that store both
#: PelvisAngles: Nexus's own angles to 1e-4 deg through `hipdrop trial`
INTEGER_FILES = ["pig/c3dorg_gait-pig.c3d", "pig/c3dorg_sub_labels.c3d"]
FLOAT_WITH_ANGLES = [f for f in PIG_FILES if f not in INTEGER_FILES]
#: markers as stored (filtered and gap-filled upstream by Nexus): no low-pass, no fill (config/README.md, clean)
AS_STORED = "clean:\n  lowpass_hz: null\n  max_gap_s: 0\n"


def test_nine_float_files_store_nexus_angles():
    assert len(PIG_FILES) == 11 and len(FLOAT_WITH_ANGLES) == 9
    assert [f for f in PIG_FILES if not nexus_angles(shared_file(f))[1]] == INTEGER_FILES


@pytest.mark.parametrize("relative", FLOAT_WITH_ANGLES)
def test_trial_command_reproduces_nexus_angles_with_markers_as_stored(relative, tmp_path):
    """`hipdrop trial FILE -o DIR --sequence tor --config` with the markers taken as stored: DIR/pelvis.nc holds
    every frame's angles Nexus stored (none lost to cleaning), each within 1e-4 deg of it."""
    import xarray as xr

    from hipdrop.cli import main

    path = shared_file(relative)
    config = tmp_path / "as_stored.yaml"
    config.write_text(AS_STORED)
    assert main(["trial", str(path), "-o", str(tmp_path / "out"), "--sequence", "tor", "--config", str(config)]) == 0
    with xr.open_dataset(tmp_path / "out" / "pelvis.nc", engine="h5netcdf") as pelvis:
        assert pelvis.attrs["sequence"] == "tor" and pelvis.attrs["implausible_samples"] == 0
        written = {s: np.stack([pelvis[v].sel(side=s).values for v in ("tilt", "obliquity", "rotation")], -1) for s in "LR"}
    stored, _ = nexus_angles(path)
    for side in "LR":
        by_nexus = ~np.all(stored[side] == 0, axis=1)  # Nexus writes (0, 0, 0) where it has no angle
        assert by_nexus.sum() > 50 and np.isfinite(written[side][by_nexus]).all()
        assert np.abs(written[side][by_nexus] - stored[side][by_nexus]).max() < 1e-4, side
