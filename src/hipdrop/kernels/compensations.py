"""What the body does beside a pelvic drop: trunk lateral lean and the knee's frontal-plane projection angle (FPPA),
with the joint centres they need (docs/science.md section 8).

Array convention: markers are ``[time, marker, axis]`` in mm in a right-handed Z-up lab (``hipdrop.vocab``); angles
come out in degrees over ``[time, side]``, joint centres in mm over ``[time, side, axis]``. Every function is lazy:
it works unchanged on Dask-backed arrays (marker presence is read from the coordinates, never from the data).

The frontal plane. Both angles are measured in the vertical plane perpendicular to the direction the pelvis faces,
square to the ASIS line and averaged over the trial (``facing_heading``): on a treadmill or a runway that is the
progression direction; in a single-leg squat it is wherever the subject stands facing, which need not be a lab axis
(Plug-in Gait snaps its progression frame to a lab axis; a 5 deg error mixes 5 deg x tan(trunk flexion) of forward
flexion into the lean, 3 deg at 30 deg of flexion). Its lateral axis, pointing left, is ``(-sin h, cos h, 0)`` for
a facing direction ``h`` about Z.

Per-side signs follow the pelvis: the ``side`` coordinate is the side the value is *for*. Trunk lean of side S is
positive when the trunk leans toward S (so L = -R); knee FPPA of side S describes the S knee, positive in valgus
(the knee medial of the hip-ankle line).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from hipdrop.kernels.arrays import nanmedian
from hipdrop.kernels.pelvis import pelvis_axes_np
from hipdrop.vocab import ANGLE_UNIT, AXIS, LENGTH_UNIT, MARKER, SIDE, SIDES, TIME

#: Plug-in Gait thorax landmarks: the thorax axis runs from mid(T10, STRN) up to mid(C7, CLAV)
THORAX_MARKERS = ("C7", "CLAV", "T10", "STRN")
#: the fallback: the acromion markers, whose line is the thorax's lateral axis
SHOULDER_MARKERS = ("LSHO", "RSHO")
#: lateral and medial femoral epicondyle, lateral and medial malleolus (per side, prefixed L/R). KNM and MED are
#: the CGM2 / Plug-in Gait names of the medial markers (LKNM, LMED); other spellings map to them through the
#: marker sets (config/markersets).
LATERAL_KNEE, MEDIAL_KNEE, LATERAL_ANKLE, MEDIAL_ANKLE = "KNE", "KNM", "ANK", "MED"
#: every marker these kernels can use, beside the pelvis landmarks (for the list of markers to clean)
COMPENSATION_MARKERS = (
    *THORAX_MARKERS, *SHOULDER_MARKERS,
    *(f"{s}{m}" for s in SIDES for m in (LATERAL_KNEE, MEDIAL_KNEE, LATERAL_ANKLE, MEDIAL_ANKLE)),
)

#: Harrington et al. 2007 (J Biomech 40:595, the pelvic width and depth equations, mm): hip joint centre in the
#: pelvis frame (origin mid-ASIS; x anterior; y superior; z lateral) from pelvic width PW (ASIS to ASIS) and depth PD
#: (mid-ASIS to mid-PSIS): x = -0.24 PD - 9.9, y = -0.30 PW - 10.9, z = 0.33 PW + 7.3 (each side, z to that side).
#: The paper's frame is ISB's: z from the left to the right ASIS, x in the plane of the ASIS and mid-PSIS
#: perpendicular to z. That is the Plug-in Gait pelvis turned (PiG Y = left, Z normal to the ASIS-sacrum plane, X =
#: Y x Z in that plane): x -> PiG X, superior y -> PiG Z, lateral z -> PiG +Y on the left, -Y on the right.
HARRINGTON_DEPTH_X = (-0.24, -9.9)  # x = a PD + b
HARRINGTON_WIDTH_UP = (-0.30, -10.9)  # y (superior) = a PW + b
HARRINGTON_WIDTH_LATERAL = (0.33, 7.3)  # z (lateral) = a PW + b


def pelvis_problem(markers: xr.DataArray) -> str:
    """Why the pelvis landmarks cannot give a hip joint centre or a facing direction ("" when they can)."""
    names = set(markers[MARKER].values)
    if {"LASI", "RASI"} <= names and ("SACR" in names or {"LPSI", "RPSI"} <= names):
        return ""
    return "no pelvis landmarks (needs LASI, RASI and SACR or LPSI and RPSI)"


# The numpy kernels below take the markers as one array ``xyz[time, marker, axis]`` (mm) with their ``names``: each
# public function is one ``xr.apply_ufunc`` over them, so it stays lazy on Dask, and ``compensation_angles`` runs
# the kernels in one call: xarray aligns coordinates at every arithmetic step, which for these few-marker
# expressions costs more than the numpy arithmetic itself (benchmarks/per_trial.py times the steps).

def _point(xyz: np.ndarray, names: list[str], name: str) -> np.ndarray:
    return xyz[..., names.index(name), :]


def _midpoint(xyz: np.ndarray, names: list[str], a: str, b: str) -> np.ndarray:
    return (_point(xyz, names, a) + _point(xyz, names, b)) / 2


def _mean_present(values: np.ndarray, axis: int) -> np.ndarray:
    """Mean of the values present (not NaN) along ``axis``; NaN, without numpy's warning, where none is."""
    count = np.isfinite(values).sum(axis)
    return np.where(count > 0, np.nansum(values, axis) / np.maximum(count, 1), np.nan)


