"""Gaps repaired: short ones by cubic spline, a pelvis marker's longer ones as a rigid body from the other three
(with a soft-tissue correction learned from donor markers). Each step returns the repaired markers and a boolean
``filled[time, marker]`` of the samples it invented, so stances resting on invented pelvis data can be excluded.

Array convention: markers ``[time, marker, axis]`` in mm (``hipdrop.vocab``), NaN = missing."""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.interpolate import make_interp_spline

from hipdrop.kernels.arrays import any_axis, contiguous_runs, marker_positions
from hipdrop.vocab import AXIS, MARKER, PELVIS_MARKERS, TIME

#: valid samples used on each side of a gap for its spline: enough to fix a cubic's curvature, local enough
#: that a 6000-sample trial does not cost a global fit per gappy column
SPLINE_CONTEXT = 20


def _spline_fill(y: np.ndarray, max_gap: int) -> np.ndarray:
    """Cubic-spline fill of one marker ``y[time, axis]``: interior gaps (a sample missing on any axis) up to
    ``max_gap`` samples long, each through the ``SPLINE_CONTEXT`` valid samples on either side of it; edges are
    never extrapolated."""
    missing = ~np.isfinite(y).all(-1)  # an infinite sample is no support for a spline (mask_implausible first)
    if not missing.any() or missing.all():
        return y
    valid = np.flatnonzero(~missing)
    gaps = contiguous_runs(missing)
    short = gaps[(gaps[:, 1] - gaps[:, 0] <= max_gap) & (gaps[:, 0] > valid[0]) & (gaps[:, 1] <= valid[-1])]
    out = y.copy()
    for start, stop in short:
        k = np.searchsorted(valid, start)
        context = valid[max(k - SPLINE_CONTEXT, 0) : k + SPLINE_CONTEXT]
        idx = np.arange(start, stop)
        # a not-a-knot cubic, as scipy's CubicSpline builds it (equal to 2e-15 mm), at half its set-up cost
        out[idx] = make_interp_spline(context, y[context], k=3)(idx)
    return out


def _spline_fill_block(a: np.ndarray, max_gap: int) -> np.ndarray:
    """``_spline_fill`` over the leading dims of ``a[..., time, axis]``."""
    flat = a.reshape(-1, *a.shape[-2:])
    return np.stack([_spline_fill(m, max_gap) for m in flat]).reshape(a.shape)


def fill_short_gaps(markers: xr.DataArray, *, max_gap_s: float, rate_hz: float) -> tuple[xr.DataArray, xr.DataArray]:
    """Fill interior gaps of at most ``max_gap_s`` seconds by a local cubic spline.

    Returns
    -------
    filled markers (mm) and the ``[time, marker]`` mask of filled samples.
    """
    max_gap = int(np.floor(max_gap_s * rate_hz + 1e-9))
    if isinstance(markers.data, np.ndarray):  # in memory: numpy, one copy; a dask array keeps apply_ufunc
        xyz = markers.transpose(..., TIME, AXIS).to_numpy()
        filled, invented = _spline_fill_array(xyz, max_gap)
        filled = markers.transpose(..., TIME, AXIS).copy(data=filled).transpose(*markers.dims)
        mask = markers.isel({AXIS: 0}, drop=True).transpose(..., TIME).copy(data=invented)
        return filled, mask.transpose(*[d for d in markers.dims if d != AXIS])
    filled = xr.apply_ufunc(
        _spline_fill_block, markers, kwargs={"max_gap": max_gap},
        input_core_dims=[[TIME, AXIS]], output_core_dims=[[TIME, AXIS]],
        dask="parallelized", output_dtypes=[markers.dtype],
    ).transpose(*markers.dims)
    return filled, _invented(markers, filled)


def _spline_fill_array(xyz: np.ndarray, max_gap: int) -> tuple[np.ndarray, np.ndarray]:
    """``_spline_fill`` of every marker of ``xyz[..., time, axis]``, and ``[..., time]`` True where a sample was
    filled: the xarray wrappers' work on one array (issue 27), each marker's samples contiguous (one copy)."""
    out = np.array(xyz, order="C")
    flat = out.reshape(-1, *xyz.shape[-2:])
    invented = np.zeros(flat.shape[:2], bool)
    for m in np.flatnonzero(~np.isfinite(flat).all((-1, -2))):
        filled = _spline_fill(flat[m], max_gap)
        invented[m] = any_axis(np.isnan(flat[m]) & ~np.isnan(filled))
        flat[m] = filled
    return out, invented.reshape(xyz.shape[:-1])


