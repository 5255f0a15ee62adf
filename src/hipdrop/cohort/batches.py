"""A batch of trials through the pipeline: each trial of the sheet, its static reference, in isolated processes.

Workflow scripts call these; each is a plain function of tables and paths so a notebook can call it too.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from hipdrop.cohort.aggregate import DESIGN_COLUMNS, concat_curves, empty_stances, order_columns
from hipdrop.config import static_rows, validate_config
from hipdrop.errors import TrialError
from hipdrop.execution.parallel import process_trials
from hipdrop.io.c3d.reader import read_c3d
from hipdrop.io.results import ID_COLUMNS, QUARANTINE_COLUMNS
from hipdrop.kernels.events.agreement import AGREEMENT_COLUMNS
from hipdrop.kernels.landmarks import calibrate_landmarks
from hipdrop.trial.process import STATIC_COLUMNS, TrialResult, exception_reason, process_trial, static_reference
from hipdrop.trial.tasks import RUNNING
from hipdrop.vocab import STANCE


def static_references(sheet: pd.DataFrame, *, config: dict,
                      workers: int = 1) -> tuple[dict, list[dict], list[dict], dict]:
    """Each runner's static reference (``STATIC_COLUMNS``, the mean over its static trials) from the sheet's rows
    marked ``static``; those rows' entries for the trial log and the quarantine; and each runner's landmark
    calibration (``hipdrop.trial.calibration.calibrate_landmarks``) from the first of its static trials that has
    one (runners without are absent; a static file that cannot be read gives none, and is quarantined). The
    static trials run like the running ones (``process_trials``: isolated, on the configured scheduler), each
    read once for both (``static_trial``)."""
    refs, trials, quarantine, calibrations = {}, [], [], {}
    results = process_trials(sheet["path"].tolist(), config=config, workers=workers, trial_function=static_trial)
    for row, result in zip(sheet.to_dict("records"), results):
        ids = {k: row[k] for k in ID_COLUMNS}
        calibration = result.meta.pop(LANDMARK_CALIBRATION, None)
        if calibration and row["subject"] not in calibrations:
            calibrations[row["subject"]] = calibration
        if not result.ok:
            quarantine.append({"path": result.failure.path, "stage": result.failure.stage, "reason": result.failure.reason})
            trials.append({**ids, "path": row["path"], "status": "quarantined"})
            continue
        refs.setdefault(row["subject"], []).append(result.meta)
        trials.append({**ids, "path": row["path"], "status": "static reference", **result.meta})
    means = {subject: {c: float(np.mean([r[c] for r in rs])) for c in STATIC_COLUMNS} for subject, rs in refs.items()}
    return means, trials, quarantine, calibrations


#: the key of ``static_trial``'s meta that carries the landmark calibration back (``static_references`` takes it out)
LANDMARK_CALIBRATION = "_landmark_calibration"


def static_trial(path: str, *, config: dict, keep_pelvis: bool = False) -> TrialResult:
    """``static_reference`` as a trial's result (the reference in ``meta``), for ``process_trials``, and the
    file's landmark calibration (``calibrate_landmarks``, under ``LANDMARK_CALIBRATION``, also when the reference
    fails) from the same reading: a static file is read once (issue 27: it was read again for the calibration)."""
    config = validate_config(config)
    try:
        trial = read_c3d(path, vertical_axis=config["vertical_axis"], markersets=tuple(config["markersets"]))
    except TrialError as err:
        return TrialResult(path=str(path), failure=err)
    except Exception as err:  # as static_reference words a reader's unforeseen error
        return TrialResult(path=str(path), failure=TrialError(path, "ingest", exception_reason(err)))
    calibration = {LANDMARK_CALIBRATION: calibrate_landmarks(trial["markers"])}
    try:
        return TrialResult(path=str(path), meta={**static_reference(path, config=config, trial=trial), **calibration})
    except TrialError as err:
        return TrialResult(path=str(path), meta=calibration, failure=err)


def with_static_reference(stances: pd.DataFrame, reference: dict | None) -> pd.DataFrame:
    """The runner's static obliquity and tilt beside its stances, and the stance-side peak referenced to them:
    ``cpd_peak_deg_static_ref`` = peak minus the stance side's standing obliquity (right: +static obliquity,
    left: its negative; Plug-in Gait signs). NaN without a reference. The excursion needs none: it is measured
    from the stance's own strike."""
    reference = reference or dict.fromkeys(STATIC_COLUMNS, np.nan)
    side_offset = np.where(stances["side"] == "R", 1.0, -1.0) * reference["static_obliquity_deg"]
    return stances.assign(**reference, cpd_peak_deg_static_ref=stances["cpd_peak_deg"] - side_offset)


