"""Force plates from a decoded C3D file: force, moment and centre of pressure of every plate in the lab frame, as
ezc3d computes them (the FORCE_PLATFORM group; plate types 1-4 and Kistler's centre-of-pressure correction)."""

from __future__ import annotations

import numpy as np

from hipdrop.io.c3d.format import C3D, parameter_first, parameter_numbers

FORCE_COMPONENTS = ("fx", "fy", "fz", "mx", "my", "mz", "copx", "copy", "copz")


def force_plates(c3d: C3D) -> tuple[np.ndarray | None, list[str]]:
    """Force, moment and centre of pressure of every plate, in the lab frame, as ezc3d's ``extract_forceplat_data``
    computes them (ezc3d src/modules/ForcePlatforms.cpp; C3D user guide, "FORCE_PLATFORM group").

    Returns ``data[analog sample, plate, component]`` with components ``FORCE_COMPONENTS`` (force in the analog
    channels' unit, moment in that unit times the point unit, centre of pressure in the point unit), or None
    and a warning when the plates cannot be read. FORCE_PLATFORM:ZERO (the frames of an unloaded baseline) is not
    subtracted, as ezc3d 1.7.2 does not: with ZERO [1, 10] in c3d.org's gait files, forces agree with ezc3d's to
    1e-12.
    """
    group = c3d.parameters.get("FORCE_PLATFORM", {})
    used = plates_used(c3d)
    if not used:
        return None, []
    if c3d.analog_problem:
        return None, [f"force plates not read: {c3d.analog_problem}"]
    if c3d.analogs.shape[1] == 0:  # plates declared in a file without analog data: plates without samples
        return np.zeros((0, int(used), len(FORCE_COMPONENTS))), []
    try:
        plates = [_plate(c3d, group, index) for index in range(int(used))]
    except ValueError as err:
        return None, [f"force plates not read: {err}"]
    return np.stack(plates, axis=1), []


def plates_used(c3d: C3D) -> int:
    """FORCE_PLATFORM:USED, the number of plates; 0 when absent or not positive."""
    used = parameter_first(c3d.parameters, "FORCE_PLATFORM", "USED")
    return int(used) if used and used > 0 else 0


def plate_channels(c3d: C3D) -> set[int]:
    """The analog channels (0-based) FORCE_PLATFORM:CHANNEL gives the used plates, every row of its table: the
    channels that are no other signal (``hipdrop.io.c3d.reader.other_analogs``); empty without a [channel, plate]
    table. Read here, beside the plates' own reading of the table (``_plate``), so that the layout of the
    FORCE_PLATFORM group is known in one module."""
    used = plates_used(c3d)
    channel = c3d.parameters.get("FORCE_PLATFORM", {}).get("CHANNEL", {}).get("value")
    if not used or not isinstance(channel, np.ndarray) or channel.ndim != 2:
        return set()
    return {int(c) - 1 for c in channel[:, :used].ravel()}


