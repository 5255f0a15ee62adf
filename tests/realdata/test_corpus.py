"""Every file of the corpus (tests/data/c3d/README.md) either loads with the facts of its MANIFEST row or yields a
specific reason."""

import csv

import numpy as np
import pytest

from hipdrop.config import validate_config
from hipdrop.errors import TrialError
from hipdrop.io.c3d.reader import events_table, read_c3d
from hipdrop.kernels.plausibility import IMPLAUSIBLE_KINDS
from hipdrop.trial.inspection import marker_report
from tests.conftest import MANIFEST, REPOSITORY_C3D, SHARED_C3D, corpus_path, shared_file

pytestmark = pytest.mark.realdata

#: files refused, and the words their reason must hold
REFUSALS = {
    "formats/btk_Empty.c3d": "empty",
    # the parameter offsets lead into the data block after EVENT:LABELS (tests/realdata/test_c3d_reader.py)
    "formats/c3dorg_bad_parameter_section.c3d": "corrupt parameter section",
}
#: facts of files whose manifest row holds what ezc3d 1.7.2 gives (nothing, or a misread), with their evidence;
#: tests/realdata/test_c3d_reader.py checks their content against the `c3d` package, BTK and marker speeds
FACTS = {
    # the same trial as its Intel twin (the manifest's note), whose row holds these
    "formats/c3dorg_Eb015si_mips.c3d": {"rate_hz": "50.0", "frames": "450", "points": "26", "units": "mm", "force_plates": "2"},
    # header and POINT:RATE 65.0533 Hz; 499 frames fill the 338,912 bytes (POINT:FRAMES says 500, which do not fit)
    "formats/c3dorg_Dance.c3d": {"rate_hz": "65.0533447265625", "frames": "499", "points": "40", "units": "mm", "force_plates": "0"},
    # POINT:USED 2 (Right_Hand, Left_Hand), POINT:FRAMES 5065, metres: a KINARM robot's two hands
    "formats/c3dorg_BKINtechnologies.c3d": {"rate_hz": "1000.0", "frames": "5065", "points": "2", "units": "m", "force_plates": "0"},
    # BTK's own test of this file: 41 points, frames 1-111, 250 Hz, no analog channel
    "formats/btk_badParameterOffset.c3d": {"rate_hz": "250.0", "frames": "111", "points": "41", "units": "mm", "force_plates": "0"},
    # no parameters at all: the header's 30 Hz, 40 points and the 701 frames the manifest's note names
    "formats/c3dorg_phasespace_sample.c3d": {"rate_hz": "30.0", "frames": "701", "points": "40", "units": "", "force_plates": "0"},
    # the analog clock is unknown (17 samples per frame vs ANALOG:RATE / POINT:RATE = 16.67): no force plates
    "formats/c3dorg_evart.c3d": {"force_plates": "0"},
}
UP_AXIS = {"running/RBDS001runT35.c3d": "+y", "running/RBDS001static.c3d": "+y", "formats/ezc3d_BTS.c3d": "+y",
           "formats/ezc3d_FP_Type1.c3d": "+y", "running/RIC_20140515T133244_run.c3d": "+y",
           # the pelvis 0.9 m above the metatarsals along y; the dancer 1.7 m tall along x
           "formats/c3dorg_bts_dynamic.C3D": "+y", "formats/c3dorg_Dance.c3d": "+x"}


def c3d_files(folder):
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.suffix.lower() == ".c3d"}


def test_repository_holds_the_redistributable_files_unchanged():
    """tests/data/c3d holds exactly the files whose licence allows redistribution (all but those whose source
    states none), each byte for byte the file its MANIFEST row describes (size and sha256)."""
    import hashlib

    assert len(MANIFEST) == 44
    for row in MANIFEST:
        assert row["in_repository"] == ("no" if row["licence"].startswith("none stated") else "yes"), row["file"]
    assert c3d_files(REPOSITORY_C3D) == {row["file"] for row in MANIFEST if row["in_repository"] == "yes"}
    for row in MANIFEST:
        if row["in_repository"] == "yes":
            data = (REPOSITORY_C3D / row["file"]).read_bytes()
            assert (len(data), hashlib.sha256(data).hexdigest()) == (int(row["bytes"]), row["sha256"]), row["file"]


