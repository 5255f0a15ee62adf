"""C3D files in and out. Reading decodes the file with ``hipdrop.io.c3d.format``; ezc3d only writes (the simulator).

``read_c3d`` returns the canonical trial (docs/architecture.md section 2):

- ``markers[time, marker, axis]`` in mm, in a right-handed Z-up lab frame, NaN for every missing sample (a
  negative residual, an exact (0, 0, 0), which some systems write for a gap, or a non-finite coordinate);
- ``forces[analog_time, plate, component]`` (N, N mm, mm) in the same frame, when the file has force plates;
- ``infinite[time, marker]``: the samples the file stores as infinite (or overflowing) although their residual
  says valid: missing in ``markers``, counted as implausible in the trial's QC record;
- the foot events of the EVENT group as ``event_*`` variables over dim ``event`` (see ``events_table``);
- attrs: ``rate_hz``, ``first_frame`` (1-based C3D frame of the first sample), ``source_path``,
  ``source_sha256``, ``original_units``, ``vertical_axis``, ``lab_to_canonical`` (3x3 rotation, row-major),
  ``marker_map`` (JSON), ``qc_warnings`` (JSON list), ``infinite_samples`` (the count of ``infinite``).

Times are capture-relative seconds, ``time = (index + first_frame) / rate``, the same clock as C3D event times.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import ezc3d
import numpy as np
import pandas as pd
import xarray as xr

from hipdrop.errors import TrialError
from hipdrop.io.c3d.events import parse_event_group
from hipdrop.io.c3d.forceplates import FORCE_COMPONENTS, force_plates, plate_channels
from hipdrop.io.c3d.format import C3D, STAGE, decode
from hipdrop.io.markersets import map_labels
from hipdrop.vocab import AXES, AXIS, EVENT_COLUMNS, LENGTH_UNIT, MARKER, TIME

_UNIT_TO_MM = {"mm": 1.0, "m": 1000.0, "cm": 10.0}


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
    return _to_trial(path, raw, decode(raw, path), vertical_axis=vertical_axis, markersets=tuple(markersets))


def _checked_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        # the quarantine's reason for a trial sheet row whose file is absent (a typo in the sheet, a file moved)
        raise TrialError(path, STAGE, "file not found") from None
    except OSError as err:
        raise TrialError(path, STAGE, f"cannot open the file ({err.strerror})") from None
    return raw


def _to_trial(path: Path, raw: bytes, c3d: C3D, *, vertical_axis: str, markersets: tuple[str, ...]) -> xr.Dataset:
    parameters, rate, n_frames = c3d.parameters, c3d.rate_hz, c3d.n_frames
    names, mapping, warnings_ = map_labels(c3d.point_labels, markersets)

    xyz = c3d.points  # [time, marker, axis], NaN where the residual marks the sample invalid; decode's own copy
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow to Inf is as non-finite as the value was
        squared_norm = (xyz * xyz) @ np.ones(3)  # finite when all three coordinates are; 0 only at (0, 0, 0)
    finite = np.isfinite(squared_norm)
    # an infinite coordinate (or one so large its square overflows) that the residual calls valid is a lie the
    # trial's QC record counts (hipdrop.trial.process.plausible_markers); a NaN is a gap some systems write
    infinite = np.isinf(squared_norm) & ~c3d.invalid
    xyz[~finite | (squared_norm == 0)] = np.nan  # non-finite, invalid, or an exact (0, 0, 0) gap

    units = _point_text(parameters, "UNITS")
    scale = _UNIT_TO_MM.get(units)
    if scale is None:
        scale = _guess_scale(xyz)
        warnings_.append(f"POINT:UNITS is {units!r}; the marker heights say {'m' if scale == 1000 else 'mm'}")
    if scale != 1.0:
        xyz *= scale
    _check_marker_speed(path, xyz, rate)

    up = vertical_axis if vertical_axis != "auto" else _detect_up(xyz, names, parameters)
    rotation = _rotation_to_z_up(up)
    if up != "+z":
        xyz = xyz @ rotation.T

    first_frame = c3d.first_frame
    time = (np.arange(n_frames) + first_frame) / rate
    events, event_warnings = parse_event_group(parameters, rate_hz=rate, first_frame=first_frame, n_frames=n_frames)
    trial = xr.Dataset(
        {"markers": ((TIME, MARKER, AXIS), xyz, {"units": LENGTH_UNIT}), "infinite": ((TIME, MARKER), infinite),
         **_event_variables(events)},
        coords={TIME: (TIME, time, {"units": "s"}), MARKER: names, AXIS: list(AXES)},
    )
    forces, force_warnings = _forces(c3d, rotation, scale)
    if forces is not None:
        trial["forces"] = forces
    analogs = other_analogs(c3d)
    if analogs is not None:
        trial["analogs"] = analogs
    trial.attrs.update(
        rate_hz=rate,
        first_frame=first_frame,
        source_path=str(path),
        source_sha256=hashlib.sha256(raw).hexdigest(),
        original_units=units,
        vertical_axis=up,
        lab_to_canonical=rotation.ravel().tolist(),
        marker_map=json.dumps(mapping),
        qc_warnings=json.dumps(c3d.warnings + force_warnings + warnings_ + event_warnings),
        infinite_samples=int(np.count_nonzero(infinite)),
    )
    return trial


#: typical marker speed (median over markers and frames, m/s) that no human movement reaches; misaligned frames
#: (c3d.org BTS dynamic.C3D as ezc3d 1.7.2 reads it) show ~160 m/s
IMPOSSIBLE_SPEED_M_S = 20.0


def _check_marker_speed(path: Path, xyz_mm: np.ndarray, rate: float) -> None:
    """Refuse frames that no body could have produced: misread frames are misread throughout, so 256 frame pairs
    spread over the trial are evidence enough."""
    n_frames = len(xyz_mm)
    if n_frames <= 2:
        return
    starts = np.unique(np.linspace(0, n_frames - 2, num=min(256, n_frames - 1)).astype(int))
    step = np.sqrt(((xyz_mm[starts + 1] - xyz_mm[starts]) ** 2).sum(axis=2))  # [frame pair, marker], mm
    step = step[np.isfinite(step)]
    if step.size:
        speed = float(np.median(step)) * rate / 1000.0
        if speed > IMPOSSIBLE_SPEED_M_S:
            raise TrialError(path, STAGE, f"markers move a typical {speed:.0f} m/s between frames, which no body "
                                          "reaches: the frames are misread (misaligned or corrupt data block)")


def _point_text(parameters: dict, name: str) -> str:
    """First value of a POINT text parameter (UNITS, Y_SCREEN), lower case; "" when absent."""
    return str(next(iter(parameters.get("POINT", {}).get(name, {}).get("value", [""])), "")).strip().lower()


def _guess_scale(xyz: np.ndarray) -> float:
    """mm per file unit when POINT:UNITS is empty: a lab spans metres, so typical |coordinates| < 10 mean metres."""
    typical = np.nanmedian(np.abs(xyz)) if np.isfinite(xyz).any() else 1000.0
    return 1000.0 if typical < 10.0 else 1.0


def _detect_up(xyz: np.ndarray, names: list[str], parameters: dict) -> str:
    """The lab's up axis: pelvis above feet when both are labelled; else the axis along which the body extends
    the most at each instant, when one clearly does (a body is taller than it is wide or deep, while a walk
    spreads the markers over time along the walkway: c3d.org BTS dynamic.C3D), signed so that most markers lie
    above the floor; else POINT:Y_SCREEN (the capture software's screen-up axis, a display setting that
    c3d.org Dance.c3d sets to +Z while its dancer stands 1.7 m tall along +X); else +z."""
    index = {n: i for i, n in enumerate(names)}
    upper = [index[n] for n in ("LASI", "RASI", "LPSI", "RPSI", "SACR", "C7", "LSHO", "RSHO") if n in index]
    lower = [index[n] for n in ("LHEE", "RHEE", "LTOE", "RTOE", "LMT1", "RMT1", "LANK", "RANK") if n in index]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN markers
        every = max(1, len(xyz) // 500)  # the up axis needs no more than ~500 frames
        xyz = xyz[::every]
        if upper and lower:
            # medians: a few kilometre-away samples (corrupt frames) must not turn the lab upside down
            rise = (np.nanmedian(xyz[:, upper].reshape(-1, 3), axis=0)
                    - np.nanmedian(xyz[:, lower].reshape(-1, 3), axis=0))
            if np.isfinite(rise).all():
                k = int(np.argmax(np.abs(rise)))
                return ("+" if rise[k] > 0 else "-") + AXES[k]
        medians = np.nanmedian(xyz, axis=0)  # [marker, axis]
        medians = medians[np.isfinite(medians).all(1)]
        if len(medians) >= 5:
            extent = np.nanmedian(np.nanpercentile(xyz, 95, axis=1) - np.nanpercentile(xyz, 5, axis=1), axis=0)
            k = int(np.argmax(extent))
            if extent[k] > 1.5 * np.sort(extent)[-2]:  # only when one axis clearly dominates
                return ("+" if np.median(medians[:, k]) > 0 else "-") + AXES[k]
    screen = _point_text(parameters, "Y_SCREEN")
    return screen if screen in {"+x", "-x", "+y", "-y", "+z", "-z"} else "+z"


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


def _forces(c3d: C3D, rotation: np.ndarray, mm_per_unit: float) -> tuple[xr.DataArray | None, list[str]]:
    """The force plates in the canonical frame. Centres of pressure and the moments' lever arms are in the point
    unit (ezc3d's unit_moment is the force unit times POINT:UNITS; the moment channels of metre files are in N m),
    so both scale to mm with the markers."""
    data, warnings_ = force_plates(c3d)
    if data is None:
        return None, warnings_
    with np.errstate(invalid="ignore"):  # the centre of pressure is NaN while nobody stands on the plate
        if not np.array_equal(rotation, np.eye(3)):  # force, moment, centre of pressure: vectors in the lab frame
            data = (data.reshape(-1, 3) @ rotation.T).reshape(data.shape)
        if mm_per_unit != 1.0:
            data[..., 3:9] *= mm_per_unit
    analog_rate = c3d.analog_rate_hz
    analog_time = c3d.first_frame / c3d.rate_hz + np.arange(data.shape[0]) / (analog_rate or 1.0)
    forces = xr.DataArray(
        data,
        dims=("analog_time", "plate", "component"),
        coords={"analog_time": analog_time, "plate": np.arange(1, data.shape[1] + 1), "component": list(FORCE_COMPONENTS)},
        attrs={"units": "N (f*), N mm (m*), mm (cop*)", "rate_hz": analog_rate, "note": "force exerted by the subject on the plate, canonical frame"},
    )
    return forces, warnings_


def other_analogs(c3d: C3D) -> xr.DataArray | None:
    """The analog channels that are not a force plate's (EMG, triggers, ...), as stored after ANALOG:OFFSET and
    SCALE: ``analogs[analog_time, analog_channel]`` with coords ``analog_channel`` (the ANALOG:LABELS) and
    ``analog_unit`` (ANALOG:UNITS, "" where absent), the forces' analog clock; None when there are none or the
    analog data were not read. ``hipdrop.kernels.emg`` finds the muscles among them."""
    n_channels = c3d.analogs.shape[1]
    if n_channels == 0 or c3d.analog_problem or not c3d.analog_rate_hz:
        return None
    plate = plate_channels(c3d)
    keep = [i for i in range(n_channels) if i not in plate]
    if not keep:
        return None
    stored = c3d.parameters.get("ANALOG", {}).get("UNITS", {}).get("value")
    units = [str(u).strip() for u in (np.ravel(stored).tolist() if stored is not None else [])][:n_channels]
    units += [""] * (n_channels - len(units))
    analog_time = c3d.first_frame / c3d.rate_hz + np.arange(c3d.analogs.shape[0]) / c3d.analog_rate_hz
    return xr.DataArray(
        c3d.analogs[:, keep], dims=("analog_time", "analog_channel"),
        coords={"analog_time": analog_time, "analog_channel": [c3d.analog_labels[i] for i in keep],
                "analog_unit": ("analog_channel", [units[i] for i in keep])},
        attrs={"rate_hz": c3d.analog_rate_hz, "note": "analog channels other than the force plates', as stored"},
    )


# --------------------------------------------------------------------------------------------- events
def _event_variables(table: pd.DataFrame) -> dict[str, xr.Variable]:
    return {f"event_{c}": xr.Variable("event", table[c].to_numpy()) for c in EVENT_COLUMNS}


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
    analog_units: list[str] | None = None,
    force_plate: dict | None = None,
    first_frame: int = 1,
) -> None:
    """Write markers ``[time, marker, axis]`` (mm, NaN = gap) as a C3D file, with Vicon-style events.

    ``events`` has columns side (L/R), event (foot_strike/foot_off) and time_s (capture-relative seconds: the
    first stored frame, ``first_frame`` (1-based), lies at ``(first_frame - 1) / rate_hz``). ``force_plate`` holds TYPE-2 parameters (``corners`` 3x4 mm, ``origin`` 3 mm) for the six analog
    channels Fx Fy Fz Mx My Mz, which carry the force the subject exerts on the plate in the plate frame.
    ``analog_units`` (ANALOG:UNITS, one per channel) defaults to N for labels starting with F and N mm for the rest.
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
        c3d["parameters"]["ANALOG"]["UNITS"]["value"] = tuple(analog_units) if analog_units is not None else \
            tuple("N" if a.startswith("F") else "Nmm" for a in analog_labels)
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
