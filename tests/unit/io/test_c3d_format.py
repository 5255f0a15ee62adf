"""The numpy C3D decoder on small files packed here byte by byte, with known values, for every processor type and
storage kind, and on the contradictions and corruptions real files show.

``pack_c3d`` is a second, independent writer: it lays out the header, the parameter section and the data block
with ``struct`` as the C3D user guide (c3d.org) describes them, so what the decoder reads back is known exactly.
"""

import math
import struct

import ezc3d
import numpy as np
import pandas as pd
import pytest

from hipdrop.errors import TrialError
from hipdrop.io.c3d.forceplates import force_plates
from hipdrop.io.c3d.format import BLOCK, _dec_to_ieee, decode
from hipdrop.io.c3d.reader import read_c3d, write_c3d

#: processor type codes and parameter type codes of the C3D user guide ("The parameter section")
PROCESSORS = {"intel": 84, "dec": 85, "mips": 86}
FLOAT, INT = 4, 2


def float_bytes(values, processor: str) -> bytes:
    """32-bit floats as each processor stores them. A VAX F-float is the IEEE value times 4 with its two 16-bit
    words swapped (VAX exponent bias 128 and hidden bit 1/2, against IEEE's 127 and 1)."""
    values = np.atleast_1d(np.asarray(values, dtype=np.float64))
    if processor == "mips":
        return struct.pack(f">{values.size}f", *values)
    if processor == "intel":
        return struct.pack(f"<{values.size}f", *values)
    ieee = struct.pack(f"<{values.size}f", *(values * 4.0))
    return b"".join(ieee[i + 2 : i + 4] + ieee[i : i + 2] for i in range(0, len(ieee), 4))


def int_bytes(values, processor: str, code: str = "h") -> bytes:
    """16-bit integers; signed ones wrap as writers store counts above 32767 in INT parameters."""
    values = [int(v) for v in np.atleast_1d(values)]
    if code == "h":
        values = [(v + 32768) % 65536 - 32768 for v in values]
    return struct.pack(f"{'>' if processor == 'mips' else '<'}{len(values)}{code}", *values)


def text_param(strings: list[str], width: int | None = None) -> tuple[int, tuple[int, ...], bytes]:
    width = width or max([len(s) for s in strings] + [1])
    return -1, (width, len(strings)), b"".join(s.encode().ljust(width) for s in strings)


