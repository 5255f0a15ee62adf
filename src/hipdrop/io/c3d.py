"""C3D files in and out. The only module that touches ezc3d.

``read_c3d`` returns the canonical trial (architecture.md section 2):

- ``markers[time, marker, axis]`` in mm, in a right-handed Z-up lab frame, NaN for every missing sample (stored
  NaN, a negative residual, or an exact (0, 0, 0), which some systems write for a gap);
- ``forces[analog_time, plate, component]`` (N, N mm, mm) in the same frame, when the file has force plates;
- the foot events of the EVENT group as ``event_*`` variables over dim ``event`` (see ``events_table``);
- attrs: ``rate_hz``, ``first_frame`` (1-based C3D frame of the first sample), ``source_path``,
  ``source_sha256``, ``original_units``, ``vertical_axis``, ``lab_to_canonical`` (3x3 rotation, row-major),
  ``marker_map`` (JSON), ``qc_warnings`` (JSON list).

Times are capture-relative seconds, ``time = (index + first_frame) / rate``, the same clock as C3D event times.
"""

from __future__ import annotations

import faulthandler
import hashlib
import json
import os
import pickle
import resource
import select
import signal
import struct
import time
import warnings
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path

import ezc3d
import numpy as np
import pandas as pd
import xarray as xr

from hipdrop.errors import TrialError
from hipdrop.io.c3d_events import EVENT_COLUMNS, parse_event_group
from hipdrop.io.markersets import map_labels
from hipdrop.vocab import AXES, AXIS, LENGTH_UNIT, MARKER, TIME

STAGE = "ingest"
FORCE_COMPONENTS = ("fx", "fy", "fz", "mx", "my", "mz", "copx", "copy", "copz")
_UNIT_TO_MM = {"mm": 1.0, "m": 1000.0, "cm": 10.0}
# Processor types in byte 4 of the parameter section header (C3D user guide, "The parameter section")
_INTEL, _DEC, _MIPS = 84, 85, 86


# --------------------------------------------------------------------------------------------- reading
def read_c3d(path: str | Path, *, vertical_axis: str = "auto", markersets: tuple[str, ...] = ()) -> xr.Dataset:
    """Read one C3D file into the canonical trial, or raise ``TrialError`` with stage ``ingest``.

    Parameters
    ----------
    path : the C3D file
    vertical_axis : ``"auto"`` (from the data), or one of ``+x -x +y -y +z -z`` to force the lab's up axis
    markersets : extra marker-set YAML files tried before the built-in ones
    """
    path = Path(path)
    raw = _checked_bytes(path)
    header = _precheck(path, raw)
    c3d, warnings_ = _parse(path, with_forces=header["may_have_forces"])
    _check_consistency(path, header, c3d)
    trial = _to_trial(path, raw, c3d, vertical_axis=vertical_axis, markersets=tuple(markersets))
    if warnings_:
        trial.attrs["qc_warnings"] = json.dumps(warnings_ + json.loads(trial.attrs["qc_warnings"]))
    return trial


def _checked_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        # the quarantine's reason for a trial sheet row whose file is absent (a typo in the sheet, a file moved)
        raise TrialError(path, STAGE, "file not found") from None
    except OSError as err:
        raise TrialError(path, STAGE, f"cannot open the file ({err.strerror})") from None
    if len(raw) == 0:
        raise TrialError(path, STAGE, "the file is empty (0 bytes)")
    return raw


def _precheck(path: Path, raw: bytes) -> dict:
    """Check the 512-byte header and parameter-section header before ezc3d sees the file."""
    if len(raw) < 512 or raw[1] != 0x50:
        raise TrialError(path, STAGE, "not a C3D file (no C3D header key 0x50 in byte 2)")
    param_start = (raw[0] - 1) * 512
    if raw[0] < 2 or param_start + 4 > len(raw):
        raise TrialError(path, STAGE, f"corrupt header: parameter section block {raw[0]} lies outside the file")
    processor = raw[param_start + 3]
    if processor == _MIPS:
        raise TrialError(path, STAGE, "SGI/MIPS (big-endian) C3D, which ezc3d cannot read; re-export it in Intel (PC) format")
    if processor not in (_INTEL, _DEC):
        raise TrialError(path, STAGE, f"corrupt parameter section: unknown processor type {processor}")
    # header words 2-5, 9 and 10 (1-based, 16-bit little-endian on Intel and DEC alike)
    n_points, n_analog_words, first, last = struct.unpack_from("<4H", raw, 2)
    data_start, analog_per_frame = struct.unpack_from("<2H", raw, 16)
    header = {
        "n_points": n_points, "n_analog_words": n_analog_words, "first_frame": first, "last_frame": last,
        "data_start": data_start, "analog_per_frame": analog_per_frame,
        "may_have_forces": b"FORCE_PLATFORM" in raw[param_start : param_start + 65536],
    }
    _check_data_block(path, raw, header, processor)
    return header