def _plate(c3d: C3D, group: dict, index: int) -> np.ndarray:
    def values(name: str) -> np.ndarray:
        found = parameter_numbers(c3d.parameters, "FORCE_PLATFORM", name)
        return np.zeros(0) if found is None else found.astype(np.float64)

    plate = f"plate {index + 1}"
    types = values("TYPE")
    if types.size <= index:
        raise ValueError(f"FORCE_PLATFORM:TYPE has no entry for {plate}")
    kind = int(types[index])
    if kind not in (1, 2, 3, 4):
        raise ValueError(f"{plate} is of TYPE {kind}; types 1-4 are supported")
    corners = values("CORNERS")
    if corners.size < 12 * (index + 1):
        raise ValueError(f"FORCE_PLATFORM:CORNERS has no entry for {plate}")
    corners = corners[12 * index : 12 * (index + 1)].reshape(4, 3)
    origins = values("ORIGIN")
    if origins.size < 3 * (index + 1):
        raise ValueError(f"FORCE_PLATFORM:ORIGIN has no entry for {plate}")
    origin = origins[3 * index : 3 * (index + 1)].copy()
    if kind == 1:
        origin[:2] = 0.0  # type 1 stores only the depth of the sensor below the surface
    if origin[2] > 0:  # the origin lies below the surface: writers that store it positive mean its opposite
        origin = -origin
    n_channels = 8 if kind == 3 else 6
    channel_param = group.get("CHANNEL", {}).get("value")
    if channel_param is None or isinstance(channel_param, list) or channel_param.ndim < 2 or \
            channel_param.shape[0] < n_channels or channel_param.shape[1] <= index:
        raise ValueError(f"FORCE_PLATFORM:CHANNEL has no {n_channels} channels for {plate}")
    channels = channel_param[:n_channels, index].astype(np.int64) - 1  # 1-based
    if channels.min() < 0 or channels.max() >= c3d.analogs.shape[1]:
        raise ValueError(f"FORCE_PLATFORM:CHANNEL names channels {channels + 1} for {plate}, but the file has "
                         f"{c3d.analogs.shape[1]} analog channels")
    signal = c3d.analogs[:, channels]  # [sample, channel]
    axis_x = corners[0] - corners[1]
    axis_y = corners[0] - corners[3]
    axis_z = np.cross(axis_x, axis_y)
    axis_y = np.cross(axis_z, axis_x)
    lengths = np.linalg.norm([axis_x, axis_y, axis_z], axis=1)
    if not np.all(lengths > 0):
        raise ValueError(f"FORCE_PLATFORM:CORNERS of {plate} do not span a plate")
    to_lab = np.stack([axis_x / lengths[0], axis_y / lengths[1], axis_z / lengths[2]], axis=1)  # columns = axes
    centre = corners.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):  # no load: the centre of pressure is undefined (NaN)
        if kind == 1:  # Fx Fy Fz, COPx COPy, Tz in the plate frame
            force = signal[:, :3] @ to_lab.T
            cop = np.column_stack([signal[:, 3], signal[:, 4], np.zeros(len(signal))]) @ to_lab.T
            torque = np.column_stack([np.zeros((len(signal), 2)), signal[:, 5]]) @ to_lab.T
            moment = np.cross(force, cop) - torque
            cop = cop + centre
        else:
            if kind == 3:  # Kistler: 8 channels fx12 fx34 fy14 fy23 fz1 fz2 fz3 fz4
                ch = signal
                force_plate = np.column_stack([ch[:, 0] + ch[:, 1], ch[:, 2] + ch[:, 3], ch[:, 4:8].sum(axis=1)])
                moment_plate = np.column_stack([
                    origin[1] * (ch[:, 4] + ch[:, 5] - ch[:, 6] - ch[:, 7]),
                    origin[0] * (ch[:, 5] + ch[:, 6] - ch[:, 4] - ch[:, 7]),
                    origin[1] * (ch[:, 1] - ch[:, 0]) + origin[0] * (ch[:, 2] - ch[:, 3]),
                ]) + np.cross(force_plate, [0.0, 0.0, origin[2]])
            else:
                six = signal if kind == 2 else signal @ _cal_matrix(c3d, group, index, plate).T
                force_plate = six[:, :3]
                moment_plate = six[:, 3:6] + np.cross(force_plate, origin)
            force = force_plate @ to_lab.T
            moment = moment_plate @ to_lab.T
            fz = force_plate[:, 2]
            cop_plate = np.column_stack([-moment_plate[:, 1] / fz, moment_plate[:, 0] / fz, np.zeros(len(signal))])
            if kind == 3:
                cop_plate[:, :2] -= _kistler_cop_correction(values("FPCOPPOLY"), index, cop_plate)
            cop = cop_plate @ to_lab.T + centre
    return np.concatenate([force, moment, cop], axis=1)


def _cal_matrix(c3d: C3D, group: dict, index: int, plate: str) -> np.ndarray:
    """The 6x6 calibration matrix of a TYPE-4 plate (FORCE_PLATFORM:CAL_MATRIX [6, 6, plates], column-major)."""
    value = group.get("CAL_MATRIX", {}).get("value")
    if value is None or isinstance(value, list) or value.ndim < 3 or value.shape[2] <= index:
        raise ValueError(f"FORCE_PLATFORM:CAL_MATRIX has no matrix for {plate} (TYPE 4)")
    if value.size == 0:  # Motion Analysis writes the parameter empty for calibrated channels
        return np.eye(6)
    skip = value.shape[0] * value.shape[1]
    flat = np.ravel(value, order="F").astype(np.float64)
    if flat.size < skip * index + 36:
        raise ValueError(f"FORCE_PLATFORM:CAL_MATRIX is too small for {plate} (TYPE 4)")
    return flat[skip * index : skip * index + 36].reshape(6, 6, order="F")


def _kistler_cop_correction(coefficients: np.ndarray, index: int, cop: np.ndarray) -> np.ndarray:
    """Kistler's polynomial correction of the centre of pressure (FORCE_PLATFORM:FPCOPPOLY, 12 per plate), as
    ezc3d applies it; none without the parameter."""
    if coefficients.size < 12 * (index + 1):
        return np.zeros((len(cop), 2))
    a = coefficients[12 * index : 12 * (index + 1)]
    x, y = cop[:, 0], cop[:, 1]
    dx = (a[0] * y**4 + a[1] * y**2 + a[2]) * x**3 + (a[3] * y**4 + a[4] * y**2 + a[5]) * x
    dy = (a[6] * x**4 + a[7] * x**2 + a[8]) * y**3 + (a[9] * x**4 + a[10] * x**2 + a[11]) * y
    return np.column_stack([dx, dy])
