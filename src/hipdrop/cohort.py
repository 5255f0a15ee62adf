"""Many trials at once: a batch of trials through the pipeline, and the cohort's tables from the batches'.

Workflow scripts call these; each is a plain function of tables and paths so a notebook can call it too.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from hipdrop.config import static_rows
from hipdrop.errors import TrialError
from hipdrop.io.results import ID_COLUMNS, QUARANTINE_COLUMNS, join_csv_files, join_curve_files, join_parquet_files
from hipdrop.kernels.events import AGREEMENT_COLUMNS
from hipdrop.kernels.stances import CURVES_NAME
from hipdrop.kernels.windows import WINDOW_COLUMNS
from hipdrop.parallel import process_trials
from hipdrop.pipeline import STATIC_COLUMNS, TrialResult, process_trial, static_reference
from hipdrop.stats.tasks import running_rows, with_task_labels
from hipdrop.tasks import RUNNING
from hipdrop.vocab import STANCE, counted

DESIGN_COLUMNS = ["target_cadence_change_pct", "arm_swing"]


def static_references(sheet: pd.DataFrame, *, config: dict, workers: int = 1) -> tuple[dict, list[dict], list[dict]]:
    """Each runner's static reference (``STATIC_COLUMNS``, the mean over its static trials) from the sheet's rows
    marked ``static``; and those rows' entries for the trial log and the quarantine. The static trials run like
    the running ones (``process_trials``: isolated, on the configured scheduler)."""
    refs, trials, quarantine = {}, [], []
    results = process_trials(sheet["path"].tolist(), config=config, workers=workers, trial_function=static_trial)
    for row, result in zip(sheet.to_dict("records"), results):
        ids = {k: row[k] for k in ID_COLUMNS}
        if not result.ok:
            quarantine.append({"path": result.failure.path, "stage": result.failure.stage, "reason": result.failure.reason})
            trials.append({**ids, "path": row["path"], "status": "quarantined"})
            continue
        refs.setdefault(row["subject"], []).append(result.meta)
        trials.append({**ids, "path": row["path"], "status": "static reference", **result.meta})
    means = {subject: {c: float(np.mean([r[c] for r in rs])) for c in STATIC_COLUMNS} for subject, rs in refs.items()}
    return means, trials, quarantine


def static_trial(path: str, *, config: dict, keep_pelvis: bool = False) -> TrialResult:
    """``static_reference`` as a trial's result (the reference in ``meta``), for ``process_trials``."""
    try:
        return TrialResult(path=str(path), meta=static_reference(path, config=config))
    except TrialError as err:
        return TrialResult(path=str(path), failure=err)


def with_static_reference(stances: pd.DataFrame, reference: dict | None) -> pd.DataFrame:
    """The runner's static obliquity and tilt beside its stances, and the stance-side peak referenced to them:
    ``cpd_peak_deg_static_ref`` = peak minus the stance side's standing obliquity (right: +static obliquity,
    left: its negative; Plug-in Gait signs). NaN without a reference. The excursion needs none: it is measured
    from the stance's own strike."""
    reference = reference or dict.fromkeys(STATIC_COLUMNS, np.nan)
    side_offset = np.where(stances["side"] == "R", 1.0, -1.0) * reference["static_obliquity_deg"]
    return stances.assign(**reference, cpd_peak_deg_static_ref=stances["cpd_peak_deg"] - side_offset)


class TaskTrial:
    """``process_trial`` with each path's task (sheet column ``task``): what ``process_trials`` runs for a sheet.
    A class, not a closure, so that it travels to ``distributed`` workers; paths are looked up as absolute, as
    ``process_trials`` hands them on."""

    def __init__(self, paths: list[str], tasks: list[str]):
        self.tasks = {os.path.abspath(p): t for p, t in zip(paths, tasks)}

    def __call__(self, path: str, **options) -> TrialResult:
        return process_trial(path, task=self.tasks.get(os.path.abspath(path), RUNNING), **options)


def analyse_trials(sheet: pd.DataFrame, *, config: dict, workers: int) -> dict:
    """Run the rows of a trial sheet; return the stance table, curves, per-trial log, quarantine and the
    agreement of marker events with force-plate and stored events.

    Rows marked ``static`` give their runner's static reference (``static_references``) instead of stances, and
    then every stance gets the static-reference columns (``with_static_reference``; the cohort's tables take the
    union of the batches' columns, so runners without a static trial read NaN there). Without a static trial,
    nothing changes.
    """
    is_static = static_rows(sheet)
    static_columns = bool(is_static.any())
    references, static_trials, static_quarantine = static_references(sheet[is_static], config=config, workers=workers)
    sheet = sheet[~is_static]
    tasks = sheet["task"].tolist() if "task" in sheet else [RUNNING] * len(sheet)
    results: list[TrialResult] = process_trials(sheet["path"].tolist(), config=config, workers=workers,
                                                trial_function=TaskTrial(sheet["path"].tolist(), tasks))
    stances, curves, trials, quarantine, agreement = [], [], static_trials, static_quarantine, []
    for row, res in zip(sheet.to_dict("records"), results):
        ids = {k: row[k] for k in ID_COLUMNS}
        design = {k: row[k] for k in DESIGN_COLUMNS if k in row}
        trials.append({**ids, "path": row["path"], "status": "ok" if res.ok else "quarantined", **res.meta})
        if not res.ok:
            quarantine.append({"path": res.failure.path, "stage": res.failure.stage, "reason": res.failure.reason})
            continue
        table = res.stances.assign(**ids, **design)
        stances.append(with_static_reference(table, references.get(row["subject"])) if static_columns else table)
        if res.agreement is not None:
            agreement.append(res.agreement.assign(**ids))
        curves.append(res.curves.assign_coords(
            subject=(STANCE, [ids["subject"]] * res.curves.sizes[STANCE]),
            condition=(STANCE, [ids["condition"]] * res.curves.sizes[STANCE]),
            trial=(STANCE, [str(ids["trial"])] * res.curves.sizes[STANCE]),
            side=(STANCE, res.stances["side"].to_numpy()),
            task=(STANCE, res.stances["task"].to_numpy()),
            excluded=(STANCE, res.stances["excluded"].to_numpy()),
        ))
    return {
        "stances": order_columns(pd.concat(stances, ignore_index=True)) if stances else empty_stances(),
        "curves": concat_curves(curves),
        "trials": pd.DataFrame(trials),
        "quarantine": pd.DataFrame(quarantine, columns=QUARANTINE_COLUMNS),
        "agreement": order_columns(pd.concat(agreement, ignore_index=True)) if agreement
        else pd.DataFrame(columns=ID_COLUMNS + AGREEMENT_COLUMNS),
    }