def _invented(before: xr.DataArray, after: xr.DataArray) -> xr.DataArray:
    """``[time, marker]``: True where a repair filled a sample ``before`` lacked (a coordinate NaN before, not after)."""
    return xr.apply_ufunc(lambda a, b: any_axis(np.isnan(a) & ~np.isnan(b)), before, after,
                          input_core_dims=[[AXIS], [AXIS]], dask="parallelized", output_dtypes=[bool])


def _nowhere(markers: xr.DataArray) -> xr.DataArray:
    """An all-False ``[time, marker]`` mask of ``markers``."""
    return xr.zeros_like(markers.isel({AXIS: 0}, drop=True), dtype=bool)


def _frame_of(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """[time, 3, 3] orthonormal frames (columns) built from three points, Gram-Schmidt on b - a, c - a."""
    e1 = b - a
    e1 /= np.linalg.norm(e1, axis=-1, keepdims=True)
    v = c - a
    e2 = v - (v * e1).sum(-1, keepdims=True) * e1
    e2 /= np.linalg.norm(e2, axis=-1, keepdims=True)
    return np.stack([e1, e2, np.cross(e1, e2)], axis=-1)


#: donors for the soft-tissue correction: the markers nearest the pelvis centre within this distance (mm)
DONOR_RADIUS_MM = 600.0


MAX_DONORS = 12


#: donors are also used this long before and after (s): the skin over the pelvis lags the hip motion that moves it
DONOR_LAG_S = 0.025


#: candidate ridge penalties (per training frame, on standardised donor coordinates); the trial's own visible
#: frames choose one by blocked cross-validation
RIDGE_GRID = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)


CV_FOLDS = 5


def _shifted(a: np.ndarray, lag: int) -> np.ndarray:
    """``a`` moved ``lag`` samples later along axis 0, NaN where nothing moved in."""
    out = np.full_like(a, np.nan)
    if lag >= 0:
        out[lag:] = a[: len(a) - lag]
    else:
        out[:lag] = a[-lag:]
    return out


def _ridge(a: np.ndarray, y: np.ndarray, penalty: float) -> np.ndarray:
    return np.linalg.solve(a.T @ a + penalty * len(a) * np.eye(a.shape[1]), a.T @ y)


def _soft_tissue_local(local: np.ndarray, donors: np.ndarray, todo: np.ndarray, lag: int = 0) -> np.ndarray:
    """Local coordinates [time, 3] of the missing marker at ``todo`` frames: their mean over the visible frames,
    plus a ridge regression on the donors' coordinates in the same frame, now and ``lag`` frames before and after
    (in running an ASIS marker wanders 16 mm SD within each stride, following the hip and trunk). The penalty is
    chosen from ``RIDGE_GRID`` by blocked cross-validation over the visible frames."""
    mean = np.nanmean(local, axis=0)
    out = np.broadcast_to(mean, (int(todo.sum()), 3)).copy()
    if donors.shape[1] == 0:
        return out
    features = donors.reshape(len(donors), -1)
    if lag:
        features = np.concatenate([_shifted(features, -lag), features, _shifted(features, lag)], axis=1)
    features = features[:, np.isfinite(features[todo]).all(0)]  # donors visible through the whole gap
    train = np.flatnonzero(np.isfinite(local).all(1) & np.isfinite(features).all(1))
    if features.shape[1] == 0 or len(train) < 4 * features.shape[1]:
        return out
    mu, sd = features[train].mean(0), features[train].std(0) + 1e-9
    a, y = (features - mu) / sd, local - mean
    blocks = np.array_split(train, CV_FOLDS)  # contiguous blocks: neighbouring frames are not independent
    cv_error = [
        sum(((a[b] @ _ridge(a[np.setdiff1d(train, b)], y[np.setdiff1d(train, b)], penalty) - y[b]) ** 2).sum() for b in blocks)
        for penalty in RIDGE_GRID
    ]
    weights = _ridge(a[train], y[train], RIDGE_GRID[int(np.argmin(cv_error))])
    return out + a[todo] @ weights


def _rigid_refill(xyz: np.ndarray, donors: np.ndarray, lag: int = 0) -> np.ndarray:
    """Refill each of the four pelvis markers ``xyz[time, 4, 3]`` where the other three are visible."""
    out = xyz.copy()
    visible = ~np.isnan(xyz).any(-1)
    if visible.all(-1).sum() < 3:
        return out
    for m in range(4):
        others = [k for k in range(4) if k != m]
        todo = ~visible[:, m] & visible[:, others].all(-1)
        if not todo.any():
            continue
        a, b, c = (xyz[:, k] for k in others)
        with np.errstate(invalid="ignore"):
            frames = _frame_of(a, b, c)
            local = np.einsum("tji,tj->ti", frames, xyz[:, m] - a)  # NaN where m or a frame marker is missing
            donor_local = np.einsum("tji,tdj->tdi", frames, donors - a[:, None])
        out[todo, m] = a[todo] + np.einsum("tij,tj->ti", frames[todo], _soft_tissue_local(local, donor_local, todo, lag))
    return out


