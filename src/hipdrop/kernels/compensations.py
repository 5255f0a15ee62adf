"""What the body does beside a pelvic drop: trunk lateral lean and the knee's frontal-plane projection angle (FPPA),
with the joint centres they need (science.md section 8).

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

from hipdrop.kernels.pelvis import pelvis_axes, sacrum
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


def _has(markers: xr.DataArray, *names: str) -> bool:
    return set(names) <= set(markers[MARKER].values)


def _point(markers: xr.DataArray, name: str) -> xr.DataArray:
    return markers.sel({MARKER: name}, drop=True)


def _midpoint(markers: xr.DataArray, a: str, b: str) -> xr.DataArray:
    return (_point(markers, a) + _point(markers, b)) / 2


def _dot(a: xr.DataArray, b: xr.DataArray) -> xr.DataArray:
    return (a * b).sum(AXIS, skipna=False)


def _lab_vector(x, y, z) -> xr.DataArray:
    return xr.concat([xr.DataArray(x), xr.DataArray(y), xr.DataArray(z)], dim=AXIS).assign_coords({AXIS: ["x", "y", "z"]})


def pelvis_problem(markers: xr.DataArray) -> str:
    """Why the pelvis landmarks cannot give a hip joint centre or a facing direction ("" when they can)."""
    if _has(markers, "LASI", "RASI") and (_has(markers, "SACR") or _has(markers, "LPSI", "RPSI")):
        return ""
    return "no pelvis landmarks (needs LASI, RASI and SACR or LPSI and RPSI)"


def _nan_series(markers: xr.DataArray) -> xr.DataArray:
    """NaN over ``[time]`` shaped (and chunked) like the markers' time axis."""
    return xr.full_like(markers.isel({MARKER: 0, AXIS: 0}, drop=True), np.nan, dtype=float)


def facing_heading(markers: xr.DataArray) -> xr.DataArray:
    """Direction the pelvis faces, averaged over the trial, as an angle about Z (radians; 0 = +X, pi/2 = +Y).

    Notes
    -----
    The horizontal perpendicular to the ASIS line (LASI - RASI turned 90 deg clockwise seen from above), made unit
    length in every frame and averaged over the frames that have it (a circular mean: pelvic rotation in running,
    +/-6 deg, cancels), not snapped to a lab axis. It is the rotation angle of Baker's sequence (science.md section
    2) averaged, so pelvic tilt and obliquity do not turn it; the horizontal part of mid-ASIS minus sacrum would
    turn by atan(sin(obliquity) tan(tilt)), 2.8 deg at 6 deg of drop and 25 deg of tilt.
    """
    across = _point(markers, "LASI") - _point(markers, "RASI")
    forward_x, forward_y = across.sel({AXIS: "y"}, drop=True), -across.sel({AXIS: "x"}, drop=True)
    length = np.sqrt(forward_x**2 + forward_y**2)
    mean_x, mean_y = (forward_x / length).mean(TIME, skipna=True), (forward_y / length).mean(TIME, skipna=True)
    return np.arctan2(mean_y, mean_x).rename("facing_heading")


def _left_in_frontal_plane(heading) -> xr.DataArray:
    """Unit lab vector pointing left in the frontal plane of a subject facing ``heading`` (radians about Z)."""
    return _lab_vector(-np.sin(heading), np.cos(heading), xr.zeros_like(xr.DataArray(heading)))


