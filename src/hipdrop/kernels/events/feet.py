"""The feet as the event detectors see them: which markers are a foot's, their heights above the ground, and the
events table every detector returns (docs/science.md section 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from hipdrop.kernels.arrays import marker_positions
from hipdrop.vocab import EVENT_COLUMNS, MARKER, SIDES, TIME


def foot_points(markers: xr.DataArray, side: str) -> list[str]:
    """The foot markers of ``side`` ("L"/"R") the trial has, among heel, toe and first and fifth metatarsal."""
    names = set(markers[MARKER].values)
    return [m for m in (f"{side}HEE", f"{side}TOE", f"{side}MT1", f"{side}MT5") if m in names]


#: a "foot" marker whose low (2nd-percentile) height over the trial lies more than this (mm) above the side's
#: lowest foot marker's is on no foot: heel, toe and metatarsal markers lie within 10-40 mm of each other in stance,
#: while opensim_jogging's FM1 (mapped to MT1 by the Plug-in Gait map) is a thigh marker 550 mm higher
FOOT_MARKER_SPAN_MM = 150.0


def ground_points(markers: xr.DataArray, side: str) -> list[str]:
    """``foot_points`` that lie near the floor (``FOOT_MARKER_SPAN_MM``), the markers contacts are read from."""
    points = foot_points(markers, side)
    if len(points) < 2:
        return points
    z = points_xyz(markers, points)[..., 2]
    seen = np.isfinite(z).any(axis=0)
    low = np.full(len(points), np.inf)
    low[seen] = np.nanpercentile(z[:, seen], 2, axis=0)
    return [p for p, h in zip(points, low) if np.isfinite(h) and h - low.min() <= FOOT_MARKER_SPAN_MM]


def points_xyz(markers: xr.DataArray, points: list[str]) -> np.ndarray:
    """``markers``' ``points`` as numpy ``[time, point, axis]``, without xarray's label lookup per call (and without
    its transpose where the dimensions are in that order already: the detectors call this per marker and contact)."""
    in_order = markers.dims == (TIME, MARKER, "axis")
    data = markers.data if in_order else markers.transpose(TIME, MARKER, "axis").to_numpy()
    return np.asarray(data)[:, marker_positions(markers, points)]


def finite_median(values: np.ndarray) -> float:
    """``np.median`` of a short 1-D array (NaN if any value is): the same number, a tenth of its overhead."""
    ordered = np.sort(values)
    if not len(ordered) or np.isnan(ordered[-1]):
        return np.nan
    return float((ordered[(len(ordered) - 1) // 2] + ordered[len(ordered) // 2]) / 2)


def has_feet(markers: xr.DataArray) -> bool:
    """Whether both feet have a labelled marker (``foot_points``)."""
    return all(foot_points(markers, s) for s in SIDES)


def foot_height(markers: xr.DataArray) -> xr.DataArray | None:
    """Height (mm) of the lowest labelled foot marker of each side, ``[time, side]``; None without feet."""
    per_side = [foot_points(markers, s) for s in SIDES]
    if not all(per_side):
        return None
    heights = [markers.sel({MARKER: pts, "axis": "z"}).min(MARKER, skipna=True) for pts in per_side]
    return xr.concat(heights, dim="side").assign_coords(side=list(SIDES)).transpose(TIME, "side")


def events_frame(rows: list[tuple], extra: list[str] = ()) -> pd.DataFrame:
    """An events table (``EVENT_COLUMNS`` and then ``extra``) from detector rows, ordered by frame and then side."""
    # ordered by frame, then side, else as given (a stable sort: as pandas' sort_values(kind="stable") orders them)
    table = pd.DataFrame(sorted(rows, key=lambda row: (row[2], row[0])), columns=EVENT_COLUMNS + list(extra))
    return table.astype({"frame": "int64"}) if table["frame"].dtype != np.int64 else table