def test_manifest_names_every_file_of_the_shared_corpus():
    """The manifest names every C3D file of ../shared/data/c3d and nothing else (the corpus grows: 36, 43, 44)."""
    for row in MANIFEST:
        if row["in_repository"] == "no":
            shared_file(row["file"])  # skips, naming the file, where the shared corpus is absent
    assert c3d_files(SHARED_C3D) == {row["file"] for row in MANIFEST}
    with open(SHARED_C3D / "MANIFEST.tsv", newline="") as handle:  # the same rows, less `in_repository`
        assert list(csv.DictReader(handle, delimiter="\t")) == [{k: v for k, v in row.items() if k != "in_repository"} for row in MANIFEST]


@pytest.mark.parametrize("row", MANIFEST, ids=[r["file"] for r in MANIFEST])
def test_file_loads_with_manifest_facts_or_gives_its_reason(row):
    path = shared_file(row["file"])
    if row["file"] in REFUSALS:
        with pytest.raises(TrialError) as refused:
            read_c3d(path)
        assert refused.value.stage == "ingest" and REFUSALS[row["file"]] in refused.value.reason
        assert str(path) in str(refused.value)
        return
    row = {**row, **FACTS.get(row["file"], {})}
    trial = read_c3d(path)
    assert trial.attrs["rate_hz"] == float(row["rate_hz"])
    assert trial.sizes["time"] == int(row["frames"])
    assert trial.sizes["marker"] == int(row["points"])
    assert trial.attrs["original_units"] == row["units"]
    assert trial.attrs["vertical_axis"] == UP_AXIS.get(row["file"], "+z")
    assert trial.sizes.get("plate", 0) == int(row["force_plates"] or 0)
    if int(row["events"] or 0) == 0:
        assert len(events_table(trial)) == 0
    # canonical frame: in gait trials the pelvis sits at hip height in mm
    if row["file"].startswith(("pig/", "running/RBDS")):
        assert 600 < float(trial["markers"].sel(marker=["LASI", "RASI"], axis="z").median()) < 1300


@pytest.mark.parametrize("row", [r for r in MANIFEST if r["file"] not in REFUSALS], ids=lambda r: r["file"])
def test_inspect_reports_every_readable_file(row):
    """`hipdrop inspect`'s marker report for every file the reader takes, those without a single analysed marker
    (BKIN's two hands, the dancer, PhaseSpace's unnamed points) included: facts, never an exception."""
    trial = read_c3d(shared_file(row["file"]))
    report = marker_report(trial, validate_config(None))
    names = {record["name"] for record in report["analysed"]} | {record["name"] for record in report["other"]}
    assert names == {str(m) for m in trial["markers"]["marker"].values}
    assert set(report["implausible_samples"]) == set(IMPLAUSIBLE_KINDS)


@pytest.mark.parametrize(("name", "expected"), [
    ("pig/gaitalytics_treadmill_events.c3d", {("L", "foot_strike"): 11, ("R", "foot_strike"): 11}),
    ("events/c3dio_short.c3d", {("L", "foot_strike"): 2, ("R", "foot_off"): 2}),
    # counts read off each file's EVENT group (LABELS, CONTEXTS) with ezc3d directly
    ("events/ezc3d_Qualisys.c3d", {("L", "foot_strike"): 2, ("L", "foot_off"): 1, ("R", "foot_strike"): 2, ("R", "foot_off"): 2}),
    ("pig/c3dorg_Vicon_analysis.c3d", {("L", "foot_strike"): 4, ("R", "foot_strike"): 5, ("L", "foot_off"): 4, ("R", "foot_off"): 4}),
    ("pig/c3dorg_pycgm2_cgm24_walking01.c3d", {("L", "foot_strike"): 4, ("L", "foot_off"): 4, ("R", "foot_strike"): 5, ("R", "foot_off"): 4}),
])
def test_event_encodings(name, expected):
    """Vicon contexts, names in CONTEXTS with empty LABELS, LHS/RTO labels, lower case, General contexts."""
    events = events_table(read_c3d(shared_file(name)))
    counts = events.groupby(["side", "event"]).size()
    for key, n in expected.items():
        assert counts.get(key, 0) == n, (key, counts.to_dict())
    assert events.time_s.is_monotonic_increasing


def test_event_frames_honour_the_first_frame():
    """gait-pig-nz starts after frame 1: index = round(t * rate) - first_frame."""
    trial = read_c3d(shared_file("pig/c3dorg_gait-pig-nz.c3d"))
    assert trial.attrs["first_frame"] > 1
    events = events_table(trial)
    np.testing.assert_array_equal(events.frame, np.rint(events.time_s * trial.attrs["rate_hz"]).astype(int) - trial.attrs["first_frame"])
    assert (events.frame >= 0).all() and (events.frame < trial.sizes["time"]).all()


