"""Stance metrics on hand-built obliquity curves and events."""

import numpy as np
import pandas as pd
import xarray as xr

from hipdrop.kernels.stances import stance_table


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
    assert last.excluded  # the trial ends before its foot off
    assert curves.sizes == {"stance": len(table), "pct": 101}
    assert float(curves.isel(stance=int(r1.name)).sel(pct=50)) == 5.0


def test_stance_with_filled_pelvis_data_is_kept_but_excluded():
    t = np.arange(100) / 100.0
    obliquity = xr.DataArray(np.zeros((100, 2)), dims=("time", "side"), coords={"time": t, "side": ["L", "R"]})
    events = pd.DataFrame({"side": ["R", "R"], "event": ["foot_strike", "foot_off"], "frame": [10, 40], "time_s": [0.1, 0.4]})
    filled = xr.DataArray(np.arange(100) == 25, dims="time")
    table, _ = stance_table(obliquity, events, pelvis_filled=filled, min_stance_s=0.1, max_stance_s=0.6)
    assert len(table) == 1 and table.excluded.iloc[0] and "filled" in table.exclude_reason.iloc[0]


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
