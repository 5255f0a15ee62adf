"""Plausibility, gap repair and low-pass filtering of marker trajectories.

Array convention: markers ``[time, marker, axis]`` in mm (``hipdrop.vocab``), NaN = missing. ``mask_implausible``
turns samples no body can produce into missing ones, with their kind and count, before anything is filled
(docs/architecture.md section 6). Each repair step returns the repaired markers and a boolean ``filled[time, marker]``
mask of the samples it invented, so that stances resting on invented pelvis data can be excluded downstream.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.interpolate import make_interp_spline
from scipy.signal import butter, sosfiltfilt

from hipdrop.vocab import AXIS, MARKER, PELVIS_MARKERS, TIME

#: kinds of implausible sample, in the order they are looked for; a sample counts under the first that applies
IMPLAUSIBLE_KINDS = ("nonfinite", "outside_volume", "off_body", "spike", "pelvis_shape")
#: no capture volume reaches farther from its origin (mm). The longest marker-based volumes in sport cover an
#: indoor sprint straight (about 60 m) and the calibration origin is set on the floor inside the volume, so a body
#: marker lies within 100 m of it; the real files of tests/data/c3d reach 6.7 m (dorn_JA1Gait35, overground).
CAPTURE_VOLUME_MM = 100_000.0
#: no analysed marker (pelvis, feet, wrists: one body) lies farther than this from the per-frame median of them
#: (mm): the farthest two points of an adult body, fingertips overhead to toes, are about 2.5-2.8 m apart, and the
#: median of the body's markers lies inside it. On the real files the largest distance is 1.04 m.
OFF_BODY_MM = 3_000.0
#: speed no human segment reaches (m/s): a sprinter's foot peaks at 20-25 m/s in swing (about twice the running
#: speed of 10-12 m/s), a thrower's hand at about 20-25 m/s; twice that is a jump, not a movement. The analysed
#: markers of the real files reach 28 m/s at most (dorn_JA1Gait35, 250 Hz overground running).
MAX_SEGMENT_SPEED_M_S = 50.0
#: a spike is a run of at most this long (s) that leaves and rejoins a plausible path by impossible jumps; a
#: longer departure is a step or a relabelling, not a spike, and is left to the capture-volume and body rules
MAX_SPIKE_S = 0.05
#: and of at most this many frames (0.05 s at 500 Hz): the search costs one pass per run length
MAX_SPIKE_FRAMES = 25
#: the pelvis is one bone: the distance between two of its skin markers departs from its trial median only by
#: skin motion (an ASIS marker wanders 16 mm SD in running, RBDS; the real files' pelvis distances depart by 25 mm
#: at most, 56 mm on c3dorg_bts_dynamic). A marker whose distances to the other pelvis markers depart by more
#: than this (mm) is another marker's data or no marker's (relabelled, misaligned frames).
PELVIS_SHAPE_MM = 100.0
#: the landmarks whose distances the pelvis rule checks
PELVIS_LANDMARKS = (*PELVIS_MARKERS, "SACR")


def contiguous_runs(mask: np.ndarray) -> np.ndarray:
    """(start, stop) index pairs of the True runs of a 1-D boolean array."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return np.stack([np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)], axis=1)


def marker_positions(markers: xr.DataArray, labels) -> list[int]:
    """The positions of ``labels`` along ``markers``' marker axis, for ``isel`` or numpy indexing: xarray's label
    lookup (``sel``) costs up to 0.7 ms a call, a cost the per-trial steps paid dozens of times."""
    names = list(markers[MARKER].values)
    return [names.index(label) for label in labels]


def length(v: np.ndarray) -> np.ndarray:
    """Euclidean length over the last axis (3 coordinates): ``np.linalg.norm(v, axis=-1)`` for NaN-carrying
    vectors, a third of its time (numpy reduces a 3-long last axis slowly)."""
    return np.sqrt(v[..., 0] ** 2 + v[..., 1] ** 2 + v[..., 2] ** 2)


