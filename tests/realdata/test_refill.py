"""The pelvis refill on real running: 1.5 s gaps cut into an ASIS of RBDS001runT35 (Fukuchi 2017)."""

import numpy as np
import pytest

from hipdrop.io.c3d.reader import read_c3d
from hipdrop.kernels.filters import lowpass
from hipdrop.kernels.gaps import repair_markers
from hipdrop.kernels.pelvis import pelvic_angles
from tests.conftest import shared_file

pytestmark = pytest.mark.realdata
CLEAN = dict(max_gap_s=0.1, cutoff_hz=15.0, order=2)


def clean_markers(markers, *, rate_hz, max_gap_s, cutoff_hz, order, keep):
    """Repair then low-pass, as the pipeline does (without its plausibility step: the file is clean)."""
    repaired = repair_markers(markers, rate_hz=rate_hz, max_gap_s=max_gap_s, keep=keep)
    return repaired.assign(markers=lowpass(repaired["markers"], cutoff_hz=cutoff_hz, order=order, rate_hz=rate_hz))


@pytest.fixture(scope="module")
def rbds():
    return read_c3d(shared_file("running/RBDS001runT35.c3d"))


@pytest.fixture(scope="module")
def uncut(rbds):
    keep = ["LASI", "RASI", "LPSI", "RPSI"]
    cleaned = clean_markers(rbds["markers"], keep=keep, rate_hz=rbds.attrs["rate_hz"], **CLEAN)["markers"]
    return pelvic_angles(cleaned, sequence="rot", heading=0.0).obliquity.sel(side="R")


def refill_error(rbds, uncut, marker, start_s):
    rate = rbds.attrs["rate_hz"]
    cut = rbds["markers"].copy(deep=True)
    gap = slice(int(start_s * rate), int((start_s + 1.5) * rate))
    cut.loc[{"marker": marker}][gap] = np.nan
    cleaned = clean_markers(cut, keep=["LASI", "RASI", "LPSI", "RPSI"], rate_hz=rate, **CLEAN)
    assert int(cleaned["filled"].sel(marker=marker)[gap].sum()) == gap.stop - gap.start
    refilled = pelvic_angles(cleaned["markers"], sequence="rot", heading=0.0).obliquity.sel(side="R")
    return (refilled - uncut)[gap].values


def test_refilled_asis_keeps_obliquity_within_half_a_degree(rbds, uncut):
    """1.5 s gaps at 12 places through the 30 s trial, in either ASIS (24 cuts). Measured: RMS 0.07-0.20 deg;
    the worst sample within 0.5 deg in 21 of 24 cuts and 0.58 deg at most."""
    worst = []
    for marker in ("LASI", "RASI"):
        for start_s in np.linspace(1.0, 27.5, 12):
            error = refill_error(rbds, uncut, marker, start_s)
            assert np.sqrt((error**2).mean()) < 0.25, (marker, start_s)
            worst.append(np.abs(error).max())
    assert max(worst) < 0.65 and np.mean(np.array(worst) < 0.5) >= 0.85
