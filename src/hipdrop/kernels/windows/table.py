"""The metrics and window-normalised curves of single-leg windows in the stance table's format, their events, and
the compensations of running stances (``hipdrop.kernels.windows``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from hipdrop.kernels.arrays import contiguous_runs
from hipdrop.kernels.stances import STANCE_COLUMNS, longest_run_touching, sampled_peak
from hipdrop.vocab import PCT, SIDES, STANCE, TIME

#: the per-window compensation columns, for running stances too (``stance_compensations``)
COMPENSATION_COLUMNS = [
    "trunk_lean_peak_deg", "trunk_lean_at_peak_deg", "knee_fppa_peak_deg", "knee_fppa_at_peak_deg", "compensation_notes",
]
#: the window table: the stance table's columns (``strike_*`` = window start, ``off_*`` = window end,
#: ``stance_time_s`` = its duration; the running-only ones stay empty) with the task, the deepest point of a squat
#: and the compensations
WINDOW_COLUMNS = ["task", *STANCE_COLUMNS, "deepest_s", "cpd_deepest_deg", *COMPENSATION_COLUMNS]


def _at(signal: np.ndarray, frame: float) -> float:
    """``signal`` linearly interpolated at a fractional frame (NaN outside or next to a gap)."""
    k = int(np.floor(frame))
    if k < 0 or k >= len(signal):
        return np.nan
    if k == len(signal) - 1 or frame == k:
        return float(signal[k])
    return float(signal[k] + (frame - k) * (signal[k + 1] - signal[k]))


def _span(start: float, end: float) -> tuple[int, int]:
    """The first and last whole frames within a window."""
    return int(np.ceil(start - 1e-9)), int(np.floor(end + 1e-9))


#: the compensation angles a window reports, with their names in notes
COMPENSATION_ANGLES = (("trunk_lean", "trunk lean"), ("knee_fppa", "knee FPPA"))


def _angle_series(angles: xr.Dataset | None) -> dict:
    """``{(name, side): (series, why missing)}`` of ``compensation_angles`` as numpy, read once per trial rather
    than once per window (None where the angle was not computed)."""
    return {(name, side): (None if angles is None or name not in angles else
                           (angles[name].sel(side=side).to_numpy(), angles[name].attrs.get(f"missing_{side}", "")))
            for name, _ in COMPENSATION_ANGLES for side in SIDES}


def _compensation_metrics(series: dict, side: str, start: float, end: float, peak_at: float) -> dict:
    """Peak of each compensation (``series``: ``_angle_series``) over the frames of a window and its value at the
    time of peak drop (``peak_at``, a fractional frame), with a note for every metric that is NaN."""
    out = dict.fromkeys(COMPENSATION_COLUMNS[:-1], np.nan)
    notes = []
    f0, f1 = _span(start, end)
    for name, label in COMPENSATION_ANGLES:
        if series[name, side] is None:
            notes.append(f"{label}: not computed")
            continue
        values, missing = series[name, side]
        window = values[f0 : f1 + 1]
        if missing:
            notes.append(f"{label}: {missing}")
        elif not len(window) or not np.isfinite(window).all():
            notes.append(f"{label}: markers missing in the window")
        else:
            at, peak = sampled_peak(window)
            out[f"{name}_peak_deg"] = peak
            out[f"{name}_at_peak_deg"] = _at(values, peak_at) if np.isfinite(peak_at) else np.nan
    out["compensation_notes"] = "; ".join(notes)
    return out


def window_table(
    windows: list[dict],
    obliquity: xr.DataArray,
    *,
    task: str,
    angles: xr.Dataset | None = None,
    pelvis_filled: xr.DataArray | None = None,
    pelvis_rebuilt: xr.DataArray | None = None,
    max_filled_s: float,
    curve_points: int,
) -> tuple[pd.DataFrame, xr.DataArray]:
    """Metrics per window and the window-normalised obliquity curves, in the stance table's format.

    Parameters
    ----------
    windows : from ``balance_windows``, ``squat_windows`` or ``landing_windows``
    obliquity : ``[time, side]`` degrees, Plug-in Gait signs (positive = that side up), time in s
    task : written into the ``task`` column
    angles : ``compensation_angles`` (``trunk_lean``, ``knee_fppa`` over ``[time, side]``), or None
    pelvis_filled, pelvis_rebuilt, max_filled_s : pelvis QC as in ``stance_table``
    curve_points : samples per window-normalised curve

    Returns
    -------
    table : one row per window, columns ``WINDOW_COLUMNS`` (``side`` = the support side)
    curves : ``[stance, pct]`` support-side obliquity over each window, degrees, 0-100 %

    Notes
    -----
    As for a running stance of side S (docs/science.md section 3): peak = max of S-side obliquity over the window
    (positive = the other side has dropped; a parabola through the largest sample and its neighbours), excursion =
    peak minus its value at the window's start, time of peak in % of the window; for a squat, the S-side obliquity
    at the deepest point. Trunk lean toward S and the S knee's FPPA: their largest value over the window and their
    value at the time of peak drop. Pelvis QC as ``stance_table``: missing, rebuilt or too long filled pelvis data in
    the window excludes it (with the window's own exclusion reasons).
    """
    time = obliquity[TIME].to_numpy()
    n = len(time)
    rate = 1.0 / float(np.median(np.diff(time))) if n > 1 else np.nan
    max_filled = int(np.floor(max_filled_s * rate + 1e-9)) if np.isfinite(rate) else 0
    no_runs = np.zeros((0, 2), int)
    filled_runs = no_runs if pelvis_filled is None else contiguous_runs(pelvis_filled.to_numpy().astype(bool))
    rebuilt_runs = no_runs if pelvis_rebuilt is None else contiguous_runs(pelvis_rebuilt.to_numpy().astype(bool))
    obl = {s: obliquity.sel(side=s).to_numpy() for s in SIDES}
    pct = np.linspace(0.0, 100.0, curve_points)
    frames = np.arange(n)
    time_at = lambda frame: float(np.interp(frame, frames, time))
    rows, curves = [], np.full((len(windows), curve_points), np.nan)
    counters = dict.fromkeys(SIDES, 0)
    series = _angle_series(angles)
    for i, w in enumerate(windows):
        side, start, end = w["side"], w["start"], w["end"]
        counters[side] += 1
        reasons = list(w["reasons"])
        f0, f1 = _span(start, end)
        window = obl[side][f0 : f1 + 1]
        peak = excursion = peak_pct = peak_at = deepest_value = np.nan
        if not len(window) or np.isnan(window).any():
            reasons.append("missing pelvis data in the window")
        rebuilt = longest_run_touching(rebuilt_runs, f0, f1)
        if rebuilt:
            reasons.append(f"pelvis marker rebuilt as a rigid body in the window (a {rebuilt / rate:.3f} s gap)")
        filled = longest_run_touching(filled_runs, f0, f1)
        if filled > max_filled:
            reasons.append(f"pelvis data filled for {filled / rate:.3f} s (> {max_filled_s:g} s) in the window")
        if len(window) and np.isfinite(window).all():
            at, peak = sampled_peak(window)
            peak_at = f0 + at
            excursion = peak - _at(obl[side], start)
            peak_pct = 100.0 * (peak_at - start) / max(end - start, 1e-9)
            curves[i] = np.interp(start + pct / 100.0 * (end - start), frames, obl[side])
            if np.isfinite(w["deepest"]):
                deepest_value = _at(obl[side], w["deepest"])
        rows.append({
            "task": task, "side": side, "stance_index": counters[side], "strike_frame": int(round(start)),
            "off_frame": int(round(end)), "strike_s": time_at(start), "off_s": time_at(end),
            "stance_time_s": time_at(end) - time_at(start), "swing_time_s": np.nan, "step_time_s": np.nan,
            "cadence_spm": np.nan, "cpd_peak_deg": peak, "cpd_excursion_deg": excursion, "cpd_peak_pct": peak_pct,
            "arm_swing_mm": np.nan, "strike_type": "", "event_source": w["source"],
            "excluded": bool(reasons), "exclude_reason": "; ".join(reasons),
            "deepest_s": time_at(w["deepest"]) if np.isfinite(w["deepest"]) else np.nan,
            "cpd_deepest_deg": deepest_value,
            **_compensation_metrics(series, side, start, end, peak_at),
        })
    table = pd.DataFrame(rows, columns=WINDOW_COLUMNS)
    curve_da = xr.DataArray(
        curves, dims=(STANCE, PCT), coords={STANCE: np.arange(len(windows)), PCT: pct}, name="obliquity",
        attrs={"units": "deg", "long_name": "support-side pelvic obliquity",
               "sign": "positive when the support side is up"},
    )
    return table, curve_da


#: the events of a window table (``window_events``): each window's first and last frame
WINDOW_START, WINDOW_END = "window_start", "window_end"


def window_events(windows: pd.DataFrame) -> pd.DataFrame:
    """The boundaries of the windows of a ``window_table`` as an events table (columns side, event, frame, time_s,
    source, as ``hipdrop.io.c3d.reader.events_table``): ``window_start`` at each window's start (a landing's initial
    contact), ``window_end`` at its end, on the support side, with the source that found the window; by time."""
    ends = {WINDOW_START: ("strike_frame", "strike_s"), WINDOW_END: ("off_frame", "off_s")}
    table = pd.concat([pd.DataFrame({"side": windows["side"], "event": event, "frame": windows[frame].astype("int64"),
                                     "time_s": windows[time].astype(float), "source": windows["event_source"]})
                       for event, (frame, time) in ends.items()], ignore_index=True)
    return table.sort_values(["time_s", "event"], kind="stable", ignore_index=True)


def stance_compensations(stances: pd.DataFrame, angles: xr.Dataset) -> pd.DataFrame:
    """``COMPENSATION_COLUMNS`` for the rows of a running stance table (``stance_table``): trunk lean toward the
    stance side and the stance knee's FPPA, their peak over [strike, off] and their value at the time of peak drop
    (``cpd_peak_pct`` of the stance). Rows without a foot off or a peak get NaN with a note."""
    rows, series = [], _angle_series(angles)
    for st in stances.itertuples(index=False):
        if st.off_frame < 0:
            rows.append(dict.fromkeys(COMPENSATION_COLUMNS[:-1], np.nan) | {"compensation_notes": "no foot off"})
            continue
        peak_at = st.strike_frame + st.cpd_peak_pct / 100.0 * (st.off_frame - st.strike_frame)
        rows.append(_compensation_metrics(series, st.side, st.strike_frame, st.off_frame, peak_at))
    return pd.DataFrame(rows, columns=COMPENSATION_COLUMNS, index=stances.index)
