"""Plug-in Gait pelvis segment and pelvic angles in two sequences (docs/science.md section 2).

Array convention: markers are ``[time, marker, axis]`` in mm in a right-handed Z-up lab (``hipdrop.vocab``).
Angles come out in degrees over ``[time, side]`` with Plug-in Gait per-side signs: a side's obliquity is positive
when that side is up, tilt is the same on both sides (positive anterior) and rotation flips sign with the side
(positive when that side is forward). Every function here is lazy: it works unchanged on Dask-backed arrays;
markers in memory take a numpy path with the same arithmetic (a trial's pelvis costs no xarray label lookups).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from hipdrop.vocab import ANGLE_UNIT, AXIS, MARKER, SIDE, SIDES, TIME

SEQUENCES = ("rot", "tor")
#: LASI displacement (mm) above which Plug-in Gait takes progression from the walk itself (PiG reference guide)
WALKING_DISPLACEMENT_MM = 800.0


def _unit_np(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def pelvis_axes_np(lasi: np.ndarray, rasi: np.ndarray, sac: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X, Y, Z unit axes [..., 3] of the PiG pelvis from LASI, RASI and the sacrum [..., 3]."""
    y = _unit_np(lasi - rasi)
    z = _unit_np(np.cross(y, sac - rasi))
    return np.cross(y, z), y, z


def sacrum(markers: xr.DataArray) -> xr.DataArray:
    """SACR when the file has it, else the mid-point of the PSIS markers."""
    names = list(markers[MARKER].values)
    if "SACR" in names:
        return markers.isel({MARKER: names.index("SACR")}, drop=True)  # by position: sel builds an index per call
    return markers.sel({MARKER: ["LPSI", "RPSI"]}).mean(MARKER)


def _landmarks(markers: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray, xr.DataArray]:
    return markers.sel({MARKER: "LASI"}, drop=True), markers.sel({MARKER: "RASI"}, drop=True), sacrum(markers)