def pack_c3d(
    points: np.ndarray,
    *,
    processor: str = "intel",
    storage: str = "float",
    scale: float = 0.1,
    fourth: np.ndarray | None = None,
    rate: float = 100.0,
    first_frame: int = 1,
    analog: np.ndarray | None = None,
    analog_per_frame: int = 0,
    analog_params: dict | None = None,
    labels: list[str] | None = None,
    header: dict | None = None,
    point_params: dict | None = None,
    extra_groups: dict | None = None,
    data_start_param: int | None = None,
) -> bytes:
    """A C3D file with ``points[frame, point, xyz]`` (stored as given for float storage, as ``round(x / scale)``
    for integer storage), 4th words ``fourth[frame, point]`` (default 0: valid, residual 0), and raw stored analog
    samples ``analog[frame * analog_per_frame, channel]``.

    ``header`` overrides header words (n_points, analog_words, first_frame, last_frame, data_start,
    analog_per_frame, scale, rate), ``point_params`` overrides or removes
    (value None) POINT parameters given as ``(type, dims, raw bytes)``; ``extra_groups`` adds groups of such.
    """
    n_frames, n_points, _ = points.shape
    order = ">" if processor == "mips" else "<"
    fourth = np.zeros((n_frames, n_points)) if fourth is None else fourth
    channels = 0 if analog is None else analog.shape[1]
    floats = lambda v: (FLOAT, (), float_bytes(v, processor))  # noqa: E731
    ints = lambda v, dims=(): (INT, dims, int_bytes(v, processor))  # noqa: E731
    labels = labels or [f"P{i}" for i in range(n_points)]
    groups = {
        "POINT": {
            "USED": ints(n_points), "SCALE": floats(-abs(scale) if storage == "float" else abs(scale)),
            "RATE": floats(rate), "FRAMES": ints(n_frames), "DATA_START": ints(0), "UNITS": text_param(["mm"]),
            "LABELS": text_param(labels[:255]),
            **({"LABELS2": text_param(labels[255:])} if len(labels) > 255 else {}),
        },
        "ANALOG": {"USED": ints(channels), "RATE": floats(rate * analog_per_frame),
                   "LABELS": text_param([f"A{c}" for c in range(channels)]) if channels else text_param([])},
    }
    for name, value in (analog_params or {}).items():
        groups["ANALOG"][name] = value
    for name, value in (point_params or {}).items():
        if value is None:
            groups["POINT"].pop(name)
        else:
            groups["POINT"][name] = value
    groups.update(extra_groups or {})
    ids = {name: k + 1 for k, name in enumerate(groups)}

    def entry(name: str, group_id: int, body: bytes, last: bool = False) -> bytes:
        # name length, group id, name, offset from the offset word to the next entry, body (user guide)
        return struct.pack("bb", len(name), group_id) + name.encode() + struct.pack(order + "H", 0 if last else len(body) + 2) + body

    def section(data_start: int) -> bytes:
        entries = [entry(g, -ids[g], b"\0") for g in groups]
        for group, params in groups.items():
            for name, (kind, dims, raw) in params.items():
                if group == "POINT" and name == "DATA_START":
                    raw = int_bytes(data_start if data_start_param is None else data_start_param, processor)
                entries.append(entry(name, ids[group], struct.pack("bB", kind, len(dims)) + bytes(dims) + raw + b"\0"))
        body = b"".join(entries) + b"\0\0"  # an entry with a 0-length name ends the section
        return body

    n_blocks = math.ceil((4 + len(section(0))) / BLOCK)
    data_start = 2 + n_blocks
    params = bytes([1, 0x50, n_blocks, PROCESSORS[processor]]) + section(data_start)
    params = params.ljust(n_blocks * BLOCK, b"\0")

    words = {"n_points": n_points, "analog_words": channels * analog_per_frame, "first_frame": first_frame,
             "last_frame": first_frame + n_frames - 1, "max_gap": 0, "data_start": data_start,
             "analog_per_frame": analog_per_frame, "scale": -abs(scale) if storage == "float" else abs(scale),
             "rate": rate, **(header or {})}
    head = bytearray(BLOCK)
    head[0], head[1] = 2, 0x50
    head[2:12] = int_bytes([words[k] for k in ("n_points", "analog_words", "first_frame", "last_frame", "max_gap")],
                           processor, "H")
    head[12:16] = float_bytes(words["scale"], processor)
    head[16:20] = int_bytes([words["data_start"], words["analog_per_frame"]], processor, "H")
    head[20:24] = float_bytes(words["rate"], processor)

    frames = []
    for f in range(n_frames):
        if storage == "float":
            frame = float_bytes(np.column_stack([points[f], fourth[f]]).ravel(), processor)
        else:
            stored = np.column_stack([np.round(points[f] / abs(scale)), fourth[f]])
            frame = int_bytes(stored.ravel(), processor)
        if channels:
            samples = analog[f * analog_per_frame : (f + 1) * analog_per_frame].ravel()
            unsigned = b"UNSIGNED" in (analog_params or {}).get("FORMAT", (0, 0, b""))[2]
            frame += float_bytes(samples, processor) if storage == "float" else int_bytes(samples, processor, "H" if unsigned else "h")
        frames.append(frame)
    data = b"".join(frames)
    data = data.ljust(math.ceil(len(data) / BLOCK) * BLOCK, b"\0")
    return bytes(head) + params + data


def known_points(n_frames=6, n_points=3):
    """Coordinates on the 0.1 mm grid within +-3276.7 mm, so that integer storage at scale 0.1 holds them exactly."""
    values = np.arange(n_frames * n_points * 3, dtype=np.float64).reshape(n_frames, n_points, 3)
    return np.round(1000.0 + 10.3 * (values % 97) - 400.0 * (values % 7), 1)