def test_integer_and_float_twins_agree_within_the_integer_scale():
    a = read_c3d(shared_file("formats/btk_ADemo1_float.c3d"))["markers"]
    b = read_c3d(shared_file("formats/btk_ADemo1_integer.c3d"))["markers"]
    scale = 0.1  # POINT:SCALE of the integer file (mm per step)
    both = np.isfinite(a.values) & np.isfinite(b.values)
    assert both.mean() > 0.9
    assert np.abs(a.values[both] - b.values[both]).max() <= scale / 2 + 1e-6


def test_zero_coded_gaps_become_nan():
    trial = read_c3d(shared_file("formats/c3dorg_walking_hybrid_zero_gaps.c3d"))
    missing = float(trial["markers"].isnull().any("axis").mean())
    assert 0.15 < missing < 0.30  # the manifest: about 23 % of samples are exact (0, 0, 0)
    assert not (trial["markers"] == 0).all("axis").any()


def test_more_than_255_labels_and_prefixes():
    trial = read_c3d(shared_file("formats/rch_RCH08_labels2.c3d"))
    assert trial.sizes["marker"] == 311 and not any(m.startswith("unlabelled") for m in trial.marker.values)
    pig = read_c3d(shared_file("pig/c3dorg_gait-pig.c3d"))  # every label prefixed 'A22:'; SACR, no PSIS
    assert {"LASI", "RASI", "SACR", "LPelvisAngles"} <= set(pig.marker.values)


def test_metres_become_millimetres():
    trial = read_c3d(shared_file("formats/c3dorg_ist_gait_with_emg.c3d"))
    assert trial.attrs["original_units"] == "m" and float(trial["markers"].sel(axis="z").median()) > 100


@pytest.mark.parametrize("kind", ["truncated", "header_noise", "parameter_noise", "text", "empty"])
def test_generated_corrupt_files_give_a_reason(tmp_path, kind):
    good = shared_file("pig/sydney_S4-AMGait03.c3d").read_bytes()
    rng = np.random.default_rng(0)
    bad = {
        "truncated": good[: len(good) // 3],
        "header_noise": bytes([good[0], good[1]]) + rng.bytes(510) + good[512:],
        "parameter_noise": good[:512] + good[512:516] + rng.bytes(2048) + good[2564:],
        "text": b"subject,frame,x,y,z\n" * 100,
        "empty": b"",
    }[kind]
    path = tmp_path / f"{kind}.c3d"
    path.write_bytes(bad)
    try:
        trial = read_c3d(path)
    except TrialError as err:
        assert err.stage == "ingest" and err.reason and str(path) in str(err)
    else:  # a corruption nothing can notice must at least leave a sane canonical trial
        assert trial.sizes["time"] > 0 and np.isfinite(trial.attrs["rate_hz"])
    if kind == "truncated":
        with pytest.raises(TrialError, match="truncated"):
            read_c3d(path)


#: the rows whose file this checkout has (all 44 with ../shared; the 42 in the repository without it): each file
#: is also a parameter of test_file_loads_with_manifest_facts_or_gives_its_reason, which skips naming a missing one
PRESENT = [row for row in MANIFEST if corpus_path(row["file"])]


def test_every_readable_file_in_the_corpus_passes_the_data_block_check():
    for row in PRESENT:
        if row["file"] not in REFUSALS:
            read_c3d(shared_file(row["file"]))  # no false "truncated" on any readable file


def test_no_file_makes_the_reader_allocate_beyond_its_size():
    """ezc3d 1.7.2 allocated 12.6 GB on bad_parameter_section.c3d and BKINtechnologies.c3d; the decoder checks
    every size against the file first. Measured: at most 11.5 times the file's size (float32 points become float64,
    16-bit analog samples float64, plus the force plates), and 0.36 MB on the 0.34 MB corrupt file."""
    import tracemalloc

    read_c3d(shared_file("pig/sydney_S4-AMGait03.c3d"))  # imports and caches are not the file's
    for row in PRESENT:
        path = shared_file(row["file"])
        tracemalloc.start()
        try:
            read_c3d(path)
        except TrialError:
            pass
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak <= 16 * int(row["bytes"]) + 2_000_000, (row["file"], peak)
