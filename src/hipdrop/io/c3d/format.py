"""C3D files decoded straight into numpy: header, parameter section, point and analog data.

Layout and meanings follow the C3D user guide (Motion Lab Systems, "The C3D File Format User Guide", 2008, from
c3d.org; its chapter names are quoted below). All three processor types are read: Intel (little-endian IEEE), DEC
(little-endian integers, VAX F-floats) and SGI/MIPS (big-endian IEEE), with integer or float storage.

Safety: every size read from the file is checked against the bytes the file holds before anything is allocated,
and the parameter walk moves forward through the file at every step, so no input can crash the decoder, hang it
or make it allocate more than the file's size justifies. Where two fields disagree (the header against the
parameters), the file's own evidence decides (the data block's length, the parameter section's extent) and the
decision is recorded in ``C3D.warnings``; where the evidence cannot decide, ``decode`` raises ``TrialError``
(stage ``ingest``) naming both fields.

Arrays: points ``[frame, point, xyz]`` in POINT:UNITS, NaN where the residual word marks a sample invalid;
analog data ``[analog sample, channel]`` after ANALOG:OFFSET, SCALE and GEN_SCALE. ``C3D.parameters`` has the
shape ezc3d gives (``parameters[GROUP][NAME]["value"]``: a list of str for text, else a numpy array shaped by
the parameter's dimensions in Fortran order), so the EVENT parser and the marker-set mapping read it unchanged.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path

import numpy as np

from hipdrop.errors import TrialError

STAGE = "ingest"
BLOCK = 512  #: bytes per C3D block; the header is block 1 (C3D user guide, "The C3D file format")
#: processor types in byte 4 of the parameter section ("The parameter section")
INTEL, DEC, MIPS = 84, 85, 86
PROCESSOR_NAMES = {INTEL: "Intel", DEC: "DEC", MIPS: "SGI/MIPS"}
#: frame rates a motion-capture header can hold; anything else is a corrupt or foreign header
MIN_RATE_HZ, MAX_RATE_HZ = 1.0, 10_000.0
#: parameter types ("Parameter data type"): -1 text, 1 byte, 2 16-bit integer, 4 float
CHAR, BYTE, INT, FLOAT = -1, 1, 2, 4
MAX_DIMENSIONS = 7  #: a parameter has 0 (a scalar) to 7 dimensions ("The parameter section")
MAX_EMPTY_TEXTS = 65535  #: empty strings a text parameter of width 0 may declare (ezc3d returns one per column)
#: header word 5 (last frame) is 16-bit: from 65535 on, the frame count lives in the parameters only
SATURATED_FRAME = 65535


@dataclass
class C3D:
    """One decoded C3D file, in the file's own units."""

    processor: str  #: "Intel", "DEC" or "SGI/MIPS"
    parameters: dict  #: ``parameters[GROUP][NAME] = {"type": ..., "value": ...}``, as ezc3d shapes them
    rate_hz: float  #: point frames per second
    first_frame: int  #: 1-based C3D frame number of the first stored frame
    is_float: bool  #: float storage (else 16-bit integers scaled by POINT:SCALE)
    scale: float  #: POINT:SCALE as used: mm (or POINT:UNITS) per integer step; its magnitude scales residuals
    point_labels: list[str]  #: POINT:LABELS, LABELS2, ... padded to the point count with "unlabelledN"
    points: np.ndarray  #: [frame, point, xyz] float64, NaN where the residual word is negative
    invalid: np.ndarray  #: [frame, point] bool: the residual word is negative (the writer's gap)
    residual_words: np.ndarray  #: [frame, point] the 4th word of each point as stored (see ``residuals``)
    analog_rate_hz: float  #: analog samples per second per channel (0 without analog data)
    analog_labels: list[str]
    analogs: np.ndarray  #: [analog sample, channel] float64, offset and scaled
    warnings: list[str] = field(default_factory=list)
    analog_problem: str = ""  #: why the analog data stored in the file were not read ("" when they were)

    @property
    def n_frames(self) -> int:
        """Number of point frames decoded."""
        return self.points.shape[0]

    @property
    def residuals(self) -> np.ndarray:
        """[frame, point] float64 in point units, -1.0 where the sample is invalid. The 4th word of a point holds
        the residual in its low byte, in units of |POINT:SCALE|, and the camera mask in its high byte; float files
        store the same 16-bit value as a float (C3D user guide, "The 3D point data")."""
        with np.errstate(invalid="ignore"):
            words = np.where(np.isfinite(self.residual_words), self.residual_words, 0).astype(np.int32)
        residuals = (words & 0xFF) * abs(self.scale)
        residuals[self.invalid] = -1.0
        return residuals


