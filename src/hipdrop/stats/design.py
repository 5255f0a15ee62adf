"""Design checks: one modification at a time, asked for in the sheet and delivered by the runners.

Cadence: the achieved change in % of the subject's own baseline against the instructed target; arm swing: the
change of wrist excursion in % of baseline (docs/science.md section 5). Changing two things at once makes it impossible
to say which one worked (docs/science.md section 1): a condition must move the variable it targets and leave the other
alone, and the sheet must not ask for both.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hipdrop.config import schema_default, static_rows

#: the arm-swing instruction of a condition that does not change the arms
NORMAL_ARM_SWING = "normal"
#: ``targets`` of a condition that is compared, not judged: speed, footwear, a time point (config
#: ``stats.interventions``); its cadence and arm-swing changes are outcomes, not adherence or confounds
NOT_AN_INTERVENTION = "not an intervention"


@dataclass(frozen=True)
class Tolerances:
    """What counts as having moved, or not moved, a variable (config ``stats``, whose key each default names;
    percentages of baseline unless a unit is given)."""

    #: achieved cadence change within this of its target: adherent
    cadence_target_pct: float = schema_default("stats.cadence_target_tolerance_pct")
    #: an arm-swing condition changes wrist excursion by at least this
    arm_swing_min_change_pct: float = schema_default("stats.arm_swing_min_change_pct")
    #: a condition not targeting cadence keeps it within this of baseline
    cadence_stable_pct: float = schema_default("stats.cadence_stable_tolerance_pct")
    #: a condition not targeting arm swing keeps it within this of baseline
    arm_swing_stable_pct: float = schema_default("stats.arm_swing_stable_tolerance_pct")
    #: a crossover cue moves the wrists' peak crossing by at least this (mm)
    arm_crossover_min_change_mm: float = schema_default("stats.arm_crossover_min_change_mm")
    #: an elbow-angle cue moves the mean elbow angle by at least this (deg)
    elbow_angle_min_change_deg: float = schema_default("stats.elbow_angle_min_change_deg")


#: what a condition's arm-swing instruction can target (sheet column ``arm_swing_target``): the stance column
#: measuring it and how its change from baseline is expressed ("pct" of baseline, or a difference in the unit)
ARM_TARGETS = {
    "amplitude": ("arm_swing_mm", "pct"),
    "crossover": ("arm_crossover_mm", "mm"),
    "elbow_angle": ("elbow_angle_mean_deg", "deg"),
    "thorax_pelvis_rotation": ("thorax_pelvis_rotation_deg", "pct"),
}
DEFAULT_ARM_TARGET = "amplitude"
#: the columns ``manipulation_check`` adds for the arm measures other than amplitude: median, change from baseline
ARM_CHECK_COLUMNS = {target: (column, f"{column.rsplit('_', 1)[0]}_change_{unit}")
                     for target, (column, unit) in ARM_TARGETS.items() if target != DEFAULT_ARM_TARGET}


def arm_target(value) -> str:
    """The sheet's ``arm_swing_target`` of a row (absent or empty: ``DEFAULT_ARM_TARGET``)."""
    return value if isinstance(value, str) and value in ARM_TARGETS else DEFAULT_ARM_TARGET


def targets(target_cadence_change_pct: float, arm_swing: str) -> tuple[bool, bool]:
    """(targets cadence, targets arm swing) of a condition's design."""
    cadence = bool(np.isfinite(target_cadence_change_pct) and target_cadence_change_pct != 0)
    arms = isinstance(arm_swing, str) and arm_swing.strip().lower() != NORMAL_ARM_SWING
    return cadence, arms


def double_modifications(sheet: pd.DataFrame) -> list[str]:
    """One sentence per condition of the trial sheet that asks for two modifications at once (a cadence target
    and an arm-swing instruction): its effect cannot be put down to either."""
    design = sheet.assign(target_cadence_change_pct=sheet.get("target_cadence_change_pct", 0.0),
                          arm_swing=sheet.get("arm_swing", NORMAL_ARM_SWING))
    problems = []
    for condition, rows in design.groupby("condition"):
        for target, arms in rows[["target_cadence_change_pct", "arm_swing"]].drop_duplicates().itertuples(index=False):
            if all(targets(target, arms)):
                problems.append(f"condition {condition} asks for two modifications at once (cadence {target:+g} % "
                                f"and arm swing {arms!r}): its effect cannot be put down to either")
    return problems


