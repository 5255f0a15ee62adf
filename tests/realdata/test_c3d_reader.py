"""hipdrop's numpy C3D decoder against ezc3d 1.7.2, the `c3d` package (py-c3d 0.6.0) and the files' own evidence,
across tests/data/c3d.

Where two readers disagree, the evidence says which is right: a second reader that agrees, the file's length
(a right reading accounts for every byte of the data block), marker speeds a body can reach, and motion that is
smooth from frame to frame (misaligned frames jump by as much as they move).
"""

import warnings

import c3d as py_c3d
import ezc3d
import numpy as np
import pytest

from hipdrop.errors import TrialError
from hipdrop.io.c3d.events import parse_event_group
from hipdrop.io.c3d.forceplates import force_plates
from hipdrop.io.c3d.format import BLOCK, decode
from hipdrop.io.c3d.reader import events_table, read_c3d
from tests.conftest import MANIFEST, shared_file

pytestmark = pytest.mark.realdata

#: files ezc3d 1.7.2 reads without an error but wrongly, and why hipdrop's reading is the right one
EZC3D_MISREADS = {
    # ANALOG:RATE is absent, so ezc3d reads no analog samples and each frame 24 bytes short: every frame after
    # the first is misaligned (ezc3d's markers move a typical 125 m/s); the `c3d` package reads what hipdrop reads
    "formats/c3dorg_bts_dynamic.C3D": "misaligned",
    # ezc3d takes int(ANALOG:RATE / POINT:RATE) = int(1000 / 60) = 16 analog samples per frame where the header
    # stores 17 and the data block holds 17: it reads analog samples as coordinates from frame 1 on
    "formats/c3dorg_evart.c3d": "analog samples per frame",
    # the file has no parameters at all; ezc3d then takes POINT:USED as 0 and returns 0 frames, while the header
    # and the data block hold 701 frames of 40 points (the manifest's note; the `c3d` package reads them)
    "formats/c3dorg_phasespace_sample.c3d": "no parameters",
}
#: parameters ezc3d adds with defaults when a file lacks them (ezc3d Parameters::setMandatoryParameters)
EZC3D_DEFAULTS = {
    "POINT": {"USED", "LABELS", "DESCRIPTIONS", "SCALE", "UNITS", "RATE", "DATA_START", "FRAMES"},
    "ANALOG": {"USED", "LABELS", "DESCRIPTIONS", "GEN_SCALE", "SCALE", "OFFSET", "UNITS", "RATE", "FORMAT", "BITS"},
    "FORCE_PLATFORM": {"USED", "TYPE", "ZERO", "CORNERS", "ORIGIN", "CHANNEL", "CAL_MATRIX"},
}
BOTH_READ = [r["file"] for r in MANIFEST if r["ezc3d_1.7.2"] == "reads" and r["file"] not in EZC3D_MISREADS]


def decoded(relative: str):
    path = shared_file(relative)
    return decode(path.read_bytes(), path)


def ezc3d_points(c3d) -> np.ndarray:
    return np.transpose(c3d["data"]["points"][:3], (2, 1, 0))


def package_read(path, reader=py_c3d.Reader):
    """Points [frame, point, xyz] (NaN where invalid) and analog samples [sample, channel] from the `c3d` package."""
    with open(path, "rb") as handle, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its notes on inconsistent DATA_START and missing DESCRIPTIONS
        frames = [(points.copy(), analog) for _, points, analog in reader(handle).read_frames()]
    points = np.stack([p for p, _ in frames]).astype(np.float64)
    xyz = points[..., :3]
    xyz[points[..., 3] < 0] = np.nan
    analog = np.concatenate([a.T for _, a in frames]) if frames[0][1].size else np.zeros((0, 0))
    return xyz, analog


def typical_speed_m_s(points_mm: np.ndarray, rate_hz: float) -> float:
    return float(np.nanmedian(np.linalg.norm(np.diff(points_mm, axis=0), axis=2))) * rate_hz / 1000.0


def is_smooth(points: np.ndarray) -> bool:
    """Frame-to-frame steps larger than their changes: a body's motion (0.08-0.22 in the corpus at 60-1000 Hz,
    0.53 at PhaseSpace's 30 Hz). Positions unrelated from frame to frame give about sqrt(3) = 1.7."""
    step = np.nanmedian(np.linalg.norm(np.diff(points, axis=0), axis=2))
    change = np.nanmedian(np.linalg.norm(np.diff(points, 2, axis=0), axis=2))
    return change < 0.75 * step


