"""Arm swing beyond its fore-aft amplitude, per stride and side: crossover of the body's midline, elbow angle, and
the rotation of thorax against pelvis with the phase of arm against opposite leg (docs/science.md section 12).

Every measure of a stance of side S is taken over its stride, from the S strike to the next S strike (as the
fore-aft amplitude ``arm_swing_mm`` of ``hipdrop.kernels.stances``), for the S arm.

The thorax frame (horizontal plane, lab Z up). Its forward axis is the horizontal projection of C7 -> CLAV, its
origin their midpoint; without C7 or CLAV, forward is square to the shoulder line (RSHO -> LSHO) and the origin
the mid-shoulder point; without those, the pelvis stands in (forward square to RASI -> LASI, origin the mean of the
pelvis landmarks) and ``arm_frame`` says so. The body's midline is the vertical plane through the origin along the
forward axis. Markers are ``[time, marker, axis]`` in mm, canonical names (Plug-in Gait, config/markersets).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import xarray as xr

from hipdrop.vocab import AXIS, MARKER, OTHER_SIDE, SIDES, TIME

#: the columns ``arm_measures`` adds to a stance table
ARM_COLUMNS = [
    "arm_crossover_mm", "arm_crossover_pct", "elbow_angle_mean_deg", "elbow_angle_range_deg",
    "thorax_pelvis_rotation_deg", "arm_leg_phase_deg", "arm_frame", "arm_reason",
]
#: the numeric measures of ``ARM_COLUMNS``, for the statistics
ARM_METRICS = tuple(ARM_COLUMNS[:6])
#: the markers these measures read beyond the pelvis, feet and wrists (for the list of markers to clean)
ARM_MARKERS = ("C7", "CLAV", "LSHO", "RSHO", "LELB", "RELB")
#: the wrist markers, in order of preference: Plug-in Gait's pair (their mean is the wrist centre), or one marker per
#: wrist (markerset plugin_gait's LWRI / RWRI); the one list of this module's wrist centre and of the arm swing's
#: wrists (``hipdrop.trial.process.wrist_source``)
WRIST_SETS = (("WRA", "WRB"), ("WRI",))
#: the opposite leg's fore-aft position, for the relative phase: the lateral malleolus, else the heel
LEG_MARKERS = ("ANK", "HEE")
#: the pelvis landmarks a pelvis centre and heading are taken from (those present)
_PELVIS = ("LASI", "RASI", "LPSI", "RPSI", "SACR")


def _get(xyz: np.ndarray, names: list[str], name: str) -> np.ndarray | None:
    return xyz[:, names.index(name), :] if name in names else None


def wrist_centre(xyz: np.ndarray, names: list[str], side: str) -> np.ndarray | None:
    """The S wrist's centre ``[time, 3]``: the mean of WRA and WRB, else WRI; None without either."""
    pair, (single,) = WRIST_SETS
    both = [_get(xyz, names, f"{side}{m}") for m in pair]
    if all(p is not None for p in both):
        return (both[0] + both[1]) / 2
    return _get(xyz, names, f"{side}{single}")


def _horizontal_unit(v: np.ndarray) -> np.ndarray:
    h = v[:, :2]
    norm = np.linalg.norm(h, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 0, h / norm, np.nan)


def body_frame(xyz: np.ndarray, names: list[str]) -> tuple[np.ndarray, np.ndarray, str]:
    """(origin ``[time, 2]``, forward unit ``[time, 2]`` in the horizontal plane, which frame: "thorax" or
    "pelvis"), as the module docstring says; NaN origin where no frame can be built."""
    c7, clav = _get(xyz, names, "C7"), _get(xyz, names, "CLAV")
    if c7 is not None and clav is not None:
        return ((c7 + clav) / 2)[:, :2], _horizontal_unit(clav - c7), "thorax"
    lsho, rsho = _get(xyz, names, "LSHO"), _get(xyz, names, "RSHO")
    if lsho is not None and rsho is not None:
        left = _horizontal_unit(lsho - rsho)
        return ((lsho + rsho) / 2)[:, :2], np.stack([left[:, 1], -left[:, 0]], -1), "thorax"
    return pelvis_frame(xyz, names) + ("pelvis",)


