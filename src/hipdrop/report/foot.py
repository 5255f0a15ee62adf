"""The foot measures of ``hipdrop.kernels.foot`` in the report: the methods paragraph and the runner page's line."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hipdrop.kernels.foot import MIDSTANCE_PCT, STRIKE_ANGLE_CLASSES, strike_class


def calibration_text(trials: pd.DataFrame | None) -> str:
    """The sentence on the knee FPPA's static calibration (``hipdrop.trial.calibration``) when some analysed trial
    of ``trials`` (qc/trials.csv) used one (column ``calibrated_landmarks``), else ""."""
    if trials is None or "calibrated_landmarks" not in trials:
        return ""
    used = trials["calibrated_landmarks"].fillna("").astype(str).str.len() > 0
    if not used.any():
        return ""
    analysed = int((trials["status"] == "ok").sum()) if "status" in trials else len(trials)
    return (
        f" **Knee and ankle centres from a static trial.** In {int(used.sum())} of {analysed} analysed trials the "
        "medial epicondyle and malleolus markers the trial lacked were taken from the runner's static trial: each "
        "expressed relative to its segment's technical markers (thigh and shank clusters) standing, and carried into "
        "every frame by the least-squares rigid motion of those markers (calibrated anatomical landmarks, CAST), so "
        "that the knee FPPA used the mid-points of lateral and medial markers rather than the lateral markers alone."
    )


def methods_text(trials: pd.DataFrame | None = None) -> str:
    """The methods paragraph on the foot (Markdown), and on the knee FPPA's static calibration where ``trials``
    (qc/trials.csv) shows one was used."""
    rear, fore = STRIKE_ANGLE_CLASSES
    return (
        "**Foot.** Per stance, from the Plug-in Gait foot line, heel marker to toe marker (the mid-point of the first "
        "and fifth metatarsal heads where there is no toe marker), on the markers low-passed for the gait events: "
        "the foot progression angle, the line's horizontal direction against the pelvis's mean facing direction "
        f"(positive toe out), averaged over {MIDSTANCE_PCT[0]:g}-{MIDSTANCE_PCT[1]:g} % of stance; and the "
        "foot-strike angle, the line's elevation at foot strike less its elevation with the foot flat in the same "
        "stance (the frames where heel and toe are nearest their lows; positive toe up), classed rearfoot above "
        f"{rear:g} deg, forefoot below {fore:g} deg and midfoot between (Altman & Davis 2012). Rearfoot eversion "
        "needs a calcaneus segment, which the Plug-in Gait foot lacks; where the heel carries a second posterior "
        "marker and the shank a four-marker cluster (the Running Injury Clinic set), the two-line rearfoot angle "
        "(posterior heel line against the lower leg's in the frontal plane, positive in eversion; Clarke 1983) "
        "gives each stance's eversion excursion, its peak less its value at foot strike. Effects of the conditions "
        "on the foot angles come from the same analyses as peak drop when they are named in `stats.metrics`; "
        "stats/subjects.csv gives each runner's means."
    ) + calibration_text(trials)


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
