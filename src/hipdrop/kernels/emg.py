"""Surface EMG: which analog channel is which muscle on which side, the linear envelope, and its mean and peak per
stance and over the pre-activation window before each strike (docs/science.md section 13).

The envelope is the published standard chain (SENIAM, Hermens et al. 2000, J Electromyogr Kinesiol 10:361; ISEK
standards, Merletti & Di Torino 1999, J Electromyogr Kinesiol 9(1):III-IV; De Luca 1997, J Appl Biomech 13:135):
remove the offset (the channel's mean), zero-lag Butterworth band-pass about 20-450 Hz, full-wave rectify, zero-lag
Butterworth low-pass about 6 Hz. Pure numpy/scipy: no file, no config.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from hipdrop.vocab import SIDES

#: the per-stance statistics of each muscle's envelope: mean and peak over [strike, off], and over the
#: pre-activation window [strike - pre_s, strike)
EMG_STATS = ("mean", "peak", "pre_mean", "pre_peak")
#: label patterns of the muscles hipdrop knows (``emg.muscles`` in config adds or replaces them): matched whole,
#: case-insensitively, against a label with its side token and any "EMG" token removed. Corpus labels: GMED, GMAX
#: (dorn_JA1Gait35), "R Gluteus Medius", "L Gluteus Maximu" (opensim_jogging: 16 characters, truncated)
DEFAULT_MUSCLES = {
    "gmed": [r"(g|glut|glute|gluteus)[ _.-]*med[a-z]*"],
    "gmax": [r"(g|glut|glute|gluteus)[ _.-]*max[a-z]*"],
}
#: analog units and their factor to mV; a channel in another unit is used as it is and said so
_TO_MV = {"v": 1000.0, "mv": 1.0, "uv": 1e-3, "µv": 1e-3, "μv": 1e-3}
#: the side tokens of a label: a prefix or suffix set off by a separator, or the words left/right
_SIDE_WORD = r"(?P<side>l|r|left|right|lt|rt)"
_PREFIX = re.compile(rf"^{_SIDE_WORD}(?:[ _.:-]+)(?P<rest>.+)$", re.I)
_SUFFIX = re.compile(rf"^(?P<rest>.+?)(?:[ _.:-]+){_SIDE_WORD}$", re.I)
_GLUED_PREFIX = re.compile(r"^(?P<side>[lr])(?P<rest>.+)$", re.I)  # LGMED: only when the rest names a muscle
_EMG_TOKEN = re.compile(r"(^emg[ _.:-]*)|([ _.:-]*emg\d*$)", re.I)


def emg_columns(muscles) -> list[str]:
    """The stance table's EMG columns for ``muscles`` (their names, in order): ``emg_<muscle>_<stat>``, mV."""
    return [f"emg_{m}_{s}" for m in muscles for s in EMG_STATS]


def _side_of(token: str) -> str:
    return "L" if token.lower().startswith("l") else "R"


def _muscle_of(text: str, patterns: dict[str, list[re.Pattern]]) -> str | None:
    text = text.strip()
    for muscle, compiled in patterns.items():
        if any(p.fullmatch(text) for p in compiled):
            return muscle
    return None