@pytest.mark.parametrize("storage", ["float", "integer"])
@pytest.mark.parametrize("processor", ["intel", "dec", "mips"])
def test_every_processor_and_storage_gives_the_stored_values(processor, storage):
    points = known_points()
    # 4th word: residual 3 (x 0.1 mm) seen by cameras 1 and 3 (mask 0b101 in the high byte); frame 2, point 1 invalid
    fourth = np.full(points.shape[:2], (0b101 << 8) | 3, dtype=np.float64)
    fourth[2, 1] = -1
    analog = np.arange(6 * 2 * 4, dtype=np.float64).reshape(12, 4) * 3 - 50  # 2 samples per frame, 4 channels
    raw = pack_c3d(points, processor=processor, storage=storage, fourth=fourth, analog=analog, analog_per_frame=2,
                   analog_params={"SCALE": (FLOAT, (4,), float_bytes([0.5, 1.0, 2.0, -1.0], processor)),
                                  "OFFSET": (INT, (4,), int_bytes([0, 10, -5, 1], processor)),
                                  "GEN_SCALE": (FLOAT, (), float_bytes(2.0, processor))})
    c3d = decode(raw)
    assert c3d.processor == {"intel": "Intel", "dec": "DEC", "mips": "SGI/MIPS"}[processor]
    assert c3d.is_float == (storage == "float") and c3d.rate_hz == 100.0 and c3d.n_frames == 6
    expected = points.copy()
    expected[2, 1] = np.nan
    tolerance = 0.05 if storage == "integer" else 1e-4 * np.abs(points).max()  # half a 0.1 step; float32 rounding
    np.testing.assert_allclose(c3d.points, expected, atol=tolerance, rtol=0)
    residuals = np.full(points.shape[:2], 0.3)
    residuals[2, 1] = -1.0
    np.testing.assert_allclose(c3d.residuals, residuals, rtol=1e-6)
    np.testing.assert_array_equal(c3d.invalid, residuals < 0)
    # (stored - OFFSET) * SCALE * GEN_SCALE, per channel
    np.testing.assert_allclose(c3d.analogs, (analog - [0, 10, -5, 1]) * [0.5, 1.0, 2.0, -1.0] * 2.0)
    assert c3d.analog_rate_hz == 200.0 and c3d.point_labels == ["P0", "P1", "P2"] and c3d.warnings == []


def test_the_three_processors_give_identical_arrays():
    points = known_points(10, 4)
    decoded = {p: decode(pack_c3d(points, processor=p)) for p in PROCESSORS}
    for other in ("dec", "mips"):
        np.testing.assert_array_equal(decoded[other].points, decoded["intel"].points)


def test_vax_floats_decode_to_their_documented_values():
    """VAX F-float 1.0 is the word 0x4080 then 0x0000, stored little-endian as 80 40 00 00; -2.5 is 0xC120 0x0000
    (sign, exponent 130, fraction .01); VAX has no denormals: exponent 0 is zero."""
    header = bytearray(pack_c3d(known_points(), processor="dec", rate=1.0))
    header[20:24] = bytes([0x80, 0x40, 0x00, 0x00])  # the frame rate, words 11-12, as 1.0
    decoded = decode(bytes(header))
    assert decoded.rate_hz == 1.0 and decoded.warnings == []  # header and POINT:RATE agree
    words = np.frombuffer(bytes([0x80, 0x40, 0, 0, 0x20, 0xC1, 0, 0, 0, 0, 0, 0]), "<u4")
    np.testing.assert_array_equal(_dec_to_ieee(words), [1.0, -2.5, 0.0])


def test_unsigned_analog_format_and_its_offsets():
    """ANALOG:FORMAT UNSIGNED: 16-bit samples 0..65535, and offsets stored in INT parameters read unsigned too
    (32768 is written as the int16 -32768)."""
    analog = np.array([[0, 40000], [65535, 32768]], dtype=np.float64)
    raw = pack_c3d(known_points(2, 1), storage="integer", analog=analog, analog_per_frame=1,
                   analog_params={"FORMAT": text_param(["UNSIGNED"]), "OFFSET": (INT, (2,), int_bytes([0, -32768], "intel"))})
    np.testing.assert_array_equal(decode(raw).analogs, [[0, 40000 - 32768], [65535, 0]])


def test_non_integer_offset_as_in_c3dorg_dance():
    analog = np.array([[1.5, -2.0]])
    raw = pack_c3d(known_points(1, 1), analog=analog, analog_per_frame=1,
                   analog_params={"OFFSET": (FLOAT, (2,), float_bytes([0.25, -1.5], "intel"))})
    np.testing.assert_allclose(decode(raw).analogs, [[1.25, -0.5]])


