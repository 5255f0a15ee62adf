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
from hipdrop.kernels.clean import _runs
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


def _table(rows: list[tuple]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    return table.sort_values(["frame", "side"], kind="stable").reset_index(drop=True).astype({"frame": "int64"})


def force_plate_events(
    forces: xr.DataArray,
    markers: xr.DataArray,
    *,
    rate_hz: float,
    threshold_n: float,
    lowpass_hz: float,
    min_contact_s: float,
) -> pd.DataFrame:
    """Foot strike and foot off from the vertical force of every plate.

    Notes
    -----
    Vertical force low-passed (zero-lag 2nd-order Butterworth, ``lowpass_hz``); contact while it exceeds
    ``threshold_n``; contacts separated by less than 10 ms are merged (the filtered curve can dither at the
    threshold), then those shorter than ``min_contact_s`` dropped. A treadmill plate sees both feet, so the side
    of a contact is the foot that is lower at mid-contact, never the plate.
    """
    height = foot_height(markers)
    if height is None:
        return _table([])
    analog_rate = float(forces.attrs["rate_hz"])
    sos = butter(2, lowpass_hz, btype="low", fs=analog_rate, output="sos")
    t0 = float(markers[TIME][0])
    rows = []
    for plate in forces["plate"].values:
        fz = np.abs(np.nan_to_num(forces.sel(plate=plate, component="fz").to_numpy()))
        fz = sosfiltfilt(sos, fz)
        contacts = _runs(fz > threshold_n)
        merged = []
        for start, stop in contacts:
            if merged and (start - merged[-1][1]) / analog_rate < 0.01:
                merged[-1][1] = stop
            else:
                merged.append([start, stop])
        for start, stop in merged:
            if (stop - start) / analog_rate < min_contact_s or start == 0 or stop >= len(fz):
                continue  # too short, or cut by the recording edges
            t_on = float(forces["analog_time"][start])
            t_off = float(forces["analog_time"][stop - 1])
            mid = int(round(((t_on + t_off) / 2 - t0) * rate_hz))
            h = height.isel({TIME: min(max(mid, 0), height.sizes[TIME] - 1)}).to_numpy()
            if not np.isfinite(h).all():
                continue
            side = SIDES[int(np.argmin(h))]
            for kind, t in ((FOOT_STRIKE, t_on), (FOOT_OFF, t_off)):
                rows.append((side, kind, int(round((t - t0) * rate_hz)), t, "force"))
    return _table(rows)


def kinematic_events(markers: xr.DataArray, *, rate_hz: float, min_contact_s: float) -> pd.DataFrame:
    """Foot strike and foot off from foot-marker heights, for running (rear-foot and fore-foot strikers).

    Notes
    -----
    The lowest foot marker (heel, toe or metatarsal) carries the contact: whichever part of the foot lands first
    is the lowest at strike, and the forefoot is the last to leave at off. A foot is in contact while its
    lowest marker lies within 15 mm of that foot's floor level (its 5th-percentile height); contacts shorter
    than ``min_contact_s`` are dropped.
    """
    height = foot_height(markers)
    if height is None:
        return _table([])
    times = markers[TIME].to_numpy()
    rows = []
    for side in SIDES:
        h = height.sel(side=side).to_numpy()
        if np.isnan(h).all():
            continue
        floor = np.nanpercentile(h, 5)
        low = np.nan_to_num(h - floor, nan=np.inf) < 15.0
        for start, stop in _runs(low):
            if (stop - start) / rate_hz < min_contact_s or start == 0 or stop >= len(h):
                continue
            for kind, frame in ((FOOT_STRIKE, start), (FOOT_OFF, stop - 1)):
                rows.append((side, kind, int(frame), float(times[frame]), "kinematic"))
    return _table(rows)