def find_emg_channels(labels: list[str], units: list[str], *, muscles: dict[str, list[str]] | None = None,
                      sides: dict[str, str] | None = None) -> tuple[list[dict], list[str]]:
    """The EMG channels among a file's analog ``labels``: the muscles of ``muscles`` (name -> label patterns,
    regular expressions matched whole and case-insensitively; ``DEFAULT_MUSCLES`` when None), each with its side.

    The side comes from the label: a prefix or suffix L / R / Left / Right (Lt, Rt) set off by a space, ``_``,
    ``.``, ``:`` or ``-`` ("R Gluteus Medius", "GMED_L"), or a single L or R glued to a label that names a muscle
    without it ("LGMED"). A label with no side takes it from ``sides`` (label -> L or R, matched case-insensitively),
    else it is left out with a note: a one-leg recording (dorn_JA1Gait35's GMED) cannot say which leg it is.

    Returns one dict per channel found (``muscle``, ``side``, ``index``, ``label``, ``unit``, ``to_mv``: the factor
    to mV, 1 for an unknown unit), in label order, the first channel of a muscle and side winning; and notes.
    """
    compiled = {m: [re.compile(p, re.I) for p in ps] for m, ps in (DEFAULT_MUSCLES if muscles is None else muscles).items()}
    given = {str(k).strip().lower(): str(v).upper() for k, v in (sides or {}).items()}
    found, notes, taken = [], [], set()
    for index, label in enumerate(labels):
        label = str(label).strip()
        bare = _EMG_TOKEN.sub("", label).strip()  # "EMG R GMed", "L_GMax EMG1"
        muscle, side = _muscle_of(bare, compiled), None
        if muscle is not None:  # a label that names the muscle whole has no side of its own
            side = given.get(label.lower())
        else:
            for pattern in (_PREFIX, _SUFFIX, _GLUED_PREFIX):
                match = pattern.match(bare)
                if match and (muscle := _muscle_of(match["rest"], compiled)) is not None:
                    side = given.get(label.lower(), _side_of(match["side"]))
                    break
        if muscle is None:
            continue
        if side not in SIDES:
            notes.append(f"EMG channel {label!r} ({muscle}) has no side: name it in config emg.sides "
                         f"(e.g. {{{label}: R}}) to use it")
            continue
        if (muscle, side) in taken:
            notes.append(f"EMG channel {label!r}: a second {side} {muscle} channel, not used")
            continue
        taken.add((muscle, side))
        unit = str(units[index]).strip() if index < len(units) else ""
        to_mv = _TO_MV.get(unit.lower())
        if to_mv is None:
            notes.append(f"EMG channel {label!r}: unit {unit!r} is not V, mV or uV; its values are used as stored")
        found.append({"muscle": muscle, "side": side, "index": index, "label": label, "unit": unit,
                      "to_mv": 1.0 if to_mv is None else to_mv})
    return found, notes


def emg_envelope(signal: np.ndarray, *, rate_hz: float, band_hz: tuple[float, float] = (20.0, 450.0),
                 envelope_hz: float = 6.0, order: int = 4) -> np.ndarray:
    """The linear envelope of raw surface EMG ``signal`` (1-D or ``[sample, channel]``), in the signal's unit.

    Offset removed (the mean of the finite samples), band-pass ``band_hz`` (Butterworth of ``order``, run forward
    and backward: zero lag, the order doubled), full-wave rectified, low-pass ``envelope_hz`` (Butterworth of
    ``order``, forward and backward). The upper band edge is kept below 0.9 x Nyquist (a 1000 Hz recording gets
    450 Hz, a 600 Hz one 270 Hz). Non-finite samples are set to the offset (zero) before filtering and are NaN in
    the envelope. Raises ``ValueError`` for a rate that cannot carry the band (its low edge at or above the capped
    high one) or for a signal too short to filter (three periods of the envelope's cut-off are needed).
    """
    # imported here: scipy.signal brings scipy.stats with it (0.5 cpu-s), and the statistics and report jobs import
    # this module for its names and label rules only (benchmarks/startup.py)
    from scipy.signal import butter, sosfiltfilt

    x = np.array(signal, dtype=float)
    one = x.ndim == 1
    x = x.reshape(len(x), -1)
    nyquist = rate_hz / 2.0
    low, high = band_hz[0], min(band_hz[1], 0.9 * nyquist)
    if not low < high:
        raise ValueError(f"an EMG band of {band_hz[0]:g}-{band_hz[1]:g} Hz needs more than {rate_hz:g} Hz sampling")
    padlen = int(3 * rate_hz / envelope_hz)
    if len(x) <= padlen:
        raise ValueError(f"{len(x)} EMG samples at {rate_hz:g} Hz are too short for a {envelope_hz:g} Hz envelope "
                         f"(more than {padlen} needed)")
    bad = ~np.isfinite(x)
    with np.errstate(invalid="ignore"):
        offset = np.nanmean(np.where(bad, np.nan, x), axis=0) if bad.any() else x.mean(axis=0)
    x = np.where(bad, 0.0, x - np.nan_to_num(offset))
    band = butter(order, [low, high], btype="bandpass", fs=rate_hz, output="sos")
    smooth = butter(order, envelope_hz, btype="lowpass", fs=rate_hz, output="sos")
    envelope = sosfiltfilt(smooth, np.abs(sosfiltfilt(band, x, axis=0)), axis=0, padlen=padlen)
    envelope[bad] = np.nan
    return envelope[:, 0] if one else envelope


