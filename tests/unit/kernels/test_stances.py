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