# --------------------------------------------------------------------------------------------- ezc3d parity
@pytest.mark.parametrize("relative", BOTH_READ)
def test_markers_masks_analog_and_parameters_agree_with_ezc3d(relative):
    ours = decoded(relative)
    reference = ezc3d.c3d(str(shared_file(relative)))
    theirs = ezc3d_points(reference)
    assert ours.points.shape == theirs.shape
    np.testing.assert_array_equal(np.isnan(ours.points), np.isnan(theirs))
    if ours.is_float:
        np.testing.assert_array_equal(ours.points, theirs)  # the same float32 values
    else:
        both = np.isfinite(theirs)
        assert np.abs(ours.points[both] - theirs[both]).max() <= abs(ours.scale) / 2
    np.testing.assert_array_equal(ours.invalid, reference["data"]["meta_points"]["residuals"][0].T < 0)
    np.testing.assert_array_equal(ours.analogs, reference["data"]["analogs"][0].T)
    assert ours.rate_hz == reference["header"]["points"]["frame_rate"]
    for group, entries in reference["parameters"].items():
        for name, entry in entries.items():
            if name == "__METADATA__":
                continue
            if name not in ours.parameters.get(group, {}):
                assert name in EZC3D_DEFAULTS.get(group, ()), f"{group}:{name} not decoded"
                continue
            value = ours.parameters[group][name]["value"]
            if isinstance(entry["value"], list):
                assert value == entry["value"], f"{group}:{name}"
            else:
                np.testing.assert_array_equal(value, entry["value"], err_msg=f"{group}:{name}")
                assert np.shape(value) == np.shape(entry["value"]), f"{group}:{name}"


@pytest.mark.parametrize("relative", [r for r in BOTH_READ if int(next(m for m in MANIFEST if m["file"] == r)["force_plates"] or 0)])
def test_force_plates_agree_with_ezc3d(relative):
    """Force, moment and centre of pressure of every plate (TYPE 1 in FP_Type1, 2 in most, 3 in ADemo1 and the
    hybrid walk, 4 in RBDS and c3dio short), as ezc3d's extract_forceplat_data computes them."""
    ours, why = force_plates(decoded(relative))
    try:
        platforms = ezc3d.c3d(str(shared_file(relative)), extract_forceplat_data=True)["data"]["platform"]
    except Exception as err:
        pytest.fail(f"ezc3d cannot extract the plates: {err}")
    assert ours is not None and ours.shape[1] == len(platforms), why
    for k, plate in enumerate(platforms):
        expected = np.concatenate([plate["force"], plate["moment"], plate["center_of_pressure"]]).T
        assert ours[:, k].shape == expected.shape  # RBDS001static: a plate and no analog sample
        if expected.size:
            finite = np.isfinite(expected)  # the centre of pressure is Inf or NaN where Fz is 0
            np.testing.assert_array_equal(np.isfinite(ours[:, k]), finite)
            np.testing.assert_allclose(ours[:, k][finite], expected[finite], rtol=1e-12,
                                       atol=1e-12 * np.abs(expected[finite]).max(), err_msg=f"plate {k + 1}")


@pytest.mark.parametrize("relative", [r["file"] for r in MANIFEST if r["ezc3d_1.7.2"] == "reads" and int(r["events"] or 0)])
def test_events_through_read_c3d_agree_with_ezc3d_parameters(relative):
    trial = read_c3d(shared_file(relative))
    reference = ezc3d.c3d(str(shared_file(relative)))
    expected, _ = parse_event_group(reference["parameters"], rate_hz=reference["header"]["points"]["frame_rate"],
                                    first_frame=reference["header"]["points"]["first_frame"] + 1,
                                    n_frames=reference["data"]["points"].shape[2])
    ours = events_table(trial)
    assert len(expected) > 0 and ours.to_dict("list") == expected.to_dict("list")


# --------------------------------------------------------------------------------------------- the `c3d` package
#: files the `c3d` package cannot read: it asserts ANALOG:RATE / POINT:RATE equals the header's samples per
#: frame (evart: 16.67 vs 17), and bounds each parameter by its offset (badParameterOffset's ANALOG:UNITS
#: declares more characters than its offset leaves)
PACKAGE_FAILS = {"formats/c3dorg_evart.c3d", "formats/btk_badParameterOffset.c3d"}
READABLE = [r["file"] for r in MANIFEST
            if r["file"] not in PACKAGE_FAILS | {"formats/btk_Empty.c3d", "formats/c3dorg_bad_parameter_section.c3d"}]


