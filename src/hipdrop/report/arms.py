"""The arm measures of ``hipdrop.kernels.arms`` in the report: the methods paragraph and the runner page's line."""

from __future__ import annotations

import numpy as np
import pandas as pd


def methods_text(stats: dict) -> str:
    """The methods paragraph on the arm measures (Markdown), with the run's tolerances (config ``stats``)."""
    return (
        "**Arm swing.** Per stride (strike to the next strike of the same foot) and side, from the wrist centre (mean "
        "of WRA and WRB, or a single wrist marker): the fore-aft excursion relative to the pelvis along progression; "
        "the crossover, the peak distance of the wrist centre across the body's midline (mm, positive = across) and "
        "the share of the stride spent across it, the midline being the vertical plane along the thorax's horizontal "
        "forward axis (C7 to CLAV, else square to the acromion markers; the pelvis where neither exists); the "
        "shoulder-elbow-wrist angle (180 deg = straight), its mean and range; the range of the thorax's yaw "
        "relative to the pelvis's; and the phase of the arm's fore-aft swing relative to the opposite foot's (first "
        "Fourier harmonics over the stride; 0 deg = in phase). A condition's arm-swing instruction targets one "
        "measure (sheet column `arm_swing_target`, default the fore-aft excursion); it was adherent when that "
        f"measure moved from baseline by at least {stats['arm_swing_min_change_pct']:g} % (excursion, rotation), "
        f"{stats['arm_crossover_min_change_mm']:g} mm (crossover) or {stats['elbow_angle_min_change_deg']:g} deg "
        "(elbow angle), and confounded when a crossover, elbow or rotation cue moved the excursion by more than "
        f"{stats['arm_swing_stable_tolerance_pct']:g} %. Effects of every condition on each arm measure were "
        "estimated by the same two analyses as peak drop (stats/arm_effects.csv)."
    )


def page_line(manipulation_rows: pd.DataFrame, conditions: list[str]) -> str:
    """A line for a runner's page from their rows of stats/manipulation.csv (indexed by condition): each
    condition's median crossover (mm), elbow angle and thorax-pelvis rotation (deg), "-" where not measured; "" when
    none was measured in any condition."""
    columns = {"arm_crossover_mm": "{:+.0f}", "elbow_angle_mean_deg": "{:.0f}", "thorax_pelvis_rotation_deg": "{:.0f}"}
    parts, measured = [], False
    for condition in conditions:
        if condition not in manipulation_rows.index:
            continue
        row = manipulation_rows.loc[condition]
        values = [pd.to_numeric(row.get(c, np.nan), errors="coerce") for c in columns]
        measured = measured or any(np.isfinite(v) for v in values)
        parts.append(f"{condition} " + " / ".join(form.format(v) if np.isfinite(v) else "-"
                                                   for form, v in zip(columns.values(), values)))
    return ("Arm measures, median stride (crossover mm, + = across the midline / elbow angle deg / thorax-pelvis "
            "rotation deg): " + "; ".join(parts)) if measured else ""
