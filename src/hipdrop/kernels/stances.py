"""One row per stance: pelvic-drop metrics, cadence and arm swing; plus the stance-normalised obliquity curves.

Inputs are numpy-backed: stance windows come from the (small) events table, and the work per stance is slicing, so
a loop over stances (about 40 per side in a 30 s trial) costs nothing beside the vectorised kernels over time.
Definitions: docs/science.md sections 3 and 5.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pandas as pd
import xarray as xr

from hipdrop.kernels.arrays import contiguous_runs, marker_positions
from hipdrop.vocab import AXIS, FOOT_OFF, FOOT_STRIKE, MARKER, OTHER_SIDE, PCT, SIDES, STANCE, TIME

#: the variable of the stance-normalised curves in curves.nc
CURVES_NAME = "obliquity"
STANCE_COLUMNS = [
    "side", "stance_index", "strike_frame", "off_frame", "strike_s", "off_s", "stance_time_s", "swing_time_s",
    "step_time_s", "cadence_spm", "cpd_peak_deg", "cpd_excursion_deg", "cpd_peak_pct", "arm_swing_mm",
    "strike_type", "event_source", "excluded", "exclude_reason",
]
#: the columns of ``pair_stances``
PAIR_COLUMNS = ["side", "strike_frame", "off_frame", "strike_s", "off_s", "next_strike_frame", "next_strike_s",
                "strike_type", "source"]
_Pair = namedtuple("_Pair", PAIR_COLUMNS)


def pair_stances(events: pd.DataFrame) -> dict[str, np.ndarray]:
    """Pair each foot strike with the first foot off of the same side before that side's next strike.

    Returns the columns ``PAIR_COLUMNS`` as numpy arrays (the stance loop reads them without pandas), one entry per
    strike in the order of the strikes: ``side``, ``strike_frame``, ``off_frame`` (-1 when no off pairs),
    ``strike_s``, ``off_s``, ``next_strike_frame`` (-1 at the end of the trial), ``next_strike_s``,
    ``strike_type`` and ``source`` (of the strike event).
    """
    column = lambda c: events[c].to_numpy() if c in events else np.full(len(events), "unknown", object)
    sides, kinds, frames, times = (column(c) for c in ("side", "event", "frame", "time_s"))
    strike_types, sources = column("strike_type"), column("source")
    parts = []
    for side in SIDES:
        mine = np.flatnonzero(sides == side)
        mine = mine[np.argsort(frames[mine], kind="stable")]
        strikes, offs = mine[kinds[mine] == FOOT_STRIKE], mine[kinds[mine] == FOOT_OFF]
        strike_frames, off_frames = frames[strikes].astype(np.int64), frames[offs].astype(np.int64)
        next_strike = np.append(strike_frames[1:], -1)
        k = np.searchsorted(off_frames, strike_frames, side="right")  # the first off after each strike
        off_at, off_s = np.append(off_frames, -1)[k], np.append(times[offs].astype(float), np.nan)[k]  # k = len: none
        paired = (k < len(offs)) & ((next_strike < 0) | (off_at < next_strike))
        parts.append({
            "side": np.full(len(strikes), side, object), "strike_frame": strike_frames,
            "off_frame": np.where(paired, off_at, -1), "strike_s": times[strikes].astype(float),
            "off_s": np.where(paired, off_s, np.nan),
            "next_strike_frame": next_strike, "next_strike_s": np.append(times[strikes][1:].astype(float), np.nan),
            "strike_type": strike_types[strikes], "source": sources[strikes],
        })
    pairs = {c: np.concatenate([part[c] for part in parts]) for c in PAIR_COLUMNS}
    order = np.argsort(pairs["strike_s"], kind="stable")
    return {c: values[order] for c, values in pairs.items()}


def _previous_opposite_strike(sides: np.ndarray, strike_s: np.ndarray) -> np.ndarray:
    """Time of the latest opposite-side strike before each strike (NaN when there is none)."""
    out = np.full(len(sides), np.nan)
    for side in SIDES:
        opposite = np.sort(strike_s[sides == OTHER_SIDE[side]])
        mine = sides == side
        k = np.searchsorted(opposite, strike_s[mine], side="left") - 1
        out[mine] = np.where(k >= 0, opposite[np.clip(k, 0, None)] if len(opposite) else np.nan, np.nan)
    return out


def _fore_aft_np(wrists: np.ndarray, pelvis: np.ndarray, heading: float) -> np.ndarray:
    """Wrist centre minus pelvis centre along progression: wrists [..., 2, 3] (WRA, WRB), pelvis [..., k, 3]."""
    relative = wrists.mean(-2) - pelvis.mean(-2)
    return relative[..., 0] * np.cos(heading) + relative[..., 1] * np.sin(heading)


def arm_swing(markers: xr.DataArray, heading: float) -> xr.DataArray | None:
    """Fore-aft position of each wrist (mean of WRA and WRB) relative to the pelvis centre, along progression,
    ``[time, side]`` in mm; None when the file has no wrist markers."""
    names = set(markers[MARKER].values)
    if not {f"{s}{m}" for s in SIDES for m in ("WRA", "WRB")} <= names:
        return None
    pelvis = markers.isel({MARKER: marker_positions(markers, [m for m in ("LASI", "RASI", "LPSI", "RPSI") if m in names])})
    # [time, side, wrist marker, axis] by position: one gather, not a label lookup and a concat per side
    wrists = markers.isel({MARKER: marker_positions(markers, [f"{s}{m}" for s in SIDES for m in ("WRA", "WRB")])})
    wrists = wrists.transpose(TIME, MARKER, AXIS).data.reshape(-1, len(SIDES), 2, wrists.sizes[AXIS])
    if isinstance(wrists, np.ndarray) and set(markers.dims) == {TIME, MARKER, AXIS}:
        # in memory: the kernel on the arrays apply_ufunc would hand it (the pelvis broadcast over the sides), a
        # tenth of its cost on a 30 s trial
        along = _fore_aft_np(wrists, pelvis.transpose(TIME, MARKER, AXIS).data[:, None], heading)
        return xr.DataArray(along, dims=(TIME, "side"), coords={TIME: markers[TIME], "side": list(SIDES)})
    return xr.apply_ufunc(
        _fore_aft_np, xr.DataArray(wrists, dims=(TIME, "side", MARKER, AXIS), coords={TIME: markers[TIME], "side": list(SIDES)}),
        pelvis.rename({MARKER: "landmark"}), kwargs={"heading": heading},
        input_core_dims=[[MARKER, AXIS], ["landmark", AXIS]], dask="parallelized", output_dtypes=[float],
    ).transpose(TIME, "side")


def parabolic_peak(signal: np.ndarray, k: int) -> tuple[float, float]:
    """Position (fractional sample) and value of the vertex of the parabola through samples k-1, k, k+1 of a
    sampled smooth curve at a local maximum k; (k, signal[k]) at an edge or where the three do not bend down."""
    if 0 < k < len(signal) - 1 and np.isfinite(signal[k - 1 : k + 2]).all():
        left, mid, right = signal[k - 1 : k + 2]
        curvature = left - 2 * mid + right
        if curvature < 0:
            offset = 0.5 * (left - right) / curvature
            return k + offset, float(mid - 0.25 * (left - right) * offset)
    return float(k), float(signal[k])


def sampled_peak(signal: np.ndarray) -> tuple[float, float]:
    """Position (fractional sample) and value of the maximum of a sampled smooth curve: ``parabolic_peak`` at the
    largest sample. The largest sample alone falls short of the curve's maximum by up to curvature x (sample
    interval / 2)^2 / 2, more for the narrower peaks of shorter stances: a bias that would differ between
    conditions that change the stance time."""
    k = int(np.argmax(signal))
    if np.isnan(signal[k]):  # argmax stops at the first NaN; only then is numpy's nanargmax (and its checks) needed
        k = int(np.nanargmax(signal))
    return parabolic_peak(signal, k)


def longest_run_touching(runs: np.ndarray, first: int, last: int) -> int:
    """Length (frames) of the longest run that overlaps frames ``first..last``, counted whole (0 if none)."""
    if not len(runs):  # most trials have no fill (or no rebuild) at all: two calls a stance
        return 0
    touching = runs[(runs[:, 0] <= last) & (runs[:, 1] > first)]
    return int((touching[:, 1] - touching[:, 0]).max()) if len(touching) else 0


def _unpaired_reason(pair: _Pair, *, end_s: float, max_stance_s: float) -> str:
    """Why a strike has no foot off: a later strike of its side came first (an off was missed), the recording
    ended within the longest plausible stance of the strike (a contact cut by the end of the trial, not an event
    error), or the off was missed with no later strike."""
    if pair.next_strike_frame >= 0:
        return "no foot off before the next strike"
    if end_s - pair.strike_s <= max_stance_s:
        return f"contact cut by the end of the recording ({end_s - pair.strike_s:.3f} s after the strike)"
    return f"no foot off in the {end_s - pair.strike_s:.3f} s after the last strike of its side"


def _uncertainty_lookup(events: pd.DataFrame) -> dict:
    """``{(side, event, time_s): uncertainty_s}`` of the events that carry one."""
    if "uncertainty_s" not in events:
        return {}
    known = events[events["uncertainty_s"].notna()]
    return {(side, event, round(t, 9)): u for side, event, t, u in
            zip(known["side"], known["event"], known["time_s"].astype(float), known["uncertainty_s"])}


def stance_table(
    obliquity: xr.DataArray,
    events: pd.DataFrame,
    *,
    pelvis_filled: xr.DataArray,
    pelvis_rebuilt: xr.DataArray | None = None,
    wrist_fore_aft: xr.DataArray | None = None,
    min_stance_s: float,
    max_stance_s: float,
    min_swing_s: float,
    max_swing_s: float,
    max_filled_s: float,
    curve_points: int,
    outlier_robust_sd: float,
    outlier_floor_s: float,
    outlier_min_stances: int,
    max_event_uncertainty_s: float | None = None,
) -> tuple[pd.DataFrame, xr.DataArray]:
    """Per-stance metrics and stance-normalised curves of one trial.

    Parameters
    ----------
    obliquity : ``[time, side]`` degrees, Plug-in Gait signs (positive = that side up), with its ``time``
        coordinate in s (it gives the frame rate); NaN = the pelvis could not be built
    events : foot events (``side``, ``event``, ``frame``, ``time_s``)
    pelvis_filled : ``[time]`` True where a pelvis marker was filled by spline over a short gap
    pelvis_rebuilt : ``[time]`` True where a pelvis marker was rebuilt as a rigid body from the other three
        (``hipdrop.kernels.gaps.refill_pelvis``); None = nowhere
    wrist_fore_aft : ``[time, side]`` mm from ``arm_swing``, or None
    min_stance_s, max_stance_s, min_swing_s, max_swing_s : plausible stance and swing times (s)
    max_filled_s : longest spline-filled run (s) a stance may hold and still count
    curve_points : samples per stance-normalised curve
    outlier_robust_sd, outlier_floor_s, outlier_min_stances : the stance-time outlier rule (Notes)
    max_event_uncertainty_s : a stance whose strike or off has an ``uncertainty_s`` (events column, the marker
        detector's: ``hipdrop.kernels.events.running.event_uncertainty``) above this is excluded; None: not judged

    Returns
    -------
    stances : one row per foot strike, columns ``STANCE_COLUMNS``
    curves : ``[stance, pct]`` S-side obliquity over the stance of side S, degrees, 0-100 % of stance

    Notes
    -----
    Peak = max of S-side obliquity over [strike, off]; excursion = peak minus the value at strike; peak time in %
    of stance. Step time = this strike minus the previous opposite-side strike; cadence = 60 / step time (steps
    per minute). Arm swing = max - min of the S wrist's fore-aft position over the stride from this strike to the
    next same-side strike (docs/science.md sections 3 and 5).

    Event QC (a failing stance is kept, ``excluded`` with the reason): a foot off before the next strike; stance
    and swing times within bounds; exactly one opposite-side strike within the stride (sides alternate); and,
    in trials with at least ``outlier_min_stances`` stance times (both sides pooled), stance time within
    max(``outlier_robust_sd`` robust SDs, 1.4826 MAD, ``outlier_floor_s``) of the trial median. Overground trials
    with 1-3 stances per side are judged by the bounds alone: a median of three says nothing (benchmarks/outlier_rule.py
    measures how often the rule flags a sound stance at each number of stances), and their stance times change as
    the runner speeds up or slows down. The settings' defaults and their reasons: config/README.md, ``stances.*``.

    Pelvis QC: a stance is excluded when its obliquity is missing anywhere in [strike, off], when a pelvis marker
    was rebuilt as a rigid body anywhere in it (0.08 deg median and 0.5 deg worst error of the stance peak on
    RBDS running, whatever the gap's length), or when it touches a spline-filled run longer than ``max_filled_s``
    (a run counts whole, also the part outside the stance: a spline's error grows with the gap it bridges).
    Shorter fills are kept: on RBDS001runT35 they move the stance peak by under 0.1 deg
    (tests/realdata/test_stance_fill.py).
    """
    pairs = pair_stances(events)
    by_side = obliquity.transpose(TIME, "side")
    obl = dict(zip(by_side["side"].to_numpy().tolist(), by_side.to_numpy().T))
    time = obliquity[TIME].to_numpy()
    rate = 1.0 / float(np.median(np.diff(time))) if len(time) > 1 else np.nan
    max_filled = int(np.floor(max_filled_s * rate + 1e-9)) if np.isfinite(rate) else 0  # frames, as clean counts
    filled_runs = contiguous_runs(pelvis_filled.to_numpy().astype(bool))
    rebuilt_runs = contiguous_runs(np.zeros(len(time), bool) if pelvis_rebuilt is None else pelvis_rebuilt.to_numpy().astype(bool))
    wrist = None if wrist_fore_aft is None else {s: wrist_fore_aft.sel(side=s).to_numpy() for s in SIDES}
    n_pairs = len(pairs["side"])
    n = len(time)
    pct = np.linspace(0.0, 100.0, curve_points)

    rows, curves = [], np.full((n_pairs, curve_points), np.nan)
    step = pairs["strike_s"] - _previous_opposite_strike(pairs["side"], pairs["strike_s"])
    stance_times = pairs["off_s"] - pairs["strike_s"]
    judged = np.isfinite(stance_times).sum() >= outlier_min_stances
    median = np.nanmedian(stance_times) if judged else np.nan
    robust_sd = 1.4826 * np.nanmedian(np.abs(stance_times - median)) if judged else np.nan
    strike_times = {s: np.sort(pairs["strike_s"][pairs["side"] == s]) for s in SIDES}
    counters = dict.fromkeys(SIDES, 0)
    end_s = float(time[-1]) if len(time) else np.nan
    uncertain = _uncertainty_lookup(events) if max_event_uncertainty_s is not None else {}
    # opposite-side strikes strictly inside each stride, counted on the sorted strike times
    sides, strikes, next_strikes = pairs["side"], pairs["strike_s"], pairs["next_strike_s"]
    between = np.zeros(n_pairs, np.int64)
    for side in SIDES:
        mine, opposite = sides == side, strike_times[OTHER_SIDE[side]]
        between[mine] = (np.searchsorted(opposite, next_strikes[mine], side="left")
                         - np.searchsorted(opposite, strikes[mine], side="right"))
    between[np.isnan(strikes)] = 0  # as a comparison with NaN counts none (NaN times sort last: never counted)
    normalised = {}  # the stance's own 0-100 % grid per number of frames: few lengths recur over a trial
    for i, p in enumerate(map(_Pair._make, zip(*(pairs[c].tolist() for c in PAIR_COLUMNS)))):
        counters[p.side] += 1
        reasons = []
        peak = excursion = peak_pct = swing = np.nan
        stance_s = p.off_s - p.strike_s
        swing_s = p.next_strike_s - p.off_s
        if np.isfinite(p.next_strike_s):
            if between[i] != 1:
                reasons.append(f"sides do not alternate: {between[i]} opposite-side strikes in the stride")
            if p.off_frame >= 0 and not min_swing_s <= swing_s <= max_swing_s:
                reasons.append(f"swing time {swing_s:.3f} s outside [{min_swing_s}, {max_swing_s}] s")
        for event, at in (("foot_strike", p.strike_s), ("foot_off", p.off_s if p.off_frame >= 0 else np.nan)):
            u = uncertain.get((p.side, event, round(at, 9)), np.nan) if uncertain else np.nan
            if max_event_uncertainty_s is not None and u > max_event_uncertainty_s:
                reasons.append(f"{event.replace('_', ' ')} uncertain by {u:.3f} s (> {max_event_uncertainty_s:g} s)")
        if p.off_frame < 0:
            reasons.append(_unpaired_reason(p, end_s=end_s, max_stance_s=max_stance_s))
        else:
            if not min_stance_s <= stance_s <= max_stance_s:
                reasons.append(f"stance time {stance_s:.3f} s outside [{min_stance_s}, {max_stance_s}] s")
            elif judged and abs(stance_s - median) > max(outlier_robust_sd * robust_sd, outlier_floor_s):
                reasons.append(f"stance time {stance_s:.3f} s is an outlier (trial median {median:.3f} s)")
            window = obl[p.side][p.strike_frame : p.off_frame + 1]
            if np.isnan(window).any():
                reasons.append("missing pelvis data in the stance")
            rebuilt = longest_run_touching(rebuilt_runs, p.strike_frame, p.off_frame)
            if rebuilt:
                reasons.append(f"pelvis marker rebuilt as a rigid body in the stance (a {rebuilt / rate:.3f} s gap)")
            filled = longest_run_touching(filled_runs, p.strike_frame, p.off_frame)
            if filled > max_filled:
                reasons.append(f"pelvis data filled for {filled / rate:.3f} s (> {max_filled_s:g} s) in the stance")
            if np.isfinite(window).any():
                at, peak = sampled_peak(window)
                excursion = peak - float(window[0])
                peak_pct = 100.0 * at / max(p.off_frame - p.strike_frame, 1)
                if len(window) not in normalised:
                    normalised[len(window)] = np.linspace(0, 100, len(window))
                curves[i] = np.interp(pct, normalised[len(window)], window)
        if wrist is not None and p.next_strike_frame > 0:
            stride = wrist[p.side][p.strike_frame : min(p.next_strike_frame, n - 1) + 1]
            swing = float(stride.max() - stride.min()) if np.isfinite(stride).all() else np.nan
        rows.append({
            "side": p.side, "stance_index": counters[p.side], "strike_frame": p.strike_frame, "off_frame": p.off_frame,
            "strike_s": p.strike_s, "off_s": p.off_s, "stance_time_s": stance_s, "swing_time_s": swing_s,
            "step_time_s": step[i], "cadence_spm": 60.0 / step[i], "cpd_peak_deg": peak, "cpd_excursion_deg": excursion,
            "cpd_peak_pct": peak_pct, "arm_swing_mm": swing, "strike_type": p.strike_type, "event_source": p.source,
            "excluded": bool(reasons), "exclude_reason": "; ".join(reasons),
        })
    table = pd.DataFrame(rows, columns=STANCE_COLUMNS)
    curve_da = xr.DataArray(
        curves, dims=(STANCE, PCT), coords={STANCE: np.arange(n_pairs), PCT: pct}, name=CURVES_NAME,
        attrs={"units": "deg", "long_name": "stance-side pelvic obliquity", "sign": "positive when the stance side is up"},
    )
    return table, curve_da
