"""How closely ``hipdrop trial --sequence tor`` reproduces the L/RPelvisAngles Vicon Nexus stored (README, "On the
command line"; docs/science.md).

    python benchmarks/nexus_parity.py

On each of the 9 float files of tests/data/c3d/pig that store Nexus's angles, the command runs with the markers as
stored (``clean: {lowpass_hz: null, max_gap_s: 0}``), and its pelvis.nc is compared with the stored angles on every
frame where Nexus wrote one (it writes 0, 0, 0 where it has none): the largest |difference| over tilt, obliquity,
rotation and both sides, per file and over all. tests/realdata/test_nexus_parity.py holds each file to 1e-4 deg;
this prints the figure the README quotes. About 30 s.
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
from pathlib import Path

import numpy as np
import xarray as xr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from hipdrop.cli import main  # noqa: E402
from tests.conftest import shared_file  # noqa: E402
from tests.realdata.test_nexus_parity import AS_STORED, FLOAT_WITH_ANGLES, nexus_angles  # noqa: E402

ANGLES = ("tilt", "obliquity", "rotation")


def largest_difference(relative: str) -> float:
    """The largest |hipdrop - Nexus| (deg) of one pig/ file over the frames, angles and sides Nexus stored."""
    path = shared_file(relative)
    stored, _ = nexus_angles(path)
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "as_stored.yaml"
        config.write_text(AS_STORED)
        said = io.StringIO()
        with contextlib.redirect_stdout(said):  # the command's own summary of each file's stances
            status = main(["trial", str(path), "-o", f"{folder}/out", "--sequence", "tor", "--config", str(config)])
        if status != 0:
            raise SystemExit(f"{relative}: hipdrop trial exited {status}")
        with xr.open_dataset(f"{folder}/out/pelvis.nc", engine="h5netcdf") as pelvis:
            ours = {s: np.stack([pelvis[a].sel(side=s).values for a in ANGLES], -1) for s in "LR"}
    return max(float(np.max(np.abs(ours[s] - stored[s])[~np.all(stored[s] == 0, axis=1)])) for s in "LR")


if __name__ == "__main__":
    worst = {relative: largest_difference(relative) for relative in FLOAT_WITH_ANGLES}
    for relative, difference in worst.items():
        print(f"{relative}: {difference:.2g} deg")
    name = max(worst, key=worst.get)
    print(f"largest over the {len(worst)} files: {worst[name]:.2g} deg ({name})")