def _sacrum(xyz: np.ndarray, names: list[str]) -> np.ndarray:
    """SACR when the file has it, else the mean of the PSIS markers visible in each frame (``pelvis.sacrum``)."""
    if "SACR" in names:
        return _point(xyz, names, "SACR")
    return _mean_present(np.stack([_point(xyz, names, "LPSI"), _point(xyz, names, "RPSI")]), 0)


def _facing_heading_np(xyz: np.ndarray, *, names: list[str]) -> np.ndarray:
    across = _point(xyz, names, "LASI") - _point(xyz, names, "RASI")
    forward_x, forward_y = across[..., 1], -across[..., 0]
    length = np.hypot(forward_x, forward_y)
    return np.arctan2(_mean_present(forward_y / length, -1), _mean_present(forward_x / length, -1))


def _left_in_frontal_plane(heading) -> np.ndarray:
    """Unit lab vector ``[..., axis]`` pointing left in the frontal plane of a subject facing ``heading``
    (radians about Z)."""
    heading = np.asarray(heading, float)
    return np.stack([-np.sin(heading), np.cos(heading), np.zeros_like(heading)], -1)


#: the sign of each side's value in ``hipdrop.vocab.SIDES`` order (L, R) for a quantity measured toward the left
SIDE_SIGN = np.array([1.0 if side == "L" else -1.0 for side in SIDES])


def _trunk_lean_np(xyz: np.ndarray, heading=None, *, names: list[str]) -> np.ndarray:
    """``[time, side]`` degrees (see ``trunk_lean``); needs ``trunk_source(names)``, and the pelvis landmarks
    unless ``heading`` is given."""
    heading = _facing_heading_np(xyz, names=names) if heading is None else heading
    left = _left_in_frontal_plane(heading)[..., None, :]
    if set(THORAX_MARKERS) <= set(names):
        axis = _midpoint(xyz, names, "C7", "CLAV") - _midpoint(xyz, names, "T10", "STRN")
        lean_left = np.arctan2((axis * left).sum(-1), axis[..., 2])
    else:
        across = _point(xyz, names, "LSHO") - _point(xyz, names, "RSHO")
        lean_left = np.arctan2(-across[..., 2], (across * left).sum(-1))
    return np.degrees(lean_left)[..., None] * SIDE_SIGN


def trunk_source(names) -> tuple[str, str]:
    """(how the trunk axis is built, why it cannot be) from the marker names."""
    if set(THORAX_MARKERS) <= set(names):
        return "Plug-in Gait thorax: mid(T10, STRN) to mid(C7, CLAV)", ""
    if set(SHOULDER_MARKERS) <= set(names):
        return "shoulder line LSHO - RSHO (no T10/STRN)", ""
    return "", "no thorax markers (needs C7, CLAV, T10 and STRN, or LSHO and RSHO)"