def sheet_design_problems(sheet: pd.DataFrame, *, baseline: str) -> list[str]:
    """What the trial sheet's design gets wrong, one sentence each: ``double_modifications``, runners without a
    ``baseline`` trial (they cannot enter paired analyses), conditions run by a single runner (no effect can be
    estimated from one)."""
    sheet = sheet[~static_rows(sheet)]  # a runner's standing trial is its reference, not a condition
    problems = double_modifications(sheet)
    missing = sorted(set(sheet["subject"]) - set(sheet.loc[sheet["condition"] == baseline, "subject"]))
    if missing:
        problems.append(f"runner(s) without a {baseline} trial, left out of paired analyses: {', '.join(missing)}")
    for condition, count in sheet.groupby("condition")["subject"].nunique().items():
        if count == 1 and condition != baseline:
            problems.append(f"condition {condition} is run by a single runner: no effect can be estimated from it")
    return problems


def is_intervention(condition: str, design_targets: tuple[bool, bool], interventions: Collection[str] | None) -> bool:
    """Whether a condition is a gait modification whose adherence and confounds are judged: listed in
    ``interventions`` (config ``stats.interventions``), or, when that is None, given a cadence target or an
    arm-swing instruction in the sheet (``design_targets``, from ``targets``)."""
    return condition in interventions if interventions is not None else any(design_targets)


def manipulation_check(stances: pd.DataFrame, *, baseline: str, tolerances: Tolerances = Tolerances(),
                       interventions: Collection[str] | None = schema_default("stats.interventions")) -> pd.DataFrame:
    """One row per subject and condition: cadence (60 / mean step time) and median arm swing of the included
    stances, their change from the subject's baseline in %, the instructed targets, and whether the condition
    changed what it targets and nothing else.

    Returns
    -------
    columns subject, condition, n_stances, cadence_spm, target_cadence_change_pct, achieved_cadence_change_pct,
    cadence_shortfall_pct (target minus achieved), arm_swing_mm, arm_swing_change_pct, arm_swing_asymmetry_pct,
    arm_swing_target (from the sheet, when it has the column) and, where the stance table has them, the medians of
    the other arm measures (``ARM_CHECK_COLUMNS``) with their changes from baseline at the end,
    ((L - R) / mean of L and R, %), targets ("cadence", "arm swing", "cadence and arm swing", "none" for an
    intervention targeting neither, or ``NOT_AN_INTERVENTION`` for a condition ``is_intervention`` rejects: its
    changes are described in ``design_notes``, never judged, adherent NaN and confounded False),
    adherent (the targeted variable moved as asked: cadence within ``tolerances.cadence_target_pct`` of its
    target, arm swing changed by at least ``tolerances.arm_swing_min_change_pct``, or the arm measure the sheet's
    ``arm_swing_target`` names by at least its own tolerance (then the amplitude must stay within
    ``tolerances.arm_swing_stable_pct`` or the condition is confounded); NaN at baseline and where
    nothing is targeted or measurable), confounded (the variable not targeted moved beyond its stable tolerance),
    and ``design_notes`` with the amounts behind both flags
    """
    kept = stances[~stances["excluded"]]
    agg = {"n_stances": ("step_time_s", "size"), "step_time_s": ("step_time_s", "mean"), "arm_swing_mm": ("arm_swing_mm", "median")}
    for column in ("target_cadence_change_pct", "arm_swing", "arm_swing_target"):
        if column in kept:
            agg[column] = (column, "first")
    measured = {target: cols for target, cols in ARM_CHECK_COLUMNS.items() if cols[0] in kept}
    agg.update({column: (column, "median") for column, _ in measured.values()})
    per = kept.groupby(["subject", "condition"], as_index=False).agg(**agg)
    # cadence from the mean step time: the median of per-step cadences is quantised by the frame rate
    per["cadence_spm"] = 60.0 / per.pop("step_time_s")
    base = per[per["condition"] == baseline].set_index("subject")
    # float even when no stance is included at all (a task whose every stance was excluded): the map of an empty
    # column of names keeps the dtype of strings, which cannot divide
    ref_cadence = per["subject"].map(base["cadence_spm"]).astype(float)
    ref_swing = per["subject"].map(base["arm_swing_mm"]).astype(float)
    per["achieved_cadence_change_pct"] = 100.0 * (per["cadence_spm"] / ref_cadence - 1.0)
    if "target_cadence_change_pct" in per:
        per["cadence_shortfall_pct"] = per["target_cadence_change_pct"] - per["achieved_cadence_change_pct"]
    per["arm_swing_change_pct"] = 100.0 * (per["arm_swing_mm"] / ref_swing - 1.0)
    # left/right asymmetry of the swing: (L - R) / mean(L, R), in % (docs/science.md section 5)
    sides = kept.groupby(["subject", "condition", "side"])["arm_swing_mm"].median().unstack("side")
    if {"L", "R"} <= set(sides.columns):
        asymmetry = 200.0 * (sides["L"] - sides["R"]) / (sides["L"] + sides["R"])
        per = per.merge(asymmetry.rename("arm_swing_asymmetry_pct").reset_index(), on=["subject", "condition"], how="left")
    # the other arm measures (hipdrop.kernels.arms): a difference from baseline in their unit, the rotation's range
    # in % of baseline as the amplitude's (crossover and elbow angle can lie near or across zero)
    changes = {}
    for target, (column, change) in measured.items():
        ref = per["subject"].map(base[column]).astype(float)
        changes[change] = 100.0 * (per[column] / ref - 1.0) if change.endswith("_pct") else per[column] - ref
    per = per.replace([np.inf, -np.inf], np.nan)
    flags = [_adherence({**row, **{c: v.iloc[i] for c, v in changes.items()}}, baseline=baseline, tol=tolerances,
                        interventions=interventions) for i, row in enumerate(per.to_dict("records"))]
    per = per.assign(**{k: [f[k] for f in flags] for k in ("targets", "adherent", "confounded", "design_notes")})
    return per.assign(**{c: v.replace([np.inf, -np.inf], np.nan) for c, v in changes.items()})


