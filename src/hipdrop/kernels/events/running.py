"""Running events from the feet's markers: each foot marker's rest on the ground (still vertically, moving with the
ground horizontally) found first, then the moments it lands within a height of that rest and leaves it; each event
with its uncertainty over the heights the evidence supports (docs/science.md sections 4 and 9)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import xarray as xr

from hipdrop.kernels.arrays import contiguous_runs
from hipdrop.kernels.events.feet import finite_median, ground_points, points_xyz
from hipdrop.vocab import FOOT_OFF, FOOT_STRIKE, SIDES

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


#: a fore-foot part landing this much earlier than the heel makes the strike fore-foot (and vice versa); closer is
#: mid-foot (Leitch 2011: the best event method depends on the strike type)
STRIKE_TYPE_MARGIN_S = 0.010


#: The spans of the running detector's thresholds the evidence supports, over which ``event_uncertainty`` sweeps
#: where no plate calibrates them (``kinematic_events``' ``thresholds``; ``hipdrop.kernels.events.calibration``
#: measures a trial's own). Derived by benchmarks/events.py from the running files of three labs with plates
#: (each file's median height of the lowest foot marker at the plates' 30 N events, above its rest at strike and
#: above its leaving base at off, ``leaving_base``; at least 1 mm): strike RBDS001runT35 5.2, dorn_JA1Gait35 1.0
#: (-0.0), opensim_jogging 1.0 (-0.3) mm; off 13.8, 19.7, 13.2 mm. The band is their range. flash_maxSprint was
#: kept aside (2.4 / 30.8 mm). The heights vary by lab far more than within a trial (RBDS: 4.1-6.2 mm at strike
#: over 85 contacts), hence the calibration on a trial's own plates.
#: The thresholds themselves are the config's ``events.strike_height_mm`` and ``events.off_height_mm``
#: (config/README.md gives their evidence).
STRIKE_BAND_MM = (1.0, 5.2)


OFF_BAND_MM = (13.2, 19.7)


#: Without a plate to calibrate on, a strike is where the landing marker's descent is arrested, not a height: the
#: strike of a marker is the last moment before its descent ends (its vertical velocity reaching zero, height h_e)
#: at which its time to arrest, (height - h_e) / descent speed, still exceeds half of ``ARREST_FRAMES`` frames. A
#: marker decelerating steadily from touchdown to rest is, at touchdown, half the deceleration's duration from
#: arrest at its speed then, whatever that speed: opensim_jogging's heel skims down at 15-50 mm/s, RBDS001runT35's
#: fifth metatarsal lands at 0.9-1.2 m/s, dorn_JA1Gait35's at 2-2.8 m/s. Measured at the plates' 30 N strikes
#: (benchmarks/events.py; ``calibration.contact_arrest_frames``), the per-file median durations: RBDS001runT35 2.58
#: frames at 150 Hz (17.2 ms), dorn_JA1Gait35 2.18 at 250 Hz (8.7 ms), opensim_jogging 2.15 at 300 Hz (7.2 ms):
#: near-constant in frames, not in ms, as the velocity's central difference over two frames sets it, so the
#: sampling rate sets the time. The value is the middle of their range, the band their range; flash_maxSprint,
#: kept aside, gives 2.84. A height does not carry: the height above rest at the plates' strikes runs -0.3 to 5.2
#: mm by lab, and a heel within 2 mm of its rest for 60 ms before it lands (opensim_jogging) crosses any of them
#: 40-100 ms early.
ARREST_FRAMES = 2.37


#: the span of those per-file durations (frames), over which ``event_uncertainty`` sweeps an arrest strike
ARREST_BAND_FRAMES = (2.15, 2.58)


DEFAULT_BANDS = {"strike_band_mm": STRIKE_BAND_MM, "off_band_mm": OFF_BAND_MM, "strike_band_frames": ARREST_BAND_FRAMES}


def _velocities(xyz: np.ndarray, rate_hz: float) -> np.ndarray:
    """Velocities (mm/s) of positions ``[time, point, axis]`` (mm), NaN where a neighbour is missing."""
    return np.gradient(xyz, axis=0) * rate_hz if len(xyz) > 1 else np.full(xyz.shape, np.nan)


def ground_velocity(markers: xr.DataArray, *, rate_hz: float) -> np.ndarray:
    """Horizontal velocity (mm/s, lab x and y) of the ground the feet stand on: zero overground, the belt's on a
    treadmill. It is the median horizontal velocity of every foot marker over the frames in which it is
    vertically still: feet are vertically still mostly in contact (37-65 % of contact frames, 2-8 % of the
    rest on the running files of tests/data/c3d), so the median is the ground's. Measured: RBDS001runT35
    3.51 m/s (its belt ran at 3.5 m/s), the gaitalytics treadmill walk 1.09 m/s, the two runways below 0.06 m/s."""
    points = [p for side in SIDES for p in ground_points(markers, side)]
    velocity = _velocities(points_xyz(markers, points), rate_hz)
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
    down = height[lo:hi] < level  # NaN (missing) compares False: not down
    k = seed - lo
    if not down[k]:
        return None
    # the nearest up frames either side of the seed (argmin: the first False, without negating the window), the
    # detectors' innermost call
    back = down[k - 1::-1].argmin() if k else 0
    a = lo + k - back if k and not down[k - 1 - back] else lo
    ahead = down[k:].argmin()
    b = seed + ahead if not down[k + ahead] else hi
    start, end = float(a), float(b - 1)
    if a > lo and math.isfinite(height[a - 1]) and height[a - 1] != height[a]:
        start = a - (level - height[a]) / (height[a - 1] - height[a])
    if b < hi and math.isfinite(height[b]) and height[b] != height[b - 1]:
        end = b - 1 + (level - height[b - 1]) / (height[b] - height[b - 1])
    return start, end, a == lo, b == hi


#: A toe marker can sink below its rest before it leaves: the shoe's toe box bends as the foot rolls over the
#: toes, and the marker on it comes down with the foot's front (opensim_jogging's TOE markers reach 4.5 and 8.5 mm
#: below their rest 47 ms before the plates' offs, then rise). It must rise that far again before the toes leave,
#: so a marker's leaving height is measured from the lowest point it reaches between its rest and its rise where
#: that lies more than this below its rest (mm): a shallower dip is marker noise about the rest level (as
#: ``calibration.MIN_THRESHOLD_MM``).
#: Measured (benchmarks/events.py, each file's median height of the foot's lowest marker at the plates' 30 N
#: offs): above the rest level RBDS001runT35 13.7, dorn_JA1Gait35 19.7, opensim_jogging 6.7 mm; above this base
#: 13.8, 19.7 and 13.2 mm. flash_maxSprint (kept aside; metatarsal markers only, which rise while the toes push)
#: 30.8 either way. Leave-one-file-out (the leaving height pooled from the other files as the one whose worst
#: median error is least in time), the plate-free offs of opensim_jogging went from 15.6 ms late (worst 15.9) to
#: 3.4 ms (worst 5.7).
DIP_MIN_MM = 1.0


def _nanargmin(values: np.ndarray) -> int:
    """``np.nanargmin`` of a 1-D float array with a finite value: the same index (NaN taken as +inf, as numpy does),
    without its checks, which cost more than the search on the few hundred frames of a contact's window."""
    return int(np.where(np.isnan(values), np.inf, values).argmin())


