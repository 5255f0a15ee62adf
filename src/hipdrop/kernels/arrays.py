"""Array helpers the marker kernels share: runs of a mask, markers' positions by label, vector lengths and a fast
NaN-aware median.

Array convention: markers ``[time, marker, axis]`` in mm (``hipdrop.vocab``), NaN = missing.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from hipdrop.vocab import MARKER


def contiguous_runs(mask: np.ndarray) -> np.ndarray:
    """(start, stop) index pairs of the True runs of a 1-D boolean array."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return np.stack([np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)], axis=1)


def marker_positions(markers: xr.DataArray, labels) -> list[int]:
    """The positions of ``labels`` along ``markers``' marker axis, for ``isel`` or numpy indexing: xarray's label
    lookup (``sel``) builds an index on every call, and the per-trial steps look markers up dozens of times
    (benchmarks/per_trial.py times the steps)."""
    names = list(markers[MARKER].values)
    return [names.index(label) for label in labels]


def length(v: np.ndarray) -> np.ndarray:
    """Euclidean length over the last axis (3 coordinates): ``np.linalg.norm(v, axis=-1)`` for NaN-carrying
    vectors, a third of its time (numpy reduces a 3-long last axis slowly)."""
    return np.sqrt(v[..., 0] ** 2 + v[..., 1] ** 2 + v[..., 2] ** 2)


def any_axis(flags: np.ndarray) -> np.ndarray:
    """``flags.any(-1)`` of a 3-long last axis (coordinates), the fast way."""
    return flags[..., 0] | flags[..., 1] | flags[..., 2]


def all_axes(flags: np.ndarray) -> np.ndarray:
    """``flags.all(-1)`` of a 3-long last axis (coordinates), the fast way."""
    return flags[..., 0] & flags[..., 1] & flags[..., 2]


def nanmedian(values: np.ndarray, axis: int) -> np.ndarray:
    """``np.nanmedian`` along one axis by a sort (NaN sorts last): the same numbers, without numpy's per-row
    fallback for short axes with gaps, which loops over the rows in Python (the per-frame centre of a trial's
    markers is thousands of short rows). All-NaN rows give NaN, silently."""
    if values.shape[axis] == 0:
        return np.full(np.delete(values.shape, axis), np.nan)
    ordered = np.sort(values, axis=axis)
    count = (~np.isnan(ordered)).sum(axis=axis, keepdims=True)
    middle = lambda k: np.take_along_axis(ordered, np.clip(k, 0, ordered.shape[axis] - 1), axis)
    median = (middle((count - 1) // 2) + middle(count // 2)) / 2
    return np.squeeze(np.where(count > 0, median, np.nan), axis)
