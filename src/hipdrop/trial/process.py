"""The per-trial pipeline: one function composes every step, and the CLI, the workflow and notebooks call it.

    C3D --ingest--> trial --clean--> markers + filled mask --pelvis--> angles --events--> events --stances--> table

``process_trial`` never raises for a bad trial: it returns a ``TrialResult`` whose ``failure`` names the stage and
the reason. ``hipdrop.execution.parallel.process_trials`` runs many trials in parallel under Dask.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

import hipdrop
from hipdrop.config import config_hash, validate_config
from hipdrop.errors import TrialError
from hipdrop.io.c3d.events import FIRST_FRAME_RELATIVE, stored_event_problems
from hipdrop.io.c3d.reader import events_table, read_c3d
from hipdrop.kernels.arms import ARM_MARKERS, WRIST_SETS, arm_measures
from hipdrop.kernels.arrays import marker_positions
from hipdrop.kernels.compensations import COMPENSATION_MARKERS, compensation_angles, facing_heading, pelvis_problem
from hipdrop.kernels.events.agreement import event_agreement
from hipdrop.kernels.events.calibration import calibrated_events, calibration_text
from hipdrop.kernels.events.detect import configured_contacts, kinematic_events, runs
from hipdrop.kernels.events.feet import has_feet
from hipdrop.kernels.foot import REARFOOT_MARKERS, foot_angles, rearfoot_angles, stance_foot, strike_patterns
from hipdrop.kernels.filters import lowpass, usable_cutoff
from hipdrop.kernels.gaps import repair_markers
from hipdrop.kernels.pelvis import pelvic_angles, progression_heading
from hipdrop.kernels.plausibility import IMPLAUSIBLE_KINDS, implausible_codes
from hipdrop.kernels.sides import OK, pelvis_side_check
from hipdrop.kernels.stances import arm_swing, stance_table
from hipdrop.kernels.windows.table import WINDOW_COLUMNS, stance_compensations, window_events
from hipdrop.trial.emg import trial_emg
from hipdrop.trial.calibration import with_calibrated_landmarks
from hipdrop.trial.tasks import RUNNING, task_windows, trial_force_events
from hipdrop.vocab import AXIS, MARKER, PELVIS_MARKERS, SIDES, TIME

#: the markers any step reads; files carry up to hundreds more (model outputs, other segments) not worth filtering
ANALYSED_MARKERS = tuple(dict.fromkeys((
    *PELVIS_MARKERS, "SACR",
    *(f"{s}{m}" for s in SIDES for m in ("HEE", "TOE", "MT1", "MT5", "ANK", "WRA", "WRB", "WRI")),
    *COMPENSATION_MARKERS, *ARM_MARKERS, *REARFOOT_MARKERS,
)))
#: the markers the event detectors and the single-leg windows read (feet; pelvis for Zeni's sacrum and heading):
#: only these get the events' own low-pass
EVENT_MARKERS = (*PELVIS_MARKERS, "SACR", *(f"{s}{m}" for s in SIDES for m in ("HEE", "TOE", "MT1", "MT5")))


def wrist_source(names) -> tuple[str, str]:
    """(the wrist markers the arm swing is measured from, why it cannot be) for a trial's marker names: the one rule
    of ``process_trial`` and of ``hipdrop inspect``."""
    names = set(names)
    for wrist in WRIST_SETS:
        used = [f"{s}{m}" for s in SIDES for m in wrist]
        if set(used) <= names:
            return ", ".join(used), ""
    return "", ("no wrist markers on both sides (needs " +
                " or ".join(", ".join(f"{s}{m}" for s in SIDES for m in wrist) for wrist in WRIST_SETS) + ")")


def _arm_swing(markers: xr.DataArray, heading: float) -> xr.DataArray | None:
    """``hipdrop.kernels.stances.arm_swing`` from the wrist markers ``wrist_source`` names: a single marker per wrist
    stands for the mean of WRA and WRB, which the kernel measures."""
    how, _ = wrist_source(markers[MARKER].values)
    if not how or "WRA" in how:
        return arm_swing(markers, heading)
    names = set(markers[MARKER].values)
    pelvis = markers.sel({MARKER: [m for m in (*PELVIS_MARKERS, "SACR") if m in names]})
    pair = [f"{s}{m}" for s in SIDES for m in WRIST_SETS[0]]
    wrists = markers.sel({MARKER: [f"{m[0]}WRI" for m in pair]}).assign_coords({MARKER: pair})
    return arm_swing(xr.concat([pelvis, wrists], dim=MARKER), heading)


@dataclass
class TrialResult:
    """What ``process_trial`` gives for one file: its tables and curves, or the failure that stopped it."""

    path: str
    meta: dict = field(default_factory=dict)
    events: pd.DataFrame | None = None
    stances: pd.DataFrame | None = None
    curves: xr.DataArray | None = None
    pelvis: xr.Dataset | None = None
    agreement: pd.DataFrame | None = None  # marker events vs force-plate and stored events, when it has either
    dropped: pd.DataFrame | None = None  # a single-leg task's candidate windows that are none, and why (task_windows)
    failure: TrialError | None = None

    @property
    def ok(self) -> bool:
        """True when the trial was analysed (no failure)."""
        return self.failure is None


def pelvis_landmarks(markers: xr.DataArray, path) -> list[str]:
    """The pelvis markers the trial's pelvis is built from (LASI, RASI and LPSI+RPSI, or SACR); raises a
    ``TrialError`` naming the missing ones and how to map them."""
    names = set(markers[MARKER].values)
    needed = ["LASI", "RASI"] + (["SACR"] if "SACR" in names and not {"LPSI", "RPSI"} <= names else ["LPSI", "RPSI"])
    missing = [m for m in needed if m not in names]
    if missing:
        raise TrialError(
            path, "pelvis",
            f"no pelvis landmarks {', '.join(missing)} after marker mapping (labels found: "
            f"{', '.join(sorted(names)[:12])}{' ...' if len(names) > 12 else ''}); add the lab's names to a marker-set "
            "map (config key markersets) or reconstruct the landmarks from a static calibration first",
        )
    return needed


#: a trial whose pelvis markers lose more than this share of their recorded samples as implausible is refused:
#: what is left is not evidence of a pelvis, and the file's data block is likely corrupt
MAX_IMPLAUSIBLE_PELVIS = 0.5


def plausible_markers(trial: xr.Dataset, limits: dict) -> xr.Dataset:
    """The trial's markers with the implausible samples (``hipdrop.kernels.plausibility.mask_implausible``'s rules,
    with ``limits``: the config's ``plausibility`` section) of the
    analysed markers (``ANALYSED_MARKERS``) made missing; the others, often model outputs stored as points
    (angles in deg, moments in N mm), are no positions and stay as stored. Returns ``markers`` (all of the
    trial's), ``implausible[time, marker]`` (0 for the markers not checked) and ``counts[kind]``."""
    markers = trial["markers"].transpose(TIME, MARKER, AXIS)
    names = [str(m) for m in markers[MARKER].values]
    analysed = np.isin(names, list(ANALYSED_MARKERS))
    xyz = markers.to_numpy()
    # by position, not by label: a corrupt file's labels may hold bytes no index takes
    codes = np.zeros(markers.shape[:2], np.int8)
    codes[:, analysed] = implausible_codes(xyz[:, analysed], rate_hz=trial.attrs["rate_hz"],
                                           names=[n for n, a in zip(names, analysed) if a], **limits)
    # the reader made stored infinities missing already; they are implausible samples all the same
    nonfinite = IMPLAUSIBLE_KINDS.index("nonfinite") + 1
    if "infinite" in trial:
        infinite = trial["infinite"].transpose(TIME, MARKER).to_numpy() & analysed
        codes[infinite & (codes == 0)] = nonfinite
    counts = np.bincount(codes.ravel(), minlength=len(IMPLAUSIBLE_KINDS) + 1)[1:]
    kept = xyz.copy()  # a boolean assignment, not np.where over [time, marker, axis]: 0.3 against 1.4 cpu-ms
    kept[codes != 0] = np.nan
    return xr.Dataset({
        "markers": markers.copy(data=kept),
        "implausible": markers.isel({AXIS: 0}, drop=True).copy(data=codes),
        "counts": ("kind", counts),
    }, coords={"kind": list(IMPLAUSIBLE_KINDS)})


def implausible_meta(checked: xr.Dataset) -> dict:
    """The counts of ``plausible_markers`` as the trial's QC record keeps them: ``implausible_samples`` and one
    ``implausible_<kind>`` per kind (samples, marker x frame)."""
    counts = {f"implausible_{kind}": int(n) for kind, n in zip(checked["kind"].values, checked["counts"].to_numpy())}
    return {"implausible_samples": sum(counts.values()), **counts}


def _check_pelvis_plausible(trial: xr.Dataset, checked: xr.Dataset, needed: list[str], path, stage: str) -> None:
    """Refuse a trial whose pelvis markers are mostly implausible (``MAX_IMPLAUSIBLE_PELVIS``)."""
    columns = marker_positions(trial["markers"], needed)  # plausible_markers keeps the trial's marker order
    recorded = ~np.isnan(trial["markers"].transpose(TIME, MARKER, AXIS).to_numpy()[:, columns]).any(-1)
    if "infinite" in trial:
        recorded |= trial["infinite"].transpose(TIME, MARKER).to_numpy()[:, columns]  # recorded, if as infinities
    recorded = int(recorded.sum())
    codes = checked["implausible"].to_numpy()[:, columns]
    if recorded and (codes > 0).sum() > MAX_IMPLAUSIBLE_PELVIS * recorded:
        kinds = ", ".join(f"{kind} {n}" for i, kind in enumerate(IMPLAUSIBLE_KINDS) if (n := int((codes == i + 1).sum())))
        raise TrialError(
            path, stage,
            f"{100 * (codes > 0).sum() / recorded:.0f} % of the recorded samples of the pelvis markers "
            f"({', '.join(needed)}) are implausible ({kinds}): coordinates no body or capture volume produces; "
            "the file's point data look corrupt: re-export it from the capture software",
        )


def _check_pelvis_labels(markers: xr.DataArray, path, stage: str, meta: dict) -> None:
    """Refuse a trial whose pelvis labels are swapped (``hipdrop.kernels.sides.pelvis_side_check``), saying so in
    its QC record too (``meta``: ``pelvis_labels`` and ``clean_warnings``).

    Refused, not flagged: with LASI/RASI and LPSI/RPSI swapped every obliquity has the wrong sign and each side's
    stances are the other side's, so the trial's numbers would enter a cohort's statistics wrong, and a flag among
    hundreds of trials is easily missed; relabelling the markers in the capture software (or a marker-set map)
    mends it. Nor relabelled here: a labelling error may reach markers the check does not see.
    """
    check = pelvis_side_check(markers)
    meta["pelvis_labels"] = check["verdict"]
    if check["verdict"] != OK:
        meta["clean_warnings"] = "; ".join(w for w in (meta.get("clean_warnings", ""), check["reason"]) if w)
        raise TrialError(path, stage, f"pelvis marker labels: {check['reason']}; fix the labels and run the trial "
                                      "again")


def _kinematic_events(trial: xr.Dataset, markers: xr.DataArray, ev: dict, *, heading: float, method: str | None = None,
                      plates: pd.DataFrame | None = None) -> pd.DataFrame:
    """``plates``: the trial's ``trial_force_events`` where the caller has them already."""
    heights = {"strike_height_mm": ev["strike_height_mm"], "off_height_mm": ev["off_height_mm"]}
    settings = {"rate_hz": trial.attrs["rate_hz"], "min_contact_s": ev["min_contact_s"], **heights}
    method = method or ev["kinematic_method"]
    found = None
    if "forces" in trial and method == "auto":
        # decided first, as kinematic_events' auto decides, so that a calibrated trial's events are detected once;
        # from contacts found once with the configured heights, which the calibration then reads too
        found = configured_contacts(markers, **settings) if has_feet(markers) else None
        method = "running" if runs(markers, contacts=found, **settings) else "walking"
    if method == "running" and "forces" in trial and has_feet(markers):
        # the trial's own plate contacts calibrate each foot's thresholds (hipdrop.kernels.events.calibration)
        plates = trial_force_events(trial, markers, ev) if plates is None else plates
        if len(plates):
            return calibrated_events(markers, plates, heading=heading, found=found, **settings)
    return kinematic_events(markers, method=method, heading=heading, **settings)


def detect_events(trial: xr.Dataset, markers: xr.DataArray, config: dict, *, heading: float) -> pd.DataFrame:
    """Events from the first configured source that gives both feet a strike and an off.

    Stored (``c3d``) events are used only when ``stored_event_problems`` finds nothing wrong with them; otherwise
    the next source is tried, and the problems are part of the error if no source works.
    """
    ev = config["events"]
    tried = []
    for source in ev["sources"]:
        if source == "c3d":
            table = events_table(trial)
            problems = stored_event_problems(table)
            if problems:
                tried.append(f"c3d ({len(table)} events that do not alternate strike and off: {', '.join(problems)})")
                continue
        elif source == "force":
            if "forces" not in trial:
                tried.append("force (no force plates)")
                continue
            table = trial_force_events(trial, markers, ev)
        else:
            table = _kinematic_events(trial, markers, ev, heading=heading)
        counts = table.groupby(["side", "event"]).size()
        if all(counts.get((s, e), 0) > 0 for s in SIDES for e in ("foot_strike", "foot_off")):
            return table
        why = f": {table.attrs['problem']}" if "problem" in table.attrs else ""
        tried.append(f"{source} ({len(table)} events, not a strike and an off on both sides{why})")
    raise TrialError(trial.attrs["source_path"], "events", "no usable gait events: tried " + "; ".join(tried))


def marker_event_agreement(
    trial: xr.Dataset, markers: xr.DataArray, config: dict, *, heading: float, detected: pd.DataFrame | None = None
) -> pd.DataFrame | None:
    """Marker-based events (the configured method, and Zeni beside it) against every independent reference the
    trial has: force-plate events, and the foot events the file stores when they pass ``stored_event_problems``.
    None when it has neither. ``detected``: the trial's events, reused when they came from one source."""
    ev = config["events"]
    sources = set(detected["source"]) if detected is not None else set()
    references, plates = {}, None
    if "forces" in trial:
        references["force"] = plates = detected if sources == {"force"} else trial_force_events(trial, markers, ev)
    stored = detected if sources == {"c3d"} else events_table(trial)
    if not stored.empty and not stored_event_problems(stored):
        references["c3d"] = stored
    references = {name: table for name, table in references.items() if not table.empty}
    if not references:
        return None
    marker_events = (detected if sources == {"kinematic"}
                     else _kinematic_events(trial, markers, ev, heading=heading, plates=plates))
    detectors = {marker_events.attrs["method"]: marker_events}
    if "zeni" not in detectors:
        detectors["zeni"] = _kinematic_events(trial, markers, ev, heading=heading, method="zeni")
    agreement = pd.concat([event_agreement(reference, events, method=method, reference_name=name)
                           for name, reference in references.items() for method, events in detectors.items()]
                          + [marker_events.attrs.get("calibration_check")], ignore_index=True)
    if "calibration" in marker_events.attrs:  # the QC record's: thresholds, contacts, hidden-contact residuals
        agreement.attrs["calibration"] = calibration_text(marker_events.attrs["calibration"],
                                                          marker_events.attrs["calibration_check"])
    return agreement


def dropped_text(dropped: pd.DataFrame) -> str:
    """The dropped candidate windows of ``task_windows`` in one line each joined by "; " (the QC record's)."""
    return "; ".join(f"{d.side or 'both feet'} {d.start_s:.2f}-{d.end_s:.2f} s: {d.reason}" for d in dropped.itertuples())


def exception_reason(err: Exception) -> str:
    """An unforeseen exception as one line for the trial log or the quarantine list."""
    return f"{type(err).__name__}: {' '.join(str(err).split())}"


def process_trial(path: str | Path, *, config: dict | None = None, keep_pelvis: bool = True,
                  task: str = RUNNING, calibration: dict | None = None) -> TrialResult:
    """Run every per-trial step on one C3D file.

    Returns a ``TrialResult``: the events, the window table (running: one row per stance; the single-leg tasks of
    ``hipdrop.trial.tasks``: one per support window; excluded ones flagged; columns ``WINDOW_COLUMNS``, with trunk lean
    and knee FPPA), the window-normalised curves, the pelvis angles and ``meta`` (sha256, config hash, hipdrop
    version, rate, sequence, task); or, for a trial that cannot be analysed, ``failure`` naming the stage and the
    reason. ``calibration``: the runner's static trial's landmarks (``hipdrop.trial.calibration.static_calibration``),
    added where this trial lacks them (medial knee and ankle markers for the knee FPPA; meta
    ``calibrated_landmarks``, ``cluster_residual_mm``).
    """
    config = validate_config(config)
    result = TrialResult(path=str(path))
    stage = "ingest"
    try:
        trial = read_c3d(path, vertical_axis=config["vertical_axis"], markersets=tuple(config["markersets"]))
        rate = trial.attrs["rate_hz"]
        result.meta = {
            "source_sha256": trial.attrs["source_sha256"], "config_hash": config_hash(config),
            "hipdrop_version": hipdrop.__version__, "rate_hz": rate, "frames": trial.sizes[TIME],
            "vertical_axis": trial.attrs["vertical_axis"], "sequence": config["pelvis"]["sequence"], "task": task,
        }
        if calibration:  # a static trial's knee and ankle landmarks where this one lacks them (CAST)
            trial = with_calibrated_landmarks(trial, calibration)
            result.meta.update(calibrated_landmarks=trial.attrs["calibrated_landmarks"],
                               cluster_residual_mm=trial.attrs["cluster_residual_mm"])
        # doubtful stored events belong in the trial's QC record (results/qc/trials.csv) whatever source is used
        # and even when a later stage fails, not only in `hipdrop inspect`
        shifted = [w for w in json.loads(trial.attrs["qc_warnings"]) if w.startswith(FIRST_FRAME_RELATIVE)]
        result.meta["event_warnings"] = "; ".join(stored_event_problems(events_table(trial)) + shifted)
        stage = "pelvis"
        needed = pelvis_landmarks(trial["markers"], path)
        stage = "clean"
        # samples no body makes become gaps before anything is filled or filtered, counted in the QC record
        checked = plausible_markers(trial, config["plausibility"])
        result.meta.update(implausible_meta(checked))
        _check_pelvis_plausible(trial, checked, needed, path, stage)
        cl = config["clean"]
        cutoff, result.meta["clean_warnings"] = usable_cutoff(cl["lowpass_hz"], rate_hz=rate)
        used = [m for m in trial["markers"][MARKER].values if m in ANALYSED_MARKERS]
        cleaned = repair_markers(checked["markers"], keep=used, rate_hz=rate, max_gap_s=cl["max_gap_s"])
        markers = lowpass(cleaned["markers"], cutoff_hz=cutoff, order=cl["lowpass_order"], rate_hz=rate,
                          twicing=cl["lowpass_twicing"])
        stage = "pelvis"
        _check_pelvis_labels(markers, path, stage, result.meta)
        heading = float(progression_heading(markers))
        pelvis = pelvic_angles(markers, sequence=config["pelvis"]["sequence"], heading=heading)
        pelvis.attrs["progression_heading_deg"] = float(np.degrees(heading))
        # stance_table trusts short spline fills, never rigid-body rebuilds: it gets the two apart
        landmarks = {MARKER: marker_positions(cleaned["markers"], needed)}  # by position: sel builds an index a call
        pelvis_rebuilt = cleaned["rebuilt"].isel(landmarks).any(MARKER)
        pelvis_gap = (cleaned["filled"].isel(landmarks) & ~cleaned["rebuilt"].isel(landmarks)).any(MARKER)
        stage = "events"
        # event detection sees the foot's impacts, which a kinematics low-pass (15 Hz) smears by a frame
        feet = cleaned["markers"].isel(
            {MARKER: marker_positions(cleaned["markers"], [m for m in used if m in EVENT_MARKERS])})
        event_markers = lowpass(feet, cutoff_hz=min(config["events"]["marker_lowpass_hz"], 0.45 * rate),
                                order=cl["lowpass_order"], rate_hz=rate)
        if task != RUNNING:
            stage = "windows"
            found: dict = {}
            windows, curves = task_windows(
                trial, markers, pelvis, task=task, config=config, event_markers=event_markers,
                pelvis_filled=pelvis_gap, pelvis_rebuilt=pelvis_rebuilt, report=found,
            )
            result.dropped = found["dropped"]
            # the QC record says what was left out and why, and why a trial has no window at all
            result.meta.update(event_source=",".join(sorted(windows["event_source"].dropna().unique())),
                               n_stances=len(windows), n_excluded=int(windows["excluded"].sum()),
                               n_dropped_windows=len(result.dropped), dropped_windows=dropped_text(result.dropped),
                               no_windows=found["none_found"])
            result.events, result.stances, result.curves = window_events(windows), windows, curves
            result.pelvis = pelvis if keep_pelvis else None
            return result
        events = detect_events(trial, event_markers, config, heading=heading)
        try:  # a QC extra: its failure is recorded with the trial, it does not fail the trial
            result.agreement = marker_event_agreement(trial, event_markers, config, heading=heading, detected=events)
            result.meta["event_calibration"] = "" if result.agreement is None else result.agreement.attrs.get("calibration", "")
        except Exception as err:
            result.meta["agreement_error"] = exception_reason(err)
        stage = "stances"
        st = config["stances"]
        stances, curves = stance_table(
            pelvis["obliquity"], events, pelvis_filled=pelvis_gap, pelvis_rebuilt=pelvis_rebuilt,
            wrist_fore_aft=_arm_swing(markers, heading), min_stance_s=st["min_stance_s"], max_stance_s=st["max_stance_s"],
            min_swing_s=st["min_swing_s"], max_swing_s=st["max_swing_s"], max_filled_s=st["max_filled_s"],
            curve_points=st["curve_points"], max_event_uncertainty_s=st["max_event_uncertainty_s"],
            outlier_robust_sd=st["outlier_robust_sd"], outlier_floor_s=st["outlier_floor_s"],
            outlier_min_stances=st["outlier_min_stances"],
        )
        # the compensations over each stance, as for the single-leg windows (hipdrop.kernels.windows); the pelvis's
        # facing direction found once for them and the rearfoot angle, both in its frontal plane
        facing = None if pelvis_problem(markers) else facing_heading(markers)
        stances = stances.join(stance_compensations(stances, compensation_angles(markers, heading=facing)))
        stances = stances.assign(task=RUNNING).reindex(columns=WINDOW_COLUMNS)
        # the foot over each stance: progression and strike angles (hipdrop.kernels.foot), from the feet as the
        # events see them: the strike angle is an impact's instant, which the kinematics low-pass smears; rearfoot
        # eversion, a joint angle, from the kinematics' markers
        stances = stances.join(stance_foot(stances, foot_angles(event_markers),
                                                flat_mm=config["events"]["strike_height_mm"],
                                                rearfoot=rearfoot_angles(markers, heading=facing)))
        stances["strike_type"] = strike_patterns(stances)  # the foot-strike angle's class (first_contact: the order)
        # surface EMG per stance where the file has it (hipdrop.trial.emg; NaN columns without)
        emg, emg_meta = trial_emg(trial, stances, config["emg"])
        stances = stances.join(emg)
        result.meta.update(emg_meta)
        # crossover, elbow angle, thorax-pelvis rotation and arm-leg phase per stride (hipdrop.kernels.arms)
        stances = stances.join(arm_measures(markers, stances, heading=heading))
        result.meta.update(event_source=",".join(sorted(events["source"].unique())), n_stances=len(stances),
                           n_excluded=int(stances["excluded"].sum()))
        result.events, result.stances, result.curves = events, stances, curves
        result.pelvis = pelvis if keep_pelvis else None
    except TrialError as err:
        result.failure = err
    except Exception as err:  # a bug or an unforeseen file: still one trial's failure, never the run's
        result.failure = TrialError(path, stage, exception_reason(err))
    return result


#: the static reference: the median over the standing trial of each angle (deg), robust to a shift of weight
STATIC_COLUMNS = ["static_obliquity_deg", "static_tilt_deg"]


def static_reference(path: str | Path, *, config: dict | None = None, trial: xr.Dataset | None = None) -> dict:
    """The pelvis's standing obliquity and tilt (deg) from a static trial, for a runner's static-referenced angles.

    Returns ``{"static_obliquity_deg": ..., "static_tilt_deg": ...}``: the medians over the trial of the right-side
    obliquity (Plug-in Gait sign: positive = right side up; the left side's is its negative) and of the tilt, in
    the configured sequence, from the markers cleaned as for running (implausible samples made missing, gaps
    filled, low-passed). Raises ``TrialError`` (stage ``static``) for a file that cannot give them. Plug-in Gait
    and Visual3D offer the same offset (docs/science.md section 8). ``trial``: the file as ``read_c3d`` read it
    with this config, where the caller has it (``hipdrop.cohort.batches.static_trial`` reads a static file once).
    """
    config = validate_config(config)
    stage = "ingest"
    try:
        if trial is None:
            trial = read_c3d(path, vertical_axis=config["vertical_axis"], markersets=tuple(config["markersets"]))
        rate, cl = trial.attrs["rate_hz"], config["clean"]
        stage = "static"
        needed = pelvis_landmarks(trial["markers"], path)
        checked = plausible_markers(trial, config["plausibility"])
        _check_pelvis_plausible(trial, checked, needed, path, stage)
        cleaned = repair_markers(checked["markers"], keep=needed, rate_hz=rate, max_gap_s=cl["max_gap_s"])
        markers = lowpass(cleaned["markers"], cutoff_hz=usable_cutoff(cl["lowpass_hz"], rate_hz=rate)[0],
                          order=cl["lowpass_order"], rate_hz=rate, twicing=cl["lowpass_twicing"])
        _check_pelvis_labels(markers, path, stage, {})  # a swapped static reference would flip every runner's offset
        angles = pelvic_angles(markers, sequence=config["pelvis"]["sequence"], heading=float(progression_heading(markers)))
        obliquity, tilt = (float(angles[a].sel(side="R").median(skipna=True)) for a in ("obliquity", "tilt"))
    except TrialError:
        raise
    except Exception as err:
        raise TrialError(path, stage, exception_reason(err)) from err
    if not (np.isfinite(obliquity) and np.isfinite(tilt)):
        raise TrialError(path, "static", "no frame with all pelvis markers: no standing obliquity")
    return {"static_obliquity_deg": obliquity, "static_tilt_deg": tilt}
