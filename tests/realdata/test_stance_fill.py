"""Which filled pelvis gaps a stance survives: gaps cut into the pelvis markers of RBDS001runT35 (Fukuchi 2017,
treadmill running at 3.5 m/s, 150 Hz, force-plate events), the whole pipeline run on the cut trial, and each
stance's peak obliquity compared with the uncut trial's.

Measured |peak error| in deg over the 83 stances the uncut trial keeps, gaps cut at the obliquity peak, at the
strike and ending at the off (both ASIS, median / max over all placements; the worst is always at the peak):

    gap (s)   frames  ASIS rot         ASIS tor         PSIS tor       filled by
    0.0067    1       0.000 / 0.053    0.000 / 0.063    0.000 / 0.001  spline
    0.013     2       0.000 / 0.081    0.000 / 0.138    0.000 / 0.002  spline
    0.020     3       0.000 / 0.169    0.000 / 0.168    0.000 / 0.003  spline
    0.027     4       0.000 / 0.224    0.000 / 0.262    0.000 / 0.005  spline
    0.040     6       0.000 / 0.504    0.000 / 0.631    0.000 / 0.012  spline
    0.060     9       0.007 / 0.700    0.008 / 0.852    0.000 / 0.022  spline
    0.080     12      0.017 / 1.227    0.015 / 1.066    0.001 / 0.045  spline
    0.100     15      0.142 / 1.975    0.104 / 1.843    0.008 / 0.078  spline
    0.120     18      0.040 / 0.520    0.040 / 0.508    0.001 / 0.010  rigid body
    0.140     21      0.054 / 0.520    0.055 / 0.513    0.001 / 0.010  rigid body
    0.160     24      0.073 / 0.517    0.071 / 0.514    0.001 / 0.009  rigid body
    0.200     30      0.079 / 0.534    0.076 / 0.526    0.002 / 0.010  rigid body

At the peak alone the medians are 0.007-0.009 deg for one frame, 0.11-0.12 deg for 0.04 s and 0.37-0.40 deg for
0.1 s. With the ``rot`` sequence obliquity rests on the two ASIS alone, so PSIS gaps leave it exactly unchanged.
"""

import numpy as np
import pytest

from hipdrop.config import validate_config
from hipdrop.io.c3d.reader import read_c3d
from hipdrop.kernels.arrays import contiguous_runs
from hipdrop.trial import process as pipeline
from hipdrop.vocab import PELVIS_MARKERS
from tests.conftest import shared_file

pytestmark = pytest.mark.realdata
RBDS = "running/RBDS001runT35.c3d"
RATE_HZ = 150.0
MAX_FILLED_S = validate_config({})["stances"]["max_filled_s"]
THRESHOLD = int(np.floor(MAX_FILLED_S * RATE_HZ + 1e-9))  # frames, as stance_table counts them: 1


def run(cuts=(), sequence="rot"):
    """``process_trial`` on RBDS001runT35 with gaps ``(marker, first frame, frames)`` cut into its raw markers."""

    def cut_read(*args, **kwargs):
        trial = read_c3d(*args, **kwargs)
        markers = trial["markers"]
        for marker, first, frames in cuts:
            markers.loc[{"marker": marker}][first : first + frames] = np.nan
            assert int(markers.sel(marker=marker)[first : first + frames].isnull().any("axis").sum()) == frames
        return trial

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline, "read_c3d", cut_read)
        result = pipeline.process_trial(shared_file(RBDS), config={"events": {"sources": ["force"]}, "pelvis": {"sequence": sequence}})
    assert result.ok, result.failure
    return result.stances


@pytest.fixture(scope="module")
def uncut():
    return {sequence: run(sequence=sequence) for sequence in ("rot", "tor")}