# --------------------------------------------------------------------------------------------- numbers
def _dec_to_ieee(words: np.ndarray) -> np.ndarray:
    """VAX F-floats (C3D user guide, "DEC floating point") as IEEE float32.

    A VAX F-float stores the sign, exponent and high fraction in its first 16-bit word and the low fraction in
    the second, with an exponent bias of 128 and the hidden bit worth 1/2 where IEEE has 127 and 1: swapping the
    two words and dividing by 4 (subtracting 2 from the exponent field) gives the IEEE value. An exponent field
    of 0 or 1 (|x| < 3e-39, and VAX's zero) becomes a signed zero.
    """
    words = np.asarray(words, dtype=np.uint32)
    swapped = (words >> np.uint32(16)) | (words << np.uint32(16))
    exponent = (swapped >> np.uint32(23)) & np.uint32(0xFF)
    ieee = np.where(exponent >= 2, swapped - np.uint32(2 << 23), swapped & np.uint32(0x8000_0000))
    return ieee.astype(np.uint32).view(np.float32)


def _float_dtype(processor: int) -> np.dtype:
    """The dtype that reads one stored float: IEEE floats directly, DEC floats as words for ``_dec_to_ieee``."""
    return np.dtype({INTEL: "<f4", MIPS: ">f4", DEC: "<u4"}[processor])


def _as_float32(stored: np.ndarray, processor: int) -> np.ndarray:
    return _dec_to_ieee(stored) if processor == DEC else stored


def _order(processor: int) -> str:
    """Byte order of integers: big-endian on SGI/MIPS, little-endian on Intel and DEC."""
    return ">" if processor == MIPS else "<"


# --------------------------------------------------------------------------------------------- header
@dataclass(frozen=True)
class _Header:
    """The 16-bit words of the header block that locate and size the data (C3D user guide, "The header")."""

    n_points: int  # word 2
    analog_words: int  # word 3: analog samples per frame, all channels together
    first_frame: int  # word 4, 1-based
    last_frame: int  # word 5
    scale: float  # words 7-8: POINT:SCALE, negative for float storage
    data_start: int  # word 9: first block of the data section
    analog_per_frame: int  # word 10: analog samples per frame per channel
    rate_hz: float  # words 11-12


def _header(raw: bytes, processor: int) -> _Header:
    order = _order(processor)
    n_points, analog_words, first, last = struct.unpack_from(order + "4H", raw, 2)
    data_start, analog_per_frame = struct.unpack_from(order + "2H", raw, 16)
    floats = np.frombuffer(raw, _float_dtype(processor), count=3, offset=12)  # words 7-8, 9-10, 11-12
    scale, _, rate = (float(v) for v in _as_float32(floats, processor))
    return _Header(n_points, analog_words, first, last, scale, data_start, analog_per_frame, rate)


# --------------------------------------------------------------------------------------------- parameters
@dataclass(frozen=True)
class _Section:
    parameters: dict
    end: int  #: byte after the last parameter's content: the data block cannot start before it


def _text_values(chunk: bytes, dims: tuple[int, ...]) -> list[str]:
    """A text parameter as ezc3d gives it: one string per column of the first dimension, NUL bytes dropped and
    trailing blanks stripped; one string for a 1-D parameter, none when it is empty."""
    if len(dims) <= 1:
        columns = [chunk] if chunk else []
    else:
        width, count = dims[0], math.prod(dims[1:])
        columns = [chunk[i * width : (i + 1) * width] for i in range(count)]
    texts = []
    for column in columns:
        text = column.replace(b"\0", b"").rstrip(b" ")
        try:
            texts.append(text.decode("utf-8"))
        except UnicodeDecodeError:  # older writers used a Latin-1 code page
            texts.append(text.decode("latin-1"))
    return texts


def _is_name(name: bytes) -> bool:
    """Group and parameter names are printable ASCII. The user guide allows A-Z, 0-9 and underscore; Qualisys,
    BTS and kineticstoolkit files also use blanks ("Uncropped Measured", "Pelvis Width")."""
    return bool(name.strip()) and all(0x20 <= b < 0x7F for b in name)


