"""The pelvis refill on real running: 1.5 s gaps cut into an ASIS of RBDS001runT35 (Fukuchi 2017)."""

import numpy as np
import pytest

from hipdrop.io.c3d import read_c3d
from hipdrop.kernels.clean import clean_markers
from hipdrop.kernels.pelvis import pelvic_angles
from tests.conftest import shared_file

pytestmark = pytest.mark.realdata
CLEAN = dict(max_gap_s=0.1, cutoff_hz=15.0, order=2)


@pytest.fixture(scope="module")
def rbds():
    return read_c3d(shared_file("running/RBDS001runT35.c3d"))


@pytest.mark.parametrize("marker", ["LASI", "RASI"])
@pytest.mark.parametrize("start_s", [5.0, 14.0, 22.0])
def test_refilled_asis_keeps_obliquity_within_half_a_degree(rbds, marker, start_s):
    rate = rbds.attrs["rate_hz"]
    markers = rbds["markers"]
    keep = ["LASI", "RASI", "LPSI", "RPSI"]
    uncut = pelvic_angles(clean_markers(markers, keep=keep, rate_hz=rate, **CLEAN)["markers"], sequence="rot", heading=0.0)
    cut = markers.copy(deep=True)
    gap = slice(int(start_s * rate), int((start_s + 1.5) * rate))
    cut.loc[{"marker": marker}][gap] = np.nan
    cleaned = clean_markers(cut, keep=keep, rate_hz=rate, **CLEAN)
    assert int(cleaned["filled"].sel(marker=marker)[gap].sum()) == gap.stop - gap.start
    refilled = pelvic_angles(cleaned["markers"], sequence="rot", heading=0.0)
    error = (refilled.obliquity - uncut.obliquity).sel(side="R")[gap]
    assert float(np.sqrt((error**2).mean())) < 0.5
    assert float(abs(error).max()) < 1.2  # stride-to-stride variation of the skin motion the model cannot know