def _landmarks_np(markers: xr.DataArray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``_landmarks`` as numpy ``[time, 3]`` for markers in memory (None for a lazy array or other dims): the same
    numbers, the sacrum of two PSIS markers their NaN-skipping mean as xarray's ``mean`` takes it."""
    if not isinstance(markers.data, np.ndarray) or set(markers.dims) != {TIME, MARKER, AXIS}:
        return None
    xyz = markers.transpose(TIME, MARKER, AXIS).to_numpy()
    names = list(markers[MARKER].values)
    column = lambda name: xyz[:, names.index(name)]
    if "SACR" in names:
        sac = column("SACR")
    else:
        with np.errstate(invalid="ignore", divide="ignore"):  # xarray's skipna mean: the sum of what is there / count
            both = np.stack([column("LPSI"), column("RPSI")])
            there = ~np.isnan(both)
            sac = np.where(there, both, 0.0).sum(0) / there.sum(0)
    return column("LASI"), column("RASI"), sac


def pelvis_axes(markers: xr.DataArray) -> xr.DataArray:
    """Unit axes of the Plug-in Gait pelvis in the lab, ``[time, segment_axis, axis]``.

    Notes
    -----
    Origin mid-ASIS; Y = unit(LASI - RASI) (left); Z = unit(Y x (SACR - RASI)) (up); X = Y x Z (forward).
    """
    stacked = lambda *a: np.stack(pelvis_axes_np(*a), axis=-2)
    landmarks = _landmarks_np(markers)
    if landmarks is not None:
        return xr.DataArray(stacked(*landmarks), dims=(TIME, "segment_axis", AXIS), name=markers.name,
                            coords={TIME: markers[TIME], "segment_axis": ["X", "Y", "Z"], AXIS: markers[AXIS]},
                            attrs=markers.attrs)
    return xr.apply_ufunc(
        stacked, *_landmarks(markers), input_core_dims=[[AXIS]] * 3, output_core_dims=[["segment_axis", AXIS]],
        dask="parallelized", output_dtypes=[float], dask_gufunc_kwargs={"output_sizes": {"segment_axis": 3}},
    ).assign_coords(segment_axis=["X", "Y", "Z"])


def _heading_np(lasi: np.ndarray, facing: np.ndarray) -> np.ndarray:
    """Progression angle (radians) from LASI and the facing vector ``[..., time, 3]``; see progression_heading."""
    valid = np.isfinite(lasi).all(-1) & np.isfinite(facing).all(-1)
    rank = np.cumsum(valid, axis=-1)
    count = rank[..., -1:]
    first = np.where((valid & (rank == 1))[..., None], lasi, 0.0).sum(-2)
    last = np.where((valid & (rank == count))[..., None], lasi, 0.0).sum(-2)
    middle = valid & (rank > 0.45 * count) & (rank <= 0.55 * count)
    facing_mean = np.where(middle[..., None], facing, 0.0).sum(-2)  # direction only: no need to divide

    def snapped(v):
        # keep the dominant horizontal component only: snaps the direction to +/-X or +/-Y
        vx, vy = v[..., 0], v[..., 1]
        return np.where(np.abs(vx) >= np.abs(vy), np.where(vx >= 0, 0.0, np.pi), np.where(vy >= 0, np.pi / 2, -np.pi / 2))

    travel = last - first
    walking = np.hypot(travel[..., 0], travel[..., 1]) > WALKING_DISPLACEMENT_MM
    return np.where(walking, snapped(travel), snapped(facing_mean))


def progression_heading(markers: xr.DataArray) -> xr.DataArray:
    """Plug-in Gait progression direction as an angle about the lab's Z axis (radians; 0 = +X, pi/2 = +Y).

    Notes
    -----
    If LASI moves more than 800 mm between its first and last valid frames, progression is the lab X or Y axis
    with the larger displacement, signed by its direction. Otherwise (always on a treadmill) the pelvis facing
    direction (mid-ASIS minus sacrum) averaged over the middle 10 % of valid frames, snapped to +/-X or +/-Y.
    """
    landmarks = _landmarks_np(markers)
    if landmarks is not None:
        lasi, rasi, sac = landmarks
        return xr.DataArray(_heading_np(lasi, (lasi + rasi) / 2 - sac), name="progression_heading", attrs={"units": "rad"})
    lasi, rasi, sac = _landmarks(markers)
    facing = (lasi + rasi) / 2 - sac
    return xr.apply_ufunc(
        _heading_np, lasi, facing, input_core_dims=[[TIME, AXIS]] * 2, dask="parallelized",
        output_dtypes=[float], dask_gufunc_kwargs={"allow_rechunk": True},
    ).rename("progression_heading").assign_attrs(units="rad")  # not the markers' mm, which apply_ufunc passes on


def _angles_np(lasi, rasi, sac, heading, *, sequence: str):
    """(tilt, obliquity, rotation) in degrees, left-side signs, from landmarks [..., 3] (see pelvic_angles)."""
    x, y, z = pelvis_axes_np(lasi, rasi, sac)
    c, s = np.cos(heading), np.sin(heading)
    # components of a pelvis axis in the progression frame (the lab turned about Z by ``heading``)
    px = lambda v: v[..., 0] * c + v[..., 1] * s
    py = lambda v: -v[..., 0] * s + v[..., 1] * c
    pz = lambda v: v[..., 2]
    if sequence == "rot":
        obliquity = np.arcsin(np.clip(pz(y), -1, 1))
        tilt = np.arctan2(-pz(x), pz(z))
        rotation = np.arctan2(-px(y), py(y))
    else:
        obliquity = np.arcsin(np.clip(-py(z), -1, 1))
        tilt = np.arctan2(px(z), pz(z))
        rotation = np.arctan2(py(x), py(y))
    return np.degrees(tilt), np.degrees(obliquity), np.degrees(rotation)


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
    if heading is None:
        heading = progression_heading(markers)
    landmarks = _landmarks_np(markers) if isinstance(heading, float) else None
    if landmarks is not None:
        sign = np.array([1.0, -1.0])  # L, R: multiplied as xarray broadcasts side_sign below, the same bits
        tilt, obliquity, rotation = (a[:, None] for a in _angles_np(*landmarks, heading, sequence=sequence))
        coords = {TIME: markers[TIME], SIDE: list(SIDES)}
        out = xr.Dataset({"tilt": ((TIME, SIDE), tilt * np.ones(2)), "obliquity": ((TIME, SIDE), obliquity * sign),
                          "rotation": ((TIME, SIDE), rotation * -sign)}, coords=coords)
    else:
        tilt, obliquity, rotation = xr.apply_ufunc(
            _angles_np, *_landmarks(markers), heading, kwargs={"sequence": sequence},
            input_core_dims=[[AXIS]] * 3 + [[]], output_core_dims=[[]] * 3,
            dask="parallelized", output_dtypes=[float] * 3,
        )
        side_sign = xr.DataArray([1.0, -1.0], dims=SIDE, coords={SIDE: list(SIDES)})  # L, R
        out = xr.Dataset(
            {"tilt": tilt * xr.ones_like(side_sign), "obliquity": obliquity * side_sign, "rotation": rotation * -side_sign}
        ).transpose(TIME, SIDE)
    for name, meaning in (
        ("tilt", "anterior tilt positive"),
        ("obliquity", "positive when that side is up"),
        ("rotation", "positive when that side is forward"),
    ):
        out[name].attrs.update(units=ANGLE_UNIT, long_name=f"pelvic {name}", sign=meaning)
    out.attrs.update(sequence=sequence, segment="Plug-in Gait pelvis", reference="progression frame")
    return out
