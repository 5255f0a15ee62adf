"""Manipulation checks: did each condition change what it was meant to change?

Cadence: the achieved change in % of the subject's own baseline against the instructed target; arm swing: the
change of wrist excursion in % of baseline (science.md section 5).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def manipulation_check(stances: pd.DataFrame, *, baseline: str) -> pd.DataFrame:
    """One row per subject and condition: cadence (60 / mean step time) and median arm swing of the included stances, their change from
    the subject's baseline in %, and the instructed target cadence change.

    Returns
    -------
    columns subject, condition, n_stances, cadence_spm, target_cadence_change_pct, achieved_cadence_change_pct,
    cadence_shortfall_pct (target minus achieved), arm_swing_mm, arm_swing_change_pct, arm_swing_asymmetry_pct
    ((L - R) / mean of L and R, %)
    """
    kept = stances[~stances["excluded"]]
    agg = {"n_stances": ("step_time_s", "size"), "step_time_s": ("step_time_s", "mean"), "arm_swing_mm": ("arm_swing_mm", "median")}
    if "target_cadence_change_pct" in kept:
        agg["target_cadence_change_pct"] = ("target_cadence_change_pct", "first")
    per = kept.groupby(["subject", "condition"], as_index=False).agg(**agg)
    # cadence from the mean step time: the median of per-step cadences is quantised by the frame rate
    per["cadence_spm"] = 60.0 / per.pop("step_time_s")
    base = per[per["condition"] == baseline].set_index("subject")
    ref_cadence = per["subject"].map(base["cadence_spm"])
    ref_swing = per["subject"].map(base["arm_swing_mm"])
    per["achieved_cadence_change_pct"] = 100.0 * (per["cadence_spm"] / ref_cadence - 1.0)
    if "target_cadence_change_pct" in per:
        per["cadence_shortfall_pct"] = per["target_cadence_change_pct"] - per["achieved_cadence_change_pct"]
    per["arm_swing_change_pct"] = 100.0 * (per["arm_swing_mm"] / ref_swing - 1.0)
    # left/right asymmetry of the swing: (L - R) / mean(L, R), in % (science.md section 5)
    sides = kept.groupby(["subject", "condition", "side"])["arm_swing_mm"].median().unstack("side")
    if {"L", "R"} <= set(sides.columns):
        asymmetry = 200.0 * (sides["L"] - sides["R"]) / (sides["L"] + sides["R"])
        per = per.merge(asymmetry.rename("arm_swing_asymmetry_pct").reset_index(), on=["subject", "condition"], how="left")
    return per.replace([np.inf, -np.inf], np.nan)