def _parameter_section(raw: bytes, start: int, processor: int, path: Path, data_start: int = 0) -> _Section:
    """Walk the parameter section from the 4-byte section header at ``start``.

    Each entry: name length (signed byte; negative = locked), group id (signed byte; negative = a group,
    positive = a parameter of that group), the name, a 16-bit offset from the offset word to the next entry
    (0 = last entry), then the group's description or the parameter's type, dimensions, data and description
    ("The parameter section"). The walk follows the offsets, as the user guide says readers must (BKIN and BTK's
    badParameterOffset files have entries whose content does not end where the offset points); each step moves
    forward by at least the entry's header, so the walk ends within the file.

    An offset that leads past the section ends the walk as a 0 offset does: some writers end their chain that
    way (BTK and the `c3d` package stop at the declared blocks and read such files). The section ends at the
    blocks its header declares (byte 3), or at the header's data start block ``data_start`` (1-based) where that
    lies further: c3d.org's Dance.c3d declares 3 blocks and continues its chain in the next 3, before its data.
    """
    order = _order(processor)
    int16 = np.dtype(order + "i2")
    floats = _float_dtype(processor)
    size = len(raw)
    group_names: dict[int, str] = {}
    members: dict[int, dict[str, dict]] = {}
    position = end = start + 4
    section_end = max(start + raw[start + 2] * BLOCK, (data_start - 1) * BLOCK)  # the walk's limit, see above
    if section_end <= start + 4:  # neither declares where the section ends: follow the chain through the file
        section_end = size
    previous = "the section header"  # the entry whose offset led to ``position``, for messages
    decoded = 0  # bytes of parameter values decoded so far

    def corrupt(why: str) -> TrialError:
        return TrialError(path, STAGE, f"corrupt parameter section: {why}")

    while position + 2 <= size:
        name_length, group_id = struct.unpack_from("bb", raw, position)
        if name_length == 0 or group_id == 0:  # the end marker
            break
        name_end = position + 2 + abs(name_length)
        if name_end + 2 > size:
            raise corrupt(f"the entry at byte {position} runs past the end of the file")
        name_bytes = raw[position + 2 : name_end]
        if not _is_name(name_bytes):
            raise corrupt(f"the entry at byte {position} has no valid name ({name_bytes[:16]!r}): the offset of "
                          f"{previous} leads into data that is not a parameter")
        name = name_bytes.decode("ascii")  # as written, as ezc3d keeps it (Vicon writes PROCESSING:Bodymass)
        (offset,) = struct.unpack_from(order + "H", raw, name_end)
        body = name_end + 2
        if group_id < 0:
            if body + 1 > size:
                raise corrupt(f"group {name} at byte {position} runs past the end of the file")
            content_end = body + 1 + max(struct.unpack_from("b", raw, body)[0], 0)  # description length, text
            group_names[-group_id] = name
            previous = f"group {name}"
        else:
            if body + 2 > size:
                raise corrupt(f"parameter {name} at byte {position} runs past the end of the file")
            kind, n_dims = struct.unpack_from("bB", raw, body)
            data_start = body + 2 + n_dims
            if kind not in (CHAR, BYTE, INT, FLOAT):
                raise corrupt(f"parameter {name} at byte {position} has type {kind} (C3D types are -1 text, 1 byte, "
                              "2 integer, 4 float)")
            if n_dims > MAX_DIMENSIONS:
                raise corrupt(f"parameter {name} at byte {position} has {n_dims} dimensions (C3D allows "
                              f"{MAX_DIMENSIONS})")
            if data_start > size:
                raise corrupt(f"parameter {name} at byte {position} runs past the end of the file")
            dims = tuple(raw[body + 2 : data_start])
            count = math.prod(dims)  # 1 for a scalar (no dimensions)
            data_end = data_start + abs(kind) * count
            if data_end > size:
                raise corrupt(f"parameter {name} at byte {position} declares {count} values ({dims}), more than the "
                              f"{size - data_start} bytes left in the file")
            decoded += data_end - data_start
            texts = math.prod(dims[1:]) if kind == CHAR and len(dims) > 1 else 0
            if decoded > size or texts > max(MAX_EMPTY_TEXTS, data_end - data_start):
                # entries whose contents overlap (offsets shorter than their contents) could otherwise decode the
                # same bytes again and again, and a text of width 0 declares strings without bytes
                raise corrupt(f"parameter {name} at byte {position}: the parameters decode more than the file holds")
            if kind == CHAR:
                value = _text_values(raw[data_start:data_end], dims)
            else:
                dtype = {BYTE: np.dtype("i1"), INT: int16, FLOAT: floats}[kind]
                stored = np.frombuffer(raw, dtype, count=count, offset=data_start)
                numbers = _as_float32(stored, processor).astype(np.float64) if kind == FLOAT else stored.astype(int)
                value = numbers.reshape(dims or (1,), order="F")
            members.setdefault(group_id, {})[name] = {"type": kind, "value": value}
            description = struct.unpack_from("b", raw, data_end)[0] if data_end < size else 0
            content_end = data_end + 1 + max(description, 0)
            previous = f"parameter {group_names.get(group_id, f'of group {group_id}')}:{name}"
        # an entry extends to its content's end, or to the next entry where the offset says it ends sooner
        end = max(end, content_end if offset == 0 else min(content_end, name_end + offset))
        if offset == 0 or name_end + offset >= section_end:
            break
        position = name_end + offset
    parameters: dict[str, dict] = {}
    for group_id, group in members.items():
        if group_id in group_names:  # a parameter whose group is never declared has no name to be found by
            parameters.setdefault(group_names[group_id], {}).update(group)
    for name in group_names.values():
        parameters.setdefault(name, {})
    return _Section(parameters, min(end, size))