def _check_data_block(path: Path, raw: bytes, header: dict, processor: int) -> None:
    """A data block that cannot fit in the file: the file was cut short (a copy or an export that stopped)."""
    if processor != _INTEL or header["last_frame"] >= 65535 or header["data_start"] < 2:
        return  # DEC floats and saturated frame counts need the parameters; ezc3d and the later checks see to them
    (scale,) = struct.unpack_from("<f", raw, 12)
    word = 4 if scale < 0 else 2  # a negative POINT scale means float storage (C3D user guide)
    frames = header["last_frame"] - header["first_frame"] + 1
    needed = (header["data_start"] - 1) * 512 + frames * (4 * header["n_points"] + header["n_analog_words"]) * word
    if frames > 0 and needed > len(raw):
        raise TrialError(path, STAGE, f"the file is truncated: its {frames} frames need {needed} bytes, the file has "
                                      f"{len(raw)}")


#: memory (address space) an ezc3d parse may take beyond what the process already holds: C3D files are tens of
#: MB, but ezc3d 1.7.2 allocates 12.6 GB on c3d.org bad_parameter_section.c3d and BKINtechnologies.c3d before it
#: gives up, enough for the kernel's OOM killer to take the process or a parallel neighbour
PARSE_MEMORY_BYTES = 2 * 1024**3


def _address_space_in_use() -> int:
    """Bytes of virtual memory this process maps now."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


@contextmanager
def _memory_cap():
    """Cap the address space for the duration of a parse, so that a runaway allocation fails as bad_alloc.

    The limit is process-wide: under a threaded scheduler another thread's allocation could fail meanwhile (its
    trial then fails with a reason); the default local scheduler runs trials in single-threaded processes."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _address_space_in_use() + PARSE_MEMORY_BYTES
    if soft != resource.RLIM_INFINITY:
        cap = min(cap, soft)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _ezc3d(path: Path, **options):
    with _memory_cap():
        return ezc3d.c3d(str(path), **options)


def _parse(path: Path, *, with_forces: bool):
    """The ezc3d parse (or its plain-dict copy from an isolated child) and warnings about how it was obtained."""
    try:
        return _ezc3d(path, extract_forceplat_data=with_forces), []
    except Exception as err:  # ezc3d raises RuntimeError, ValueError, OSError or MemoryError for different faults
        first = _one_line(err)
    if "bad_alloc" in first or first == "MemoryError":
        raise TrialError(path, STAGE, f"ezc3d needed more than {PARSE_MEMORY_BYTES / 1024**3:.0f} GB to read this "
                                      f"{path.stat().st_size / 1e6:.1f} MB file: its parameters or data section are corrupt")
    if "ignoreBadFormatting" in first:
        return _parse_isolated(path, with_forces=with_forces), [
            "non-standard C3D, read with ezc3d's ignore_bad_formatting; check it against the capture software"]
    if with_forces:  # the force-plate extraction is the fragile part; keep the markers if it alone fails
        try:
            return _ezc3d(path), [f"force plates not read: {first}"]
        except Exception as err:
            first = _one_line(err)
    raise TrialError(path, STAGE, f"ezc3d cannot parse the file: {first}")


