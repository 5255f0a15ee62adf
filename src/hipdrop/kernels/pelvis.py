"""Plug-in Gait pelvis segment and pelvic angles in two sequences (science.md section 2).

Array convention: markers are ``[time, marker, axis]`` in mm in a right-handed Z-up lab (``hipdrop.vocab``).
Angles come out in degrees over ``[time, side]`` with Plug-in Gait per-side signs: a side's obliquity is positive
when that side is up, tilt is the same on both sides (positive anterior) and rotation flips sign with the side
(positive when that side is forward). Every function here is lazy: it works unchanged on Dask-backed arrays.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from hipdrop.vocab import ANGLE_UNIT, AXIS, MARKER, SIDE, SIDES, TIME

SEQUENCES = ("rot", "tor")
#: LASI displacement (mm) above which Plug-in Gait takes progression from the walk itself (PiG reference guide)
WALKING_DISPLACEMENT_MM = 800.0


def _unit(v: xr.DataArray) -> xr.DataArray:
    return v / np.sqrt((v**2).sum(AXIS))


def sacrum(markers: xr.DataArray) -> xr.DataArray:
    """SACR when the file has it, else the mid-point of the PSIS markers."""
    if "SACR" in markers[MARKER].values:
        return markers.sel({MARKER: "SACR"}, drop=True)
    return markers.sel({MARKER: ["LPSI", "RPSI"]}).mean(MARKER)


def pelvis_axes(markers: xr.DataArray) -> xr.DataArray:
    """Unit axes of the Plug-in Gait pelvis in the lab, ``[time, segment_axis, axis]``.

    Notes
    -----
    Origin mid-ASIS; Y = unit(LASI - RASI) (left); Z = unit(Y x (SACR - RASI)) (up); X = Y x Z (forward).
    """
    lasi, rasi = markers.sel({MARKER: "LASI"}, drop=True), markers.sel({MARKER: "RASI"}, drop=True)
    y = _unit(lasi - rasi)
    z = _unit(xr.cross(y, sacrum(markers) - rasi, dim=AXIS))
    x = xr.cross(y, z, dim=AXIS)
    return xr.concat([x, y, z], dim="segment_axis").assign_coords(segment_axis=["X", "Y", "Z"])


def progression_heading(markers: xr.DataArray) -> xr.DataArray:
    """Plug-in Gait progression direction as an angle about the lab's Z axis (radians; 0 = +X, pi/2 = +Y).

    Notes
    -----
    If LASI moves more than 800 mm between its first and last valid frames, progression is the lab X or Y axis
    with the larger displacement, signed by its direction. Otherwise (always on a treadmill) the pelvis facing
    direction (mid-ASIS minus sacrum) averaged over the middle 10 % of valid frames, snapped to +/-X or +/-Y.
    Computed with cumulative sums rather than indexing so that it stays lazy under Dask.
    """
    lasi = markers.sel({MARKER: "LASI"}, drop=True)
    facing = markers.sel({MARKER: ["LASI", "RASI"]}).mean(MARKER) - sacrum(markers)
    valid = lasi.notnull().all(AXIS) & facing.notnull().all(AXIS)
    rank = valid.cumsum(TIME)
    count = valid.sum(TIME)
    first = lasi.where(valid & (rank == 1)).sum(TIME)
    last = lasi.where(valid & (rank == count)).sum(TIME)
    travel = (last - first).sel({AXIS: ["x", "y"]})
    middle = valid & (rank > 0.45 * count) & (rank <= 0.55 * count)
    facing_mean = facing.where(middle).mean(TIME).sel({AXIS: ["x", "y"]})

    def snapped(v: xr.DataArray) -> xr.DataArray:
        # keep the dominant horizontal component only: snaps the direction to +/-X or +/-Y
        vx, vy = v.sel({AXIS: "x"}, drop=True), v.sel({AXIS: "y"}, drop=True)
        along_x = np.abs(vx) >= np.abs(vy)
        return xr.where(along_x, xr.where(vx >= 0, 0.0, np.pi), xr.where(vy >= 0, np.pi / 2, -np.pi / 2))

    walking = np.sqrt((travel**2).sum(AXIS)) > WALKING_DISPLACEMENT_MM
    return xr.where(walking, snapped(travel), snapped(facing_mean)).rename("progression_heading")


def pelvic_angles(markers: xr.DataArray, *, sequence: str = "rot", heading: xr.DataArray | float | None = None) -> xr.Dataset:
    """Pelvic tilt, obliquity and rotation per side, in degrees.

    Parameters
    ----------
    markers : ``[time, marker, axis]`` mm, with LASI, RASI and either SACR or LPSI and RPSI
    sequence : ``"rot"`` (Baker 2001: rotation, obliquity, tilt; intrinsic Z, X', Y'' in PiG axes) or ``"tor"``
        (Plug-in Gait: tilt, obliquity, rotation; intrinsic Y, X', Z''), both relative to the progression frame
    heading : progression angle about Z (radians); default ``progression_heading(markers)``

    Returns
    -------
    Dataset with ``tilt``, ``obliquity``, ``rotation`` over ``[time, side]`` in degrees.

    Notes
    -----
    With R = [X Y Z] the pelvis axes in the progression frame:
    ``rot``: R = Rz(g) Rx(b) Ry(a): b = asin(Y_z) (independent of heading and tilt), a = atan2(-X_z, Z_z),
    g = atan2(-Y_x, Y_y). ``tor``: R = Ry(a) Rx(b) Rz(g): b = asin(-Z_y), a = atan2(Z_x, Z_z), g = atan2(X_y, Y_y).
    b > 0 lifts the left side; a > 0 tips the pelvis forward; g > 0 turns it to the left (right side forward).
    """
    if sequence not in SEQUENCES:
        raise ValueError(f"sequence must be one of {SEQUENCES}, not {sequence!r}")
    axes = pelvis_axes(markers)
    if heading is None:
        heading = progression_heading(markers)
    c, s = np.cos(heading), np.sin(heading)
    ax, ay, az = (axes.sel({AXIS: k}, drop=True) for k in ("x", "y", "z"))
    # pelvis axes in the progression frame (the lab turned about Z by ``heading``)
    px, py, pz = ax * c + ay * s, -ax * s + ay * c, az
    comp = lambda p, segment: p.sel(segment_axis=segment, drop=True)
    if sequence == "rot":
        obliquity = np.arcsin(comp(pz, "Y").clip(-1, 1))
        tilt = np.arctan2(-comp(pz, "X"), comp(pz, "Z"))
        rotation = np.arctan2(-comp(px, "Y"), comp(py, "Y"))
    else:
        obliquity = np.arcsin((-comp(py, "Z")).clip(-1, 1))
        tilt = np.arctan2(comp(px, "Z"), comp(pz, "Z"))
        rotation = np.arctan2(comp(py, "X"), comp(py, "Y"))
    side_sign = xr.DataArray([1.0, -1.0], dims=SIDE, coords={SIDE: list(SIDES)})  # L, R
    deg = lambda a: np.degrees(a)
    out = xr.Dataset(
        {
            "tilt": deg(tilt) * xr.ones_like(side_sign),
            "obliquity": deg(obliquity) * side_sign,
            "rotation": deg(rotation) * -side_sign,
        }
    ).transpose(TIME, SIDE)
    for name, meaning in (
        ("tilt", "anterior tilt positive"),
        ("obliquity", "positive when that side is up"),
        ("rotation", "positive when that side is forward"),
    ):
        out[name].attrs.update(units=ANGLE_UNIT, long_name=f"pelvic {name}", sign=meaning)
    out.attrs.update(sequence=sequence, segment="Plug-in Gait pelvis", reference="progression frame")
    return out
