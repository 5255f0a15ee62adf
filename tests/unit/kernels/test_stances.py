"""Stance metrics on hand-built obliquity curves and events."""

import numpy as np
import pandas as pd
import xarray as xr

from hipdrop.config import validate_config
from hipdrop.kernels import stances

#: the stance settings at their config defaults, less the event-uncertainty rule (these events carry none)
STANCES = {k: v for k, v in validate_config({})["stances"].items() if k != "max_event_uncertainty_s"}


def stance_table(obliquity, events, **options):
    """``stances.stance_table`` with the config's defaults for every setting a test does not set."""
    return stances.stance_table(obliquity, events, **(STANCES | options))


def test_peak_excursion_timing_and_cadence():
    rate = 100.0
    t = np.arange(300) / rate
    right = 1.0 + 4.0 * np.sin(np.pi * np.clip((t - 0.5) / 0.5, 0, 1)) ** 2  # R stance 0.5-1.0 s, peak 5 at 0.75 s
    obliquity = xr.DataArray(np.stack([-right, right], -1), dims=("time", "side"), coords={"time": t, "side": ["L", "R"]})
    events = pd.DataFrame({
        "side": ["L", "R", "R", "L", "L", "R"],
        "event": ["foot_strike", "foot_strike", "foot_off", "foot_strike", "foot_off", "foot_strike"],
        "frame": [20, 50, 100, 120, 160, 190],
    })
    events["time_s"] = events["frame"] / rate
    filled = xr.DataArray(np.zeros(300, bool), dims="time")
    table, curves = stance_table(obliquity, events, pelvis_filled=filled, min_stance_s=0.1, max_stance_s=0.6)
    r1 = table[(table.side == "R") & (table.stance_index == 1)].iloc[0]
    assert r1.cpd_peak_deg == 5.0 and r1.cpd_excursion_deg == 4.0 and r1.cpd_peak_pct == 50.0
    assert r1.step_time_s == 0.3 and np.isclose(r1.cadence_spm, 200.0)
    assert not r1.excluded
    l1 = table[(table.side == "L") & (table.stance_index == 1)].iloc[0]
    assert l1.excluded and "no foot off" in l1.exclude_reason  # L strike at 20 has no off before L strike at 120
    last = table[(table.side == "R") & (table.stance_index == 2)].iloc[0]
    # no off in the 1.09 s to the end of the trial, longer than any stance (max 0.6 s): the off was missed
    assert last.excluded and last.exclude_reason == "no foot off in the 1.090 s after the last strike of its side"
    assert curves.sizes == {"stance": len(table), "pct": 101}
    assert float(curves.isel(stance=int(r1.name)).sel(pct=50)) == 5.0


def _one_stance(filled_frames=(), rebuilt_frames=(), nan_frames=(), max_filled_s=0.015):
    """One R stance over frames 10-40 of a 100 Hz trial, with pelvis samples filled, rebuilt or missing."""
    frames = np.arange(100)
    t = frames / 100.0
    obliquity = xr.DataArray(np.zeros((100, 2)), dims=("time", "side"), coords={"time": t, "side": ["L", "R"]})
    obliquity[list(nan_frames)] = np.nan
    events = pd.DataFrame({"side": ["R", "R"], "event": ["foot_strike", "foot_off"], "frame": [10, 40], "time_s": [0.1, 0.4]})
    filled = xr.DataArray(np.isin(frames, filled_frames), dims="time")
    rebuilt = xr.DataArray(np.isin(frames, rebuilt_frames), dims="time")
    table, _ = stance_table(obliquity, events, pelvis_filled=filled, pelvis_rebuilt=rebuilt, min_stance_s=0.1,
                            max_stance_s=0.6, max_filled_s=max_filled_s)
    assert len(table) == 1
    return table.iloc[0]


def test_a_short_spline_fill_keeps_the_stance():
    assert not _one_stance(filled_frames=[25]).excluded  # 0.01 s at 100 Hz, within 0.015 s
    assert not _one_stance(filled_frames=[40, 41], max_filled_s=0.02).excluded  # the bound is inclusive
    assert not _one_stance(filled_frames=range(45, 60)).excluded  # a long fill after the foot off