def _plain(value):
    """ezc3d's mapping wrappers as plain dicts, so that a parse can travel between processes."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


#: a hung parse of a non-standard file fails its trial after this long (ezc3d's slowest in the corpus: 10 s)
ISOLATED_PARSE_TIMEOUT_S = 120.0


def _parse_isolated(path: Path, *, with_forces: bool) -> dict:
    """Parse a non-standard file with ``ignore_bad_formatting`` in a forked child process.

    ezc3d reads some non-standard files only this way, and on others (c3d.org bad_parameter_section.c3d) it
    kills the whole process with a segmentation fault. The child sends back the parse or its error through a
    pipe; if it dies, this trial fails with the signal as its reason and the calling process goes on.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns
        os.close(read_end)
        faulthandler.disable()  # the parent reports a crash; a traceback dump from here would only be noise
        try:
            c3d = _ezc3d(path, ignore_bad_formatting=True, extract_forceplat_data=with_forces)
            payload = ("ok", {k: _plain(c3d[k]) for k in ("header", "parameters", "data")})
        except BaseException as err:  # noqa: BLE001 - everything must reach the parent
            payload = ("error", _one_line(err))
        with os.fdopen(write_end, "wb") as pipe:
            pickle.dump(payload, pipe, protocol=pickle.HIGHEST_PROTOCOL)
        os._exit(0)
    os.close(write_end)
    chunks, deadline = [], time.monotonic() + ISOLATED_PARSE_TIMEOUT_S
    with os.fdopen(read_end, "rb") as pipe:
        while True:
            ready, _, _ = select.select([pipe], [], [], max(deadline - time.monotonic(), 0))
            if not ready:  # ezc3d hangs on some garbage: the trial fails, the job goes on
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise TrialError(path, STAGE, f"non-standard C3D: ezc3d did not finish reading it with "
                                              f"ignore_bad_formatting within {ISOLATED_PARSE_TIMEOUT_S:.0f} s")
            chunk = pipe.read1(1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    raw = b"".join(chunks)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        raise TrialError(path, STAGE, f"non-standard C3D: ezc3d crashed ({name}) trying to read it with "
                                      "ignore_bad_formatting; re-export the file from the capture software")
    kind, value = pickle.loads(raw) if raw else ("error", f"the parser exited with status {os.WEXITSTATUS(status)}")
    if kind == "error":
        raise TrialError(path, STAGE, f"non-standard C3D that ezc3d cannot parse even with ignore_bad_formatting: {value}")
    return value


def _one_line(err: Exception) -> str:
    return " ".join(str(err).split()) or type(err).__name__


def _labels(parameters: dict) -> list[str]:
    """POINT:LABELS followed by LABELS2, LABELS3, ... (files with more than 255 points)."""
    point = parameters["POINT"]
    labels = list(point.get("LABELS", {}).get("value", []))
    k = 2
    while f"LABELS{k}" in point:
        labels += list(point[f"LABELS{k}"]["value"])
        k += 1
    return [str(label) for label in labels]


def _to_trial(path: Path, raw: bytes, c3d, *, vertical_axis: str, markersets: tuple[str, ...]) -> xr.Dataset:
    parameters, header = c3d["parameters"], c3d["header"]
    points = c3d["data"]["points"]
    rate = float(header["points"]["frame_rate"])
    n_frames = points.shape[2]

    labels = _labels(parameters)
    if len(labels) < points.shape[1]:
        labels += [f"unlabelled{i}" for i in range(len(labels), points.shape[1])]
    names, mapping, warnings = map_labels(labels[: points.shape[1]], markersets)

    xyz = np.transpose(points[:3], (2, 1, 0)).astype(np.float64)  # -> [time, marker, axis]
    residuals = c3d["data"]["meta_points"]["residuals"][0].T
    missing = (residuals < 0) | np.all(xyz == 0.0, axis=2) | np.isnan(xyz).any(axis=2)
    xyz[missing] = np.nan

    units = _point_text(parameters, "UNITS")
    scale = _UNIT_TO_MM.get(units)
    if scale is None:
        scale = _guess_scale(xyz, names)
        warnings.append(f"POINT:UNITS is {units!r}; the marker heights say {'m' if scale == 1000 else 'mm'}")
    if scale != 1.0:
        xyz *= scale

    up = vertical_axis if vertical_axis != "auto" else _detect_up(xyz, names, parameters)
    rotation = _rotation_to_z_up(up)
    if up != "+z":
        xyz = xyz @ rotation.T

    first_frame = int(header["points"]["first_frame"]) + 1  # ezc3d reports it 0-based
    time = (np.arange(n_frames) + first_frame) / rate
    events, event_warnings = parse_event_group(parameters, rate_hz=rate, first_frame=first_frame, n_frames=n_frames)
    trial = xr.Dataset(
        {"markers": ((TIME, MARKER, AXIS), xyz, {"units": LENGTH_UNIT}), **events_to_dataset(events).data_vars},
        coords={TIME: (TIME, time, {"units": "s"}), MARKER: names, AXIS: list(AXES)},
    )
    forces = _forces(c3d, rotation)
    if forces is not None:
        trial["forces"] = forces
    trial.attrs.update(
        rate_hz=rate,
        first_frame=first_frame,
        source_path=str(path),
        source_sha256=hashlib.sha256(raw).hexdigest(),
        original_units=units,
        vertical_axis=up,
        lab_to_canonical=rotation.ravel().tolist(),
        marker_map=json.dumps(mapping),
        qc_warnings=json.dumps(warnings + event_warnings),
    )
    return trial


#: typical marker speed (median over markers and frames, m/s) that no human movement reaches; misaligned frames
#: (c3d.org BTS dynamic.C3D as ezc3d 1.7.2 reads it) show ~160 m/s
IMPOSSIBLE_SPEED_M_S = 20.0


def _check_consistency(path: Path, header: dict, c3d) -> None:
    """Refuse a read that disagrees with the file's own header and parameters: ezc3d 1.7.2 misreads some files
    without raising (../shared/data/c3d/MANIFEST.tsv)."""
    parameters = c3d["parameters"]
    points = c3d["data"]["points"]
    n_frames = points.shape[2]
    if n_frames == 0:
        frames = header["last_frame"] - header["first_frame"] + 1
        raise TrialError(path, STAGE, f"ezc3d read 0 frames of point data but the header announces {frames}")
    rate = float(c3d["header"]["points"]["frame_rate"])
    if not rate > 0:
        raise TrialError(path, STAGE, f"POINT:RATE is {rate}, not a positive frame rate")
    header_frames = header["last_frame"] - header["first_frame"] + 1
    if header_frames != n_frames and header["last_frame"] < 65535:  # the 16-bit header count saturates in long trials
        raise TrialError(path, STAGE, f"header frame count {header_frames} disagrees with the {n_frames} frames read")
    param_start = int(np.ravel(parameters["POINT"].get("DATA_START", {}).get("value", [header["data_start"]]))[0])
    if param_start != header["data_start"]:
        raise TrialError(path, STAGE, f"POINT:DATA_START ({param_start}) disagrees with the header's data start block "
                                      f"({header['data_start']}): the frames would be read from the wrong place")
    channels = int(np.ravel(parameters.get("ANALOG", {}).get("USED", {}).get("value", [0]))[0])
    analog_rate = float(np.ravel(parameters.get("ANALOG", {}).get("RATE", {}).get("value", [0.0]))[0] or 0.0)
    if channels > 0 and analog_rate > 0 and not np.isclose(analog_rate / rate, header["analog_per_frame"]):
        raise TrialError(path, STAGE, f"the header stores {header['analog_per_frame']} analog samples per frame but "
                                      f"ANALOG:RATE / POINT:RATE = {analog_rate:g} / {rate:g} = {analog_rate / rate:.2f}: "
                                      "frames and analog data cannot both be read right")
    # misread frames are misread throughout, so 256 frame pairs spread over the trial are evidence enough
    starts = np.unique(np.linspace(0, n_frames - 2, num=min(256, max(n_frames - 1, 0))).astype(int))
    xyz = np.stack([points[:3][:, :, starts], points[:3][:, :, starts + 1]], axis=-1) if n_frames > 2 else None
    if xyz is not None:
        with np.errstate(invalid="ignore"):
            usable = xyz.copy()
            usable[:, np.all(xyz == 0, axis=0)] = np.nan  # zero-coded gaps are not motion
            step = np.sqrt((np.diff(usable, axis=-1) ** 2).sum(0))  # [marker, frame pair] in file units
        if np.isfinite(step).any():
            to_m = _UNIT_TO_MM.get(_point_text(parameters, "UNITS"), 1.0) / 1000.0
            speed = float(np.nanmedian(step)) * rate * to_m
            if speed > IMPOSSIBLE_SPEED_M_S:
                raise TrialError(path, STAGE, f"markers move a typical {speed:.0f} m/s between frames, which no body "
                                              "reaches: the frames are misread (misaligned or corrupt data block)")


def _point_text(parameters: dict, name: str) -> str:
    """First value of a POINT text parameter (UNITS, Y_SCREEN), lower case; "" when absent."""
    return str(next(iter(parameters["POINT"].get(name, {}).get("value", [""])), "")).strip().lower()


def _guess_scale(xyz: np.ndarray, names: list[str]) -> float:
    """mm per file unit when POINT:UNITS is empty: a lab spans metres, so typical |coordinates| < 10 mean metres."""
    typical = np.nanmedian(np.abs(xyz)) if np.isfinite(xyz).any() else 1000.0
    return 1000.0 if typical < 10.0 else 1.0


def _detect_up(xyz: np.ndarray, names: list[str], parameters: dict) -> str:
    """The lab's up axis: pelvis above feet when both are labelled; else POINT:Y_SCREEN (the capture system's own
    screen-up axis); else the axis along which the markers' median positions spread the most (a body is taller
    than it is wide or deep), signed so that most markers lie above the floor; else +z."""
    index = {n: i for i, n in enumerate(names)}
    upper = [index[n] for n in ("LASI", "RASI", "LPSI", "RPSI", "SACR", "C7", "LSHO", "RSHO") if n in index]
    lower = [index[n] for n in ("LHEE", "RHEE", "LTOE", "RTOE", "LMT1", "RMT1", "LANK", "RANK") if n in index]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN markers
        every = max(1, len(xyz) // 500)  # the up axis needs no more than ~500 frames
        xyz = xyz[::every]
        if upper and lower:
            rise = np.nanmean(xyz[:, upper], axis=(0, 1)) - np.nanmean(xyz[:, lower], axis=(0, 1))
            if np.isfinite(rise).all():
                k = int(np.argmax(np.abs(rise)))
                return ("+" if rise[k] > 0 else "-") + AXES[k]
        screen = _point_text(parameters, "Y_SCREEN")
        if screen in {"+x", "-x", "+y", "-y", "+z", "-z"}:
            return screen
        medians = np.nanmedian(xyz, axis=0)  # [marker, axis]
        medians = medians[np.isfinite(medians).all(1)]
        if len(medians) >= 5:
            spread = np.percentile(medians, 95, axis=0) - np.percentile(medians, 5, axis=0)
            k = int(np.argmax(spread))
            if spread[k] > 1.5 * np.sort(spread)[-2]:  # only when one axis clearly dominates
                return ("+" if np.median(medians[:, k]) > 0 else "-") + AXES[k]
    return "+z"


def _rotation_to_z_up(up: str) -> np.ndarray:
    """Proper rotation taking the lab's ``up`` axis to +Z; canonical = rotation @ original."""
    cyclic = {"+z": (0, 1, 2), "+x": (1, 2, 0), "+y": (2, 0, 1)}  # new (x, y, z) = old axes in this order
    axis = up.lower().lstrip("+-")
    order = cyclic["+" + axis]
    rotation = np.zeros((3, 3))
    rotation[[0, 1, 2], order] = 1.0
    if up.startswith("-"):  # turn upside down about the new x axis
        rotation = np.diag([1.0, -1.0, -1.0]) @ rotation
    return rotation


def _forces(c3d, rotation: np.ndarray) -> xr.DataArray | None:
    platforms = c3d["data"].get("platform", [])
    if not platforms:
        return None
    analog_rate = float(c3d["header"]["analogs"]["frame_rate"])
    stacked = []
    for plate in platforms:
        scale_position = _UNIT_TO_MM.get(str(plate.get("unit_position", "mm")).lower(), 1.0)
        force = rotation @ np.asarray(plate["force"], dtype=float)
        moment = rotation @ np.asarray(plate["moment"], dtype=float)
        with np.errstate(invalid="ignore"):  # COP is NaN while nobody stands on the plate
            cop = rotation @ (np.asarray(plate["center_of_pressure"], dtype=float) * scale_position)
        stacked.append(np.concatenate([force, moment, cop]).T)
    data = np.stack(stacked, axis=1)  # [analog_time, plate, component]
    first_frame = int(c3d["header"]["points"]["first_frame"]) + 1
    analog_time = first_frame / float(c3d["header"]["points"]["frame_rate"]) + np.arange(data.shape[0]) / analog_rate
    return xr.DataArray(
        data,
        dims=("analog_time", "plate", "component"),
        coords={"analog_time": analog_time, "plate": np.arange(1, data.shape[1] + 1), "component": list(FORCE_COMPONENTS)},
        attrs={"units": "N (f*), N mm (m*), mm (cop*)", "rate_hz": analog_rate, "note": "force exerted by the subject on the plate, canonical frame"},
    )


# --------------------------------------------------------------------------------------------- events
def events_to_dataset(table: pd.DataFrame) -> xr.Dataset:
    """An events table (columns ``EVENT_COLUMNS``) as ``event_*`` variables over dim ``event``."""
    return xr.Dataset({f"event_{c}": xr.Variable("event", table[c].to_numpy()) for c in EVENT_COLUMNS})


def events_table(trial: xr.Dataset) -> pd.DataFrame:
    """The foot events stored in a trial, one row per event (columns side, event, frame, time_s, source)."""
    if "event_side" not in trial:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(EVENT_COLUMNS, (str, str, "int64", float, str))})
    return pd.DataFrame({c: trial[f"event_{c}"].to_numpy() for c in EVENT_COLUMNS})