def test_more_than_255_points_continue_in_labels2():
    labels = [f"M{i:03d}" for i in range(300)]
    c3d = decode(pack_c3d(known_points(2, 300), labels=labels))
    assert c3d.point_labels == labels


def test_a_saturated_header_frame_count_is_taken_from_the_trial_parameters():
    """Header word 5 is 16-bit: a 70,000-frame capture writes 65535 there and the count in TRIAL:ACTUAL_START_FIELD
    and ACTUAL_END_FIELD (two 16-bit words each, low first)."""
    n_frames = 70_000
    points = np.zeros((n_frames, 1, 3))
    points[:, 0, 2] = np.arange(n_frames) % 1000 + 1.0
    trial = {"TRIAL": {"ACTUAL_START_FIELD": (INT, (2,), int_bytes([1, 0], "intel")),
                       "ACTUAL_END_FIELD": (INT, (2,), int_bytes([n_frames & 0xFFFF, n_frames >> 16], "intel"))}}
    raw = pack_c3d(points, header={"last_frame": 65535}, point_params={"FRAMES": None}, extra_groups=trial)
    c3d = decode(raw)
    assert c3d.n_frames == n_frames and c3d.points[-1, 0, 2] == (n_frames - 1) % 1000 + 1
    assert any("saturated" in w and "TRIAL:ACTUAL_END_FIELD" in w for w in c3d.warnings)
    without = decode(pack_c3d(points, header={"last_frame": 65535}, point_params={"FRAMES": None}))
    assert without.n_frames == n_frames and any("data block's length" in w for w in without.warnings)


def test_data_start_zero_trusts_the_header_as_bts_files_need():
    raw = pack_c3d(known_points(), data_start_param=0)
    c3d = decode(raw)
    np.testing.assert_array_equal(c3d.points, decode(pack_c3d(known_points())).points)
    assert any("POINT:DATA_START is 0" in w for w in c3d.warnings)


def test_a_frame_count_that_disagrees_is_settled_by_the_file_length():
    """c3d.org Dance.c3d: POINT:FRAMES 500, header 499 frames, the data block holds exactly 499."""
    points = known_points(40, 3)
    raw = pack_c3d(points, point_params={"FRAMES": (INT, (), int_bytes(41, "intel"))})
    raw = raw[: len(raw) - len(raw) % BLOCK]  # no room for a 41st frame even in the padding
    c3d = decode(raw)
    assert c3d.n_frames == 40
    assert any("POINT:FRAMES (41) disagrees with the header's frame count (40)" in w for w in c3d.warnings)


def test_header_and_parameters_that_both_fit_are_refused():
    """Header: 4 points, 20 frames (does not fit). Parameters: 2 points, 10 frames. The 640 bytes of data fit
    4 points x 10 frames, 2 points x 20 frames and 2 x 10 alike: no reading is the file's."""
    raw = pack_c3d(known_points(10, 4), header={"last_frame": 20},
                   point_params={"USED": (INT, (), int_bytes(2, "intel")), "FRAMES": (INT, (), int_bytes(10, "intel"))})
    with pytest.raises(TrialError, match="fits more than one reading"):
        decode(raw)