def parameter_first(parameters: dict, group: str, name: str):
    """First value of a numeric parameter, or None when it is absent or empty."""
    value = parameters.get(group, {}).get(name, {}).get("value")
    if value is None or isinstance(value, list) or np.size(value) == 0:
        return None
    return np.ravel(value)[0].item()


def parameter_numbers(parameters: dict, group: str, name: str) -> np.ndarray | None:
    """Every value of a numeric parameter, flattened in the file's (Fortran) order, or None when it is absent."""
    value = parameters.get(group, {}).get(name, {}).get("value")
    if value is None or isinstance(value, list):
        return None
    return np.ravel(value, order="F")


def _continued(parameters: dict, group: str, name: str) -> list:
    """NAME followed by NAME2, NAME3, ...: groups with more than 255 points or channels continue a parameter under
    numbered names (C3D user guide, "POINT:LABELS2")."""
    values, k = [], 2
    group_parameters = parameters.get(group, {})
    entry = group_parameters.get(name)
    while entry is not None:
        value = entry["value"]
        values += list(value) if isinstance(value, list) else list(np.ravel(value, order="F"))
        entry, k = group_parameters.get(f"{name}{k}"), k + 1
    return values


def _unsigned(value) -> int | None:
    """A 16-bit count or block number, None when the parameter holds none. INT parameters are signed, so values
    above 32767 wrap negative; some writers store counts as FLOAT."""
    if isinstance(value, int):
        return value & 0xFFFF
    if value is None or not 0 <= value <= 0xFFFF or value != int(value):  # NaN fails the range test
        return None
    return int(value)


# --------------------------------------------------------------------------------------------- layout
@dataclass(frozen=True)
class _Layout:
    """Where and how the frames are stored."""

    data_start: int  # block
    n_points: int
    channels: int
    analog_per_frame: int
    is_float: bool
    n_frames: int

    @property
    def word(self) -> int:
        return 4 if self.is_float else 2

    @property
    def frame_bytes(self) -> int:
        return (4 * self.n_points + self.channels * self.analog_per_frame) * self.word

    @property
    def data_offset(self) -> int:
        return (self.data_start - 1) * BLOCK

    def end(self) -> int:
        return self.data_offset + self.n_frames * self.frame_bytes


#: field of ``_Layout`` -> how the header and the parameters name it, for warnings
_FIELD_NAMES = {
    "data_start": ("the header's data start block", "POINT:DATA_START"),
    "n_points": ("the header's point count", "POINT:USED"),
    "channels": ("the header's analog channel count (word 3 / word 10)", "ANALOG:USED"),
    "analog_per_frame": ("the header's analog samples per frame", "ANALOG:RATE / POINT:RATE"),
    "is_float": ("the header's scale sign", "the sign of POINT:SCALE"),
    "n_frames": ("the header's frame count", "the parameters' frame count"),
}