def test_a_long_spline_fill_excludes_the_stance_and_says_how_long():
    stance = _one_stance(filled_frames=range(20, 25))
    assert stance.excluded and stance.exclude_reason == "pelvis data filled for 0.050 s (> 0.015 s) in the stance"
    # a fill counts whole, also the part before the strike: its error grows with the gap it bridges
    stance = _one_stance(filled_frames=range(5, 11))
    assert stance.excluded and "filled for 0.060 s" in stance.exclude_reason
    # two short fills in the stance do not add up: each is bridged on its own
    assert not _one_stance(filled_frames=[15, 30]).excluded


def test_rebuilt_or_missing_pelvis_data_always_excludes_the_stance():
    stance = _one_stance(rebuilt_frames=[25])
    assert stance.excluded and stance.exclude_reason == "pelvis marker rebuilt as a rigid body in the stance (a 0.010 s gap)"
    stance = _one_stance(nan_frames=[25])
    assert stance.excluded and stance.exclude_reason == "missing pelvis data in the stance"
    assert not _one_stance(rebuilt_frames=range(50, 90), nan_frames=range(0, 9)).excluded  # both outside the stance


def _regular_events(strikes_r, strikes_l, stance=0.25, rate=100.0):
    rows = [(s, "foot_strike", t) for s, ts in (("R", strikes_r), ("L", strikes_l)) for t in ts]
    rows += [(s, "foot_off", t + stance) for s, ts in (("R", strikes_r), ("L", strikes_l)) for t in ts]
    events = pd.DataFrame(rows, columns=["side", "event", "time_s"])
    events["frame"] = np.rint(events.time_s * rate).astype(int)
    return events


def _flat(n=1000):
    t = np.arange(n) / 100.0
    obliquity = xr.DataArray(np.zeros((n, 2)), dims=("time", "side"), coords={"time": t, "side": ["L", "R"]})
    return obliquity, xr.DataArray(np.zeros(n, bool), dims="time")


def test_event_qc_flags_missing_alternation_and_outliers_but_keeps_the_stances():
    right = np.arange(0.5, 8.0, 0.7)
    left = right + 0.35
    missing = left[4]
    left = np.delete(left, 4)  # a left strike is missing: the right stride around it holds no left strike, and the
    # left stride that now spans it holds two right strikes
    events = _regular_events(right, left)
    long_off = (events.side == "R") & (events.event == "foot_off") & np.isclose(events.time_s, right[8] + 0.25)
    events.loc[long_off, "time_s"] += 0.1  # one 0.35 s stance among 0.25 s ones
    events["frame"] = np.rint(events.time_s * 100).astype(int)
    obliquity, filled = _flat()
    table, _ = stance_table(obliquity, events, pelvis_filled=filled, min_stance_s=0.1, max_stance_s=0.5)
    assert len(table) == len(right) + len(left)  # nothing dropped
    no_alternation = table[table.exclude_reason.str.contains("do not alternate")]
    assert list(no_alternation.side) == ["L", "R"]
    assert np.isclose(no_alternation.strike_s.iloc[0], missing - 0.7) and np.isclose(no_alternation.strike_s.iloc[1], right[4])
    outlier = table[table.exclude_reason.str.contains("outlier")]
    assert len(outlier) == 1 and np.isclose(outlier.stance_time_s.iloc[0], 0.35)
    assert table.loc[~table.exclude_reason.str.contains("alternate|outlier") & (table.off_frame > 0), "excluded"].sum() <= 2


def test_swing_bounds():
    right = np.array([0.5, 1.2, 3.0])  # 1.55 s of swing before the third right strike
    events = _regular_events(right, right + 0.35)
    obliquity, filled = _flat()
    table, _ = stance_table(obliquity, events, pelvis_filled=filled, min_stance_s=0.1, max_stance_s=0.5, max_swing_s=1.0)
    flagged = table[table.exclude_reason.str.contains("swing time")]
    assert set(flagged.strike_s.round(2)) == {1.2, 1.55}