def leaving_base(height: np.ndarray, level: float, seed: int, end: float, off_height_mm: float) -> tuple[float, int]:
    """The height (mm) a marker's off is measured from, and a frame where it is that low: its rest ``level`` (and
    ``seed``, its frame at rest), or the lowest point of ``height`` from ``seed`` to where it left (``end``, a
    sub-frame) where that lies more than ``DIP_MIN_MM`` below ``level`` (``DIP_MIN_MM`` says why) and no more than
    ``off_height_mm``: a marker that far below its rest has left that surface as surely as one that far above it
    (a foot stepping down off the box of a drop jump, lasem_FAILT01_SLDJ03, sinks 150 mm), and is no toe bending."""
    span = height[seed : min(int(np.ceil(end)) + 1, len(height))]
    if not np.isfinite(span).any():
        return level, seed
    k = _nanargmin(span)
    return (float(span[k]), seed + k) if level - off_height_mm <= span[k] < level - DIP_MIN_MM else (level, seed)


def _arrest(height: np.ndarray, vz: np.ndarray, near: int, lo: int, hi: int, ceiling: float) -> tuple[int, float, int] | None:
    """The end of a marker's descent onto the ground: from ``near`` (the first frame of its contact within the
    off height of its rest, and of the run within the strike height that holds its rest), the first frame ``e``
    whose vertical velocity ``vz`` turns from downward to not downward at a height ``h_e`` (sub-frame) below
    ``ceiling`` (its rest plus the strike height: a pause of the descent higher up, as a walking heel makes in late
    swing, is no arrest), and ``j``, the first frame of that descent (after the last frame in ``[lo, e)`` not
    moving down). None if it never ends so before ``hi``."""
    for e in near + np.flatnonzero(vz[near:hi] >= 0):
        if e == 0 or not vz[e - 1] < 0 or vz[e] == vz[e - 1]:
            continue
        t_e = e - 1 + (-vz[e - 1]) / (vz[e] - vz[e - 1])
        h_e = float(np.interp(t_e, [e - 1, e], height[e - 1 : e + 1]))
        if not h_e < ceiling:
            continue
        still = np.flatnonzero(~(vz[lo:e] < 0))  # NaN (missing) ends the descent as well
        return int(e), h_e, lo + int(still[-1]) + 1 if len(still) else lo
    return None


