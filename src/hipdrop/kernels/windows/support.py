"""Ground contacts and single-leg support of the feet, and the candidate-window helpers the tasks share
(``hipdrop.kernels.windows``: frames are the trial's point frames, fractional where interpolated)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import xarray as xr

from hipdrop.kernels.arrays import contiguous_runs
from hipdrop.kernels.events.feet import foot_height
from hipdrop.kernels.events.running import foot_contacts, ground_velocity
from hipdrop.vocab import AXIS, FOOT_OFF, FOOT_STRIKE, MARKER, OTHER_SIDE, SIDES, TIME

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
    markers: xr.DataArray, *, rate_hz: float, min_contact_s: float, strike_height_mm: float, off_height_mm: float,
    force_events: pd.DataFrame | None = None,
) -> dict[str, list[dict]]:
    """Ground contacts of each foot, from the foot markers and, where the trial has them, the force plates.

    Returns per side a list of ``{"start", "end"}`` (fractional frames), ``start_seen`` / ``end_seen`` (False when
    the recording cuts the contact), ``source`` (``force`` or ``kinematic``: which one saw the contact begin) and
    ``on_plate`` (a force plate saw it).

    Notes
    -----
    Marker contacts are ``hipdrop.kernels.events.running.foot_contacts`` (the foot at rest with the ground, no floor
    height assumed: a box, a force plate set proud, the floor; landed within ``strike_height_mm`` of that rest, left
    more than ``off_height_mm`` above it). Force contacts are the strike/off pairs of
    ``force_events`` (``force_plate_events``), which assigns each to the foot that is lower. A marker contact is cut
    where the foot falls faster than ``FALLING_MM_S`` (off a box). A foot's contacts from both sources that overlap
    are one contact, from the earlier start to the later end: the plate sees the landing first (its 30 N threshold
    is crossed 7-21 ms before a marker comes within 5 mm of its rest in the LASEM drop jumps of tests/data/c3d, with
    the default ``strike_height_mm``).

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
        for c in foot_contacts(markers, side, rate_hz=rate_hz, min_contact_s=min_contact_s, ground=ground,
                               strike_height_mm=strike_height_mm, off_height_mm=off_height_mm):
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


def candidate_window(side: str, start: float, end: float, source: str, reasons: list[str],
                     deepest: float = np.nan) -> dict:
    """A window as the task modules return it and ``window_table`` reads it: support ``side``, ``start`` and ``end``
    (fractional frames), ``deepest`` (a squat's deepest frame, else NaN), ``source`` of the contact, and the
    ``reasons`` that exclude it (empty: kept)."""
    return {"side": side, "start": float(start), "end": float(end), "deepest": float(deepest), "source": source,
            "reasons": list(reasons)}


def record_dropped(dropped: list[dict] | None, side: str, start: float, end: float, reason: str) -> None:
    """Record a candidate window that is not one (``side`` "" when neither foot stood alone), where the caller
    asked for them: a clinician reading the windows must also learn what was left out, and why."""
    if dropped is not None:
        dropped.append({"side": side, "start": float(start), "end": float(end), "reason": reason})


def support_runs(support: xr.DataArray, side: str) -> np.ndarray:
    """``[start, stop)`` frame runs of single-leg support on ``side`` (``single_leg_support``)."""
    return contiguous_runs(support.sel(side=side).to_numpy())


def contact_source(contacts: list[dict], frame: float, default: str = "kinematic") -> str:
    """The source of the contact (``support_contacts``, one side's) that holds ``frame`` (``default`` when none
    does)."""
    for c in contacts:
        if c["start"] - 1e-9 <= frame <= c["end"] + 1e-9:
            return c["source"]
    return default