def _side_sign() -> xr.DataArray:
    return xr.DataArray([1.0, -1.0], dims=SIDE, coords={SIDE: list(SIDES)})


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
    (science.md section 8). Otherwise the shoulder line s = LSHO - RSHO, the thorax's lateral axis: lean =
    atan2(-s . z_lab, s . left), the left shoulder's drop below the right one in the frontal plane. For a thorax that
    flexes forward and leans about the forward axis the two read the same angle; the shoulder line also follows a
    shrug of one shoulder (1 deg per 6 mm over a 340 mm shoulder width). The vector from the shoulder mid-point to C7
    (science.md's other fallback) is no axis to measure from: C7 sits 25-75 mm above the shoulder mid-point and up to
    100 mm behind it in the single_leg files of ../shared/data/c3d, so its frontal angle swung through +/-170 deg on
    nimble_complexknee. Positive toward the stance side is the classic compensation, the trunk shifted over the
    stance hip to unload weak abductors (Crossley et al. 2011, Am J Sports Med 39:866).
    """
    attrs = {"units": ANGLE_UNIT, "long_name": "trunk lateral lean", "sign": "positive toward that side"}
    missing = lambda why: (_nan_series(markers) * _side_sign()).transpose(TIME, SIDE).rename("trunk_lean").assign_attrs(
        attrs, source="", missing_L=why, missing_R=why)
    if heading is None and pelvis_problem(markers):
        return missing(f"no frontal plane: {pelvis_problem(markers)}")
    left = _left_in_frontal_plane(facing_heading(markers) if heading is None else heading)
    if _has(markers, *THORAX_MARKERS):
        axis = _midpoint(markers, "C7", "CLAV") - _midpoint(markers, "T10", "STRN")
        lean_left = np.arctan2(_dot(axis, left), axis.sel({AXIS: "z"}, drop=True))
        how = "Plug-in Gait thorax: mid(T10, STRN) to mid(C7, CLAV)"
    elif _has(markers, *SHOULDER_MARKERS):
        across = _point(markers, "LSHO") - _point(markers, "RSHO")
        lean_left = np.arctan2(-across.sel({AXIS: "z"}, drop=True), _dot(across, left))
        how = "shoulder line LSHO - RSHO (no T10/STRN)"
    else:
        return missing("no thorax markers (needs C7, CLAV, T10 and STRN, or LSHO and RSHO)")
    return (np.degrees(lean_left) * _side_sign()).transpose(TIME, SIDE).rename("trunk_lean").assign_attrs(
        attrs, source=how, missing_L="", missing_R="")


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
    origin = _midpoint(markers, "LASI", "RASI")
    width, depth = pelvic_width_depth(markers)
    forward = HARRINGTON_DEPTH_X[0] * depth + HARRINGTON_DEPTH_X[1]
    up = HARRINGTON_WIDTH_UP[0] * width + HARRINGTON_WIDTH_UP[1]
    lateral = HARRINGTON_WIDTH_LATERAL[0] * width + HARRINGTON_WIDTH_LATERAL[1]
    local = xr.concat([forward * xr.ones_like(_side_sign()), lateral * _side_sign(), up * xr.ones_like(_side_sign())],
                      dim="segment_axis").assign_coords(segment_axis=["X", "Y", "Z"])
    centres = origin + (pelvis_axes(markers) * local).sum("segment_axis", skipna=False)
    return centres.transpose(TIME, SIDE, AXIS).rename("hip_joint_centre").assign_attrs(
        units=LENGTH_UNIT, method="Harrington et al. 2007 (J Biomech 40:595), pelvic width and depth")


def pelvic_width_depth(markers: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray]:
    """Pelvic width (|LASI - RASI|) and depth (|mid-ASIS - sacrum|), mm: the medians over the trial."""
    lasi, rasi = _point(markers, "LASI"), _point(markers, "RASI")
    back = (lasi + rasi) / 2 - sacrum(markers)
    median = lambda a: xr.apply_ufunc(np.nanmedian, a, input_core_dims=[[TIME]], dask="parallelized",
                                      output_dtypes=[float], dask_gufunc_kwargs={"allow_rechunk": True})
    return median(np.sqrt(_dot(lasi - rasi, lasi - rasi))), median(np.sqrt(_dot(back, back)))


def _centre_pair(markers: xr.DataArray, lateral: str, medial: str, what: str) -> tuple[xr.DataArray, dict, dict]:
    """Mid-point of a side's lateral and medial markers, else the lateral one, else NaN: ``[time, side, axis]``
    with, per side, how it was built and (when missing) why."""
    per_side, how, missing = [], {}, {}
    for s in SIDES:
        lat, med = f"{s}{lateral}", f"{s}{medial}"
        if _has(markers, lat, med):
            per_side.append(_midpoint(markers, lat, med))
            how[s], missing[s] = f"mid({lat}, {med})", ""
        elif _has(markers, lat):
            per_side.append(_point(markers, lat))
            how[s], missing[s] = f"{lat} alone (no {med})", ""
        else:
            per_side.append(_point(markers, markers[MARKER].values[0]) * np.nan)
            how[s], missing[s] = "", f"no {what} marker {lat}"
    return xr.concat(per_side, dim=SIDE).assign_coords({SIDE: list(SIDES)}).transpose(TIME, SIDE, AXIS), how, missing


def knee_centres(markers: xr.DataArray) -> xr.DataArray:
    """Knee joint centres ``[time, side, axis]`` mm: mid-point of the femoral epicondyle markers (xKNE lateral,
    xKNM medial), else the lateral marker alone (see ``knee_fppa`` for what that does to the angle), else NaN;
    ``attrs`` say which per side (``source_L``, ``missing_L`` ...)."""
    centres, how, missing = _centre_pair(markers, LATERAL_KNEE, MEDIAL_KNEE, "lateral knee")
    return centres.rename("knee_centre").assign_attrs(
        units=LENGTH_UNIT, **{f"source_{s}": how[s] for s in SIDES}, **{f"missing_{s}": missing[s] for s in SIDES})


def ankle_centres(markers: xr.DataArray) -> xr.DataArray:
    """Ankle joint centres ``[time, side, axis]`` mm: mid-point of the malleolus markers (xANK lateral, xMED
    medial), else the lateral one alone, else NaN; ``attrs`` as ``knee_centres``."""
    centres, how, missing = _centre_pair(markers, LATERAL_ANKLE, MEDIAL_ANKLE, "lateral ankle")
    return centres.rename("ankle_centre").assign_attrs(
        units=LENGTH_UNIT, **{f"source_{s}": how[s] for s in SIDES}, **{f"missing_{s}": missing[s] for s in SIDES})


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
    if pelvis_problem(markers):
        why = f"no hip joint centre: {pelvis_problem(markers)}"
        return (_nan_series(markers) * _side_sign()).transpose(TIME, SIDE).rename("knee_fppa").assign_attrs(
            units=ANGLE_UNIT, long_name="knee frontal-plane projection angle", sign="positive in valgus (knee medial)",
            **{f"source_{s}": "" for s in SIDES}, **{f"missing_{s}": why for s in SIDES})
    hip, knee, ankle = hip_joint_centres(markers), knee_centres(markers), ankle_centres(markers)
    if heading is None:
        heading = facing_heading(markers)
    lateral_axis = _left_in_frontal_plane(heading) * _side_sign()  # [side, axis]: left for L, right for R
    lateral = lambda p: _dot(p, lateral_axis)
    height = lambda p: p.sel({AXIS: "z"}, drop=True)
    thigh = np.arctan2(lateral(knee) - lateral(hip), height(hip) - height(knee))
    shank = np.arctan2(lateral(ankle) - lateral(knee), height(knee) - height(ankle))
    fppa = np.degrees(_wrap(shank - thigh))
    attrs = {f"source_{s}": f"knee {knee.attrs[f'source_{s}']}, ankle {ankle.attrs[f'source_{s}']}, hip Harrington 2007"
             if not (knee.attrs[f"missing_{s}"] or ankle.attrs[f"missing_{s}"]) else "" for s in SIDES}
    attrs |= {f"missing_{s}": "; ".join(m for m in (knee.attrs[f"missing_{s}"], ankle.attrs[f"missing_{s}"]) if m)
              for s in SIDES}
    return fppa.transpose(TIME, SIDE).rename("knee_fppa").assign_attrs(
        units=ANGLE_UNIT, long_name="knee frontal-plane projection angle", sign="positive in valgus (knee medial)",
        **attrs)


def _wrap(radians: xr.DataArray) -> xr.DataArray:
    """Angles wrapped to (-pi, pi]."""
    return np.arctan2(np.sin(radians), np.cos(radians))


def compensation_angles(markers: xr.DataArray, *, heading: xr.DataArray | float | None = None) -> xr.Dataset:
    """``trunk_lean`` and ``knee_fppa`` over ``[time, side]`` in degrees, in the same frontal plane (default: the
    one the pelvis faces over the trial, ``facing_heading``), each with its sources and missing reasons in attrs."""
    if heading is None and not pelvis_problem(markers):
        heading = facing_heading(markers)
    out = xr.Dataset({"trunk_lean": trunk_lean(markers, heading=heading), "knee_fppa": knee_fppa(markers, heading=heading)})
    out.attrs["frontal_plane"] = "vertical plane perpendicular to the pelvis's mean facing direction"
    return out
