"""Are the pelvis markers labelled on the right sides? A check of the labels against the body's own geometry.

Plug-in Gait builds the pelvis from Y = LASI - RASI (left) and Z = Y x (SACR - RASI) (up), X = Y x Z (forward)
(``hipdrop.kernels.pelvis.pelvis_axes``). With LASI and RASI (and LPSI and RPSI) swapped, Y points right, Z points
down and X still forward: the pelvis is the real one turned upside down about its forward axis, every obliquity
changes sign and each side's drop is reported as the other side's. With the ASIS and PSIS swapped front for back,
Z points down too, but X points backward. So a Z axis that points down says the pelvis labels are mirrored; what
the subject faces says which way: the feet (heel to toe) and, overground, the direction of travel. The feet's
left-right order relative to the pelvis tells a swap of the pelvis labels alone from one of all the labels.

Pure numpy over ``[time, marker, axis]`` arrays (mm, Z up); medians over the frames that have the markers, so that
gaps and a few bad frames do not decide.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from hipdrop.kernels.pelvis import WALKING_DISPLACEMENT_MM, pelvis_axes, sacrum
from hipdrop.vocab import AXIS, MARKER, SIDES, TIME

#: a pelvis whose Z axis points down (median vertical component below minus this) has mirrored labels; a real
#: pelvis tilts 0-30 deg (component 0.87-1.0); this leaves room for any posture and for noise
MIRRORED_Z = 0.5
#: the foot landmarks whose heel-to-toe direction gives the way the subject faces, in order of preference
HEEL, TOES = "HEE", ("TOE", "MT1", "MT5")

OK, LEFT_RIGHT, FRONT_BACK, MIRRORED = "ok", "left_right_swapped", "front_back_swapped", "mirrored"


def _median(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    return float(np.median(values)) if len(values) else np.nan


def _horizontal_unit(v: np.ndarray) -> np.ndarray:
    h = v.copy()
    h[..., 2] = 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        return h / np.linalg.norm(h, axis=-1, keepdims=True)


def _feet(markers: xr.DataArray) -> tuple[np.ndarray | None, dict[str, np.ndarray]]:
    """(heel-to-toe direction of both feet [time, 3], each foot's mean landmark position [time, 3]); None and {}
    where the feet lack them."""
    labels = [str(m) for m in markers[MARKER].values]
    names, data = set(labels), markers.transpose(TIME, MARKER, AXIS).to_numpy()
    xyz = lambda name: data[:, labels.index(name)]  # noqa: E731  numpy: an xarray lookup per marker costs more
    toe = next((t for t in TOES if {f"{s}{t}" for s in SIDES} <= names), None)
    facing = None
    if toe and {f"{s}{HEEL}" for s in SIDES} <= names:
        facing = sum(xyz(f"{s}{toe}") - xyz(f"{s}{HEEL}") for s in SIDES)
    points = [p for p in (HEEL, *TOES, "ANK") if {f"{s}{p}" for s in SIDES} <= names]
    positions = {s: _finite_mean(np.stack([xyz(f"{s}{p}") for p in points])) for s in SIDES} if points else {}
    return facing, positions


def _finite_mean(stack: np.ndarray) -> np.ndarray:
    """Mean over the first axis of the finite values, NaN where there are none (np.nanmean warns there: frames
    where every foot marker of a side is missing are ordinary in overground trials)."""
    finite = np.isfinite(stack)
    count = finite.sum(0)
    return np.where(count > 0, np.where(finite, stack, 0.0).sum(0) / np.maximum(count, 1), np.nan)


def pelvis_side_check(markers: xr.DataArray) -> dict:
    """Whether the pelvis markers' left/right (and front/back) labels fit the body.

    Parameters
    ----------
    markers : ``[time, marker, axis]`` mm, Z up, with LASI, RASI and SACR or LPSI and RPSI; the feet's HEE, TOE
        (or MT1/MT5) and ANK are used where present

    Returns
    -------
    dict with ``verdict`` (``ok``; ``left_right_swapped``: the pelvis Z axis points down while its X axis points
    where the subject faces or travels or, where neither is known, the left foot lies on the pelvis's right;
    ``front_back_swapped``: Z down and X pointing against the facing; ``mirrored``: Z down and nothing to tell
    which, e.g. no feet and no travel, or no facing and the feet in the labels' order), the evidence (``pelvis_up``: median vertical component of the pelvis Z axis, ``forward_vs_feet`` and
    ``forward_vs_travel``: median cosine between the pelvis X axis and the feet's heel-to-toe direction or the
    pelvis's travel, NaN where unknown; ``left_foot_mm``: median of the left foot's offset from the right along
    the pelvis Y axis, positive when the left foot lies on the pelvis's left), and ``reason``, a sentence.
    """
    axes = pelvis_axes(markers).transpose(TIME, "segment_axis", AXIS).to_numpy()
    x, y, z = axes[:, 0], axes[:, 1], axes[:, 2]
    up = _median(z[:, 2])
    facing, feet = _feet(markers)
    forward = _horizontal_unit(x)
    vs_feet = _median((forward * _horizontal_unit(facing)).sum(-1)) if facing is not None else np.nan
    centre = sacrum(markers).transpose(TIME, AXIS).to_numpy()
    valid = np.flatnonzero(np.isfinite(centre).all(-1))
    vs_travel = np.nan
    if len(valid) > 1:
        travel = centre[valid[-1]] - centre[valid[0]]
        if np.hypot(*travel[:2]) > WALKING_DISPLACEMENT_MM:
            vs_travel = _median((forward * _horizontal_unit(travel[None, :])).sum(-1))
    left_foot = _median(((feet["L"] - feet["R"]) * y).sum(-1)) if feet else np.nan
    evidence = {"pelvis_up": up, "forward_vs_feet": vs_feet, "forward_vs_travel": vs_travel, "left_foot_mm": left_foot}
    if not (up < -MIRRORED_Z):
        return {"verdict": OK, **evidence, "reason": ""}
    faces = vs_feet if np.isfinite(vs_feet) else vs_travel
    said = (f"the pelvis built from the labels is upside down (its Z axis points down: vertical component "
            f"{up:+.2f})")
    if np.isfinite(faces) and faces < 0:
        verdict = FRONT_BACK
        why = (f"{said} and faces backward ({'heel to toe' if np.isfinite(vs_feet) else 'travel'} against its X "
               f"axis: cosine {faces:+.2f}): the ASIS and PSIS labels look swapped front for back")
    elif (np.isfinite(faces) and faces > 0) or (not np.isfinite(faces) and left_foot < 0):
        # facing forward; or, not knowing the facing, the feet in the other order (a front/back swap keeps Y)
        verdict = LEFT_RIGHT
        feet_say = (f"; the left foot lies {abs(left_foot):.0f} mm to the pelvis's "
                    f"{'labelled left' if left_foot > 0 else 'labelled right'}") if np.isfinite(left_foot) else ""
        why = (f"{said} while it faces forward{feet_say}: LASI/RASI and LPSI/RPSI look swapped left for right "
               f"(pelvic drop would have the wrong sign and each side's stances the other's)")
    else:
        verdict = MIRRORED
        why = f"{said}: left/right or front/back labels of the pelvis markers look swapped"
    return {"verdict": verdict, **evidence, "reason": why}