def test_a_truncated_file_is_refused():
    raw = pack_c3d(known_points(200, 10))
    with pytest.raises(TrialError, match="truncated: its 200 frames need"):
        decode(raw[: len(raw) // 2])


@pytest.mark.parametrize("rate", [0.0, float("nan"), 20_000.0, -100.0])
def test_a_header_rate_outside_1_to_10000_hz_is_refused(rate):
    with pytest.raises(TrialError, match="outside 1-10,000 Hz"):
        decode(pack_c3d(known_points(), header={"rate": rate}))


def test_empty_short_and_foreign_bytes_are_refused():
    with pytest.raises(TrialError, match="empty"):
        decode(b"")
    with pytest.raises(TrialError, match="not a C3D file"):
        decode(b"subject,frame,x,y,z\n" * 100)
    raw = bytearray(pack_c3d(known_points()))
    raw[BLOCK + 3] = 99
    with pytest.raises(TrialError, match="unknown processor type 99"):
        decode(bytes(raw))


def test_corrupt_parameter_entries_are_refused_with_where():
    raw = bytearray(pack_c3d(known_points()))
    first_param = raw.index(b"USED") - 2
    raw[first_param + 2 + 4 + 2] = 7  # the parameter type byte
    with pytest.raises(TrialError, match="has type 7"):
        decode(bytes(raw))
    raw = bytearray(pack_c3d(known_points()))
    raw[BLOCK + 4 + 2 : BLOCK + 4 + 7] = b"\x01\x02\x03\x04\x05"  # the first group's name
    with pytest.raises(TrialError, match="no valid name"):
        decode(bytes(raw))
    raw = bytearray(pack_c3d(known_points()))
    labels = raw.index(b"LABELS")
    raw[labels + 6 + 2 + 1 : labels + 6 + 2 + 4] = bytes([3, 255, 255])  # LABELS as 255 x 255 x 255 characters
    with pytest.raises(TrialError, match="more than the"):
        decode(bytes(raw))


def bare_file(section: bytes) -> bytes:
    """A file of one float point in one frame behind the parameter section ``section`` (entries, end marker)."""
    n_blocks = math.ceil((4 + len(section)) / BLOCK)
    head = bytearray(BLOCK)
    head[0], head[1] = 2, 0x50
    struct.pack_into("<5Hf2Hf", head, 2, 1, 0, 1, 1, 0, -1.0, 2 + n_blocks, 0, 100.0)
    params = (bytes([1, 0x50, n_blocks, 84]) + section).ljust(n_blocks * BLOCK, b"\0")
    return bytes(head) + params + struct.pack("<4f", 1.0, 2.0, 3.0, 0.0).ljust(BLOCK, b"\0")


def test_parameter_bombs_are_refused_without_allocating():
    """Entries whose offsets step 9 bytes while each declares 40,000 characters (they overlap), and a text of
    width 0 that declares 255**4 empty strings: neither may decode more than the file holds."""
    group = struct.pack("<bb1sHb", 1, -1, b"G", 3, 0)
    overlapping = struct.pack("<bb1sHbB2B", 1, 1, b"A", 6, -1, 2, 200, 200) * 200
    with pytest.raises(TrialError, match="decode more than the file holds"):
        decode(bare_file(group + overlapping + bytes(40_000) + b"\0\0"))
    empty_texts = struct.pack("<bb1sHbB5B", 1, 1, b"E", 0, -1, 5, 0, 255, 255, 255, 255)
    with pytest.raises(TrialError, match="decode more than the file holds"):
        decode(bare_file(group + empty_texts + b"\0\0"))
    assert decode(bare_file(group + b"\0\0")).points.tolist() == [[[1.0, 2.0, 3.0]]]  # the frame itself is fine


def test_nonfinite_and_far_values_do_not_break_the_canonical_trial(tmp_path):
    """Inf and NaN with a valid residual become missing samples, the infinite ones marked in ``infinite`` (a stored
    NaN is a gap some systems write); the unit guess and the up axis come from the finite samples."""
    rng = np.random.default_rng(3)
    names = ["LASI", "RASI", "LPSI", "RPSI", "LHEE", "RHEE", "LTOE", "RTOE"]
    base = np.array([[0, 120, 950], [0, -120, 950], [-150, 45, 950], [-150, -45, 950],
                     [-50, 100, 60], [-50, -100, 60], [150, 100, 30], [150, -100, 30]], dtype=float)
    points = base[np.newaxis] + rng.normal(0, 1, (50, len(names), 3))
    points[5, 0, 0] = np.inf
    points[9, 3] = np.nan
    points[20, 6, 2] = -np.inf
    path = tmp_path / "nonfinite.c3d"
    path.write_bytes(pack_c3d(points, labels=names))
    trial = read_c3d(path)
    assert trial.attrs["infinite_samples"] == 2
    assert trial["infinite"].sel(marker="LASI").values[5] and trial["infinite"].sel(marker="LTOE").values[20]
    markers = trial["markers"]
    assert bool(markers.isel(time=5).sel(marker="LASI").isnull().all()) and int(markers.isnull().any("axis").sum()) == 3
    assert trial.attrs["vertical_axis"] == "+z" and trial.attrs["original_units"] == "mm"


def test_force_plate_type_2_matches_ezc3d(tmp_path):
    """The simulator's writer (ezc3d) with a TYPE-2 plate; ezc3d's extract_forceplat_data is the reference."""
    rng = np.random.default_rng(7)
    markers = 800.0 + rng.normal(0, 50, (40, 2, 3))
    analogs = np.column_stack([rng.normal(0, 30, (400, 2)), 700 + rng.normal(0, 50, 400), rng.normal(0, 5e4, (400, 3))])
    corners = np.array([[600.0, 0, 0], [0, 0, 0], [0, 400, 0], [600, 400, 0]]).T
    path = tmp_path / "plate.c3d"
    write_c3d(path, markers, ["A", "B"], rate_hz=100.0, analogs=analogs, analog_labels=["Fx", "Fy", "Fz", "Mx", "My", "Mz"],
              analog_rate_hz=1000.0, force_plate={"corners": corners, "origin": [1.0, -2.0, -40.0]})
    ours, warnings = force_plates(decode(path.read_bytes()))
    reference = ezc3d.c3d(str(path), extract_forceplat_data=True)["data"]["platform"][0]
    expected = np.concatenate([reference["force"], reference["moment"], reference["center_of_pressure"]]).T
    assert warnings == [] and ours.shape == (400, 1, 9)
    np.testing.assert_allclose(ours[:, 0], expected, rtol=1e-12, atol=1e-9)


def test_parameters_have_the_shapes_ezc3d_gives(tmp_path):
    """Every parameter the simulator's writer (ezc3d) stores reads back as ezc3d itself reads it, so the EVENT
    parser and the marker-set mapping see the same values."""
    path = tmp_path / "events.c3d"
    events = pd.DataFrame({"side": ["L", "R"], "event": ["foot_strike", "foot_off"], "time_s": [0.05, 0.12]})
    write_c3d(path, 900.0 + np.zeros((30, 3, 3)), ["LASI", "RASI", "X"], rate_hz=100.0, events=events)
    ours = decode(path.read_bytes()).parameters
    theirs = ezc3d.c3d(str(path))["parameters"]
    for group in ("POINT", "EVENT"):
        for name, entry in ours[group].items():
            expected = theirs[group][name]["value"]
            if isinstance(expected, list):
                assert entry["value"] == expected, (group, name)
            else:
                np.testing.assert_array_equal(entry["value"], expected, err_msg=f"{group}:{name}")
                assert entry["value"].shape == np.shape(expected), (group, name)


def test_mutated_files_give_a_trial_or_a_reason(tmp_path):
    """Seeded mutations of a packed file (bytes flipped in the header and the parameter section, blocks zeroed,
    duplicated or cut): every one is either decoded or refused with a TrialError; nothing else escapes."""
    rng = np.random.default_rng(11)
    analog = np.arange(40 * 2 * 3, dtype=float).reshape(80, 3)
    good = pack_c3d(known_points(40, 5), analog=analog, analog_per_frame=2)
    section_end = 3 * BLOCK
    outcomes = {"decoded": 0, "refused": 0}
    for trial in range(400):
        raw = bytearray(good)
        kind = trial % 4
        if kind == 0:  # flip bytes in the header or the parameter section
            for at in rng.integers(0, section_end, rng.integers(1, 8)):
                raw[at] = rng.integers(0, 256)
        elif kind == 1:  # zero a block
            at = int(rng.integers(0, len(raw) // BLOCK)) * BLOCK
            raw[at : at + BLOCK] = bytes(BLOCK)
        elif kind == 2:  # duplicate a block
            at = int(rng.integers(0, len(raw) // BLOCK)) * BLOCK
            raw[at:at] = raw[at : at + BLOCK]
        else:  # cut anywhere
            del raw[int(rng.integers(0, len(raw))) :]
        try:
            c3d = decode(bytes(raw))
        except TrialError as err:
            assert err.stage == "ingest" and err.reason
            outcomes["refused"] += 1
        else:
            assert c3d.points.shape[0] > 0 and 1.0 <= c3d.rate_hz <= 10_000.0
            outcomes["decoded"] += 1
    assert outcomes["decoded"] > 0 and outcomes["refused"] > 0, outcomes
