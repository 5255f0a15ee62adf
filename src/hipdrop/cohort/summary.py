"""The run in a few lines a newcomer can read: trials analysed and quarantined, the stances behind the numbers, the
design, adherence, effects, dose-response and responders (results/summary.txt, also printed at the end of a run)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hipdrop.config import schema_default
from hipdrop.io.results import QUARANTINE_COLUMNS
from hipdrop.stats.tasks import running_rows, with_task_labels
from hipdrop.vocab import counted


def nothing_analysed(trials_path: str, quarantine_path: str, *, every_reason: str, first: int = 3) -> str | None:
    """Why the run must stop here, when not one trial of the cohort was analysed (the statistics would have no
    stance to work on and fail on an empty table, hiding the cause): ``0 of 32 trials analysed; first reasons:
    ...``, naming ``every_reason`` (where every quarantined trial is listed). None when any trial was analysed."""
    trials = pd.read_csv(trials_path, usecols=["status"])
    if (trials["status"] == "ok").any():
        return None
    if trials.empty:
        return "0 trials analysed: the trial sheet lists no trial to analyse (static trials aside)"
    quarantine = pd.read_csv(quarantine_path, usecols=QUARANTINE_COLUMNS).head(first)
    reasons = "; ".join(f"{Path(row.path).name} ({row.stage}: {row.reason})" for row in quarantine.itertuples())
    return f"0 of {len(trials)} trials analysed; first reasons: {reasons}; every reason in {every_reason}"


def summary_line(trials: pd.DataFrame, quarantine_path: str) -> str:
    """"<n> trials analysed, <m> quarantined", pointing to the quarantine table when any trial is in it."""
    n_ok = int((trials["status"] == "ok").sum()) if len(trials) else 0
    n_bad = len(trials) - n_ok
    return f"{n_ok} trials analysed, {n_bad} quarantined" + (f", see {quarantine_path}" if n_bad else "")


def run_summary(tables: dict[str, pd.DataFrame], *, sheet_problems: list[str], quarantine_path: str,
                min_stances: int = schema_default("stats.min_stances"),
                flag_excluded_pct: float = schema_default("stats.flag_excluded_pct"),
                reference_z_threshold: float = schema_default("stats.reference.z_threshold")) -> str:
    """The run in a few lines a newcomer can read: trials analysed, the stances behind the numbers (included,
    excluded and why, the runner-conditions that lost many or rest on few), the design's problems, adherence and
    confounds of the interventions, the conditions compared without a verdict, the effects on peak drop by both
    analyses (with the runners and stances behind each, and what could not be estimated, and why), the
    dose-response, and the responders per condition; where an analysis was measured off its nominal level at the
    study's number of runners (``hipdrop.stats.calibration``), a caveat saying how. ``tables``: trials, effects, manipulation, responders,
    dose_response (the run's CSVs as read back) and, optionally, stances (the stance table), control
    (stats/control.csv: a line per condition on the cohort's drift of peak drop) and reference (stats/reference.csv:
    one line on the runners above ``reference_z_threshold``, or that no reference was given);
    ``min_stances`` and ``flag_excluded_pct``: config ``stats``, ``reference_z_threshold``: config
    ``stats.reference.z_threshold``."""
    from hipdrop.stats.calibration import calibration_caveat
    from hipdrop.stats.design import NOT_AN_INTERVENTION
    from hipdrop.stats.responders import responder_counts

    trials, effects, checks = tables["trials"], tables["effects"], tables["manipulation"]
    lines = ["hipdrop run summary", summary_line(trials, quarantine_path)]
    if "stances" in tables:
        lines += stance_lines(tables["stances"], min_stances=min_stances, flag_excluded_pct=flag_excluded_pct)
    lines += [f"design: {p}" for p in sheet_problems] or ["design: the trial sheet asks for one modification per condition"]
    checks = running_rows(checks)  # adherence to a cadence or arm-swing target is running's
    judged = checks[~checks["targets"].isin(["baseline", NOT_AN_INTERVENTION])]
    for condition, rows in judged.groupby("condition"):
        adherent = rows["adherent"].dropna().astype(bool)
        lines.append(f"adherence {condition} ({rows['targets'].iloc[0]}): {int(adherent.sum())} of {len(adherent)} "
                     f"runners adherent, {int(rows['confounded'].astype(bool).sum())} confounded")
    for condition, rows in checks[checks["targets"] == NOT_AN_INTERVENTION].groupby("condition"):
        change = rows["achieved_cadence_change_pct"].dropna()
        cadence = (f"; median cadence change {change.median():+.1f} % ({counted(len(change), 'runner')})"
                   if len(change) else "")
        lines.append(f"compared, not judged {condition}: {NOT_AN_INTERVENTION} (no cadence target or arm-swing "
                     f"instruction; config stats.interventions), so no adherence or confound verdict{cadence}")
    peak = with_task_labels(effects[effects["metric"] == "cpd_peak_deg"], column="term")
    for row in peak.itertuples():
        if row.estimable:
            lines.append(f"peak drop {row.term} ({row.analysis}): {row.estimate_deg:+.2f} deg, 95 % CI {row.ci_low:+.2f} "
                         f"to {row.ci_high:+.2f}, p (Holm) {row.p_holm:.3g}, {row.n_subjects} runners, "
                         f"{row.n_stances} stances")
        else:
            lines.append(f"peak drop {row.term} ({row.analysis}): not estimable: {row.reason}")
    # where benchmarks/calibration.py measured an analysis off its nominal level at this study's size, say so once
    caveats = {calibration_caveat(row.analysis, int(row.n_subjects)) for row in peak.itertuples() if row.estimable}
    lines += [f"calibration: {caveat}" for caveat in sorted(c for c in caveats if c)]
    lines += [f"model: {row.term}: {row.model_notes}" for row in effects.itertuples()
              if isinstance(row.model_notes, str) and row.model_notes]
    dose = tables["dose_response"]
    for row in dose[dose["level"] == "population"].itertuples():
        lines.append(f"dose-response: {row.slope_deg_per_pct:+.3f} deg per 1 % cadence change, 95 % CI "
                     f"{row.ci_low:+.3f} to {row.ci_high:+.3f}, {row.n_subjects} runners" if row.estimable
                     else f"dose-response: not estimable: {row.reason}")
    responders = tables["responders"]
    for row in responder_counts(with_task_labels(responders).drop(columns="task", errors="ignore")).itertuples():
        lines.append(f"responders {row.condition} ({row.metric}, change against its MDC95; the "
                     f"{counted(row.n_runners, 'runner')} who ran it): {row.improved} improved, {row.unchanged} "
                     f"unchanged, {row.worsened} worsened, {row.not_assessable} not assessable")
    if "control" in tables:  # the cohort's drift of peak drop per condition (stats/control.csv's cohort rows)
        from hipdrop.stats.control import cohort_lines

        lines += cohort_lines(tables["control"])
    if "reference" in tables:  # each runner's baseline peak drop against the lab's reference (stats/reference.csv)
        from hipdrop.stats.reference import summary_lines

        lines += summary_lines(tables["reference"], z_threshold=reference_z_threshold)
    return "\n".join(lines)


def stance_lines(stances: pd.DataFrame, *, min_stances: int, flag_excluded_pct: float) -> list[str]:
    """The summary's lines on the stances behind every number: how many were included, why the others were
    excluded (by kind, commonest first), the runner-conditions that lost more than ``flag_excluded_pct`` % of their
    stances, and those whose mean rests on fewer than ``min_stances`` included stances."""
    from hipdrop.stats.exclusions import excluded_by_kind, kinds_sentence, stance_counts

    if stances.empty:
        return ["stances: none"]
    n, excluded = len(stances), int(stances["excluded"].astype(bool).sum())
    line = f"stances: {n - excluded} of {n} included ({100.0 * (n - excluded) / n:.0f} %)"
    lines = [line + (f", {excluded} excluded: {kinds_sentence(excluded_by_kind(stances))}" if excluded else "")]
    counts = stance_counts(stances)
    lost = counts[counts["excluded_pct"] > flag_excluded_pct]
    if len(lost):
        # the commonest reason of only the runner-conditions named (reason_kinds per group is ms each; an archive
        # has thousands of groups)
        by_group = stances.groupby(["subject", "condition"])
        mostly = lambda r: next(iter(excluded_by_kind(by_group.get_group((r.subject, r.condition))).index), "")  # noqa: E731
        lines.append(f"runner-conditions that lost more than {flag_excluded_pct:g} % of their stances: " + "; ".join(
            f"{r.subject} {r.condition} {r.n_excluded} of {r.n_stances} ({r.excluded_pct:.0f} %, mostly {mostly(r)})"
            for r in lost.itertuples()))
    few = counts[counts["n_included"] < min_stances]
    if len(few):
        lines.append(f"means from fewer than {min_stances} included stances (config stats.min_stances; flagged "
                     "few_stances in stats/subjects.csv, uncertain): " + ", ".join(
                         f"{r.subject} {r.condition} {r.n_included}" for r in few.itertuples()))
    return lines