def arrest_strike(height: np.ndarray, vz: np.ndarray, arrest: tuple, frames: float,
                  rate_hz: float) -> float:
    """The (sub-)frame a marker landed by the ``ARREST_FRAMES`` rule with ``frames``: searching back from the end
    of its descent (``_arrest``; ``vz`` in mm/s), the last crossing of its time to arrest, (height - h_e) / (-vz)
    in frames, above ``frames / 2`` (within the last frame of the descent if it is above it there already); the frame
    it came down from when the ratio never gets there."""
    e, h_e, j = arrest[:3]
    half = frames / 2

    def ratio(t: int) -> float:
        # in Python floats: the same IEEE operations as on numpy's scalars, cheaper (arrest_strike 0.8 against
        # 2.5 us a call, identical on 90 000 random descents); it runs per frame of the search, for every marker's
        # strike and each end of its uncertainty band
        v = float(vz[t])
        return (float(height[t]) - h_e) / (-v) * rate_hz if v < 0 else math.inf

    after = ratio(e - 1) if e - 1 >= j else math.inf
    if math.isfinite(after) and after > half:  # still that far from arrest a frame before it: between the two
        return e - 1 + min(after - half, 1.0)
    for t in range(e - 2, j - 1, -1):
        before = ratio(t)
        if not math.isfinite(before) and not math.isfinite(after):
            return float(e - 1)
        if before > half >= after:
            if not math.isfinite(before):
                return float(t + 1)
            return t + (before - half) / (before - after)
        after = before
    return float(j)


