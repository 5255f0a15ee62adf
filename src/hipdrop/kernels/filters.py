"""Zero-lag Butterworth low-pass of marker trajectories, run over each gap-free stretch, with Tukey's twicing
(docs/science.md; the cut-off a frame rate can carry checked first).

Array convention: markers ``[time, marker, axis]`` in mm (``hipdrop.vocab``), NaN = missing."""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.signal import butter, sosfiltfilt

from hipdrop.kernels.arrays import contiguous_runs
from hipdrop.vocab import TIME


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
