"""Single-leg support windows of non-running tasks and their metrics (docs/science.md section 8).

A window is a stretch of time on one leg: the support foot on the ground and the other foot lifted clear of it.
Squats cut it into repetitions by the pelvis's vertical motion, balance keeps each continuous hold, a landing runs
from the landing foot's initial contact for a set time. Each window gets the running stance's pelvic-drop metrics
(``hipdrop.kernels.stances``: peak of the support side's obliquity, excursion, time of the peak in % of the
window) and the compensations of ``hipdrop.kernels.compensations`` (trunk lean, knee FPPA of the support leg).

Inputs are numpy-backed: windows are few (a handful per trial), and the work per window is slicing, as for the
stance table; the support masks come from vectorised comparisons over time.

Frames index the point data of the trial; a window's ``start`` and ``end`` are (fractional) frames, its times
interpolated on the trial's ``time``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import xarray as xr
from scipy.signal import find_peaks

from hipdrop.kernels.arrays import contiguous_runs
from hipdrop.kernels.events.feet import foot_height
from hipdrop.kernels.events.running import foot_contacts, ground_velocity
from hipdrop.kernels.stances import MAX_FILLED_S, STANCE_COLUMNS, longest_run_touching, parabolic_peak, sampled_peak
from hipdrop.vocab import AXIS, FOOT_OFF, FOOT_STRIKE, MARKER, OTHER_SIDE, PCT, SIDES, STANCE, TIME

#: the per-window compensation columns, for running stances too (``stance_compensations``)
COMPENSATION_COLUMNS = [
    "trunk_lean_peak_deg", "trunk_lean_at_peak_deg", "knee_fppa_peak_deg", "knee_fppa_at_peak_deg", "compensation_notes",
]
#: the window table: the stance table's columns (``strike_*`` = window start, ``off_*`` = window end,
#: ``stance_time_s`` = its duration; the running-only ones stay empty) with the task, the deepest point of a squat
#: and the compensations
WINDOW_COLUMNS = ["task", *STANCE_COLUMNS, "deepest_s", "cpd_deepest_deg", *COMPENSATION_COLUMNS]
#: a marker contact ends where the foot starts falling faster than this (mm/s): ``foot_contacts`` ends a contact
#: when the foot rises off its rest, and a foot stepping or dropping off a box never does. A supporting foot moves
#: under 100 mm/s vertically (``events.REST_SPEED_MM_S``); one in free fall passes this 50 ms (12 mm) after letting go.
FALLING_MM_S = 500.0
#: the other foot counts as lifted from ``clearance_mm`` above the support foot until it falls this much below it
#: again: marker noise after the 15 Hz low-pass is a fraction of a mm, so 5 mm keeps a foot hovering at the threshold
#: from cutting a hold into pieces
CLEARANCE_HYSTERESIS_MM = 5.0


def hysteresis_runs(values: np.ndarray, *, on: float, off: float) -> np.ndarray:
    """``[start, stop)`` runs of ``values > off`` that reach ``values > on`` somewhere (NaN counts as below)."""
    above_off = np.nan_to_num(values, nan=-np.inf) > off
    above_on = np.nan_to_num(values, nan=-np.inf) > on
    runs = contiguous_runs(above_off)
    keep = [bool(above_on[a:b].any()) for a, b in runs]
    return runs[np.asarray(keep, bool)] if len(runs) else runs


def _mask(runs: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, bool)
    for a, b in runs:
        out[a:b] = True
    return out


def support_contacts(
    markers: xr.DataArray, *, rate_hz: float, min_contact_s: float, force_events: pd.DataFrame | None = None
) -> dict[str, list[dict]]:
    """Ground contacts of each foot, from the foot markers and, where the trial has them, the force plates.

    Returns per side a list of ``{"start", "end"}`` (fractional frames), ``start_seen`` / ``end_seen`` (False when
    the recording cuts the contact), ``source`` (``force`` or ``kinematic``: which one saw the contact begin) and
    ``on_plate`` (a force plate saw it).

    Notes
    -----
    Marker contacts are ``hipdrop.kernels.events.running.foot_contacts`` (the foot at rest with the ground, no floor
    height assumed: a box, a force plate set proud, the floor). Force contacts are the strike/off pairs of
    ``force_events`` (``force_plate_events``), which assigns each to the foot that is lower. A marker contact is cut
    where the foot falls faster than ``FALLING_MM_S`` (off a box). A foot's contacts from both sources that overlap
    are one contact, from the earlier start to the later end: the plate sees the landing first (its 30 N threshold
    is crossed 7-21 ms before a marker comes within 5 mm of its rest in the LASEM drop jumps of tests/data/c3d).

    A foot held still in the air (the free foot of a balance hold) is "at rest" for ``foot_contacts`` too: whether
    it carries the body is decided by its height against the other foot's (``single_leg_support``), not here.
    """
    n = markers.sizes[TIME]
    t0 = float(markers[TIME][0])
    ground = ground_velocity(markers, rate_hz=rate_hz)
    heights = foot_height(markers)
    out = {}
    for side in SIDES:
        sinking = np.zeros(n, bool)
        if heights is not None and n > 1:
            sinking = np.gradient(heights.sel(side=side).to_numpy()) * rate_hz < -FALLING_MM_S
        spans = []
        for c in foot_contacts(markers, side, rate_hz=rate_hz, min_contact_s=min_contact_s, ground=ground):
            end, end_seen = c["end"], c["off"] is not None
            while end > c["start"] and sinking[int(np.floor(end))]:  # the foot dropped off its support
                end, end_seen = np.floor(end) - 1.0, True
            spans.append({"start": c["start"], "end": end, "start_seen": c["strike"] is not None, "end_seen": end_seen,
                          "source": "kinematic", "on_plate": False})
        if force_events is not None and len(force_events):
            mine = force_events[force_events["side"] == side]
            strikes = np.sort(mine.loc[mine["event"] == FOOT_STRIKE, "time_s"].to_numpy())
            offs = np.sort(mine.loc[mine["event"] == FOOT_OFF, "time_s"].to_numpy())
            for on in strikes:  # force_plate_events writes a strike and an off for every contact it keeps
                later = offs[offs > on]
                if len(later):
                    spans.append({"start": (on - t0) * rate_hz, "end": (later[0] - t0) * rate_hz, "start_seen": True,
                                  "end_seen": True, "source": "force", "on_plate": True})
        spans.sort(key=lambda c: c["start"])
        merged: list[dict] = []
        for c in spans:
            if merged and c["start"] <= merged[-1]["end"]:
                last = merged[-1]
                last["on_plate"] |= c["on_plate"]
                if c["end"] > last["end"]:
                    last["end"], last["end_seen"] = c["end"], c["end_seen"]
            else:
                merged.append(dict(c))
        out[side] = [c | {"start": max(c["start"], 0.0), "end": min(c["end"], n - 1.0)} for c in merged]
    return out


def contact_mask(contacts: dict[str, list[dict]], n: int, *, on_plate: bool = False) -> dict[str, np.ndarray]:
    """Per side, True in the frames a contact covers (only those a force plate saw, with ``on_plate``)."""
    out = {}
    for side, spans in contacts.items():
        down = np.zeros(n, bool)
        for c in spans:
            if c["on_plate"] or not on_plate:
                down[int(np.ceil(c["start"] - 1e-9)) : int(np.floor(c["end"] + 1e-9)) + 1] = True
        out[side] = down
    return out


#: foot landmarks compared between the feet, when both feet have them
FOOT_POINTS = ("HEE", "TOE", "MT1", "MT5")


def foot_lift(markers: xr.DataArray) -> xr.DataArray | None:
    """How far each foot is lifted above the other, ``[time, side]`` mm (side = the foot lifted): the smallest
    height difference between its landmarks and the same landmarks of the other foot (``FOOT_POINTS`` both feet
    have). None without a landmark on both feet.

    Notes
    -----
    Landmark by landmark, so that a foot tipped onto its heel with the toes up (heel 14 mm above its rest, toes 100
    mm: lasem_FAILT01_SLDJ01 at 2.6-3.6 s) is not lifted, as its lowest marker alone would say (the heel marker
    sits 30 mm above the fifth metatarsal's there). No floor is assumed: it works on a box as on the floor.
    """
    names = set(markers[MARKER].values)
    common = [p for p in FOOT_POINTS if {f"L{p}", f"R{p}"} <= names]
    if not common:
        return None
    z = {s: markers.sel({MARKER: [f"{s}{p}" for p in common], AXIS: "z"}).to_numpy() for s in SIDES}
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all landmarks missing in a frame: NaN, not lifted
        lifts = [np.nanmin(z[s] - z[OTHER_SIDE[s]], axis=1) for s in SIDES]
    return xr.DataArray(np.stack(lifts, axis=1), dims=(TIME, "side"), coords={TIME: markers[TIME], "side": list(SIDES)},
                        attrs={"units": "mm", "landmarks": ", ".join(common)})


def single_leg_support(
    markers: xr.DataArray, contacts: dict[str, list[dict]], *, clearance_mm: float,
    hysteresis_mm: float = CLEARANCE_HYSTERESIS_MM,
) -> xr.DataArray:
    """Frames of single-leg support on each side, ``[time, side]`` bool (side = the support foot).

    Notes
    -----
    Side S supports alone where S is in a ground contact (``support_contacts``) and the other foot is lifted clear
    of it: every landmark more than ``clearance_mm`` above the same landmark of S (``foot_lift``; it stays lifted
    until it falls below ``clearance_mm - hysteresis_mm``), and not on a force plate. Heights are compared between
    the feet, not against a floor level, so a hold on a box works as one on the floor; the free foot is taken to be
    over the same floor as the support foot (a foot hanging beside a box in a step-down is not seen as lifted).
    """
    n = markers.sizes[TIME]
    lift = foot_lift(markers)
    if lift is None:
        return xr.DataArray(np.zeros((n, 2), bool), dims=(TIME, "side"), coords={TIME: markers[TIME], "side": list(SIDES)})
    down = contact_mask(contacts, n)
    on_plate = contact_mask(contacts, n, on_plate=True)
    support = []
    for s in SIDES:
        other = OTHER_SIDE[s]
        runs = hysteresis_runs(lift.sel(side=other).to_numpy(), on=clearance_mm, off=clearance_mm - hysteresis_mm)
        lifted = _mask(runs, n)
        support.append(down[s] & lifted & ~on_plate[other])
    return xr.DataArray(np.stack(support, axis=1), dims=(TIME, "side"), coords={TIME: markers[TIME], "side": list(SIDES)},
                        attrs={"clearance_mm": clearance_mm, "hysteresis_mm": hysteresis_mm})


def pelvis_height(markers: xr.DataArray) -> np.ndarray:
    """Height (mm) of the mid-point of the ASIS markers in every frame (the Plug-in Gait pelvis origin)."""
    return markers.sel({MARKER: ["LASI", "RASI"], AXIS: "z"}).mean(MARKER, skipna=False).to_numpy()


def _window(side: str, start: float, end: float, source: str, reasons: list[str], deepest: float = np.nan) -> dict:
    return {"side": side, "start": float(start), "end": float(end), "deepest": float(deepest), "source": source,
            "reasons": list(reasons)}


def _dropped(dropped: list[dict] | None, side: str, start: float, end: float, reason: str) -> None:
    """Record a candidate window that is not one (``side`` "" when neither foot stood alone), where the caller
    asked for them: a clinician reading the windows must also learn what was left out, and why."""
    if dropped is not None:
        dropped.append({"side": side, "start": float(start), "end": float(end), "reason": reason})


def _runs_of(support: xr.DataArray, side: str) -> np.ndarray:
    return contiguous_runs(support.sel(side=side).to_numpy())


def _source_at(contacts: list[dict], frame: float, default: str = "kinematic") -> str:
    """The source of the contact that holds ``frame`` (``default`` when none does)."""
    for c in contacts:
        if c["start"] - 1e-9 <= frame <= c["end"] + 1e-9:
            return c["source"]
    return default


def balance_windows(
    support: xr.DataArray, contacts: dict[str, list[dict]], *, rate_hz: float, min_hold_s: float,
    dropped: list[dict] | None = None,
) -> list[dict]:
    """Every continuous single-leg hold of at least ``min_hold_s``: one window from its first to its last frame.

    A hold the recording cuts (it starts in the first frame or ends in the last) is kept, excluded: its duration
    and its metrics cover only part of it. Shorter holds are not windows at all: they are steps, not holds; each
    is appended to ``dropped`` (where given) with its side, first and last frame and the reason.
    """
    n = support.sizes[TIME]
    windows = []
    for side in SIDES:
        for a, b in _runs_of(support, side):
            if (b - a) / rate_hz < min_hold_s:
                _dropped(dropped, side, a, b - 1, f"a hold of {(b - a) / rate_hz:.2f} s, shorter than min_hold_s "
                                                  f"{min_hold_s:g} s")
                continue
            reasons = []
            if a == 0:
                reasons.append("the hold is cut by the start of the recording")
            if b == n:
                reasons.append("the hold is cut by the end of the recording")
            windows.append(_window(side, a, b - 1, _source_at(contacts[side], a), reasons))
    return sorted(windows, key=lambda w: w["start"])


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
            _dropped(dropped, "", start, end, f"a repetition {peaks['prominences'][k]:.0f} mm deep with no single-leg "
                                              "support in it: a squat on both feet")
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
        windows.append(_window(side, start, end, _source_at(contacts[side], d), reasons, deepest))
    return windows


def landing_windows(
    support: xr.DataArray, contacts: dict[str, list[dict]], *, rate_hz: float, window_s: float, min_window_s: float,
    min_contact_s: float, dropped: list[dict] | None = None,
) -> list[dict]:
    """One window per landing on one foot: from the landing foot's initial contact to ``window_s`` after it, or
    until single-leg support ends (the other foot touches down, or the landing foot leaves) if that comes first.

    Notes
    -----
    A landing is a contact whose start the recording holds, at which the other foot is lifted clear
    (``single_leg_support``) and has not been standing: in no contact that began ``min_contact_s`` or more before
    it. The body comes from flight. (A foot let down beside a box while the other still stands on it is lower than
    the standing foot and may hold still there, as in lasem_FAILT01_SLDJ04 just before the drop: the standing
    foot's contact tells the two apart. A free foot that stops in the air with the body at the impact begins its
    own "rest" with the landing, and does not.) It is excluded, with the reason, when single-leg support lasts less than
    ``min_window_s`` after contact (a two-footed landing), or when the recording ends before ``window_s``.
    Contacts on one foot that are no landing (the other foot had been standing: a step) are appended to
    ``dropped`` (where given), with why; contacts made with both feet down are not candidates.
    """
    n = support.sizes[TIME]
    windows = []
    for side in SIDES:
        runs = _runs_of(support, side)
        for c in contacts[side]:
            contact = float(c["start"])
            first = int(np.ceil(contact - 1e-9))
            run = runs[(runs[:, 0] <= first) & (runs[:, 1] > first)] if len(runs) else runs
            standing = [o for o in contacts[OTHER_SIDE[side]]
                        if o["start"] <= contact - min_contact_s * rate_hz and o["end"] >= contact]
            if not c["start_seen"] or not len(run) or standing:
                # no contact seen to begin, with the other foot lifted and not standing: no landing
                if c["start_seen"] and len(run):  # on one foot, but the other had been standing: a step
                    _dropped(dropped, side, contact, c["end"], "a contact on one foot, the other foot in contact since "
                             f"{(contact - standing[0]['start']) / rate_hz:.2f} s before it: a step, not a landing "
                             "from flight")
                continue
            last = run[0, 1] - 1  # the last frame of single-leg support
            end = min(contact + window_s * rate_hz, float(last))
            reasons = []
            if (end - contact) / rate_hz < min_window_s:
                reasons.append(f"single-leg support ends {(last + 1 - contact) / rate_hz:.2f} s after initial contact "
                               f"(< {min_window_s:g} s): the other foot came down, or the landing foot left")
            if last == n - 1 and contact + window_s * rate_hz > last:
                reasons.append(f"the recording ends {(n - 1 - contact) / rate_hz:.2f} s after initial contact")
            windows.append(_window(side, contact, end, c["source"], reasons))
    return sorted(windows, key=lambda w: w["start"])


def _at(signal: np.ndarray, frame: float) -> float:
    """``signal`` linearly interpolated at a fractional frame (NaN outside or next to a gap)."""
    k = int(np.floor(frame))
    if k < 0 or k >= len(signal):
        return np.nan
    if k == len(signal) - 1 or frame == k:
        return float(signal[k])
    return float(signal[k] + (frame - k) * (signal[k + 1] - signal[k]))


def _span(start: float, end: float) -> tuple[int, int]:
    """The first and last whole frames within a window."""
    return int(np.ceil(start - 1e-9)), int(np.floor(end + 1e-9))


#: the compensation angles a window reports, with their names in notes
COMPENSATION_ANGLES = (("trunk_lean", "trunk lean"), ("knee_fppa", "knee FPPA"))


def _angle_series(angles: xr.Dataset | None) -> dict:
    """``{(name, side): (series, why missing)}`` of ``compensation_angles`` as numpy, read once per trial rather
    than once per window (None where the angle was not computed)."""
    return {(name, side): (None if angles is None or name not in angles else
                           (angles[name].sel(side=side).to_numpy(), angles[name].attrs.get(f"missing_{side}", "")))
            for name, _ in COMPENSATION_ANGLES for side in SIDES}


def _compensation_metrics(series: dict, side: str, start: float, end: float, peak_at: float) -> dict:
    """Peak of each compensation (``series``: ``_angle_series``) over the frames of a window and its value at the
    time of peak drop (``peak_at``, a fractional frame), with a note for every metric that is NaN."""
    out = dict.fromkeys(COMPENSATION_COLUMNS[:-1], np.nan)
    notes = []
    f0, f1 = _span(start, end)
    for name, label in COMPENSATION_ANGLES:
        if series[name, side] is None:
            notes.append(f"{label}: not computed")
            continue
        values, missing = series[name, side]
        window = values[f0 : f1 + 1]
        if missing:
            notes.append(f"{label}: {missing}")
        elif not len(window) or not np.isfinite(window).all():
            notes.append(f"{label}: markers missing in the window")
        else:
            at, peak = sampled_peak(window)
            out[f"{name}_peak_deg"] = peak
            out[f"{name}_at_peak_deg"] = _at(values, peak_at) if np.isfinite(peak_at) else np.nan
    out["compensation_notes"] = "; ".join(notes)
    return out


def window_table(
    windows: list[dict],
    obliquity: xr.DataArray,
    *,
    task: str,
    angles: xr.Dataset | None = None,
    pelvis_filled: xr.DataArray | None = None,
    pelvis_rebuilt: xr.DataArray | None = None,
    max_filled_s: float = MAX_FILLED_S,
    curve_points: int = 101,
) -> tuple[pd.DataFrame, xr.DataArray]:
    """Metrics per window and the window-normalised obliquity curves, in the stance table's format.

    Parameters
    ----------
    windows : from ``balance_windows``, ``squat_windows`` or ``landing_windows``
    obliquity : ``[time, side]`` degrees, Plug-in Gait signs (positive = that side up), time in s
    task : written into the ``task`` column
    angles : ``compensation_angles`` (``trunk_lean``, ``knee_fppa`` over ``[time, side]``), or None
    pelvis_filled, pelvis_rebuilt, max_filled_s : pelvis QC as in ``stance_table``
    curve_points : samples per window-normalised curve

    Returns
    -------
    table : one row per window, columns ``WINDOW_COLUMNS`` (``side`` = the support side)
    curves : ``[stance, pct]`` support-side obliquity over each window, degrees, 0-100 %

    Notes
    -----
    As for a running stance of side S (docs/science.md section 3): peak = max of S-side obliquity over the window
    (positive = the other side has dropped; a parabola through the largest sample and its neighbours), excursion =
    peak minus its value at the window's start, time of peak in % of the window; for a squat, the S-side obliquity
    at the deepest point. Trunk lean toward S and the S knee's FPPA: their largest value over the window and their
    value at the time of peak drop. Pelvis QC as ``stance_table``: missing, rebuilt or too long filled pelvis data in
    the window excludes it (with the window's own exclusion reasons).
    """
    time = obliquity[TIME].to_numpy()
    n = len(time)
    rate = 1.0 / float(np.median(np.diff(time))) if n > 1 else np.nan
    max_filled = int(np.floor(max_filled_s * rate + 1e-9)) if np.isfinite(rate) else 0
    no_runs = np.zeros((0, 2), int)
    filled_runs = no_runs if pelvis_filled is None else contiguous_runs(pelvis_filled.to_numpy().astype(bool))
    rebuilt_runs = no_runs if pelvis_rebuilt is None else contiguous_runs(pelvis_rebuilt.to_numpy().astype(bool))
    obl = {s: obliquity.sel(side=s).to_numpy() for s in SIDES}
    pct = np.linspace(0.0, 100.0, curve_points)
    frames = np.arange(n)
    time_at = lambda frame: float(np.interp(frame, frames, time))
    rows, curves = [], np.full((len(windows), curve_points), np.nan)
    counters = dict.fromkeys(SIDES, 0)
    series = _angle_series(angles)
    for i, w in enumerate(windows):
        side, start, end = w["side"], w["start"], w["end"]
        counters[side] += 1
        reasons = list(w["reasons"])
        f0, f1 = _span(start, end)
        window = obl[side][f0 : f1 + 1]
        peak = excursion = peak_pct = peak_at = deepest_value = np.nan
        if not len(window) or np.isnan(window).any():
            reasons.append("missing pelvis data in the window")
        rebuilt = longest_run_touching(rebuilt_runs, f0, f1)
        if rebuilt:
            reasons.append(f"pelvis marker rebuilt as a rigid body in the window (a {rebuilt / rate:.3f} s gap)")
        filled = longest_run_touching(filled_runs, f0, f1)
        if filled > max_filled:
            reasons.append(f"pelvis data filled for {filled / rate:.3f} s (> {max_filled_s:g} s) in the window")
        if len(window) and np.isfinite(window).all():
            at, peak = sampled_peak(window)
            peak_at = f0 + at
            excursion = peak - _at(obl[side], start)
            peak_pct = 100.0 * (peak_at - start) / max(end - start, 1e-9)
            curves[i] = np.interp(start + pct / 100.0 * (end - start), frames, obl[side])
            if np.isfinite(w["deepest"]):
                deepest_value = _at(obl[side], w["deepest"])
        rows.append({
            "task": task, "side": side, "stance_index": counters[side], "strike_frame": int(round(start)),
            "off_frame": int(round(end)), "strike_s": time_at(start), "off_s": time_at(end),
            "stance_time_s": time_at(end) - time_at(start), "swing_time_s": np.nan, "step_time_s": np.nan,
            "cadence_spm": np.nan, "cpd_peak_deg": peak, "cpd_excursion_deg": excursion, "cpd_peak_pct": peak_pct,
            "arm_swing_mm": np.nan, "strike_type": "", "event_source": w["source"],
            "excluded": bool(reasons), "exclude_reason": "; ".join(reasons),
            "deepest_s": time_at(w["deepest"]) if np.isfinite(w["deepest"]) else np.nan,
            "cpd_deepest_deg": deepest_value,
            **_compensation_metrics(series, side, start, end, peak_at),
        })
    table = pd.DataFrame(rows, columns=WINDOW_COLUMNS)
    curve_da = xr.DataArray(
        curves, dims=(STANCE, PCT), coords={STANCE: np.arange(len(windows)), PCT: pct}, name="obliquity",
        attrs={"units": "deg", "long_name": "support-side pelvic obliquity",
               "sign": "positive when the support side is up"},
    )
    return table, curve_da


#: the events of a window table (``window_events``): each window's first and last frame
WINDOW_START, WINDOW_END = "window_start", "window_end"


def window_events(windows: pd.DataFrame) -> pd.DataFrame:
    """The boundaries of the windows of a ``window_table`` as an events table (columns side, event, frame, time_s,
    source, as ``hipdrop.io.c3d.reader.events_table``): ``window_start`` at each window's start (a landing's initial
    contact), ``window_end`` at its end, on the support side, with the source that found the window; by time."""
    ends = {WINDOW_START: ("strike_frame", "strike_s"), WINDOW_END: ("off_frame", "off_s")}
    table = pd.concat([pd.DataFrame({"side": windows["side"], "event": event, "frame": windows[frame].astype("int64"),
                                     "time_s": windows[time].astype(float), "source": windows["event_source"]})
                       for event, (frame, time) in ends.items()], ignore_index=True)
    return table.sort_values(["time_s", "event"], kind="stable", ignore_index=True)


def stance_compensations(stances: pd.DataFrame, angles: xr.Dataset) -> pd.DataFrame:
    """``COMPENSATION_COLUMNS`` for the rows of a running stance table (``stance_table``): trunk lean toward the
    stance side and the stance knee's FPPA, their peak over [strike, off] and their value at the time of peak drop
    (``cpd_peak_pct`` of the stance). Rows without a foot off or a peak get NaN with a note."""
    rows, series = [], _angle_series(angles)
    for st in stances.itertuples(index=False):
        if st.off_frame < 0:
            rows.append(dict.fromkeys(COMPENSATION_COLUMNS[:-1], np.nan) | {"compensation_notes": "no foot off"})
            continue
        peak_at = st.strike_frame + st.cpd_peak_pct / 100.0 * (st.off_frame - st.strike_frame)
        rows.append(_compensation_metrics(series, st.side, st.strike_frame, st.off_frame, peak_at))
    return pd.DataFrame(rows, columns=COMPENSATION_COLUMNS, index=stances.index)