def foot_contacts(
    markers: xr.DataArray, side: str, *, rate_hz: float, min_contact_s: float, strike_height_mm: float,
    off_height_mm: float, ground: np.ndarray | None = None, edge_heights_mm: tuple[float, float] | None = None,
    arrest_frames: float | None = None, windows: RestWindows | None = None,
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
    once within ``strike_height_mm`` of that level and left once more than ``off_height_mm`` above it, or above the
    lowest point it sank to after its rest where that lies lower (``leaving_base``); strike =
    the first marker to land, off = the last one to leave (the part that lands first carries the strike and the
    forefoot leaves last: Leitch 2011, Gait Posture 33:130). Resting means moving with the ground
    (``REST_SPEED_MM_S`` vertically, ``GROUND_SPEED_MM_S`` horizontally of ``ground``, the ground's horizontal
    velocity from ``ground_velocity``) for ``REST_MIN_S``. A contact the recording cuts is read against a floor
    extrapolated from the other contacts with ``edge_heights_mm`` (strike, off; default the two heights above):
    a caller with thresholds calibrated on the trial's plates passes the configured ones there, as a calibrated
    threshold finer than that floor's own error means nothing (dorn_JA1Gait35's last landing).

    With ``arrest_frames`` (no plate to calibrate the strike height: ``ARREST_FRAMES``), a marker whose descent
    ends in the contact (``_arrest``) lands by ``arrest_strike`` instead of by the strike height; the strike is
    still the first marker to land. ``foot_contact_variants`` gives the contacts for several ``arrest_frames``
    (None among them) from one pass over the markers; ``windows``: as there.
    """
    return foot_contact_variants(markers, side, rate_hz=rate_hz, min_contact_s=min_contact_s,
                                 strike_height_mm=strike_height_mm, off_height_mm=off_height_mm, ground=ground,
                                 edge_heights_mm=edge_heights_mm, arrest_frames=(arrest_frames,), windows=windows)[0]


@dataclass(frozen=True)
class RestWindows:
    """What ``foot_contacts`` finds of one foot before any threshold (``rest_windows``): the heights (mm) and
    velocities (mm/s) of its markers, and per contact (a run of rest, ``_rest_cores``) its window ``(lo, hi)``
    and each marker seen in it as ``(k, name, rests in it, level, seed)``; ``floors``: each marker's floor from its
    rests (``_floor_at``), for the contacts the recording cuts."""

    heights: dict[str, np.ndarray]
    velocity: np.ndarray
    windows: list[tuple[int, int, list[tuple]]]
    floors: dict[str, np.ndarray]


def rest_windows(markers: xr.DataArray, side: str, *, rate_hz: float, min_contact_s: float,
                 ground: np.ndarray | None = None) -> RestWindows | None:
    """The ``RestWindows`` of ``side``'s foot (None without a foot marker seen): the same for every threshold,
    so found once where a trial detects its contacts with several (a plate calibration)."""
    points = ground_points(markers, side)
    xyz = points_xyz(markers, points)
    seen = np.isfinite(xyz).any(axis=(0, 2))
    points, xyz = [p for p, s in zip(points, seen) if s], xyz[:, seen]
    if not points:
        return None
    ground = ground_velocity(markers, rate_hz=rate_hz) if ground is None else ground
    heights = {p: xyz[:, k, 2] for k, p in enumerate(points)}
    positions = {p: xyz[:, k, :2] for k, p in enumerate(points)}
    seen_z = np.isfinite(xyz[..., 2])  # [time, point], in the order of ``heights``
    velocity = _velocities(xyz, rate_hz)
    resting_all = _resting(velocity, ground)
    n = len(resting_all)
    cores = _rest_cores(resting_all, rate_hz, min_gap_s=min_contact_s)
    bounds = np.concatenate([[0], (cores[1:, 0] + cores[:-1, 1]) // 2, [n]]) if len(cores) else []
    windows, rests = [], {p: [] for p in points}
    for (c0, c1), lo, hi in zip(cores, bounds[:-1], bounds[1:]):
        seen_here = []
        for k, (p, h) in enumerate(heights.items()):
            if not seen_z[lo:hi, k].any():
                continue
            resting = resting_all[c0:c1, k]
            rests_here = resting.any()
            if rests_here:
                rest_heights = h[c0:c1][resting]
                level = finite_median(rest_heights)
                seed = c0 + int(np.flatnonzero(resting)[np.argmin(rest_heights)])
                where = positions[p][c0:c1][resting]
                rests[p].append((level, where.mean(0) if np.isfinite(where).all() else np.nanmean(where, axis=0)))
            else:
                seed = lo + _nanargmin(h[lo:hi])
                level = float(h[seed])
            seen_here.append((k, p, rests_here, level, seed))
        windows.append((lo, hi, seen_here))
    floors = {p: _floor_at(r, positions[p]) for p, r in rests.items() if r}
    return RestWindows(heights, velocity, windows, floors)


def foot_contact_variants(
    markers: xr.DataArray, side: str, *, rate_hz: float, min_contact_s: float, strike_height_mm: float,
    off_height_mm: float, arrest_frames: tuple[float | None, ...], ground: np.ndarray | None = None,
    edge_heights_mm: tuple[float, float] | None = None, windows: RestWindows | None = None,
) -> list[list[dict]]:
    """``foot_contacts`` once for each of ``arrest_frames`` (None: strikes by the strike height alone), the same
    contacts as separate calls give, from one pass: the rests, levels and crossings of the markers do not depend on
    it, only each marker's landing and so the contacts assembled from them (a trial with plates needs its contacts
    by the arrest for the running/walking choice and by the heights for the plate calibration). ``windows``:
    ``rest_windows`` of these markers and side with the same ``min_contact_s`` and ground, where the caller has
    them (they hold for any threshold)."""
    if windows is None:
        windows = rest_windows(markers, side, rate_hz=rate_hz, min_contact_s=min_contact_s, ground=ground)
    if windows is None:
        return [[] for _ in arrest_frames]
    heights, velocity = windows.heights, windows.velocity
    n = len(velocity)
    variants = [[] for _ in arrest_frames]
    by_arrest = any(frames is not None for frames in arrest_frames)
    for lo, hi, seen_here in windows.windows:
        # per variant: the markers' runs (resting or not) and their arrests; the rest is common to all
        resting_runs, other_runs = [{} for _ in arrest_frames], [{} for _ in arrest_frames]
        arrests = [{} for _ in arrest_frames]
        levels, landings = {}, {}
        for k, p, rests_here, level, seed in seen_here:
            h = heights[p]
            landed = _down_run(h, level + strike_height_mm, seed, lo, hi)
            if landed is None:
                continue
            left = _down_run(h, level + off_height_mm, seed, lo, hi)
            base, low = leaving_base(h, level, seed, left[1], off_height_mm)
            # the off is read above the leaving base (``leaving_base``); the landing side of ``left`` stays
            leaves = left if base == level else _down_run(h, base + off_height_mm, low, lo, hi)
            found = None
            if by_arrest and not left[2]:
                vz = velocity[:, k, 2]
                # sought from where it came within the strike height for good: a descent that stops within it and
                # rises above it again is a pause (ezc3d_BTS's walking heel, 4 mm up 110 ms before the plate)
                found = _arrest(h, vz, max(int(np.ceil(left[0])), int(landed[0])), lo, hi, level + strike_height_mm)
            for v, frames in enumerate(arrest_frames):
                landing = landed[0]
                if frames is not None and found is not None:
                    # not before it is within the off height of its rest: a marker still higher has not landed
                    arrests[v][p] = (*found, left[0])
                    landing = max(arrest_strike(h, vz, found, frames, rate_hz), left[0])
                (resting_runs[v] if rests_here else other_runs[v])[p] = (landing, leaves[1], landed[2], leaves[3])
            levels[p] = (level, seed, lo, hi, base, low)
            landings[p] = landed[0]
        for v in range(len(arrest_frames)):
            contact = _contact(side, heights, resting_runs[v], other_runs[v], levels, arrests[v], landings,
                               at_start=lo == 0, at_end=hi == n, rate_hz=rate_hz, min_contact_s=min_contact_s)
            if contact is not None:
                variants[v].append(contact)
    edge = (strike_height_mm, off_height_mm) if edge_heights_mm is None else edge_heights_mm
    return [_edge_contacts(heights, windows.floors, contacts, n, strike_height_mm=edge[0], off_height_mm=edge[1])
            for contacts in variants]


def _contact(side: str, heights: dict, resting_runs: dict, other_runs: dict, levels: dict, arrests: dict,
             landings: dict, *, at_start: bool, at_end: bool, rate_hz: float, min_contact_s: float) -> dict | None:
    """One ``foot_contacts`` contact from its markers' runs (``(landing, leaving, cut at the start, cut at the
    end)``, of the markers at rest in it and of the others); None where no marker rests or it is too short."""
    if not resting_runs:
        return None
    # a marker that never rests joins the contact only where it is down at the same time as the resting ones
    # (the heel of a fore-foot striker at mid-stance), not where it merely passes its lowest point elsewhere
    first = min(r[0] for r in resting_runs.values())
    last = max(r[1] for r in resting_runs.values())
    down = resting_runs | {p: r for p, r in other_runs.items() if r[0] <= last and r[1] >= first}
    start_cut = any(r[2] for r in down.values()) and at_start
    end_cut = any(r[3] for r in down.values()) and at_end
    strike, off = min(r[0] for r in down.values()), max(r[1] for r in down.values())
    # where the markers came within the strike height: what the walking/running choice reads (kinematic_events)
    landed_at = min(landings[p] for p in down)
    if not (start_cut or end_cut) and (off - strike) / rate_hz < min_contact_s:
        return None  # too short: a swing foot grazing the floor
    heel = down.get(f"{side}HEE", (None,))[0]
    fore = min((r[0] for p, r in down.items() if not p.endswith("HEE")), default=None)
    if fore is not None and heel is None and f"{side}HEE" in heights and not start_cut:
        kind = "toe"  # the heel never came down to the ground in this contact: a forefoot strike, heel-less
    elif heel is None or fore is None or start_cut:
        kind = "unknown"
    else:
        lead = (heel - fore) / rate_hz
        kind = "forefoot" if lead > STRIKE_TYPE_MARGIN_S else "rearfoot" if lead < -STRIKE_TYPE_MARGIN_S else "midfoot"
    return {"strike": None if start_cut else strike, "off": None if end_cut else off, "strike_type": kind,
            "start": strike, "end": off, "landed": None if start_cut else landed_at,
            "levels": {p: levels[p] for p in down},
            "arrests": {p: arrests[p] for p in down if p in arrests},
            "landings": {p: landings[p] for p in down if p not in arrests}}


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


def _edge_contacts(heights: dict, floors: dict, contacts: list[dict], n: int, *,
                   strike_height_mm: float, off_height_mm: float) -> list[dict]:
    """``contacts`` plus those the recording cuts before the foot could rest: a foot that leaves the ground in its
    first frames or lands in its last. Each marker's floor there is where it rested in this foot's other contacts
    (``_floor_at``); such a contact counts when a marker is down at the recording's edge (within
    ``off_height_mm`` of that floor in the first frame, ``strike_height_mm`` in the last) and was up between it and
    the nearest contact seen."""
    if not contacts or not floors:
        return contacts
    first, last = int(np.floor(contacts[0]["start"])), int(np.ceil(contacts[-1]["end"])) + 1
    leaving = [run[1] for p, floor in floors.items() if first > 0
               and (run := _down_run(heights[p] - floor, off_height_mm, 0, 0, first)) and not run[3]]
    landing = [run[0] for p, floor in floors.items() if last < n
               and (run := _down_run(heights[p] - floor, strike_height_mm, n - 1, last, n)) and not run[2]]
    if leaving:
        contacts.insert(0, {"strike": None, "off": max(leaving), "strike_type": "unknown", "start": 0.0, "end": max(leaving),
                            "levels": {}})
    if landing:
        contacts.append({"strike": min(landing), "off": None, "strike_type": "unknown", "start": min(landing), "end": n - 1.0,
                         "levels": {}})
    return contacts


def contact_tracks(markers: xr.DataArray, contacts: list[dict], rate_hz: float) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per foot marker that ``contacts`` (``foot_contacts``') read: its height (mm) and vertical velocity (mm/s)
    ``[time]`` as numpy, what ``event_at``, ``arrest_at`` and ``event_uncertainty`` take: looked up once per
    trial, not per contact and threshold."""
    points = list(dict.fromkeys(p for c in contacts if c for p in c.get("levels", {})))
    xyz = points_xyz(markers, points)
    velocity = _velocities(xyz, rate_hz)
    return {p: (xyz[:, k, 2], velocity[:, k, 2]) for k, p in enumerate(points)}