def order_columns(table: pd.DataFrame) -> pd.DataFrame:
    first = [c for c in ID_COLUMNS if c in table.columns]
    return table[first + [c for c in table.columns if c not in first]]


def empty_stances() -> pd.DataFrame:
    return pd.DataFrame(columns=ID_COLUMNS + WINDOW_COLUMNS + DESIGN_COLUMNS)


def concat_curves(parts: list[xr.DataArray]) -> xr.DataArray | None:
    parts = [p for p in parts if p is not None and p.sizes[STANCE]]
    if not parts:
        return None
    joined = xr.concat(parts, dim=STANCE)
    return joined.assign_coords({STANCE: np.arange(joined.sizes[STANCE])})


def aggregate_batches(inputs: dict[str, list[str]], outputs: dict[str, str], *, curve_points: int) -> tuple[str, int]:
    """The cohort's files from the batches' (the keys of the ``aggregate_stances`` rule's input and output), one
    batch in memory at a time. Returns the run's one-line summary and the number of quarantined trials."""
    join_parquet_files(inputs["stances"], outputs["parquet"], outputs["csv"])
    join_curve_files(inputs["curves"], outputs["curves"], empty=empty_curves(curve_points))
    join_csv_files(inputs["agreement"], outputs["agreement"], derived={outputs["agreement_summary"]: agreement_summary})
    n_quarantined = join_csv_files(inputs["quarantine"], outputs["quarantine"])
    # one row per trial (~0.3 kB), read whole for the summary line
    join_csv_files(inputs["trials"], outputs["trials"])
    trials = pd.read_csv(outputs["trials"], usecols=["status"])
    return summary_line(trials, outputs["quarantine"]), n_quarantined


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
    n_ok = int((trials["status"] == "ok").sum()) if len(trials) else 0
    n_bad = len(trials) - n_ok
    return f"{n_ok} trials analysed, {n_bad} quarantined" + (f", see {quarantine_path}" if n_bad else "")


def empty_curves(points: int) -> xr.DataArray:
    """A curves array with no stances (a subject whose every trial was quarantined)."""
    return xr.DataArray(np.empty((0, points)), dims=(STANCE, "pct"), coords={STANCE: [], "pct": np.linspace(0, 100, points)},
                        name=CURVES_NAME)


def agreement_summary(agreement: pd.DataFrame) -> pd.DataFrame:
    """Per trial, method, reference (force plates or the file's stored events) and event kind: reference events,
    how many a marker event matched, and the median and median absolute error (ms) of the matched ones."""
    keys = [*ID_COLUMNS, "method", "reference", "event"]
    if agreement.empty:
        return pd.DataFrame(columns=[*keys, "n_reference", "n_matched", "median_error_ms", "median_abs_error_ms"])
    grouped = agreement.assign(abs_error_ms=agreement["error_ms"].abs()).groupby(keys, as_index=False)
    return grouped.agg(n_reference=("reference_s", "size"), n_matched=("error_ms", "count"),
                       median_error_ms=("error_ms", "median"), median_abs_error_ms=("abs_error_ms", "median"))


def run_summary(tables: dict[str, pd.DataFrame], *, sheet_problems: list[str], quarantine_path: str,
                min_stances: int = 10, flag_excluded_pct: float = 25.0) -> str:
    """The run in a few lines a newcomer can read: trials analysed, the stances behind the numbers (included,
    excluded and why, the runner-conditions that lost many or rest on few), the design's problems, adherence and
    confounds of the interventions, the conditions compared without a verdict, the effects on peak drop by both
    analyses (with the runners and stances behind each, and what could not be estimated, and why), the
    dose-response, and the responders per condition; where an analysis was measured off its nominal level at the
    study's number of runners (``hipdrop.stats.calibration``), a caveat saying how. ``tables``: trials, effects, manipulation, responders,
    dose_response (the run's CSVs as read back) and, optionally, stances (the stance table); ``min_stances`` and
    ``flag_excluded_pct``: config ``stats``."""
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
        lines.append(f"runner-conditions that lost more than {flag_excluded_pct:g} % of their stances: " + "; ".join(
            f"{r.subject} {r.condition} {r.n_excluded} of {r.n_stances} ({r.excluded_pct:.0f} %, mostly {r.main_reason})"
            for r in lost.itertuples()))
    few = counts[counts["n_included"] < min_stances]
    if len(few):
        lines.append(f"means from fewer than {min_stances} included stances (config stats.min_stances; flagged "
                     "few_stances in stats/subjects.csv, uncertain): " + ", ".join(
                         f"{r.subject} {r.condition} {r.n_included}" for r in few.itertuples()))
    return lines
