"""The foot measures of ``hipdrop.kernels.foot`` in the report: the methods paragraph and the runner page's line."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hipdrop.kernels.foot import MIDSTANCE_PCT, STRIKE_ANGLE_CLASSES, strike_class


def methods_text() -> str:
    """The methods paragraph on the foot (Markdown)."""
    rear, fore = STRIKE_ANGLE_CLASSES
    return (
        "**Foot.** Per stance, from the Plug-in Gait foot line, heel marker to toe marker (the mid-point of the first "
        "and fifth metatarsal heads where there is no toe marker), on the markers low-passed for the gait events: "
        "the foot progression angle, the line's horizontal direction against the pelvis's mean facing direction "
        f"(positive toe out), averaged over {MIDSTANCE_PCT[0]:g}-{MIDSTANCE_PCT[1]:g} % of stance; and the "
        "foot-strike angle, the line's elevation at foot strike less its elevation with the foot flat in the same "
        "stance (the frames where heel and toe are nearest their lows; positive toe up), classed rearfoot above "
        f"{rear:g} deg, forefoot below {fore:g} deg and midfoot between (Altman & Davis 2012). Rearfoot eversion "
        "needs a calcaneus segment, which the Plug-in Gait foot lacks: it is not reported. Effects of the conditions "
        "on the foot angles come from the same analyses as peak drop when they are named in `stats.metrics`; "
        "stats/subjects.csv gives each runner's means."
    )


def page_line(stances: pd.DataFrame, conditions: list[str]) -> str:
    """One line for a runner's page from their included stances: per condition the median foot progression and
    foot-strike angles (deg) and the strike class of the latter; "" when the feet were not measured."""
    if "foot_strike_angle_deg" not in stances:
        return ""
    parts = []
    for condition in conditions:
        mine = stances[stances["condition"] == condition]
        progression = pd.to_numeric(mine["foot_progression_deg"], errors="coerce").median()
        strike = pd.to_numeric(mine["foot_strike_angle_deg"], errors="coerce").median()
        said = ([f"progression {progression:+.0f} deg"] if np.isfinite(progression) else []) + (
            [f"strike {strike:+.0f} deg ({strike_class(strike)})"] if np.isfinite(strike) else [])
        if said:
            parts.append(f"{condition}: {', '.join(said)}")
    return ("Foot (median stance; progression + = toe out, strike + = toe up): " + "; ".join(parts)) if parts else ""
