"""Samples no body can produce (non-finite, outside any capture volume, off the body, spikes, a misshapen pelvis)
made missing before anything is filled, with their kind and count (docs/architecture.md section 6).

Array convention: markers ``[time, marker, axis]`` in mm (``hipdrop.vocab``), NaN = missing."""

from __future__ import annotations

import numpy as np
import xarray as xr

from hipdrop.kernels.arrays import all_axes, any_axis, length, nanmedian
from hipdrop.vocab import AXIS, MARKER, PELVIS_MARKERS, TIME

#: kinds of implausible sample, in the order they are looked for; a sample counts under the first that applies
IMPLAUSIBLE_KINDS = ("nonfinite", "outside_volume", "off_body", "spike", "pelvis_shape")

#: the limits the rules take (config section ``plausibility``; config/README.md gives each default's evidence)
LIMITS = ("capture_volume_mm", "off_body_mm", "max_segment_speed_m_s", "max_spike_s", "pelvis_shape_mm")


#: a spike runs at most this many frames, whatever ``max_spike_s``: the search costs one pass over the recording
#: per run length, so the bound keeps a 1 kHz file's cost that of a 500 Hz one
MAX_SPIKE_FRAMES = 25


#: the landmarks whose distances the pelvis rule checks
PELVIS_LANDMARKS = (*PELVIS_MARKERS, "SACR")


def implausible_codes(xyz: np.ndarray, *, rate_hz: float, names: list[str], **limits: float) -> np.ndarray:
    """``mask_implausible``'s kind codes ``[time, marker]`` (0 = plausible, k = ``IMPLAUSIBLE_KINDS[k - 1]``) of
    ``xyz[time, marker, axis]`` in mm with the markers' ``names``, in numpy; ``limits``: every one of ``LIMITS``."""
    return _implausible_np(xyz, rate_hz, tuple(names.index(m) for m in PELVIS_LANDMARKS if m in names), **limits)


def _implausible_np(xyz: np.ndarray, rate_hz: float, pelvis: tuple[int, ...] = (), *, capture_volume_mm: float,
                    off_body_mm: float, max_segment_speed_m_s: float, max_spike_s: float,
                    pelvis_shape_mm: float) -> np.ndarray:
    """Kind codes ``[time, marker]`` (0 = plausible, k = ``IMPLAUSIBLE_KINDS[k - 1]``) of ``xyz[time, marker, axis]``
    in mm; each rule sees the samples the earlier ones left. ``pelvis``: the indices of the pelvis landmarks.

    A usual trial has no implausible sample, so each rule first asks a bound that costs a pass or two whether it
    can find any (issue 27: the rules over every sample were 12 of a demo trial's 106 cpu-ms), and the samples
    found are made missing in one working copy, made when the first is found."""
    kind = np.zeros(xyz.shape[:2], np.int8)
    work = xyz  # the caller's array is never written

    def drop(flags: np.ndarray) -> None:
        nonlocal work
        if work is xyz:
            work = xyz.copy()
        work[flags] = np.nan

    # infinite coordinates, or a sample missing on some axes only: no reader writes a gap that way (a sample
    # missing on all axes is a gap)
    incomplete = ~all_axes(np.isfinite(xyz))
    if incomplete.any():
        rows = xyz[incomplete]  # [sample, axis]
        bad = np.zeros_like(incomplete)
        bad[incomplete] = np.isfinite(rows).any(-1) | np.isinf(rows).any(-1)
        if bad.any():
            kind[bad] = 1
            drop(bad)
    with np.errstate(invalid="ignore"):
        # fmax / fmin skip NaN: one coordinate beyond the volume on either side makes the whole check worth it
        if (np.fmax.reduce(work, axis=None, initial=-np.inf) > capture_volume_mm
                or np.fmin.reduce(work, axis=None, initial=np.inf) < -capture_volume_mm):
            far = any_axis(np.abs(work) > capture_volume_mm)
            kind[far] = 2
            drop(far)
        # the body's centre: the per-frame median of its markers, where at least 3 are there to out-vote one.
        # No marker lies farther from a frame's median than the diagonal of the frame's bounding box (the median
        # is inside it on every axis, and rounding keeps that order), so only frames whose box is longer than the
        # limit are judged marker by marker (0.99: a margin, not needed by the argument)
        judged = np.isfinite(work[..., 0]).sum(1) >= 3
        span = length(np.fmax.reduce(work, axis=1, initial=-np.inf) - np.fmin.reduce(work, axis=1, initial=np.inf))
        frames = np.flatnonzero(judged & (span > 0.99 * off_body_mm))
        if len(frames):
            near = work[frames]
            off = np.zeros_like(kind, bool)
            off[frames] = length(near - nanmedian(near, axis=1)[:, None]) > off_body_mm
            kind[off] = 3
            drop(off)
        spikes = _spikes(work, rate_hz, max_speed_m_s=max_segment_speed_m_s, max_spike_s=max_spike_s)
        if spikes.any():
            kind[spikes] = 4
            drop(spikes)
        if len(pelvis) >= 3:
            pelvis = list(pelvis)
            kind[:, pelvis] = np.where((kind[:, pelvis] == 0) & _misshapen(work[:, pelvis], pelvis_shape_mm), 5,
                                       kind[:, pelvis])
    return kind