def _donors(markers: xr.DataArray, pelvis_names: list[str]) -> xr.DataArray:
    """The non-pelvis markers nearest the pelvis centre: skin and cluster markers of the trunk and thighs."""
    centre = markers.sel({MARKER: pelvis_names}).mean(MARKER)
    rest = markers.drop_sel({MARKER: pelvis_names})
    distance = np.sqrt(((rest - centre) ** 2).sum(AXIS)).median(TIME)
    near = distance.where(distance < DONOR_RADIUS_MM, drop=True).sortby(distance.where(distance < DONOR_RADIUS_MM, drop=True))
    return rest.sel({MARKER: near[MARKER].values[:MAX_DONORS]})


def refill_pelvis(
    markers: xr.DataArray, *, donor_pool: xr.DataArray | None = None, rate_hz: float | None = None
) -> tuple[xr.DataArray, xr.DataArray]:
    """Rebuild a missing pelvis marker as a rigid body from the other three while they are visible.

    Parameters
    ----------
    markers : ``[time, marker, axis]`` mm, with LASI, RASI, LPSI, RPSI
    donor_pool : markers to take the soft-tissue donors from (those nearest the pelvis); default ``markers``
    rate_hz : frame rate, for the donor lags (``DONOR_LAG_S``); without it the donors are used unlagged

    Notes
    -----
    The pelvis is rigid but its skin markers are not: on RBDS running an ASIS marker moves 16 mm SD in the
    frame of the other three within every stride, which a constant rigid body turns into 7-8 deg of false
    obliquity (a straight line: 17-24 deg). So the marker's position in that frame is its mean plus a ridge
    regression on the donors' positions in the same frame (now and 25 ms either side), trained on the trial's own
    visible frames, its penalty chosen by cross-validation there. On RBDS001runT35 with 1.5 s gaps cut into
    either ASIS the refilled obliquity stays within 0.5 deg of the uncut one at every sample
    (tests/realdata/test_refill.py).
    """
    if not set(PELVIS_MARKERS) <= set(markers[MARKER].values):
        return markers, _nowhere(markers)
    pelvis = markers.isel({MARKER: marker_positions(markers, PELVIS_MARKERS)})
    complete = isinstance(pelvis.data, np.ndarray) and not np.isnan(pelvis.data).any()  # (a lazy array is not looked at)
    if complete:  # nothing to refill: spare the donor search
        return markers, _nowhere(markers)
    donors = _donors(markers if donor_pool is None else donor_pool, list(PELVIS_MARKERS))
    lag = int(round(DONOR_LAG_S * rate_hz)) if rate_hz else 0
    refilled = xr.apply_ufunc(
        _rigid_refill, pelvis, donors.rename({MARKER: "donor"}), kwargs={"lag": lag},
        input_core_dims=[[TIME, MARKER, AXIS], [TIME, "donor", AXIS]], output_core_dims=[[TIME, MARKER, AXIS]],
        dask="parallelized", output_dtypes=[markers.dtype],
    )
    out = xr.concat([markers.drop_sel({MARKER: list(PELVIS_MARKERS)}), refilled], dim=MARKER).sel({MARKER: markers[MARKER]})
    return out.transpose(*markers.dims), _invented(markers, out)


def repair_markers(markers: xr.DataArray, *, rate_hz: float, max_gap_s: float, keep: list[str] | None = None) -> xr.Dataset:
    """Spline-fill short gaps of ``keep`` (default: all markers), then refill the pelvis as a rigid body; every
    other marker only serves as a donor for the pelvis refill. Returns ``markers``, ``filled[time, marker]`` (by
    either) and ``rebuilt[time, marker]`` (the rigid-body refills alone). ``max_gap_s`` 0 fills nothing, neither
    by spline nor by rigid body: the markers as stored, for data gap-filled upstream (Nexus, QTM)."""
    positions = None if keep is None else marker_positions(markers, keep)
    # keeping every marker in its order is no selection: the copy isel makes costs 1.5 cpu-ms a trial
    kept = markers if positions is None or positions == list(range(markers.sizes[MARKER])) else markers.isel({MARKER: positions})
    if max_gap_s == 0:
        nothing = _nowhere(kept)
        return xr.Dataset({"markers": kept, "filled": nothing, "rebuilt": nothing})
    filled, short = fill_short_gaps(kept, max_gap_s=max_gap_s, rate_hz=rate_hz)
    refilled, rigid = refill_pelvis(filled, donor_pool=markers, rate_hz=rate_hz)
    return xr.Dataset({"markers": refilled, "filled": short | rigid, "rebuilt": rigid})