# --------------------------------------------------------------------------------------------- writing
def write_c3d(
    path: str | Path,
    markers: np.ndarray,
    labels: list[str],
    *,
    rate_hz: float,
    events: pd.DataFrame | None = None,
    analogs: np.ndarray | None = None,
    analog_labels: list[str] | None = None,
    analog_rate_hz: float | None = None,
    force_plate: dict | None = None,
    first_frame: int = 1,
) -> None:
    """Write markers ``[time, marker, axis]`` (mm, NaN = gap) as a C3D file, with Vicon-style events.

    ``events`` has columns side (L/R), event (foot_strike/foot_off) and time_s (capture-relative seconds: the
    first stored frame, ``first_frame`` (1-based), lies at ``(first_frame - 1) / rate_hz``). ``force_plate`` holds TYPE-2 parameters (``corners`` 3x4 mm, ``origin`` 3 mm) for the six analog
    channels Fx Fy Fz Mx My Mz, which carry the force the subject exerts on the plate in the plate frame.
    """
    c3d = ezc3d.c3d()
    n_frames, n_markers, _ = markers.shape
    c3d["header"]["points"]["first_frame"] = first_frame - 1  # ezc3d counts from 0
    c3d["parameters"]["POINT"]["RATE"]["value"] = [float(rate_hz)]
    c3d["parameters"]["POINT"]["LABELS"]["value"] = tuple(labels)
    c3d["parameters"]["POINT"]["UNITS"]["value"] = ["mm"]
    points = np.ones((4, n_markers, n_frames))
    points[:3] = np.transpose(markers, (2, 1, 0))
    c3d["data"]["points"] = points
    residuals = np.where(np.isnan(markers).any(axis=2).T, -1.0, 0.0)[np.newaxis]
    c3d["data"]["meta_points"]["residuals"] = residuals
    c3d["data"]["meta_points"]["camera_masks"] = np.zeros((7, n_markers, n_frames), dtype=bool)
    if analogs is not None:
        c3d["parameters"]["ANALOG"]["RATE"]["value"] = [float(analog_rate_hz)]
        c3d["parameters"]["ANALOG"]["LABELS"]["value"] = tuple(analog_labels)
        c3d["parameters"]["ANALOG"]["UNITS"]["value"] = tuple("N" if a.startswith("F") else "Nmm" for a in analog_labels)
        c3d["data"]["analogs"] = analogs.T[np.newaxis]  # [1, channel, analog frame]
    if force_plate is not None:
        _add_int_parameter(c3d, "FORCE_PLATFORM", "USED", [1], [1])
        _add_int_parameter(c3d, "FORCE_PLATFORM", "TYPE", [2], [1])
        _add_int_parameter(c3d, "FORCE_PLATFORM", "ZERO", [0, 0], [2])
        c3d.add_parameter("FORCE_PLATFORM", "CORNERS", np.asarray(force_plate["corners"], dtype=float).reshape(3, 4, 1))
        c3d.add_parameter("FORCE_PLATFORM", "ORIGIN", np.asarray(force_plate["origin"], dtype=float).reshape(3, 1))
        _add_int_parameter(c3d, "FORCE_PLATFORM", "CHANNEL", list(range(1, 7)), [6, 1])
    if events is not None and len(events):
        contexts = ["Left" if s == "L" else "Right" for s in events["side"]]
        names = ["Foot Strike" if e == "foot_strike" else "Foot Off" for e in events["event"]]
        c3d.add_parameter("EVENT", "USED", [len(events)])
        c3d.add_parameter("EVENT", "CONTEXTS", contexts)
        c3d.add_parameter("EVENT", "LABELS", names)
        c3d.add_parameter("EVENT", "TIMES", np.vstack([np.zeros(len(events)), events["time_s"].to_numpy(float)]))
    c3d.write(str(path))


def _add_int_parameter(c3d, group: str, name: str, values: list[int], shape: list[int]) -> None:
    """Add an INT parameter. ``ezc3d.c3d.add_parameter`` stores Python ints as FLOAT, and ezc3d's own
    force-platform reader then refuses FORCE_PLATFORM:USED as "not an INT"; ``write`` honours the stored type."""
    c3d.add_parameter(group, name, np.asarray(values, dtype=float).reshape(shape))
    c3d["parameters"][group][name]["type"] = 2  # C3D parameter type 2 = 16-bit integer