def pelvis_frame(xyz: np.ndarray, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(origin = mean of the pelvis landmarks present ``[time, 2]``, forward unit square to RASI -> LASI)."""
    landmarks = [p for m in _PELVIS if (p := _get(xyz, names, m)) is not None]
    nan = np.full((xyz.shape[0], 2), np.nan)
    if not landmarks or "LASI" not in names or "RASI" not in names:
        return nan, nan
    left = _horizontal_unit(_get(xyz, names, "LASI") - _get(xyz, names, "RASI"))
    return np.mean(landmarks, axis=0)[:, :2], np.stack([left[:, 1], -left[:, 0]], -1)


def crossing(wrist: np.ndarray, origin: np.ndarray, forward: np.ndarray, side: str) -> np.ndarray:
    """The S wrist centre's distance across the midline ``[time]`` (mm): positive on the other side of it (across),
    negative on its own side."""
    left = np.stack([-forward[:, 1], forward[:, 0]], -1)  # Z x forward
    lateral = ((wrist[:, :2] - origin) * left).sum(-1)  # + = to the body's left
    return -lateral if side == "L" else lateral


def included_angle(a: np.ndarray, vertex: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle a-vertex-b (deg) ``[time]``: 180 = the three in a line."""
    u, v = a - vertex, b - vertex
    cos = (u * v).sum(-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def relative_yaw(forward_a: np.ndarray, forward_b: np.ndarray) -> np.ndarray:
    """Yaw of frame a relative to frame b (deg, wrapped to (-180, 180]) from their horizontal forward units."""
    yaw = np.arctan2(forward_a[:, 1], forward_a[:, 0]) - np.arctan2(forward_b[:, 1], forward_b[:, 0])
    return np.degrees(np.angle(np.exp(1j * yaw)))


def first_harmonic_phase(a: np.ndarray, b: np.ndarray) -> float:
    """Phase of ``a`` relative to ``b`` (deg, (-180, 180]): the difference of the phases of their first Fourier
    harmonics over the window (one stride is one period); 0 = in phase, +: ``a`` leads."""
    harmonic = _harmonic(len(a))
    ca = ((a - _mean(a)) * harmonic).sum()
    cb = ((b - _mean(b)) * harmonic).sum()
    return float(np.degrees(np.angle(ca * np.conj(cb))))


@lru_cache(maxsize=256)
def _harmonic(n: int) -> np.ndarray:
    """exp(-i theta) over one period of ``n`` samples, read-only: strides of the same length recur over a trial."""
    theta = 2 * np.pi * np.arange(n) / n
    harmonic = np.exp(-1j * theta)
    harmonic.flags.writeable = False
    return harmonic


def _mean(values: np.ndarray) -> np.float64:
    """``values.mean()`` to the bit (numpy's mean is this sum over the count) without its dispatch, which costs
    more than the sum over a stride."""
    return np.add.reduce(values) / len(values)


def _complete(counts: np.ndarray, span: slice) -> bool:
    """No non-finite sample in ``span`` (a slice from ``_missing_before``'s series; empty spans are complete, as
    ``np.isfinite(x[span]).all()`` of an empty slice is True)."""
    start = min(span.start, len(counts) - 1)
    return counts[min(max(span.stop, start), len(counts) - 1)] == counts[start]


def _missing_before(values: np.ndarray | None) -> np.ndarray | None:
    """Count of non-finite samples before each frame (``n + 1`` long): a span [a, b) is complete when the counts at b
    and a are equal, one subtraction per stride instead of a scan."""
    return None if values is None else np.concatenate([[0], np.cumsum(~np.isfinite(values))])


def next_same_side(stances: pd.DataFrame) -> np.ndarray:
    """Frame of the next strike of each stance's side in the table (-1 for the last of its side)."""
    out = np.full(len(stances), -1, np.int64)
    frames = stances["strike_frame"].to_numpy().astype(np.int64)
    sides = stances["side"].to_numpy()
    for side in SIDES:
        idx = np.flatnonzero(sides == side)
        idx = idx[np.argsort(frames[idx], kind="stable")]
        out[idx[:-1]] = frames[idx[1:]]
    return out


def arm_measures(markers: xr.DataArray, stances: pd.DataFrame, *, heading: float) -> pd.DataFrame:
    """The arm measures of each stance's stride, one row per row of ``stances`` (same index), columns ``ARM_COLUMNS``.

    Parameters
    ----------
    markers : ``[time, marker, axis]`` mm, canonical names, cleaned and low-passed as for the pelvis
    stances : the stance table (``side``, ``strike_frame``; one row per strike)
    heading : progression direction about lab Z (radians), for the fore-aft positions of the relative phase

    Columns
    -------
    arm_crossover_mm : peak of the S wrist centre's distance across the midline over the stride (mm; positive =
        it crossed, negative = it stayed that far on its own side)
    arm_crossover_pct : share of the stride (%) with the wrist centre across the midline
    elbow_angle_mean_deg, elbow_angle_range_deg : the S shoulder-elbow-wrist angle (SHO, ELB, wrist centre;
        180 = straight arm), its mean and max - min over the stride
    thorax_pelvis_rotation_deg : max - min over the stride of the thorax's yaw relative to the pelvis's (needs a
        thorax: NaN in the pelvis frame)
    arm_leg_phase_deg : phase of the S wrist's fore-aft position (relative to the pelvis centre, along
        progression) relative to the opposite foot's (ANK, else HEE), first harmonics over the stride: about 0
        when the arm swings with the opposite leg, as in running; +/-180 with the same-side leg
    arm_frame : "thorax" or "pelvis" (the midline's frame), "" without wrist markers
    arm_reason : why a measure is NaN ("" when none is)
    """
    names = [str(m) for m in markers[MARKER].values]
    xyz = np.asarray(markers.transpose(TIME, MARKER, AXIS).to_numpy(), dtype=float)  # read only: no copy needed
    n = xyz.shape[0]
    if stances.empty:
        out = pd.DataFrame(index=stances.index, columns=ARM_COLUMNS)
        for c in ARM_METRICS:
            out[c] = np.nan
        out["arm_frame"], out["arm_reason"] = "", ""
        return out
    # filled per stance as numpy and lists, the frame built once: pandas' .loc per cell costs more than the measures
    metrics = {c: np.full(len(stances), np.nan) for c in ARM_METRICS}
    frames, why = [""] * len(stances), [""] * len(stances)
    origin, forward, frame = body_frame(xyz, names)
    p_origin, p_forward = pelvis_frame(xyz, names)
    progression = np.array([np.cos(heading), np.sin(heading)])
    wrists = {s: wrist_centre(xyz, names, s) for s in SIDES}
    legs = {s: next((p for m in LEG_MARKERS if (p := _get(xyz, names, f"{s}{m}")) is not None), None) for s in SIDES}
    rotation = relative_yaw(forward, p_forward) if frame == "thorax" else None
    # per side, each frame's crossing, elbow angle and fore-aft wrist and opposite-foot positions over the whole
    # trial (every value is its frame's own), sliced per stride below
    along = lambda point: None if point is None else ((point[:, :2] - p_origin) * progression).sum(-1)
    crosses, angles, arm_along, leg_along = {}, {}, {}, {}
    for s in SIDES:
        if wrists[s] is not None:
            crosses[s] = crossing(wrists[s], origin, forward, s)
            sho, elb = _get(xyz, names, f"{s}SHO"), _get(xyz, names, f"{s}ELB")
            angles[s] = None if sho is None or elb is None else included_angle(sho, elb, wrists[s])
            arm_along[s] = along(wrists[s])
        leg_along[s] = along(legs[s])
    nxt = next_same_side(stances)
    missing = {name: {s: _missing_before(series.get(s)) for s in SIDES}
               for name, series in (("cross", crosses), ("angle", angles), ("arm", arm_along), ("leg", leg_along))}
    rotation_missing = _missing_before(rotation)
    for row, (side, strike) in enumerate(zip(stances["side"], stances["strike_frame"])):
        reasons, values = [], {}
        wrist = wrists.get(side)
        end = min(int(nxt[row]), n - 1)
        if wrist is None:
            reasons.append(f"no {side} wrist markers (needs {side}WRA and {side}WRB, or {side}WRI)")
        if nxt[row] < 0:
            reasons.append("no next strike of the side: no stride")
        if reasons:
            why[row] = "; ".join(reasons)
            frames[row] = frame if wrist is not None else ""
            continue
        span = slice(int(strike), end)  # the stride, the next strike's frame left out
        cross = crosses[side][span]
        if len(cross) and _complete(missing["cross"][side], span):
            values["arm_crossover_mm"] = float(np.maximum.reduce(cross))
            values["arm_crossover_pct"] = 100.0 * (np.count_nonzero(cross > 0) / len(cross))
        else:
            reasons.append(f"missing wrist or {frame} data in the stride: no crossover")
        if angles[side] is None:
            reasons.append(f"no elbow angle: needs {side}SHO and {side}ELB")
        else:
            angle = angles[side][span]
            if _complete(missing["angle"][side], span):
                values["elbow_angle_mean_deg"] = float(_mean(angle))
                values["elbow_angle_range_deg"] = float(np.maximum.reduce(angle) - np.minimum.reduce(angle))
            else:
                reasons.append("missing shoulder, elbow or wrist data in the stride: no elbow angle")
        if rotation is None:
            reasons.append("no thorax markers (C7 and CLAV, or LSHO and RSHO): no thorax-pelvis rotation, "
                           "crossover in the pelvis frame")
        elif _complete(rotation_missing, span):
            values["thorax_pelvis_rotation_deg"] = float(np.maximum.reduce(rotation[span])
                                                          - np.minimum.reduce(rotation[span]))  # np.ptp
        else:
            reasons.append("missing thorax or pelvis data in the stride: no thorax-pelvis rotation")
        if leg_along[OTHER_SIDE[side]] is None:
            reasons.append(f"no {OTHER_SIDE[side]} foot marker (ANK or HEE): no arm-leg phase")
        else:
            arm_fa, leg_fa = arm_along[side][span], leg_along[OTHER_SIDE[side]][span]
            if (len(arm_fa) > 2 and _complete(missing["arm"][side], span)
                    and _complete(missing["leg"][OTHER_SIDE[side]], span)):
                values["arm_leg_phase_deg"] = first_harmonic_phase(arm_fa, leg_fa)
            else:
                reasons.append("missing wrist, foot or pelvis data in the stride: no arm-leg phase")
        for c, v in values.items():
            metrics[c][row] = v
        frames[row] = frame
        why[row] = "; ".join(reasons)
    return pd.DataFrame({**metrics, "arm_frame": frames, "arm_reason": why}, index=stances.index, columns=ARM_COLUMNS)