def _width_depth_np(xyz: np.ndarray, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    lasi, rasi = _point(xyz, names, "LASI"), _point(xyz, names, "RASI")
    back = (lasi + rasi) / 2 - _sacrum(xyz, names)
    return nanmedian(np.linalg.norm(lasi - rasi, axis=-1), -1), nanmedian(np.linalg.norm(back, axis=-1), -1)


def _hip_joint_centres_np(xyz: np.ndarray, *, names: list[str]) -> np.ndarray:
    """``[time, side, axis]`` mm (see ``hip_joint_centres``)."""
    lasi, rasi = _point(xyz, names, "LASI"), _point(xyz, names, "RASI")
    width, depth = (value[..., None, None, None] for value in _width_depth_np(xyz, names))
    forward = HARRINGTON_DEPTH_X[0] * depth + HARRINGTON_DEPTH_X[1]
    up = HARRINGTON_WIDTH_UP[0] * width + HARRINGTON_WIDTH_UP[1]
    lateral = (HARRINGTON_WIDTH_LATERAL[0] * width + HARRINGTON_WIDTH_LATERAL[1]) * SIDE_SIGN[:, None]
    x, y, z = (axis[..., None, :] for axis in pelvis_axes_np(lasi, rasi, _sacrum(xyz, names)))
    return ((lasi + rasi) / 2)[..., None, :] + x * forward + y * lateral + z * up


def _centre_markers(names, side: str, lateral: str, medial: str) -> tuple[str, ...]:
    """The markers a side's joint centre is the mean of: lateral and medial, else the lateral alone, else none."""
    lat, med = f"{side}{lateral}", f"{side}{medial}"
    return (lat, med) if {lat, med} <= set(names) else (lat,) if lat in names else ()


def _centre_sources(names, lateral: str, medial: str, what: str) -> tuple[dict, dict]:
    """Per side, how a joint centre is built (``_centres_np``) and, when it cannot be, why."""
    how, missing = {}, {}
    for s in SIDES:
        used = _centre_markers(names, s, lateral, medial)
        how[s] = f"mid({used[0]}, {used[1]})" if len(used) == 2 else f"{used[0]} alone (no {s}{medial})" if used else ""
        missing[s] = "" if used else f"no {what} marker {s}{lateral}"
    return how, missing


def _centres_np(xyz: np.ndarray, *, names: list[str], lateral: str, medial: str) -> np.ndarray:
    """``[time, side, axis]``: mid-point of a side's lateral and medial markers, else the lateral one, else NaN."""
    nothing = np.full(xyz.shape[:-2] + (3,), np.nan)
    return np.stack([sum(_point(xyz, names, m) for m in used) / len(used) if used else nothing
                     for used in (_centre_markers(names, s, lateral, medial) for s in SIDES)], -2)


def _wrap(radians: np.ndarray) -> np.ndarray:
    """Angles wrapped to (-pi, pi]."""
    return np.arctan2(np.sin(radians), np.cos(radians))


def _sum3(values: np.ndarray) -> np.ndarray:
    """``values.sum(-1)`` over a last axis of three, to the bit: numpy adds a contiguous array's three left to right
    (tested on 600 000 random rows over six decades of magnitude); written out it costs a fifth (0.04 against 0.16
    cpu-ms over 6000 frames and two sides)."""
    return (values[..., 0] + values[..., 1]) + values[..., 2]


def _knee_fppa_np(xyz: np.ndarray, heading=None, *, names: list[str]) -> np.ndarray:
    """``[time, side]`` degrees (see ``knee_fppa``); needs the pelvis landmarks."""
    heading = _facing_heading_np(xyz, names=names) if heading is None else heading
    hip = _hip_joint_centres_np(xyz, names=names)
    knee = _centres_np(xyz, names=names, lateral=LATERAL_KNEE, medial=MEDIAL_KNEE)
    ankle = _centres_np(xyz, names=names, lateral=LATERAL_ANKLE, medial=MEDIAL_ANKLE)
    lateral_axis = _left_in_frontal_plane(heading)[..., None, None, :] * SIDE_SIGN[:, None]  # left for L, right for R
    lateral = lambda p: _sum3(p * lateral_axis)
    height = lambda p: p[..., 2]
    knee_lateral = lateral(knee)
    thigh = np.arctan2(knee_lateral - lateral(hip), height(hip) - height(knee))
    shank = np.arctan2(lateral(ankle) - knee_lateral, height(knee) - height(ankle))
    return np.degrees(_wrap(shank - thigh))


def _apply(kernel, markers: xr.DataArray, *, heading=None, output_dims: list[list[str]], **kwargs):
    """``kernel(xyz[time, marker, axis], [heading,] names=..., **kwargs)`` over the markers, lazily on Dask; one
    result per entry of ``output_dims``. ``heading`` (radians about Z, a number or an xarray scalar) is passed only
    when given: the kernels default to ``_facing_heading_np``."""
    names = [str(m) for m in markers[MARKER].values]
    extra = [] if heading is None else [heading]
    sizes = {SIDE: len(SIDES), AXIS: 3}
    return xr.apply_ufunc(
        kernel, markers, *extra, kwargs={"names": names, **kwargs},
        input_core_dims=[[TIME, MARKER, AXIS]] + [[]] * len(extra), output_core_dims=output_dims,
        dask="parallelized", output_dtypes=[float] * len(output_dims),
        dask_gufunc_kwargs={"allow_rechunk": True, "output_sizes": {d: sizes[d] for dims in output_dims for d in dims if d in sizes}},
    )


#: the ``side`` coordinate, built once: the per-side results (``per_side``, ``foot.foot_angles``) share its index
SIDE_COORDS = xr.Coordinates({SIDE: list(SIDES)})


def per_side(values: xr.DataArray) -> xr.DataArray:
    """``values.assign_coords({SIDE: list(SIDES)})``, the same DataArray built directly: a third of the cost (0.1
    against 0.3 cpu-ms), which beside a trunk lean's arithmetic is most of it."""
    return xr.DataArray(values.data, dims=values.dims, coords=values.coords.merge(SIDE_COORDS).coords,
                        attrs=values.attrs, name=values.name)


def _missing(markers: xr.DataArray, name: str, attrs: dict) -> xr.DataArray:
    """All-NaN ``[time, side]``, shaped (and chunked) like the markers' time axis."""
    nan = xr.full_like(markers.isel({MARKER: 0, AXIS: 0}, drop=True), np.nan, dtype=float)
    return (nan * xr.DataArray(SIDE_SIGN, dims=SIDE, coords={SIDE: list(SIDES)})).transpose(TIME, SIDE).rename(
        name).assign_attrs(attrs)


def _joint_centres(markers: xr.DataArray, lateral: str, medial: str, what: str) -> xr.DataArray:
    """``_centres_np`` as ``[time, side, axis]`` mm, with ``source_<side>`` and ``missing_<side>`` in attrs."""
    how, missing = _centre_sources(markers[MARKER].values, lateral, medial, what)
    centres = _apply(_centres_np, markers, output_dims=[[TIME, SIDE, AXIS]], lateral=lateral, medial=medial)
    return per_side(centres).assign_coords({AXIS: markers[AXIS].values}).assign_attrs(
        units=LENGTH_UNIT, **{f"source_{s}": how[s] for s in SIDES}, **{f"missing_{s}": missing[s] for s in SIDES})


def fppa_sources(names) -> dict:
    """``source_<side>`` and ``missing_<side>`` of ``knee_fppa`` from the marker names."""
    knee, knee_missing = _centre_sources(names, LATERAL_KNEE, MEDIAL_KNEE, "lateral knee")
    ankle, ankle_missing = _centre_sources(names, LATERAL_ANKLE, MEDIAL_ANKLE, "lateral ankle")
    missing = {s: "; ".join(m for m in (knee_missing[s], ankle_missing[s]) if m) for s in SIDES}
    return ({f"source_{s}": "" if missing[s] else f"knee {knee[s]}, ankle {ankle[s]}, hip Harrington 2007" for s in SIDES}
            | {f"missing_{s}": missing[s] for s in SIDES})


def facing_heading(markers: xr.DataArray) -> xr.DataArray:
    """Direction the pelvis faces, averaged over the trial, as an angle about Z (radians; 0 = +X, pi/2 = +Y).

    Notes
    -----
    The horizontal perpendicular to the ASIS line (LASI - RASI turned 90 deg clockwise seen from above), made unit
    length in every frame and averaged over the frames that have it (a circular mean: pelvic rotation in running,
    +/-6 deg, cancels), not snapped to a lab axis. It is the rotation angle of Baker's sequence (docs/science.md section
    2) averaged, so pelvic tilt and obliquity do not turn it; the horizontal part of mid-ASIS minus sacrum would
    turn by atan(sin(obliquity) tan(tilt)), 2.8 deg at 6 deg of drop and 25 deg of tilt.
    """
    return _apply(_facing_heading_np, markers, output_dims=[[]]).rename("facing_heading")


def trunk_lean(markers: xr.DataArray, *, heading: xr.DataArray | float | None = None) -> xr.DataArray:
    """Trunk lateral lean: the thorax against the vertical in the frontal plane, ``[time, side]`` degrees.

    Parameters
    ----------
    markers : ``[time, marker, axis]`` mm with C7, CLAV, T10 and STRN, or LSHO and RSHO; and the pelvis landmarks
        unless ``heading`` is given
    heading : the direction the subject faces (radians about Z); default ``facing_heading(markers)``

    Returns
    -------
    ``[time, side]`` degrees, positive when the trunk leans toward that side (L = -R); ``attrs["source"]`` says
    which markers gave it; all NaN, with ``attrs["missing_L"]`` and ``attrs["missing_R"]`` saying why, when they
    are absent.

    Notes
    -----
    Plug-in Gait thorax (C7, CLAV, T10, STRN): the long axis a from mid(T10, STRN) to mid(C7, CLAV) (PiG reference
    guide); lean = atan2(a . left, a . z_lab), the angle a frontal camera would see between it and the vertical
    (docs/science.md section 8). Otherwise the shoulder line s = LSHO - RSHO, the thorax's lateral axis: lean =
    atan2(-s . z_lab, s . left), the left shoulder's drop below the right one in the frontal plane. For a thorax that
    flexes forward and leans about the forward axis the two read the same angle; the shoulder line also follows a
    shrug of one shoulder (1 deg per 6 mm over a 340 mm shoulder width). The vector from the shoulder mid-point to C7
    (docs/science.md's other fallback) is no axis to measure from: C7 sits 25-75 mm above the shoulder mid-point and up to
    100 mm behind it in the single_leg files of tests/data/c3d, so its frontal angle swung through +/-170 deg on
    nimble_complexknee. Positive toward the stance side is the classic compensation, the trunk shifted over the
    stance hip to unload weak abductors (Crossley et al. 2011, Am J Sports Med 39:866).
    """
    attrs = {"units": ANGLE_UNIT, "long_name": "trunk lateral lean", "sign": "positive toward that side"}
    how, why = trunk_source(markers[MARKER].values)
    if heading is None and pelvis_problem(markers):
        why = f"no frontal plane: {pelvis_problem(markers)}"
    if why:
        return _missing(markers, "trunk_lean", attrs | {"source": "", "missing_L": why, "missing_R": why})
    lean = _apply(_trunk_lean_np, markers, heading=heading, output_dims=[[TIME, SIDE]])
    return per_side(lean).rename("trunk_lean").assign_attrs(attrs, source=how, missing_L="", missing_R="")


def hip_joint_centres(markers: xr.DataArray) -> xr.DataArray:
    """Hip joint centres from the pelvis markers by the Harrington et al. 2007 regression, ``[time, side, axis]`` mm.

    Parameters
    ----------
    markers : ``[time, marker, axis]`` mm with LASI, RASI and SACR or LPSI and RPSI

    Returns
    -------
    ``[time, side, axis]`` mm in the lab

    Notes
    -----
    In the pelvis frame of ``HARRINGTON_*`` (see there for the formula and how its axes map to Plug-in Gait's):
    HJC = O + X (-0.24 PD - 9.9) + Z (-0.30 PW - 10.9) +/- Y (0.33 PW + 7.3), O = mid-ASIS, + on the left. PW and PD
    are the trial's medians of the frame-by-frame distances |LASI - RASI| and |mid-ASIS - sacrum|: the skeleton does
    not change within a trial, the skin markers over it do. Harrington's PD runs to mid-PSIS; a SACR marker, when
    the file has it (``pelvis.sacrum``), sits close to it. Against MRI the regression's errors were 5 mm or less
    per axis in adults and children (Harrington 2007, the most accurate of the published regressions).
    """
    centres = _apply(_hip_joint_centres_np, markers, output_dims=[[TIME, SIDE, AXIS]])
    return per_side(centres).assign_coords({AXIS: markers[AXIS].values}).rename("hip_joint_centre").assign_attrs(
        units=LENGTH_UNIT, method="Harrington et al. 2007 (J Biomech 40:595), pelvic width and depth")


def knee_centres(markers: xr.DataArray) -> xr.DataArray:
    """Knee joint centres ``[time, side, axis]`` mm: mid-point of the femoral epicondyle markers (xKNE lateral,
    xKNM medial), else the lateral marker alone (see ``knee_fppa`` for what that does to the angle), else NaN;
    ``attrs`` say which per side (``source_L``, ``missing_L`` ...)."""
    return _joint_centres(markers, LATERAL_KNEE, MEDIAL_KNEE, "lateral knee").rename("knee_centre")


def knee_fppa(markers: xr.DataArray, *, heading: xr.DataArray | float | None = None) -> xr.DataArray:
    """Knee frontal-plane projection angle per side, ``[time, side]`` degrees, positive in valgus.

    Parameters
    ----------
    markers : ``[time, marker, axis]`` mm with the pelvis landmarks, xKNE (and xKNM) and xANK (and xMED)
    heading : the direction the subject faces (radians about Z); default ``facing_heading(markers)``

    Returns
    -------
    ``[time, side]`` degrees; NaN on a side whose markers are absent, with ``attrs["missing_<side>"]`` saying why
    and ``attrs["source_<side>"]`` how the centres were built.

    Notes
    -----
    The thigh (hip joint centre to knee centre) and the shank (knee centre to ankle centre) projected onto the
    frontal plane (lateral axis of that side and the vertical); with each segment's angle from the downward
    vertical, positive laterally, FPPA = shank angle - thigh angle: 0 for a straight leg, positive when the knee
    lies medial of the hip-ankle line (valgus, the knee collapsing inward). That is the 2D angle of Willson & Davis
    2008 (J Orthop Sports Phys Ther 38:606) and Munro et al. 2012 (J Sport Rehabil 21:7), 180 deg minus the angle
    at the knee, measured in 3D so that camera placement plays no part. Hip joint centre: ``hip_joint_centres``
    (Harrington 2007). With lateral markers only (xKNE, xANK) the knee and ankle points lie lateral of the joint
    centres, by about half the knee (50 mm) and ankle (35 mm) widths: over 400 mm segments that reads the angle about
    (50 / 400 + (50 - 35) / 400) rad = 9 deg more varus than the centres would; within-subject changes keep their
    size to first order. ``attrs["source_<side>"]`` says which was used.
    """
    attrs = {"units": ANGLE_UNIT, "long_name": "knee frontal-plane projection angle",
             "sign": "positive in valgus (knee medial)"}
    if pelvis_problem(markers):
        why = f"no hip joint centre: {pelvis_problem(markers)}"
        return _missing(markers, "knee_fppa", attrs | {f"source_{s}": "" for s in SIDES} | {f"missing_{s}": why for s in SIDES})
    fppa = _apply(_knee_fppa_np, markers, heading=heading, output_dims=[[TIME, SIDE]])
    return per_side(fppa).rename("knee_fppa").assign_attrs(attrs, **fppa_sources(markers[MARKER].values))


def compensation_angles(markers: xr.DataArray, *, heading: xr.DataArray | float | None = None) -> xr.Dataset:
    """``trunk_lean`` and ``knee_fppa`` over ``[time, side]`` in degrees, in the same frontal plane (default: the
    one the pelvis faces over the trial, ``facing_heading``), each with its sources and missing reasons in attrs."""
    if heading is None and not pelvis_problem(markers):
        heading = facing_heading(markers)
    out = xr.Dataset({"trunk_lean": trunk_lean(markers, heading=heading), "knee_fppa": knee_fppa(markers, heading=heading)})
    out.attrs["frontal_plane"] = "vertical plane perpendicular to the pelvis's mean facing direction"
    return out