def _stance_times_table(stance_r, stance_l, rate=100.0, stride=0.7, **bounds):
    """Strikes every ``stride`` s per side, alternating; stance times given per stance (s)."""
    right = 0.5 + stride * np.arange(len(stance_r))
    left = right[: len(stance_l)] + stride / 2
    rows = [(s, "foot_strike", t) for s, ts in (("R", right), ("L", left)) for t in ts]
    rows += [(s, "foot_off", t + st) for s, ts, sts in (("R", right, stance_r), ("L", left, stance_l)) for t, st in zip(ts, sts)]
    events = pd.DataFrame(rows, columns=["side", "event", "time_s"])
    events["frame"] = np.rint(events.time_s * rate).astype(int)
    obliquity, filled = _flat(int(rate * (stride * len(stance_r) + 1.5)))
    return stance_table(obliquity, events, pelvis_filled=filled, **bounds)[0]


def test_overground_trial_with_few_unequal_stances_keeps_them_all():
    """A runway trial: three right and two left stances while the runner accelerates, stance times falling from
    0.20 to 0.15 s, frame-quantised at 100 Hz (two at exactly 0.17 s). Against their median (0.17 s) the robust
    rule saw a MAD of 0 and flagged the 0.20 s stance; all five are plausible running stances."""
    table = _stance_times_table([0.20, 0.17, 0.15], [0.17, 0.17], min_stance_s=0.1, max_stance_s=0.5)
    assert len(table) == 5 and not table.excluded.any()
    assert np.allclose(sorted(table.stance_time_s), [0.15, 0.17, 0.17, 0.17, 0.20])
    # the plausible bounds still hold in a short trial
    table = _stance_times_table([0.20, 0.17, 0.55], [0.17, 0.17], min_stance_s=0.1, max_stance_s=0.5)
    assert list(table[table.excluded].stance_time_s.round(2)) == [0.55]
    assert "outside [0.1, 0.5] s" in table[table.excluded].exclude_reason.iloc[0]


def test_outlier_stance_in_a_40_stance_trial_is_still_excluded():
    """20 stances per side of 0.22-0.24 s (treadmill-like, SD ~6 ms) and one of 0.30 s: 60 ms off the median,
    under the 0.5 s bound, and the only stance the robust rule flags."""
    rng = np.random.default_rng(9)
    stance_r = np.round(0.23 + 0.006 * rng.standard_normal(20), 2)
    stance_l = np.round(0.23 + 0.006 * rng.standard_normal(20), 2)
    stance_r[11] = 0.30
    table = _stance_times_table(stance_r, stance_l, min_stance_s=0.1, max_stance_s=0.5)
    assert len(table) == 40
    excluded = table[table.excluded]
    assert len(excluded) == 1 and np.isclose(excluded.stance_time_s.iloc[0], 0.30)
    assert "outlier" in excluded.exclude_reason.iloc[0]


def _last_strike(frame: int) -> pd.Series:
    """The stance of a lone R strike at ``frame`` of a 3 s, 100 Hz trial with no foot off after it."""
    t = np.arange(300) / 100.0
    obliquity = xr.DataArray(np.zeros((300, 2)), dims=("time", "side"), coords={"time": t, "side": ["L", "R"]})
    events = pd.DataFrame({"side": ["R"], "event": ["foot_strike"], "frame": [frame], "time_s": [frame / 100.0]})
    filled = xr.DataArray(np.zeros(300, bool), dims="time")
    table, _ = stance_table(obliquity, events, pelvis_filled=filled, min_stance_s=0.1, max_stance_s=0.6)
    return table.iloc[0]


def test_the_last_contact_cut_by_the_end_of_the_recording_says_so():
    """A strike 0.19 s before the last sample, shorter than the longest plausible stance (0.6 s): the recording
    ended during the contact; there is no next strike to have come first."""
    stance = _last_strike(280)
    assert stance.excluded and stance.exclude_reason == "contact cut by the end of the recording (0.190 s after the strike)"


def test_a_last_strike_long_before_the_end_is_a_missed_foot_off():
    assert _last_strike(149).exclude_reason == "no foot off in the 1.500 s after the last strike of its side"