def _frame_counts(header: _Header, parameters: dict) -> tuple[int | None, int | None, str]:
    """(header count or None when saturated, parameter count or None, the parameter it came from).

    POINT:FRAMES is a 16-bit INT (or a FLOAT) and speaks first while the header's count fits 16 bits; once the
    header saturates, so has an INT FRAMES, and the 32-bit counts speak: POINT:LONG_FRAMES (FLOAT) and
    TRIAL:ACTUAL_START_FIELD / ACTUAL_END_FIELD (two 16-bit words each, low first; C3D user guide, "TRIAL group").
    """
    header_count = None
    if header.last_frame < SATURATED_FRAME:
        # some writers count frames from 0, which ezc3d reads so too; a last frame before the first means none
        header_count = max(header.last_frame - max(header.first_frame, 1) + 1 + (header.first_frame == 0), 0)
    sources = [("POINT", "FRAMES"), ("POINT", "LONG_FRAMES"), ("TRIAL", "ACTUAL_END_FIELD")]
    if header_count is None:
        sources = sources[1:] + [sources[0]]
    for group, name in sources:
        values = parameter_numbers(parameters, group, name)
        if values is None or values.size == 0:
            continue
        if name == "ACTUAL_END_FIELD":
            start = parameter_numbers(parameters, "TRIAL", "ACTUAL_START_FIELD")
            if start is None or start.size < 2 or values.size < 2:
                continue
            last = (int(values[0]) & 0xFFFF) + ((int(values[1]) & 0xFFFF) << 16)
            first = (int(start[0]) & 0xFFFF) + ((int(start[1]) & 0xFFFF) << 16)
            count = last - first + 1
        elif parameters[group][name]["type"] == FLOAT:
            count = int(values[0]) if 0 < values[0] < 2**31 else -1  # NaN fails too
        elif header_count is None:
            continue  # a 16-bit FRAMES has wrapped with the header
        else:
            count = int(values[0]) & 0xFFFF
        if count > 0:
            return header_count, count, f"{group}:{name}"
    return header_count, None, ""


def _frames_in_data_block(raw: bytes, layout: _Layout) -> int:
    """Whole frames from the data start to the end of the file, less the frames of zeros that pad its last block."""
    frame_bytes, offset = layout.frame_bytes, layout.data_offset
    if frame_bytes <= 0 or offset >= len(raw):
        return 0
    n_frames = (len(raw) - offset) // frame_bytes
    while n_frames and offset + (n_frames - 1) * frame_bytes >= len(raw) - BLOCK:  # at most 511 bytes of padding
        last = raw[offset + (n_frames - 1) * frame_bytes : offset + n_frames * frame_bytes]
        if last.strip(b"\0"):
            break
        n_frames -= 1
    return n_frames