@pytest.fixture(scope="module")
def clean_stances(uncut):
    """The stances of the uncut trial with no pelvis gap within 20 frames (a spline's context) of them."""
    raw = read_c3d(shared_file(RBDS))["markers"].sel(marker=list(PELVIS_MARKERS)).isnull().any("axis").any("marker").values
    gaps = contiguous_runs(raw)
    table = uncut["rot"]
    table = table[(table.off_frame > 0) & ~table.excluded]
    near = [((gaps[:, 0] <= off + 20) & (gaps[:, 1] > strike - 20)).any() for strike, off in zip(table.strike_frame, table.off_frame)]
    return table[~np.array(near)]


def cut_at_peaks(stances, marker, frames):
    """A gap of ``frames`` in ``marker`` centred on the obliquity peak of each stance (as the uncut trial has it
    in the sequence of ``stances``)."""
    peaks = stances.strike_frame + np.rint(stances.cpd_peak_pct / 100 * (stances.off_frame - stances.strike_frame))
    return [(marker, int(peak) - frames // 2, frames) for peak in peaks]


def peak_error(cut, uncut, stances):
    return (cut.loc[stances.index, "cpd_peak_deg"] - uncut.loc[stances.index, "cpd_peak_deg"]).abs()


def test_the_trials_own_one_frame_dropouts_no_longer_exclude_stances(uncut, clean_stances):
    """LASI drops out for one frame at frames 900 and 4057; those two stances used to be excluded."""
    assert RATE_HZ == read_c3d(shared_file(RBDS)).attrs["rate_hz"] and THRESHOLD == 1
    for table in uncut.values():
        assert len(table) == 85 and not table.excluded.any()
    assert len(clean_stances) >= 75


@pytest.mark.parametrize("sequence", ["rot", "tor"])
@pytest.mark.parametrize("marker", PELVIS_MARKERS)
def test_fills_up_to_the_threshold_keep_the_peak_and_the_stance(uncut, clean_stances, sequence, marker):
    """A fill of ``stances.max_filled_s`` at the obliquity peak of every stance: each stance is kept, and its peak
    is within 0.1 deg of the uncut one (measured: 0.063 deg at most, LASI under ``tor``)."""
    cut = run(cut_at_peaks(uncut[sequence].loc[clean_stances.index], marker, THRESHOLD), sequence=sequence)
    assert not cut.loc[clean_stances.index, "excluded"].any()
    assert peak_error(cut, uncut[sequence], clean_stances).max() <= 0.1


@pytest.mark.parametrize("frames, worst_deg", [(THRESHOLD + 1, 0.1), (15, 1.0)])
def test_longer_spline_fills_exclude_the_stance(uncut, clean_stances, frames, worst_deg):
    """One frame more than the threshold (13 ms) already moves a peak by more than 0.1 deg (measured 0.138), and a
    0.1 s fill, the longest the spline bridges, by more than 1 deg (measured 1.84): those stances are excluded,
    their neighbours are not."""
    cut = run(cut_at_peaks(uncut["tor"].loc[clean_stances.index], "LASI", frames), sequence="tor")
    assert peak_error(cut, uncut["tor"], clean_stances).max() > worst_deg
    reasons = cut.loc[clean_stances.index, "exclude_reason"]
    assert (reasons == f"pelvis data filled for {frames / RATE_HZ:.3f} s (> {MAX_FILLED_S:g} s) in the stance").all()
    assert not cut.drop(index=clean_stances.index).excluded.any()


def test_a_rebuilt_pelvis_marker_excludes_the_stance(uncut, clean_stances):
    """A 0.15 s RASI gap, rebuilt as a rigid body from the other three, centred on the peak of every third stance:
    the peak moves by 0.10 deg median and 0.26 deg at most here (up to 0.53 deg over the rebuilt gaps of the
    table, whatever their length), so the stance is excluded."""
    chosen = clean_stances.iloc[::3]
    cut = run(cut_at_peaks(chosen, "RASI", 22))
    assert peak_error(cut, uncut["rot"], chosen).max() > 0.1
    assert cut.loc[chosen.index, "exclude_reason"].str.fullmatch(r"pelvis marker rebuilt as a rigid body in the stance \(a 0\.147 s gap\)").all()
    assert not cut.drop(index=chosen.index).excluded.any()
