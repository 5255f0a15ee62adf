"""Gait events from force plates: vertical force over a threshold with hysteresis, each contact's side from the feet
(docs/science.md section 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from scipy.signal import butter, sosfiltfilt

from hipdrop.kernels.arrays import contiguous_runs
from hipdrop.kernels.events.feet import events_frame, foot_height
from hipdrop.vocab import FOOT_OFF, FOOT_STRIKE, SIDES, TIME


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
        return events_frame([])
    analog_rate = float(forces.attrs["rate_hz"])
    if not forces.sizes["analog_time"] or not analog_rate > 2 * lowpass_hz:
        # a plate sampled this slowly times a contact no better than the markers do (a frame at 60 Hz: 17 ms)
        table = events_frame([])
        table.attrs["problem"] = (
            "the force plates hold no analog samples" if not forces.sizes["analog_time"] else
            f"the force plates are sampled at {analog_rate:g} Hz, not above the {2 * lowpass_hz:g} Hz their "
            f"{lowpass_hz:g} Hz low-pass (events.force_lowpass_hz) needs")
        return table
    sos = butter(2, lowpass_hz, btype="low", fs=analog_rate, output="sos")
    t0 = float(markers[TIME][0])
    lowest = height.to_numpy()  # [time, side] as numpy: read once per contact below
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
            h = lowest[min(max(mid, 0), len(lowest) - 1)]
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
    return events_frame(rows)