def _any_axis(flags: np.ndarray) -> np.ndarray:
    """``flags.any(-1)`` of a 3-long last axis (coordinates), the fast way."""
    return flags[..., 0] | flags[..., 1] | flags[..., 2]


def _all_axes(flags: np.ndarray) -> np.ndarray:
    """``flags.all(-1)`` of a 3-long last axis (coordinates), the fast way."""
    return flags[..., 0] & flags[..., 1] & flags[..., 2]


def nanmedian(values: np.ndarray, axis: int) -> np.ndarray:
    """``np.nanmedian`` along one axis by a sort (NaN sorts last): the same numbers, without numpy's per-row
    fallback for short axes with gaps (12 ms against 4 for the per-frame centre of 20 markers x 6000 frames).
    All-NaN rows give NaN, silently."""
    if values.shape[axis] == 0:
        return np.full(np.delete(values.shape, axis), np.nan)
    ordered = np.sort(values, axis=axis)
    count = (~np.isnan(ordered)).sum(axis=axis, keepdims=True)
    middle = lambda k: np.take_along_axis(ordered, np.clip(k, 0, ordered.shape[axis] - 1), axis)
    median = (middle((count - 1) // 2) + middle(count // 2)) / 2
    return np.squeeze(np.where(count > 0, median, np.nan), axis)


def implausible_codes(xyz: np.ndarray, *, rate_hz: float, names: list[str]) -> np.ndarray:
    """``mask_implausible``'s kind codes ``[time, marker]`` (0 = plausible, k = ``IMPLAUSIBLE_KINDS[k - 1]``) of
    ``xyz[time, marker, axis]`` in mm with the markers' ``names``, in numpy."""
    return _implausible_np(xyz, rate_hz, tuple(names.index(m) for m in PELVIS_LANDMARKS if m in names))


def _implausible_np(xyz: np.ndarray, rate_hz: float, pelvis: tuple[int, ...] = ()) -> np.ndarray:
    """Kind codes ``[time, marker]`` (0 = plausible, k = ``IMPLAUSIBLE_KINDS[k - 1]``) of ``xyz[time, marker, axis]``
    in mm; each rule sees the samples the earlier ones left. ``pelvis``: the indices of the pelvis landmarks."""
    kind = np.zeros(xyz.shape[:2], np.int8)
    finite = np.isfinite(xyz)
    all_finite = _all_axes(finite)
    # infinite coordinates, or a sample missing on some axes only: no reader writes a gap that way
    kind[~all_finite & _any_axis(finite) | _any_axis(np.isinf(xyz))] = 1
    xyz = np.where(all_finite[..., None], xyz, np.nan)
    plausible = lambda: (kind == 0)[..., None]
    with np.errstate(invalid="ignore"):
        kind[(kind == 0) & _any_axis(np.abs(xyz) > CAPTURE_VOLUME_MM)] = 2
        if (kind == 2).any():
            xyz = np.where(plausible(), xyz, np.nan)
        # the body's centre: the per-frame median of its markers, where at least 3 are there to out-vote one
        visible = np.isfinite(xyz[..., 0])
        judged = visible.sum(1) >= 3
        centre = np.where(judged[:, None], nanmedian(xyz, axis=1), np.nan)
        kind[(kind == 0) & (length(xyz - centre[:, None]) > OFF_BODY_MM)] = 3
        if (kind == 3).any():
            xyz = np.where(plausible(), xyz, np.nan)
        kind[(kind == 0) & _spikes(xyz, rate_hz)] = 4
        if len(pelvis) >= 3:
            xyz = np.where(plausible(), xyz, np.nan)
            kind[:, list(pelvis)] = np.where((kind[:, list(pelvis)] == 0) & _misshapen(xyz[:, list(pelvis)]), 5,
                                             kind[:, list(pelvis)])
    return kind


def _misshapen(xyz: np.ndarray) -> np.ndarray:
    """``[time, marker]`` of pelvis landmarks ``xyz[time, marker, axis]``: samples whose distances to the other
    landmarks (at least two of them there) depart from their trial medians by more than ``PELVIS_SHAPE_MM`` in
    the median over those landmarks; one wrong marker spoils its own distances, and only one of each other's."""
    n = xyz.shape[1]
    distance = length(xyz[:, :, None] - xyz[:, None, :])  # [time, marker, marker], NaN if missing
    typical = nanmedian(distance, axis=0)
    departure = np.abs(distance - typical)
    departure[:, np.arange(n), np.arange(n)] = np.nan  # a marker's distance to itself says nothing
    others = np.isfinite(departure).sum(-1)
    judged = others >= 2
    out = np.zeros(xyz.shape[:2], bool)
    out[judged] = nanmedian(departure[judged], axis=-1) > PELVIS_SHAPE_MM
    return out


def _spikes(xyz: np.ndarray, rate_hz: float) -> np.ndarray:
    """``[time, marker]``: samples in runs of 1 to ``MAX_SPIKE_S`` s entered and left by jumps faster than
    ``MAX_SEGMENT_SPEED_M_S`` while the samples on either side of the run agree with each other (the path between
    them is slower than that), are no spike themselves (of a shorter run: runs are judged from the shortest up) and
    every sample of the run lies off the straight path between them by more than one step at that speed. A run at
    the start or end of the recording, or beside a gap, is judged from its one side: its jump to the path faster
    than the limit, the next step along the path slower.

    Why the last two conditions: the real path between two spikes written 13 frames apart (dorn_JA1Gait35, 250 Hz,
    in the 1,000-mutant fuzz run) is entered and left by their jumps, and the spikes "agree" across it; and a run
    spike, real frames, spike is entered and left fast with real path on either side. Both flagged real samples."""
    n, longest = len(xyz), max(1, min(int(MAX_SPIKE_S * rate_hz), MAX_SPIKE_FRAMES))
    pad = longest + 2  # NaN frames around the recording: its edges become gaps, judged like any other
    padded = np.full((n + 2 * pad, *xyz.shape[1:]), np.nan)
    padded[pad : pad + n] = xyz
    limit = MAX_SEGMENT_SPEED_M_S * 1000.0 / rate_hz  # mm per frame
    # every rule but one looks at single steps: their lengths once, each run length then reads them shifted.
    # step[i] joins padded frames i and i + 1 (NaN where either is missing: neither fast nor slow)
    step = length(padded[1:] - padded[:-1])
    fast, slow = step > limit, step <= limit
    out = np.zeros(xyz.shape[:2], bool)
    if not fast.any():  # every run is entered or left by a fast step: a recording without one has no spike
        return out
    visible = np.isfinite(padded[..., 0])
    running_count = lambda flags: np.concatenate([np.zeros((1, flags.shape[1]), int), np.cumsum(flags, 0)])
    seen, jumps = running_count(visible), running_count(fast)  # counts among padded frames (steps) before i
    shifted = lambda flags, d: flags[pad + d : pad + d + n]  # flags[t + d] for each recording frame t
    entry, gap_before = shifted(fast, -1), ~shifted(visible, -1)  # the step into frame t; frame t - 1 missing
    path_before = shifted(slow, -2)  # the step from t - 2 to t - 1
    starts = np.zeros((n + longest + 1, xyz.shape[1]), int)  # +1 where a run starts, -1 where it ends
    spiked = np.zeros(padded.shape[:2], bool)  # the samples of the shorter runs judged from both sides
    two_sided = np.zeros_like(starts)  # their starts and ends
    for k in range(1, longest + 1):  # run lengths, shortest first: a constant bound, not the recording's frames
        whole = seen[pad + k : pad + k + n] - seen[pad : pad + n] == k  # frames t .. t + k - 1 all there
        smooth = jumps[pad + k - 1 : pad + k - 1 + n] == jumps[pad : pad + n]  # no fast step inside the run
        leave, gap_after = shifted(fast, k - 1), ~shifted(visible, k)  # the step out of the run; frame t + k missing
        # judged from one side, the run must hang together: else it holds a spike and the path it left
        run = whole & smooth & (gap_before & leave & shifted(slow, k) | gap_after & entry & path_before)
        # from both sides: the frames around the run agree (a path slower than the limit over its k + 1 steps);
        # rare, so their distance is measured only where a run is entered and left fast
        t, m = np.nonzero(whole & entry & leave & ~run & ~shifted(spiked, -1) & ~shifted(spiked, k))
        before, after = padded[pad + t - 1, m], padded[pad + t + k, m]  # [run, axis]
        across = length(after - before) <= limit * (k + 1)
        inside = np.arange(1, k + 1)
        straight = before[:, None] + (inside / (k + 1))[None, :, None] * (after - before)[:, None]  # [run, k, axis]
        across &= (length(padded[pad + t[:, None] + inside - 1, m[:, None]] - straight) > limit).all(1)
        run[t[across], m[across]] = True
        starts[:n] += run
        starts[k : k + n] -= run
        if across.any():
            np.add.at(two_sided, (t[across], m[across]), 1)
            np.add.at(two_sided, (t[across] + k, m[across]), -1)
            spiked[pad : pad + n] = np.cumsum(two_sided, 0)[:n] > 0
    return np.cumsum(starts, 0)[:n] > 0


def mask_implausible(markers: xr.DataArray, *, rate_hz: float) -> xr.Dataset:
    """Samples no body can produce, made missing.

    Parameters
    ----------
    markers : ``[time, marker, axis]`` mm, Z up, NaN = missing; markers of one body (model outputs stored as points,
        such as angles or moments, are not positions and must not be passed)
    rate_hz : frame rate (Hz)

    Returns
    -------
    Dataset with ``markers`` (mm, the implausible samples NaN), ``implausible[time, marker]`` (0 = plausible, else
    the 1-based index of its kind in ``IMPLAUSIBLE_KINDS``) and ``counts[kind]`` (samples of each kind).

    Notes
    -----
    In order, a sample is ``nonfinite`` (an infinite coordinate, or a sample missing on some axes only),
    ``outside_volume`` (a coordinate beyond ``CAPTURE_VOLUME_MM`` of the origin), ``off_body`` (farther than
    ``OFF_BODY_MM`` from the per-frame median of the markers, judged where at least three are there), a
    ``spike`` (``_spikes``: a departure of at most ``MAX_SPIKE_S`` by jumps faster than
    ``MAX_SEGMENT_SPEED_M_S``), or, for the pelvis landmarks (``PELVIS_LANDMARKS``, at least three in the trial),
    ``pelvis_shape`` (``_misshapen``: a marker that breaks the rigid pelvis by more than ``PELVIS_SHAPE_MM``).
    NaN samples are gaps, not implausible.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> xyz = np.zeros((5, 1, 3)); xyz[2, 0, 2] = 2000.0  # 2 m up and back in 10 ms at 100 Hz
    >>> m = xr.DataArray(xyz, dims=("time", "marker", "axis"), coords={"marker": ["LASI"], "axis": list("xyz")})
    >>> mask_implausible(m, rate_hz=100.0)["counts"].sel(kind="spike").item()
    1
    """
    kind = xr.apply_ufunc(
        implausible_codes, markers, kwargs={"rate_hz": float(rate_hz), "names": [str(m) for m in markers[MARKER].values]},
        input_core_dims=[[TIME, MARKER, AXIS]],
        output_core_dims=[[TIME, MARKER]], dask="parallelized", output_dtypes=[np.int8],
        dask_gufunc_kwargs={"allow_rechunk": True},
    ).transpose(*[d for d in markers.dims if d != AXIS])
    codes = xr.DataArray(np.arange(1, len(IMPLAUSIBLE_KINDS) + 1, dtype=np.int8), dims="kind",
                         coords={"kind": list(IMPLAUSIBLE_KINDS)})
    return xr.Dataset({
        "markers": markers.where(kind == 0).assign_attrs(markers.attrs),
        "implausible": kind,
        "counts": (kind == codes).sum([TIME, MARKER]),
    })


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
    filled = xr.apply_ufunc(
        _spline_fill_block, markers, kwargs={"max_gap": max_gap},
        input_core_dims=[[TIME, AXIS]], output_core_dims=[[TIME, AXIS]],
        dask="parallelized", output_dtypes=[markers.dtype],
    ).transpose(*markers.dims)
    return filled, _invented(markers, filled)


def _invented(before: xr.DataArray, after: xr.DataArray) -> xr.DataArray:
    """``[time, marker]``: True where a repair filled a sample ``before`` lacked (a coordinate NaN before, not after)."""
    return xr.apply_ufunc(lambda a, b: _any_axis(np.isnan(a) & ~np.isnan(b)), before, after,
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


def _lowpass_1d(y: np.ndarray, sos: np.ndarray, padlen: int) -> np.ndarray:
    out = y.copy()
    for start, stop in contiguous_runs(~np.isnan(y)):
        if stop - start > padlen:  # too short to filter without edge artefacts: leave as measured
            out[start:stop] = sosfiltfilt(sos, y[start:stop], padlen=padlen)
    return out


def _lowpass_block(a: np.ndarray, sos: np.ndarray, padlen: int, twicing: bool = False) -> np.ndarray:
    """Filter along the last axis: gap-free series in one vectorised call, the others segment by segment;
    ``twicing``: 2 S(x) - S(S(x)) (``lowpass``)."""
    if twicing:
        once = _lowpass_block(a, sos, padlen)
        again = _lowpass_block(once, sos, padlen)
        once *= 2
        once -= again
        return once
    flat = a.reshape(-1, a.shape[-1])
    complete = ~np.isnan(flat).any(-1)
    long_enough = flat.shape[-1] > padlen
    if long_enough and complete.all():  # the usual trial: no copies in and out of the gap-free rows
        return sosfiltfilt(sos, flat, axis=-1, padlen=padlen).reshape(a.shape)
    out = np.empty_like(flat)
    if complete.any() and long_enough:
        out[complete] = sosfiltfilt(sos, flat[complete], axis=-1, padlen=padlen)
    else:
        complete[:] = False
    for i in np.flatnonzero(~complete):
        out[i] = _lowpass_1d(flat[i], sos, padlen)
    return out.reshape(a.shape)


def lowpass(markers: xr.DataArray, *, cutoff_hz: float | None, order: int, rate_hz: float, twicing: bool = False) -> xr.DataArray:
    """Zero-lag Butterworth low-pass applied to each contiguous run of valid samples; ``cutoff_hz`` None returns
    the markers as they are (data filtered upstream).

    ``order`` is that of the filter run once; the forward-backward pass doubles it and squares the gain, so the
    -3 dB point of the result lies a little below ``cutoff_hz`` (Winter 2009, Biomechanics and Motor Control of
    Human Movement, section 3.4). A cut-off at or above the Nyquist frequency (``rate_hz / 2``) is refused with
    ``ValueError``; ``usable_cutoff`` says what to do with one from a config.

    ``twicing`` (Tukey 1977, Exploratory Data Analysis): filter, then add back the filtered residual, y + S(x - y)
    with y = S(x); the response H becomes H (2 - H), flat to second order in the pass band and still falling in the
    stop band. Why: a 2nd-order zero-lag filter at 15 Hz takes 1.6 % off a 0.25 s stance's obliquity peak and 2.4 %
    off a 0.22 s one, so peaks of a +10 % cadence condition read 0.03-0.04 deg lower than baseline's with no true
    difference (simulated cohorts with every effect zero); twiced, the difference is within 0.01 deg.
    """
    if cutoff_hz is None:
        return markers
    if not 0 < cutoff_hz < rate_hz / 2:
        raise ValueError(f"a {cutoff_hz:g} Hz low-pass needs a frame rate above {2 * cutoff_hz:g} Hz (Nyquist), "
                         f"not {rate_hz:g} Hz")
    sos = butter(order, cutoff_hz, btype="low", fs=rate_hz, output="sos")
    padlen = 3 * (2 * len(sos) + 1)
    return xr.apply_ufunc(
        _lowpass_block, markers, kwargs={"sos": sos, "padlen": padlen, "twicing": twicing}, input_core_dims=[[TIME]],
        output_core_dims=[[TIME]], dask="parallelized", output_dtypes=[markers.dtype],
    ).transpose(*markers.dims).assign_attrs(markers.attrs)


def usable_cutoff(cutoff_hz: float | None, *, rate_hz: float, key: str = "clean.lowpass_hz") -> tuple[float | None, str]:
    """The low-pass cut-off a recording at ``rate_hz`` can take, and a warning when it differs from ``cutoff_hz``.

    A cut-off at or above the Nyquist frequency gives None (no filter) and the warning: a recording holds nothing
    above half its frame rate, so such a low-pass keeps everything, which is what the configured filter asks for
    (the analysis of a 25 Hz file with a 15 Hz cut-off: its markers as stored). Lowering the cut-off instead would
    smooth away frequencies the config keeps, and refusing the trial would lose data the filter does not touch.
    """
    if cutoff_hz is None or cutoff_hz < rate_hz / 2:
        return cutoff_hz, ""
    return None, (f"{key} = {cutoff_hz:g} Hz is at or above the Nyquist frequency ({rate_hz / 2:g} Hz) of this "
                  f"{rate_hz:g} Hz recording, which holds nothing above it: markers not low-passed")


def repair_markers(markers: xr.DataArray, *, rate_hz: float, max_gap_s: float, keep: list[str] | None = None) -> xr.Dataset:
    """Spline-fill short gaps of ``keep`` (default: all markers), then refill the pelvis as a rigid body; every
    other marker only serves as a donor for the pelvis refill. Returns ``markers``, ``filled[time, marker]`` (by
    either) and ``rebuilt[time, marker]`` (the rigid-body refills alone). ``max_gap_s`` 0 fills nothing, neither
    by spline nor by rigid body: the markers as stored, for data gap-filled upstream (Nexus, QTM)."""
    kept = markers if keep is None else markers.isel({MARKER: marker_positions(markers, keep)})
    if max_gap_s == 0:
        nothing = _nowhere(kept)
        return xr.Dataset({"markers": kept, "filled": nothing, "rebuilt": nothing})
    filled, short = fill_short_gaps(kept, max_gap_s=max_gap_s, rate_hz=rate_hz)
    refilled, rigid = refill_pelvis(filled, donor_pool=markers, rate_hz=rate_hz)
    return xr.Dataset({"markers": refilled, "filled": short | rigid, "rebuilt": rigid})


def clean_markers(
    markers: xr.DataArray, *, rate_hz: float, max_gap_s: float, cutoff_hz: float | None, order: int, keep: list[str] | None = None
) -> xr.Dataset:
    """``repair_markers`` then ``lowpass``. Returns ``markers`` and ``filled[time, marker]`` of the kept markers."""
    repaired = repair_markers(markers, rate_hz=rate_hz, max_gap_s=max_gap_s, keep=keep)
    smooth = lowpass(repaired["markers"], cutoff_hz=cutoff_hz, order=order, rate_hz=rate_hz)
    return repaired.assign(markers=smooth)