@pytest.mark.parametrize("relative", READABLE)
def test_markers_and_analog_agree_with_the_c3d_package(relative):
    ours = decoded(relative)
    points, analog = package_read(shared_file(relative))
    np.testing.assert_array_equal(np.isnan(ours.points), np.isnan(points))
    both = np.isfinite(points)
    # the package scales integers in float32: within half a scale step; float files give the same float32 values
    tolerance = abs(ours.scale) / 2 if not ours.is_float else 0.0
    assert np.abs(ours.points[both] - points[both]).max(initial=0.0) <= tolerance
    if relative == "formats/c3dorg_Dance.c3d":
        # the package stops reading parameters after the 3 blocks the section header declares, but the entries
        # run on to byte 3135 (the data start at byte 3584): it misses ANALOG:GEN_SCALE, which is -1
        assert ours.parameters["ANALOG"]["GEN_SCALE"]["value"][0] == -1.0
        analog = -analog
    if analog.size or ours.analogs.size:
        np.testing.assert_allclose(ours.analogs, analog, rtol=1e-6, atol=1e-6 * np.abs(analog).max())


# --------------------------------------------------------------------------------------------- files ezc3d misreads
def test_bts_dynamic_is_read_right_where_ezc3d_misaligns():
    relative = "formats/c3dorg_bts_dynamic.C3D"
    ours = decoded(relative)
    points, analog = package_read(shared_file(relative))
    np.testing.assert_array_equal(ours.points, points)
    assert ours.analogs.shape == (296, 6) and analog.shape == (296, 6)
    trial = read_c3d(shared_file(relative))
    assert 0.5 < typical_speed_m_s(trial["markers"].values, 100.0) < 3.0  # walking
    assert is_smooth(ours.points)
    misread = ezc3d_points(ezc3d.c3d(str(shared_file(relative))))
    misread[np.all(misread == 0, axis=2)] = np.nan
    assert typical_speed_m_s(misread, 100.0) > 20.0 and not is_smooth(misread)
    # a Y-up BTS lab: pelvis 0.9 m above the metatarsals along y
    assert trial.attrs["vertical_axis"] == "+y"
    assert 800 < float(trial["markers"].sel(marker=["LASI", "RASI"], axis="z").median()) < 1000


def test_evart_points_are_read_with_the_headers_17_samples_per_frame():
    relative = "formats/c3dorg_evart.c3d"
    path = shared_file(relative)
    ours = decoded(relative)
    data_offset = 9 * BLOCK  # header word 9: data start block 10
    point_bytes, analog_bytes = 22 * 4 * 2, 28 * 2  # 22 points of four 16-bit words; 28 channels, 16-bit
    for per_frame, accounts in ((17, True), (16, False)):  # the file's length: every byte of the block, or not
        end = data_offset + 243 * (point_bytes + per_frame * analog_bytes)
        assert (0 <= path.stat().st_size - end < BLOCK) == accounts

    class HeaderLayout(py_c3d.Reader):
        """The `c3d` package told to use the header's analog samples per frame instead of ANALOG:RATE / POINT:RATE."""

        def _check_metadata(self):
            pass

        @property
        def analog_per_frame(self):
            return self._header.analog_per_frame

        def get_analog_transform(self):  # ANALOG:SCALE holds 24 values for 28 channels; analog data are not compared
            ones = np.ones((self.analog_used, self.analog_per_frame))
            return ones, 0 * ones

    points, _ = package_read(path, HeaderLayout)
    both = np.isfinite(points)
    assert np.abs(ours.points[both] - points[both]).max() <= abs(ours.scale) / 2
    assert is_smooth(ours.points) and 0.3 < typical_speed_m_s(ours.points, 60.0) < 3.0
    assert not is_smooth(ezc3d_points(ezc3d.c3d(str(path))))
    # the analog clock is unknown (17 samples per frame at 60 Hz is 1020 Hz, ANALOG:RATE says 1000): no forces
    trial = read_c3d(path)
    assert "forces" not in trial
    assert any("analog samples per frame" in w and "force plates not read" in w for w in trial.attrs["qc_warnings"].split('", "'))


def test_phasespace_has_701_frames_without_any_parameter():
    relative = "formats/c3dorg_phasespace_sample.c3d"
    ours = decoded(relative)
    assert ours.parameters == {} and ours.n_frames == 701 and ours.rate_hz == 30.0  # the manifest: "the file holds 701"
    points, _ = package_read(shared_file(relative))
    np.testing.assert_array_equal(ours.points, points)
    trial = read_c3d(shared_file(relative))
    assert trial.sizes["marker"] == 40 and trial.attrs["original_units"] == ""
    assert is_smooth(ours.points) and 0.1 < typical_speed_m_s(trial["markers"].values, 30.0) < 3.0
    assert ezc3d.c3d(str(shared_file(relative)))["data"]["points"].shape[2] == 0