def mvc_references(sheet: pd.DataFrame, *, config: dict) -> tuple[dict, list[dict], list[dict]]:
    """Each runner's maximal voluntary contraction (``hipdrop.trial.emg.mvc_reference``: mV per muscle and side)
    from the first file its rows name in column ``mvc``; and the MVC files' entries for the trial log and the
    quarantine (stage ``mvc``: a file that cannot be read or holds no configured muscle; its runner is then
    normalised to its baseline mean). Runners without an MVC file are absent."""
    from hipdrop.trial.emg import mvc_reference

    refs, trials, quarantine = {}, [], []
    if "mvc" not in sheet:
        return refs, trials, quarantine
    given = sheet[sheet["mvc"].notna() & (sheet["mvc"].astype(str).str.strip() != "")]
    for subject, path in given.groupby("subject", sort=False)["mvc"].first().items():
        row = {"subject": subject, "condition": "mvc", "trial": "mvc", "path": str(path)}
        try:
            reference, meta = mvc_reference(path, config["emg"])
        except TrialError as err:
            quarantine.append({"path": str(err.path), "stage": err.stage, "reason": err.reason})
            trials.append({**row, "status": "quarantined"})
            continue
        refs[subject] = reference
        trials.append({**row, "status": "mvc reference", **meta})
    return refs, trials, quarantine


def with_mvc(stances: pd.DataFrame, reference: dict | None, muscles) -> pd.DataFrame:
    """Beside each stance, ``emg_<muscle>_mvc_mv``: its runner's MVC amplitude of that muscle on the stance's side
    (``mvc_references``), NaN where the runner's MVC file has none; ``hipdrop.stats.emg.normalise_emg`` then gives
    that stance's EMG in % MVC."""
    reference = reference or {}
    sides = stances["side"].to_numpy()
    return stances.assign(**{f"emg_{m}_mvc_mv": [reference.get((m, s), np.nan) for s in sides] for m in muscles})


class TaskTrial:
    """``process_trial`` with each path's task (sheet column ``task``) and its runner's landmark calibration
    (``static_references``; None for a runner without): what ``process_trials`` runs for a sheet. A class, not a
    closure, so that it travels to ``distributed`` workers; paths are looked up as absolute, as ``process_trials``
    hands them on."""

    def __init__(self, paths: list[str], tasks: list[str], calibrations: list[dict | None] | None = None):
        self.tasks = {os.path.abspath(p): t for p, t in zip(paths, tasks)}
        self.calibrations = {os.path.abspath(p): c for p, c in zip(paths, calibrations or []) if c}

    def __call__(self, path: str, **options) -> TrialResult:
        return process_trial(path, task=self.tasks.get(os.path.abspath(path), RUNNING),
                             calibration=self.calibrations.get(os.path.abspath(path)), **options)


def analyse_trials(sheet: pd.DataFrame, *, config: dict, workers: int) -> dict:
    """Run the rows of a trial sheet; return the stance table, curves, per-trial log, quarantine and the
    agreement of marker events with force-plate and stored events.

    Rows marked ``static`` give their runner's static reference (``static_references``) instead of stances, and
    then every stance gets the static-reference columns (``with_static_reference``; the cohort's tables take the
    union of the batches' columns, so runners without a static trial read NaN there). Without a static trial,
    nothing changes. Likewise a runner's MVC file (column ``mvc``) puts ``emg_<muscle>_mvc_mv`` beside its
    stances (``with_mvc``); without one in the sheet, nothing changes.
    """
    is_static = static_rows(sheet)
    static_columns = bool(is_static.any())
    # and the static trial's medial knee and ankle markers, for the dynamic trials that have only the lateral ones
    references, static_trials, static_quarantine, calibrations = static_references(sheet[is_static], config=config,
                                                                                   workers=workers)
    # a runner's MVC file (sheet column mvc): stance EMG in % MVC (hipdrop.stats.emg.normalise_emg)
    mvcs, mvc_trials, mvc_quarantine = mvc_references(sheet, config=config)
    sheet = sheet[~is_static]
    tasks = sheet["task"].tolist() if "task" in sheet else [RUNNING] * len(sheet)
    run = TaskTrial(sheet["path"].tolist(), tasks, [calibrations.get(s) for s in sheet["subject"]])
    results: list[TrialResult] = process_trials(sheet["path"].tolist(), config=config, workers=workers,
                                                trial_function=run)
    stances, curves, agreement = [], [], []
    trials, quarantine = static_trials + mvc_trials, static_quarantine + mvc_quarantine
    for row, res in zip(sheet.to_dict("records"), results):
        ids = {k: row[k] for k in ID_COLUMNS}
        design = {k: row[k] for k in DESIGN_COLUMNS if k in row}
        trials.append({**ids, "path": row["path"], "status": "ok" if res.ok else "quarantined", **res.meta})
        if not res.ok:
            quarantine.append({"path": res.failure.path, "stage": res.failure.stage, "reason": res.failure.reason})
            continue
        table = res.stances.assign(**ids, **design)
        table = with_static_reference(table, references.get(row["subject"])) if static_columns else table
        stances.append(with_mvc(table, mvcs.get(row["subject"]), config["emg"]["muscles"]) if mvcs else table)
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