def _resolve_layout(header: _Header, parameters: dict, section_end: int, raw: bytes, rate_hz: float,
                    path: Path) -> tuple[_Layout, list[str]]:
    """The data layout, field by field from the header and the parameters; where they disagree, the reading whose
    data block fits the file's length (to within the 512-byte padding of the last block) wins."""
    size = len(raw)
    scale_param = parameter_first(parameters, "POINT", "SCALE")
    analog_rate = parameter_first(parameters, "ANALOG", "RATE")
    header_channels = header.analog_words // header.analog_per_frame if header.analog_per_frame else 0
    param_per_frame = None
    if analog_rate and rate_hz and np.isfinite(analog_rate) and analog_rate > 0:
        param_per_frame = int(round(analog_rate / rate_hz)) if np.isclose(analog_rate / rate_hz,
                                                                          round(analog_rate / rate_hz)) else None
    header_frames, param_frames, frames_source = _frame_counts(header, parameters)
    names = {**_FIELD_NAMES, "n_frames": (_FIELD_NAMES["n_frames"][0], frames_source)}
    used_channels = _unsigned(parameter_first(parameters, "ANALOG", "USED"))
    candidates = {
        "data_start": (header.data_start, _unsigned(parameter_first(parameters, "POINT", "DATA_START"))),
        "n_points": (header.n_points, _unsigned(parameter_first(parameters, "POINT", "USED"))),
        "channels": (header_channels, used_channels if header.analog_per_frame else None),
        "analog_per_frame": (header.analog_per_frame, param_per_frame if used_channels else None),
        "is_float": (header.scale < 0, None if scale_param is None else scale_param < 0),
        "n_frames": (header_frames, param_frames),
    }
    first_data_block = -(-section_end // BLOCK) + 1  # the first whole block after the last parameter
    usable = {}
    for name, (from_header, from_parameters) in candidates.items():
        usable[name] = [v for v in dict.fromkeys((from_header, from_parameters)) if v is not None]
    usable["data_start"] = [v for v in usable["data_start"] if v >= first_data_block and (v - 1) * BLOCK < size]
    if not usable["data_start"]:
        raise TrialError(path, STAGE, f"corrupt header: the data start block ({header.data_start}; "
                                      f"POINT:DATA_START {candidates['data_start'][1]}) lies inside the parameter "
                                      f"section (which ends in block {first_data_block - 1}) or outside the file")
    if not usable["n_frames"]:
        usable["n_frames"] = [None]  # saturated header and no parameter: the data block's length tells
    if not any(usable["n_points"]) and not any(usable["channels"]):
        raise TrialError(path, STAGE, "the file stores neither point nor analog data (no points in the header or "
                                      "POINT:USED)")
    readings = []
    for values in product(*usable.values()):
        layout = dict(zip(usable, values))
        if layout["n_frames"] is None:
            layout["n_frames"] = _frames_in_data_block(raw, _Layout(**{**layout, "n_frames": 0}))
        readings.append(_Layout(**layout))
    fitting = [r for r in readings if r.end() <= size and r.frame_bytes > 0]
    exact = [r for r in fitting if size - r.end() < BLOCK]
    preferred = readings[0]  # every field as the header has it (where the header has it)
    if preferred in exact or (preferred in fitting and not exact):
        chosen = preferred
    elif len(exact) == 1:
        chosen = exact[0]
    elif len(fitting) == 1:
        chosen = fitting[0]
    elif not fitting:
        need = preferred.end()
        raise TrialError(path, STAGE, f"the file is truncated: its {preferred.n_frames} frames need {need} bytes, the "
                                      f"file has {size}")
    else:
        disagreeing = [n for n in usable if len(usable[n]) > 1]
        raise TrialError(path, STAGE, "the header and the parameters disagree on "
                                      + ", ".join(f"{names[n][1]} ({candidates[n][1]}) vs {names[n][0]} "
                                                  f"({candidates[n][0]})" for n in disagreeing)
                                      + " and the file's length fits more than one reading")
    warnings = []
    for name, (from_header, from_parameters) in candidates.items():
        used = getattr(chosen, name)
        if name == "data_start" and from_parameters not in usable[name] and from_parameters is not None:
            warnings.append(f"POINT:DATA_START is {from_parameters}, not a block after the parameter section; the "
                            f"header's data start block {used} was used")
        elif from_parameters is not None and from_header is not None and from_parameters != from_header:
            trusted = names[name][0] if used == from_header else names[name][1]
            warnings.append(f"{names[name][1]} ({from_parameters}) disagrees with {names[name][0]} ({from_header}); "
                            f"{trusted} was used, the reading whose data block fits the file's {size} bytes")
    if header_frames is None and param_frames is None:
        warnings.append(f"the header's last frame is {header.last_frame} (16-bit, saturated) and no parameter gives "
                        f"the frame count: {chosen.n_frames} frames taken from the data block's length")
    elif header_frames is None:
        warnings_source = frames_source or "the data block's length"
        warnings.append(f"the header's last frame is saturated at {SATURATED_FRAME}; {chosen.n_frames} frames taken "
                        f"from {warnings_source}")
    if chosen.n_frames <= 0:
        raise TrialError(path, STAGE, f"the file holds 0 frames of point data (header frames {header.first_frame} to "
                                      f"{header.last_frame})")
    return chosen, warnings


def _rate(header: _Header, parameters: dict, path: Path) -> tuple[float, list[str]]:
    """The point frame rate: the header's, which must be a motion-capture rate, unless POINT:RATE differs and
    the analog rate (ANALOG:RATE = samples per frame x point rate) confirms POINT:RATE."""
    rate = header.rate_hz
    if not MIN_RATE_HZ <= rate <= MAX_RATE_HZ:  # NaN fails too
        raise TrialError(path, STAGE, f"the header's frame rate is {rate:g} Hz, outside {MIN_RATE_HZ:g}-"
                                      f"{MAX_RATE_HZ:,.0f} Hz: the header is corrupt")
    stated = parameter_first(parameters, "POINT", "RATE")
    if stated is None or np.isclose(stated, rate, rtol=1e-6, atol=0):
        return rate, []
    if not MIN_RATE_HZ <= stated <= MAX_RATE_HZ:
        return rate, [f"POINT:RATE is {stated:g} Hz; the header's {rate:g} Hz was used"]
    analog_rate = parameter_first(parameters, "ANALOG", "RATE")
    if analog_rate and header.analog_per_frame and np.isclose(analog_rate, header.analog_per_frame * rate):
        return rate, [f"POINT:RATE ({stated:g} Hz) disagrees with the header's frame rate ({rate:g} Hz); the header's "
                      f"was used: ANALOG:RATE {analog_rate:g} Hz = {header.analog_per_frame} samples per frame x "
                      f"{rate:g} Hz"]
    return stated, [f"POINT:RATE ({stated:g} Hz) disagrees with the header's frame rate ({rate:g} Hz); POINT:RATE "
                    "was used"]


# --------------------------------------------------------------------------------------------- decoding
def decode(raw: bytes, path: str | Path = "<bytes>") -> C3D:
    """Decode the bytes of a C3D file, or raise ``TrialError`` (stage ``ingest``) with the reason.

    Parameters
    ----------
    raw : the whole file
    path : named in errors

    Returns
    -------
    C3D
        Points, residuals and analog data in the file's units, the parameters, and a warning per decision taken
        where the file contradicted itself.
    """
    path = Path(path)
    if len(raw) == 0:
        raise TrialError(path, STAGE, "the file is empty (0 bytes)")
    if len(raw) < BLOCK or raw[1] != 0x50:
        raise TrialError(path, STAGE, "not a C3D file (no C3D header key 0x50 in byte 2)")
    section_start = (raw[0] - 1) * BLOCK
    if raw[0] < 2 or section_start + 4 > len(raw):
        raise TrialError(path, STAGE, f"corrupt header: parameter section block {raw[0]} lies outside the file")
    processor = raw[section_start + 3]
    if processor not in PROCESSOR_NAMES:
        raise TrialError(path, STAGE, f"corrupt parameter section: unknown processor type {processor} (C3D knows 84 "
                                      "Intel, 85 DEC, 86 SGI/MIPS)")
    header = _header(raw, processor)
    section = _parameter_section(raw, section_start, processor, path, header.data_start)
    parameters = section.parameters
    rate, warnings = _rate(header, parameters, path)
    layout, layout_warnings = _resolve_layout(header, parameters, section.end, raw, rate, path)
    warnings += layout_warnings
    scale = _point_scale(header, parameters, layout, warnings, path)
    frames = _frames(raw, layout, processor)
    points, invalid, residual_words = _points(frames["points"], layout, processor, scale)
    analogs, analog_rate, analog_problem = _analogs(frames, layout, parameters, processor, rate)
    if analog_problem:
        warnings.append(f"analog data not read: {analog_problem}")
    warnings += _analog_scaling_warnings(parameters, analogs.shape[1])
    labels = [str(label) for label in _continued(parameters, "POINT", "LABELS")][: layout.n_points]
    labels += [f"unlabelled{i}" for i in range(len(labels), layout.n_points)]
    analog_labels = [str(label) for label in _continued(parameters, "ANALOG", "LABELS")][: analogs.shape[1]]
    analog_labels += [f"channel{i + 1}" for i in range(len(analog_labels), analogs.shape[1])]
    return C3D(
        processor=PROCESSOR_NAMES[processor], parameters=parameters, rate_hz=rate,
        first_frame=max(header.first_frame, 1), is_float=layout.is_float, scale=scale, point_labels=labels,
        points=points, invalid=invalid, residual_words=residual_words, analog_rate_hz=analog_rate,
        analog_labels=analog_labels, analogs=analogs, warnings=warnings, analog_problem=analog_problem,
    )


def _point_scale(header: _Header, parameters: dict, layout: _Layout, warnings: list[str], path: Path) -> float:
    """POINT:SCALE (else the header's scale), with the sign of the storage that was decided."""
    stated = parameter_first(parameters, "POINT", "SCALE")
    scale = header.scale if stated is None or not np.isfinite(stated) else float(stated)
    if not layout.is_float and not (np.isfinite(scale) and scale != 0):
        raise TrialError(path, STAGE, f"integer point data with POINT:SCALE {scale:g}: coordinates cannot be scaled")
    if stated is not None and not layout.is_float and not np.isclose(abs(stated), abs(header.scale), rtol=1e-6):
        warnings.append(f"POINT:SCALE ({stated:g}) differs from the header's scale ({header.scale:g}); POINT:SCALE "
                        "was used")
    return abs(scale) if not layout.is_float else -abs(scale)


def _frames(raw: bytes, layout: _Layout, processor: int) -> np.ndarray:
    """The data block as one structured array over frames: each frame is the points' 4 words then the analog
    samples, sample by sample, channel within sample (C3D user guide, "The 3D point and analog data section")."""
    order = _order(processor)
    word = _float_dtype(processor) if layout.is_float else np.dtype(order + "i2")
    frame = np.dtype([
        ("points", word, (layout.n_points, 4)),
        ("analog", word if layout.is_float else np.dtype(order + "u2"), (layout.analog_per_frame, layout.channels)),
    ])
    return np.frombuffer(raw, frame, count=layout.n_frames, offset=layout.data_offset)


def _points(stored: np.ndarray, layout: _Layout, processor: int,
            scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates (NaN where invalid), the invalid mask, and the 4th words as stored.

    A negative 4th word marks an invalid sample (C3D user guide, "The 3D point data"); in float files that is
    the float's sign bit, which ezc3d reads too (so -0.0 and negative NaN are invalid)."""
    if layout.is_float:
        xyz = _as_float32(stored[..., :3], processor).astype(np.float64)
        fourth = _as_float32(stored[..., 3], processor)
        invalid = np.signbit(fourth)
    else:
        xyz = stored[..., :3].astype(np.float64)
        xyz *= scale
        fourth = stored[..., 3]
        invalid = fourth < 0
    xyz[invalid] = np.nan
    return xyz, invalid, fourth


def _analog_format_unsigned(parameters: dict) -> bool:
    value = parameters.get("ANALOG", {}).get("FORMAT", {}).get("value", [])
    return bool(value) and isinstance(value, list) and str(value[0]).strip().upper() == "UNSIGNED"


def _analogs(frames: np.ndarray, layout: _Layout, parameters: dict, processor: int,
             rate_hz: float) -> tuple[np.ndarray, float, str]:
    """Analog samples ``(stored - OFFSET) * SCALE * GEN_SCALE`` per channel (C3D user guide, "ANALOG group"),
    their rate, and why they were not read ("" when they were).

    Integer samples are signed unless ANALOG:FORMAT is UNSIGNED. An ANALOG:RATE that contradicts the stored
    samples per frame leaves the analog time base unknown: the analog data are then not read, since force-plate
    events on a wrong clock would be wrong without a sign."""
    channels = layout.channels
    if channels == 0 or layout.analog_per_frame == 0:
        return np.zeros((layout.n_frames * layout.analog_per_frame, 0)), 0.0, ""
    stated_rate = parameter_first(parameters, "ANALOG", "RATE")
    analog_rate = layout.analog_per_frame * rate_hz
    if stated_rate and not np.isclose(stated_rate, analog_rate, rtol=1e-4):
        return np.zeros((0, 0)), 0.0, (
            f"the header stores {layout.analog_per_frame} analog samples per frame but ANALOG:RATE / POINT:RATE = "
            f"{stated_rate:g} / {rate_hz:g} = {stated_rate / rate_hz:.2f}, so the analog clock is unknown")
    stored = frames["analog"].reshape(-1, channels)
    unsigned = _analog_format_unsigned(parameters)
    if layout.is_float:
        samples = _as_float32(stored, processor).astype(np.float64)
    else:  # stored as unsigned 16-bit words; signed unless ANALOG:FORMAT says UNSIGNED
        samples = (stored if unsigned else stored.view(stored.dtype.str.replace("u", "i"))).astype(np.float64)
    offsets = _per_channel(parameters, "OFFSET", channels, default=0.0)
    if unsigned and parameters["ANALOG"].get("OFFSET", {}).get("type") == INT:
        offsets = np.where(offsets < 0, offsets + 65536, offsets)  # offsets of unsigned data are unsigned too
    general = parameter_first(parameters, "ANALOG", "GEN_SCALE")
    general = 1.0 if general is None or not np.isfinite(general) else float(general)
    return (samples - offsets) * _per_channel(parameters, "SCALE", channels, default=1.0) * general, analog_rate, ""


def _per_channel(parameters: dict, name: str, channels: int, *, default: float) -> np.ndarray:
    """ANALOG:SCALE or OFFSET (with SCALE2, ... beyond 255 channels) for each channel; ``default`` where the
    parameter has fewer values than channels (BTS files store none)."""
    stated = np.asarray(_continued(parameters, "ANALOG", name), dtype=np.float64)[:channels]
    return np.concatenate([stated, np.full(channels - stated.size, default)])


def _analog_scaling_warnings(parameters: dict, channels: int) -> list[str]:
    short = {name: len(_continued(parameters, "ANALOG", name)) for name in ("SCALE", "OFFSET")}
    return [f"ANALOG:{name} has {count} values for {channels} channels; the rest were taken as "
            f"{'1' if name == 'SCALE' else '0'}" for name, count in short.items() if count < channels]
