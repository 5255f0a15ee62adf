"""One row per stance: pelvic-drop metrics, cadence and arm swing; plus the stance-normalised obliquity curves.

Inputs are numpy-backed: stance windows come from the (small) events table, and the work per stance is slicing, so
a loop over stances (about 40 per side in a 30 s trial) costs nothing beside the vectorised kernels over time.
Definitions: science.md sections 3 and 5.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from hipdrop.vocab import AXIS, FOOT_OFF, FOOT_STRIKE, MARKER, OTHER_SIDE, PCT, SIDES, STANCE, TIME

STANCE_COLUMNS = [
    "side", "stance_index", "strike_frame", "off_frame", "strike_s", "off_s", "stance_time_s", "swing_time_s",
    "step_time_s", "cadence_spm", "cpd_peak_deg", "cpd_excursion_deg", "cpd_peak_pct", "arm_swing_mm",
    "strike_type", "event_source", "excluded", "exclude_reason",
]
#: a stance time this many robust SDs (1.4826 MAD) from the trial's median is flagged as an outlier, and never
#: one within 20 ms of it (MAD vanishes on very regular, frame-quantised stance times)
OUTLIER_ROBUST_SD = 4.0
OUTLIER_FLOOR_S = 0.020


def pair_stances(events: pd.DataFrame) -> pd.DataFrame:
    """Pair each foot strike with the first foot off of the same side before that side's next strike.

    Returns one row per strike with ``side``, ``strike_frame``, ``off_frame`` (-1 when no off pairs),
    ``strike_s``, ``off_s``, ``next_strike_frame`` (-1 at the end of the trial), ``next_strike_s``,
    ``strike_type`` and ``source`` (of the strike event).
    """
    events = events.assign(**{c: "unknown" for c in ("strike_type", "source") if c not in events})
    rows = []
    for side in SIDES:
        mine = events[events["side"] == side].sort_values("frame")
        strikes = mine[mine["event"] == FOOT_STRIKE]
        offs = mine[mine["event"] == FOOT_OFF]
        strike_frames = strikes["frame"].to_numpy()
        next_strike = np.append(strike_frames[1:], -1)
        next_time = np.append(strikes["time_s"].to_numpy()[1:], np.nan)
        off_frames, off_times = offs["frame"].to_numpy(), offs["time_s"].to_numpy()
        for (frame, time_s, kind, source), nxt, nxt_s in zip(
            strikes[["frame", "time_s", "strike_type", "source"]].itertuples(index=False), next_strike, next_time
        ):
            k = np.searchsorted(off_frames, frame, side="right")
            ok = k < len(off_frames) and (nxt < 0 or off_frames[k] < nxt)
            rows.append((side, int(frame), int(off_frames[k]) if ok else -1, float(time_s),
                         float(off_times[k]) if ok else np.nan, int(nxt), float(nxt_s), kind, source))
    table = pd.DataFrame(rows, columns=["side", "strike_frame", "off_frame", "strike_s", "off_s", "next_strike_frame",
                                        "next_strike_s", "strike_type", "source"])
    return table.sort_values("strike_s", kind="stable").reset_index(drop=True)


def _previous_opposite_strike(pairs: pd.DataFrame) -> np.ndarray:
    """Time of the latest opposite-side strike before each strike (NaN when there is none)."""
    out = np.full(len(pairs), np.nan)
    for side in SIDES:
        opposite = np.sort(pairs.loc[pairs["side"] == OTHER_SIDE[side], "strike_s"].to_numpy())
        mine = pairs["side"].to_numpy() == side
        k = np.searchsorted(opposite, pairs.loc[mine, "strike_s"].to_numpy(), side="left") - 1
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
    pelvis = markers.sel({MARKER: [m for m in ("LASI", "RASI", "LPSI", "RPSI") if m in names]}).rename({MARKER: "landmark"})
    wrists = xr.concat([markers.sel({MARKER: [f"{s}WRA", f"{s}WRB"]}).drop_vars(MARKER) for s in SIDES], dim="side")
    return xr.apply_ufunc(
        _fore_aft_np, wrists.assign_coords(side=list(SIDES)), pelvis, kwargs={"heading": heading},
        input_core_dims=[[MARKER, AXIS], ["landmark", AXIS]], dask="parallelized", output_dtypes=[float],
    ).transpose(TIME, "side")


def stance_table(
    obliquity: xr.DataArray,
    events: pd.DataFrame,
    *,
    pelvis_filled: xr.DataArray,
    wrist_fore_aft: xr.DataArray | None = None,
    min_stance_s: float,
    max_stance_s: float,
    min_swing_s: float = 0.15,
    max_swing_s: float = 1.0,
    curve_points: int = 101,
) -> tuple[pd.DataFrame, xr.DataArray]:
    """Per-stance metrics and stance-normalised curves of one trial.

    Parameters
    ----------
    obliquity : ``[time, side]`` degrees, Plug-in Gait signs (positive = that side up)
    events : foot events (``side``, ``event``, ``frame``, ``time_s``)
    pelvis_filled : ``[time]`` True where any pelvis marker was filled or is missing
    wrist_fore_aft : ``[time, side]`` mm from ``arm_swing``, or None

    Returns
    -------
    stances : one row per foot strike, columns ``STANCE_COLUMNS``
    curves : ``[stance, pct]`` S-side obliquity over the stance of side S, degrees, 0-100 % of stance

    Notes
    -----
    Peak = max of S-side obliquity over [strike, off]; excursion = peak minus the value at strike; peak time in %
    of stance. Step time = this strike minus the previous opposite-side strike; cadence = 60 / step time (steps
    per minute). Arm swing = max - min of the S wrist's fore-aft position over the stride from this strike to the
    next same-side strike (science.md sections 3 and 5).

    Event QC (a failing stance is kept, ``excluded`` with the reason): a foot off before the next strike; stance
    and swing times within bounds; exactly one opposite-side strike within the stride (sides alternate); stance
    time within max(``OUTLIER_ROBUST_SD`` robust SDs, ``OUTLIER_FLOOR_S``) of the trial median.
    """
    pairs = pair_stances(events)
    obl = {s: obliquity.sel(side=s).to_numpy() for s in SIDES}
    filled = pelvis_filled.to_numpy()
    wrist = None if wrist_fore_aft is None else {s: wrist_fore_aft.sel(side=s).to_numpy() for s in SIDES}
    n = len(filled)
    pct = np.linspace(0.0, 100.0, curve_points)

    rows, curves = [], np.full((len(pairs), curve_points), np.nan)
    step = pairs["strike_s"].to_numpy() - _previous_opposite_strike(pairs)
    stance_times = (pairs["off_s"] - pairs["strike_s"]).to_numpy()
    median = np.nanmedian(stance_times) if np.isfinite(stance_times).any() else np.nan
    robust_sd = 1.4826 * np.nanmedian(np.abs(stance_times - median)) if np.isfinite(median) else np.nan
    strike_times = {s: np.sort(pairs.loc[pairs["side"] == s, "strike_s"].to_numpy()) for s in SIDES}
    counters = dict.fromkeys(SIDES, 0)
    for i, p in enumerate(pairs.itertuples(index=False)):
        counters[p.side] += 1
        reasons = []
        peak = excursion = peak_pct = swing = np.nan
        stance_s = p.off_s - p.strike_s
        swing_s = p.next_strike_s - p.off_s
        if np.isfinite(p.next_strike_s):
            opposite = strike_times[OTHER_SIDE[p.side]]
            between = int(((opposite > p.strike_s) & (opposite < p.next_strike_s)).sum())
            if between != 1:
                reasons.append(f"sides do not alternate: {between} opposite-side strikes in the stride")
            if p.off_frame >= 0 and not min_swing_s <= swing_s <= max_swing_s:
                reasons.append(f"swing time {swing_s:.3f} s outside [{min_swing_s}, {max_swing_s}] s")
        if p.off_frame < 0:
            reasons.append("no foot off before the next strike")
        else:
            if not min_stance_s <= stance_s <= max_stance_s:
                reasons.append(f"stance time {stance_s:.3f} s outside [{min_stance_s}, {max_stance_s}] s")
            elif abs(stance_s - median) > max(OUTLIER_ROBUST_SD * robust_sd, OUTLIER_FLOOR_S):
                reasons.append(f"stance time {stance_s:.3f} s is an outlier (trial median {median:.3f} s)")
            window = obl[p.side][p.strike_frame : p.off_frame + 1]
            if filled[p.strike_frame : p.off_frame + 1].any() or np.isnan(window).any():
                reasons.append("filled or missing pelvis data in the stance")
            if np.isfinite(window).any():
                k = int(np.nanargmax(window))
                peak = float(window[k])
                excursion = peak - float(window[0])
                peak_pct = 100.0 * k / max(p.off_frame - p.strike_frame, 1)
                curves[i] = np.interp(pct, np.linspace(0, 100, len(window)), window)
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
        curves, dims=(STANCE, PCT), coords={STANCE: np.arange(len(pairs)), PCT: pct},
        attrs={"units": "deg", "long_name": "stance-side pelvic obliquity", "sign": "positive when the stance side is up"},
    )
    return table, curve_da