def event_at(tracks: dict, contact: dict, event: str, height_mm: float) -> float:
    """The (sub-)frame of ``event`` of one ``foot_contacts`` contact had its threshold been ``height_mm``: the first of
    its markers to come within that height of its rest level (strike), the last to rise above it over its leaving
    base (off; ``leaving_base``). NaN for a contact without levels (cut by the recording) or where no marker
    crosses. ``tracks``: ``contact_tracks``."""
    times = []
    for point, (level, seed, lo, hi, base, low) in contact.get("levels", {}).items():
        run = (_down_run(tracks[point][0], level + height_mm, seed, lo, hi) if event == FOOT_STRIKE
               else _down_run(tracks[point][0], base + height_mm, low, lo, hi))
        if run is not None:
            times.append(run[0] if event == FOOT_STRIKE else run[1])
    if not times:
        return np.nan
    return min(times) if event == FOOT_STRIKE else max(times)


def arrest_at(tracks: dict, contact: dict, frames: float, rate_hz: float) -> float:
    """The (sub-)frame of a ``foot_contacts`` contact's strike had ``arrest_frames`` been ``frames``: the first of
    its markers to land, those whose descent ends in the contact by ``arrest_strike``, the others where they
    came within the strike height (never before a marker is within the off height of its rest, as in
    ``foot_contacts``). NaN for a contact without them (cut by the recording). ``tracks``: ``contact_tracks``."""
    times = list(contact.get("landings", {}).values())
    for point, arrest in contact.get("arrests", {}).items():
        height, vz = tracks[point]
        times.append(max(arrest_strike(height, vz, arrest, frames, rate_hz), arrest[3]))
    return min(times) if times else np.nan