def _misshapen(xyz: np.ndarray, shape_mm: float) -> np.ndarray:
    """``[time, marker]`` of pelvis landmarks ``xyz[time, marker, axis]``: samples whose distances to the other
    landmarks (at least two of them there) depart from their trial medians by more than ``shape_mm`` in the median
    over those landmarks; one wrong marker spoils its own distances, and only one of each other's."""
    n = xyz.shape[1]
    distance = length(xyz[:, :, None] - xyz[:, None, :])  # [time, marker, marker], NaN if missing
    typical = nanmedian(distance, axis=0)
    departure = np.abs(distance - typical)
    departure[:, np.arange(n), np.arange(n)] = np.nan  # a marker's distance to itself says nothing
    others = np.isfinite(departure).sum(-1)
    judged = others >= 2
    out = np.zeros(xyz.shape[:2], bool)
    out[judged] = nanmedian(departure[judged], axis=-1) > shape_mm
    return out


def _spikes(xyz: np.ndarray, rate_hz: float, *, max_speed_m_s: float, max_spike_s: float) -> np.ndarray:
    """``[time, marker]``: samples in runs of 1 to ``max_spike_s`` s (at most ``MAX_SPIKE_FRAMES``) entered and left
    by jumps faster than ``max_speed_m_s`` while the samples on either side of the run agree with each other (the
    path between them is slower than that), are no spike themselves (of a shorter run: runs are judged from the shortest up) and
    every sample of the run lies off the straight path between them by more than one step at that speed. A run at
    the start or end of the recording, or beside a gap, is judged from its one side: its jump to the path faster
    than the limit, the next step along the path slower.

    Why the last two conditions: the real path between two spikes written 13 frames apart (dorn_JA1Gait35, 250 Hz,
    in the 1,000-mutant fuzz run) is entered and left by their jumps, and the spikes "agree" across it; and a run
    spike, real frames, spike is entered and left fast with real path on either side. Both flagged real samples."""
    out = np.zeros(xyz.shape[:2], bool)
    # every run is entered or left by a fast step: a marker without one has no spike, and the markers are judged
    # one by one, so the run search sees only those with one (none of a demo trial's 20; its 3.4 cpu-ms before)
    with np.errstate(invalid="ignore"):
        jumpy = (length(np.diff(xyz, axis=0)) > max_speed_m_s * 1000.0 / rate_hz).any(0)
    if jumpy.any():
        out[:, jumpy] = _spike_runs(xyz[:, jumpy], rate_hz, max_speed_m_s=max_speed_m_s, max_spike_s=max_spike_s)
    return out


def _spike_runs(xyz: np.ndarray, rate_hz: float, *, max_speed_m_s: float, max_spike_s: float) -> np.ndarray:
    """``_spikes`` of markers ``xyz[time, marker, axis]`` each with at least one fast step."""
    n, longest = len(xyz), max(1, min(int(max_spike_s * rate_hz), MAX_SPIKE_FRAMES))
    pad = longest + 2  # NaN frames around the recording: its edges become gaps, judged like any other
    padded = np.full((n + 2 * pad, *xyz.shape[1:]), np.nan)
    padded[pad : pad + n] = xyz
    limit = max_speed_m_s * 1000.0 / rate_hz  # mm per frame
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


def mask_implausible(markers: xr.DataArray, *, rate_hz: float, **limits: float) -> xr.Dataset:
    """Samples no body can produce, made missing.

    Parameters
    ----------
    markers : ``[time, marker, axis]`` mm, Z up, NaN = missing; markers of one body (model outputs stored as points,
        such as angles or moments, are not positions and must not be passed)
    rate_hz : frame rate (Hz)
    **limits : ``LIMITS``, every one: ``capture_volume_mm``, ``off_body_mm`` (mm), ``max_segment_speed_m_s``
        (m/s), ``max_spike_s`` (s), ``pelvis_shape_mm`` (mm); config section ``plausibility``

    Returns
    -------
    Dataset with ``markers`` (mm, the implausible samples NaN), ``implausible[time, marker]`` (0 = plausible, else
    the 1-based index of its kind in ``IMPLAUSIBLE_KINDS``) and ``counts[kind]`` (samples of each kind).

    Notes
    -----
    In order, a sample is ``nonfinite`` (an infinite coordinate, or a sample missing on some axes only),
    ``outside_volume`` (a coordinate beyond ``capture_volume_mm`` of the origin), ``off_body`` (farther than
    ``off_body_mm`` from the per-frame median of the markers, judged where at least three are there), a
    ``spike`` (``_spikes``: a departure of at most ``max_spike_s`` by jumps faster than
    ``max_segment_speed_m_s``), or, for the pelvis landmarks (``PELVIS_LANDMARKS``, at least three in the trial),
    ``pelvis_shape`` (``_misshapen``: a marker that breaks the rigid pelvis by more than ``pelvis_shape_mm``).
    NaN samples are gaps, not implausible.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> xyz = np.zeros((5, 1, 3)); xyz[2, 0, 2] = 2000.0  # 2 m up and back in 10 ms at 100 Hz
    >>> m = xr.DataArray(xyz, dims=("time", "marker", "axis"), coords={"marker": ["LASI"], "axis": list("xyz")})
    >>> limits = dict(capture_volume_mm=1e5, off_body_mm=3e3, max_segment_speed_m_s=50.0, max_spike_s=0.05,
    ...               pelvis_shape_mm=100.0)
    >>> mask_implausible(m, rate_hz=100.0, **limits)["counts"].sel(kind="spike").item()
    1
    """
    kind = xr.apply_ufunc(
        implausible_codes, markers,
        kwargs={"rate_hz": float(rate_hz), "names": [str(m) for m in markers[MARKER].values], **limits},
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