def _window_stats(time: np.ndarray, envelope: np.ndarray, start: float, stop: float) -> tuple[float, float]:
    """Mean and peak of ``envelope`` over samples with ``start <= time < stop``; NaN where the window is not
    wholly recorded or holds a missing sample."""
    if not (np.isfinite(start) and np.isfinite(stop)) or stop <= start or start < time[0] or stop > time[-1] + 1e-9:
        return np.nan, np.nan
    a, b = np.searchsorted(time, [start, stop])
    part = envelope[a:b]
    if part.size == 0 or not np.isfinite(part).all():
        return np.nan, np.nan
    return float(part.mean()), float(part.max())


def stance_emg(stances: pd.DataFrame, time: np.ndarray, envelopes: dict[tuple[str, str], np.ndarray], *,
               muscles, pre_s: float = 0.1) -> pd.DataFrame:
    """Per stance, ``emg_columns(muscles)``: mean and peak of the stance side's envelope of each muscle over
    [``strike_s``, ``off_s``) and over the pre-activation window [``strike_s - pre_s``, ``strike_s``).

    ``envelopes`` maps (muscle, side) to an envelope over ``time`` (s, the stance table's clock), already in mV.
    NaN where the side has no channel of the muscle, the stance has no foot off, or a window reaches outside the
    recording.
    """
    columns = emg_columns(muscles)
    values = np.full((len(stances), len(columns)), np.nan)
    if envelopes and not stances.empty:
        strikes = stances["strike_s"].to_numpy(float)
        offs = stances["off_s"].to_numpy(float)
        sides = stances["side"].to_numpy()
        for (muscle, side), envelope in envelopes.items():
            if muscle not in muscles:
                continue
            at = [columns.index(f"emg_{muscle}_{s}") for s in EMG_STATS]  # the muscle's columns, found once
            for row in np.flatnonzero(sides == side):
                values[row, at] = [*_window_stats(time, envelope, strikes[row], offs[row]),
                                   *_window_stats(time, envelope, strikes[row] - pre_s, strikes[row])]
    return pd.DataFrame(values, index=stances.index, columns=columns)


def mvc_peak(envelope: np.ndarray, *, rate_hz: float, window_s: float = 0.5) -> np.ndarray | float:
    """The amplitude of a maximal voluntary contraction: the highest mean of its linear ``envelope`` (1-D or
    ``[sample, channel]``) over any ``window_s`` window, per channel, so that no single sample's spike sets it (the
    MVC's amplitude as a mean over a window about its peak; Burden 2010, J Electromyogr Kinesiol 20:1023). Windows
    holding a missing sample are skipped; NaN where none is whole (a recording shorter than ``window_s``)."""
    x = np.array(envelope, dtype=float)
    one = x.ndim == 1
    x = x.reshape(len(x), -1)
    n = max(1, int(round(window_s * rate_hz)))
    out = np.full(x.shape[1], np.nan)
    if len(x) >= n:
        finite = np.isfinite(x)
        sums = np.cumsum(np.vstack([np.zeros((1, x.shape[1])), np.where(finite, x, 0.0)]), axis=0)
        whole = np.cumsum(np.vstack([np.zeros((1, x.shape[1]), int), (~finite).astype(int)]), axis=0)
        means = (sums[n:] - sums[:-n]) / n
        means[(whole[n:] - whole[:-n]) > 0] = np.nan
        with np.errstate(all="ignore"):
            ok = np.isfinite(means).any(axis=0)
            out[ok] = np.nanmax(means[:, ok], axis=0)
    return float(out[0]) if one else out