def event_uncertainty(tracks: dict, contact: dict, event: str, band_mm: tuple[float, float], rate_hz: float,
                      band_frames: tuple[float, float] | None = None) -> float:
    """How far (s) the marker evidence lets ``event`` move: half the time between the event at the two ends of
    ``band_mm``, the span of thresholds the evidence supports (``STRIKE_BAND_MM``, ``OFF_BAND_MM``, or a plate
    calibration's). A foot landing fast crosses the band in a frame or two; one that skims the floor (the heel of
    opensim_jogging, within 2 mm of its rest 60 ms before the plate feels it) takes tens of ms. A strike found by
    the arrest of the descent (``band_frames`` given, the contact found with ``arrest_frames``) sweeps
    ``ARREST_BAND_FRAMES`` instead. ``tracks``: ``contact_tracks``."""
    if event == FOOT_STRIKE and band_frames is not None and contact.get("arrests"):
        ends = [arrest_at(tracks, contact, f, rate_hz) for f in band_frames]
    else:
        ends = [event_at(tracks, contact, event, h) for h in band_mm]
    return abs(ends[1] - ends[0]) / 2 / rate_hz if np.isfinite(ends).all() else np.nan


def contact_rows(contacts: list[dict], side: str, times: np.ndarray, rate_hz: float, markers: xr.DataArray,
                  bands: dict[str, tuple[float, float]], band_frames: tuple[float, float] | None = None) -> list[tuple]:
    """Events-table rows of ``foot_contacts``: a contact cut by the recording gives the one event recorded, each
    with its ``event_uncertainty`` over ``bands`` (by event; ``band_frames`` for strikes by arrest)."""
    rows, tracks = [], contact_tracks(markers, contacts, rate_hz)
    for c in contacts:
        for event, frame in ((FOOT_STRIKE, c["strike"]), (FOOT_OFF, c["off"])):
            if frame is not None:
                rows.append((side, event, int(round(frame)), float(times[0] + frame / rate_hz), "kinematic",
                             c["strike_type"], event_uncertainty(tracks, c, event, bands[event], rate_hz, band_frames)))
    return rows