def _adherence(row: dict, *, baseline: str, tol: Tolerances, interventions: Collection[str] | None) -> dict:
    """The design flags of one subject x condition row of ``manipulation_check``."""
    cadence, arms = targets(row.get("target_cadence_change_pct", 0.0), row.get("arm_swing", NORMAL_ARM_SWING))
    measure = arm_target(row.get("arm_swing_target"))
    arm_name = "arm swing" if measure == DEFAULT_ARM_TARGET else f"arm swing ({measure.replace('_', ' ')})"
    named = " and ".join(n for n, t in (("cadence", cadence), (arm_name, arms)) if t) or "none"
    if row["condition"] == baseline:
        return {"targets": "baseline", "adherent": np.nan, "confounded": False, "design_notes": ""}
    achieved, swing = row["achieved_cadence_change_pct"], row["arm_swing_change_pct"]
    if not is_intervention(row["condition"], (cadence, arms), interventions):
        changes = [f"{name} {value:+.1f} %" for name, value in (("cadence", achieved), ("arm swing", swing))
                   if np.isfinite(value)]
        return {"targets": NOT_AN_INTERVENTION, "adherent": np.nan, "confounded": False,
                "design_notes": f"{NOT_AN_INTERVENTION}: changes described, not judged"
                                + (f" ({', '.join(changes)})" if changes else "")}
    notes, adherent, confounded = [], [], False
    if cadence and np.isfinite(achieved):
        off = achieved - row["target_cadence_change_pct"]
        adherent.append(abs(off) <= tol.cadence_target_pct)
        notes.append(f"cadence {achieved:+.1f} % for a target of {row['target_cadence_change_pct']:+g} % "
                     f"({'within' if adherent[-1] else 'beyond'} {tol.cadence_target_pct:g} %)")
    if arms and measure != DEFAULT_ARM_TARGET:
        # the instruction targets another arm measure: adherence follows it, and the amplitude is what must stay
        change = row.get(ARM_CHECK_COLUMNS[measure][1], np.nan)
        unit = ARM_TARGETS[measure][1]
        least = {"mm": tol.arm_crossover_min_change_mm, "deg": tol.elbow_angle_min_change_deg,
                 "pct": tol.arm_swing_min_change_pct}[unit]
        unit = "%" if unit == "pct" else f" {unit}"
        if np.isfinite(change):
            adherent.append(abs(change) >= least)
            notes.append(f"{measure.replace('_', ' ')} {change:+.1f}{unit} ({'at least' if adherent[-1] else 'less than'} "
                         f"{least:g}{unit} asked)")
        if np.isfinite(swing) and abs(swing) > tol.arm_swing_stable_pct:
            confounded = True
            notes.append(f"confound: arm swing amplitude changed by {swing:+.1f} % (allowed {tol.arm_swing_stable_pct:g} %)")
    elif arms and np.isfinite(swing):
        adherent.append(abs(swing) >= tol.arm_swing_min_change_pct)
        notes.append(f"arm swing {swing:+.1f} % ({'at least' if adherent[-1] else 'less than'} "
                     f"{tol.arm_swing_min_change_pct:g} % asked)")
    if not cadence and np.isfinite(achieved) and abs(achieved) > tol.cadence_stable_pct:
        confounded = True
        notes.append(f"confound: cadence changed by {achieved:+.1f} % (allowed {tol.cadence_stable_pct:g} %)")
    if not arms and np.isfinite(swing) and abs(swing) > tol.arm_swing_stable_pct:
        confounded = True
        notes.append(f"confound: arm swing changed by {swing:+.1f} % (allowed {tol.arm_swing_stable_pct:g} %)")
    return {"targets": named, "adherent": all(adherent) if adherent else np.nan, "confounded": confounded,
            "design_notes": "; ".join(notes)}