# --------------------------------------------------------------------------------------------- files ezc3d refuses
def test_mips_file_equals_its_intel_twin():
    mips, intel = decoded("formats/c3dorg_Eb015si_mips.c3d"), decoded("formats/c3dorg_Eb015pi_intel.c3d")
    assert mips.processor == "SGI/MIPS" and intel.processor == "Intel"
    np.testing.assert_array_equal(mips.points, intel.points)
    np.testing.assert_array_equal(mips.analogs, intel.analogs)
    assert mips.point_labels == intel.point_labels and mips.rate_hz == intel.rate_hz == 50.0
    np.testing.assert_array_equal(force_plates(mips)[0], force_plates(intel)[0])
    a, b = read_c3d(shared_file("formats/c3dorg_Eb015si_mips.c3d")), read_c3d(shared_file("formats/c3dorg_Eb015pi_intel.c3d"))
    np.testing.assert_array_equal(a["markers"].values, b["markers"].values)
    np.testing.assert_array_equal(a["forces"].values, b["forces"].values)


def test_dance_with_its_non_integer_offset():
    relative = "formats/c3dorg_Dance.c3d"
    ours = decoded(relative)
    assert ours.parameters["ANALOG"]["OFFSET"]["type"] == 4  # FLOAT, which ezc3d refuses ("not an INT")
    assert ours.n_frames == 499 and ours.analogs.shape == (499, 8)
    assert any("POINT:FRAMES (500)" in w for w in ours.warnings)  # 500 frames do not fit the 338,912 bytes
    assert is_smooth(ours.points) and 0.1 < typical_speed_m_s(ours.points, ours.rate_hz) < 3.0
    trial = read_c3d(shared_file(relative))
    # the dancer stands 1.7 m tall along +X (POINT:Y_SCREEN says +Z, a display setting)
    assert trial.attrs["vertical_axis"] == "+x"
    assert 1500 < float(trial["markers"].sel(axis="z").max()) < 2000 and float(trial["markers"].sel(axis="z").min()) > 0


def test_bkin_file_whose_offsets_skip_content():
    """BKIN's TRIAL:SESSION entry ends 163 bytes before its offset points; the offsets are what the user guide
    tells readers to follow. The `c3d` package, which follows them too, gives the same data (see above)."""
    ours = decoded("formats/c3dorg_BKINtechnologies.c3d")
    assert ours.n_frames == 5065 and ours.rate_hz == 1000.0 and ours.point_labels == ["Right_Hand", "Left_Hand"]
    assert ours.analogs.shape == (5065, 20)
    assert is_smooth(ours.points) and typical_speed_m_s(ours.points * 1000.0, 1000.0) < 1.0  # metres, a seated reach


def test_btk_bad_parameter_offset_file_reads_as_btk_reads_it():
    """BTK's own test (BTKCore C3DFileIOTest, BadParameterOffset) reads this file: 41 points named "Point    1" to
    "Point   41", no analog channel, frames 1 to 111 at 250 Hz. Its ANALOG:UNITS declares 128 characters where
    its offset leaves 13; the following entries are where the offsets point."""
    ours = decoded("formats/btk_badParameterOffset.c3d")
    assert ours.points.shape == (111, 41, 3) and ours.rate_hz == 250.0 and ours.first_frame == 1
    assert ours.point_labels[0] == "Point    1" and ours.point_labels[40] == "Point   41" and ours.analogs.shape[1] == 0
    assert 2.0 < typical_speed_m_s(ours.points, 250.0) < 8.0  # a body moving at 4.4 m/s along -y
    assert 1000 < np.nanpercentile(ours.points[..., 2], 99) < 2000  # head height, mm


@pytest.mark.parametrize(("relative", "reason"), [
    ("formats/btk_Empty.c3d", "empty"),
    # after EVENT:LABELS the offset leads into the data block (byte 5771 > data start 5632): bytes that are no entry
    ("formats/c3dorg_bad_parameter_section.c3d", "corrupt parameter section: the entry at byte 5771"),
])
def test_corrupt_files_are_refused_with_their_reason(relative, reason):
    with pytest.raises(TrialError) as refused:
        read_c3d(shared_file(relative))
    assert refused.value.stage == "ingest" and reason in refused.value.reason
