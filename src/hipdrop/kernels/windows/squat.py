"""Single-leg squat: each repetition, from the start of the pelvis's descent to the end of its rise, is a window
(``hipdrop.kernels.windows``)."""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.signal import find_peaks

from hipdrop.kernels.stances import parabolic_peak
from hipdrop.kernels.windows.support import candidate_window, contact_source, record_dropped
from hipdrop.vocab import AXIS, MARKER, SIDES


def pelvis_height(markers: xr.DataArray) -> np.ndarray:
    """Height (mm) of the mid-point of the ASIS markers in every frame (the Plug-in Gait pelvis origin)."""
    return markers.sel({MARKER: ["LASI", "RASI"], AXIS: "z"}).mean(MARKER, skipna=False).to_numpy()


#: a squat repetition starts when the pelvis's downward speed first exceeds this share of its peak in that
#: descent, and ends when its upward speed falls below the same share of the rise's peak. Zero would do without
#: noise, but a still pelvis's speed crosses zero at random (marker noise), and the low-pass's ringing after a rise
#: keeps it above zero for a few frames; at 2 % a descent that starts like a cosine (sudden acceleration) is
#: caught 0.3 % of its duration late, 6 ms in a 2 s repetition.
SQUAT_SPEED_SHARE = 0.02


def _crossing(signal: np.ndarray, k: int, level: float) -> float:
    """Fractional frame between ``k`` and ``k + 1`` where ``signal`` crosses ``level`` (linear interpolation)."""
    v0, v1 = signal[k] - level, signal[k + 1] - level
    return float(k + v0 / (v0 - v1)) if np.isfinite(v0 + v1) and v0 != v1 else float(k)


def squat_windows(
    support: xr.DataArray, height: np.ndarray, contacts: dict[str, list[dict]], *, rate_hz: float, min_depth_mm: float,
    dropped: list[dict] | None = None,
) -> list[dict]:
    """One window per squat repetition: from the start of the pelvis's descent, through its deepest point, to the
    end of its rise; the support side from the feet at the deepest point.

    Notes
    -----
    A repetition is a minimum of the pelvis height (``pelvis_height``) at least ``min_depth_mm`` below the
    maxima either side (its prominence). It starts where the pelvis's downward speed last rises through
    ``SQUAT_SPEED_SHARE`` of the descent's peak speed before it (out of the top of the previous rise, or a pause),
    and ends where its upward speed first falls through that share of the rise's peak after it; both interpolated
    between frames, the deepest point by a parabola through three frames.
    The support side is the foot standing alone at the deepest point. A repetition is excluded, with the reason,
    when single-leg support breaks within it (the other foot put down at the bottom is the classic failure), or when
    the recording cuts it; one with no single-leg support at all is a squat on both feet, not a window (it is
    appended to ``dropped``, where given).
    """
    n = len(height)
    if not np.isfinite(height).any():
        return []
    depth = np.nan_to_num(-height, nan=-np.nanmax(height))  # a gap reads as the top: it can only split repetitions
    velocity = np.gradient(height) if n > 1 else np.zeros(n)
    mask = {s: support.sel(side=s).to_numpy() for s in SIDES}
    windows = []
    deepest_frames, peaks = find_peaks(depth, prominence=min_depth_mm)
    bounds = np.concatenate([[0], deepest_frames, [n - 1]])
    for k, d in enumerate(deepest_frames):
        # the tops either side: the highest pelvis between this repetition's bottom and its neighbours'
        top_before = bounds[k] + int(np.argmin(depth[bounds[k] : d + 1]))
        top_after = d + int(np.argmin(depth[d : bounds[k + 2] + 1]))
        deepest = parabolic_peak(depth, int(d))[0]
        # from the fastest descent back to where the pelvis starts down, from the fastest rise on to where it stops
        # (searching out from the bottom, where the pelvis is slow too, would stop there)
        fastest_down = top_before + int(np.nanargmin(velocity[top_before : d + 1]))
        fastest_up = d + int(np.nanargmax(velocity[d : top_after + 1]))
        descent, rise = -SQUAT_SPEED_SHARE * velocity[fastest_down], SQUAT_SPEED_SHARE * velocity[fastest_up]
        slow_before = np.flatnonzero(~(velocity[:fastest_down] < -descent))
        slow_after = np.flatnonzero(~(velocity[fastest_up + 1 :] > rise))
        start = _crossing(velocity, int(slow_before[-1]), -descent) if len(slow_before) else 0.0
        end = _crossing(velocity, int(fastest_up + slow_after[0]), rise) if len(slow_after) else n - 1.0
        first, last = int(np.ceil(start)), int(np.floor(end))
        held = {s: int(mask[s][first : last + 1].sum()) for s in SIDES}
        if not any(held.values()):  # a squat on both feet: no single-leg window
            record_dropped(dropped, "", start, end, f"a repetition {peaks['prominences'][k]:.0f} mm deep with no "
                                                    "single-leg support in it: a squat on both feet")
            continue
        # the support side is the one standing alone at the deepest point, else (a toe put down at the bottom, the
        # classic failure) the one that stood alone longest in the repetition
        side = next((s for s in SIDES if mask[s][d]), max(SIDES, key=held.get))
        reasons = []
        if not len(slow_before):
            reasons.append("the repetition is cut by the start of the recording")
        if not len(slow_after):
            reasons.append("the repetition is cut by the end of the recording")
        if not mask[side][d]:
            reasons.append("no single-leg support at the deepest point")
        if held[side] < last - first + 1:
            broken = (last - first + 1 - held[side]) / rate_hz
            reasons.append(f"single-leg support breaks within the repetition for {broken:.2f} s "
                           "(the other foot down, or the support foot up)")
        windows.append(candidate_window(side, start, end, contact_source(contacts[side], d), reasons, deepest))
    return windows
