"""The tasks a trial can record and how each finds its single-leg support windows.

``running`` finds its windows (stances) from gait events with ``hipdrop.kernels.stances.stance_table``; the
single-leg tasks find theirs from the feet with ``hipdrop.kernels.windows`` through ``task_windows``. Both give one
row per window in the stance table's columns (docs/science.md section 8; docs/architecture.md section 2, ``windows``).

Each task's thresholds are the config's ``tasks.<task>``: their defaults live in the config schema, and
docs/science.md section 8 gives the reason for each (config/README.md in a line).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import xarray as xr

from hipdrop.config import validate_config
from hipdrop.kernels.compensations import compensation_angles
from hipdrop.kernels.events.force import force_plate_events
from hipdrop.kernels.windows.balance import balance_windows
from hipdrop.kernels.windows.landing import landing_windows
from hipdrop.kernels.windows.squat import pelvis_height, squat_windows
from hipdrop.kernels.windows.support import FOOT_POINTS, foot_lift, single_leg_support, support_contacts
from hipdrop.kernels.windows.table import window_table
from hipdrop.vocab import RUNNING, TIME

#: task name -> its description (its thresholds: config key ``tasks.<task>``)
TASKS = {
    RUNNING: {"description": "stances from foot strike to foot off (gait events: stored, force plates or markers)"},
    "single_leg_squat": {
        "description": "each repetition on one leg, from the start of the pelvis's descent to the end of its rise",
    },
    "single_leg_balance": {"description": "each continuous hold on one leg, the other foot lifted clear"},
    "single_leg_landing": {
        "description": "from the landing foot's initial contact to window_s after it, or until the other foot comes down",
    },
}


def trial_force_events(trial: xr.Dataset, markers: xr.DataArray, ev: dict) -> pd.DataFrame:
    """The trial's force-plate contacts (``force_plate_events``) with the config's ``events`` settings ``ev``; the
    feet (``markers``) say which side each contact is."""
    return force_plate_events(
        trial["forces"], markers, rate_hz=trial.attrs["rate_hz"], threshold_n=ev["force_threshold_n"],
        lowpass_hz=ev["force_lowpass_hz"], min_contact_s=ev["min_contact_s"], hysteresis_n=ev["force_hysteresis_n"],
    )


@lru_cache(maxsize=1)
def _default_tasks() -> dict:
    """Every task's settings at the schema's defaults, validated once per process (not once per trial)."""
    return validate_config({})["tasks"]


def task_settings(task: str, overrides: dict | None = None) -> dict:
    """The thresholds of ``task``: its defaults (the config schema's ``tasks.<task>``; running has none), updated
    with ``overrides``. Raises ValueError naming the tasks (or the keys) there are for an unknown task (or key)."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}: the tasks are {', '.join(TASKS)}")
    settings = dict(_default_tasks().get(task, {}))
    unknown = set(overrides or {}) - set(settings)
    if unknown:
        raise ValueError(f"task {task} has no setting {', '.join(sorted(unknown))}; it has {', '.join(settings) or 'none'}")
    return settings | dict(overrides or {})


#: the candidate windows ``task_windows`` drops, and why (its ``report``)
DROPPED_COLUMNS = ["side", "start_s", "end_s", "reason"]


def _none_found(task: str, options: dict, feet: xr.DataArray, support: xr.DataArray, contacts: dict,
                dropped: list[dict]) -> str:
    """Why a trial of ``task`` has no single-leg window at all, in a sentence."""
    if foot_lift(feet) is None:
        return f"the two feet share no landmark ({', '.join(FOOT_POINTS)}) to compare their heights by"
    if not support.any():
        return (f"no frame of single-leg support: the other foot never stood clearance_mm "
                f"{options['clearance_mm']:g} mm above the standing foot while that one was on the ground")
    if dropped:
        return f"every candidate ({len(dropped)}) was dropped, each for the reason given"
    if task == "single_leg_squat":
        return f"no repetition: the pelvis never went min_depth_mm {options['min_depth_mm']:g} mm down and back up"
    begun = sum(c["start_seen"] for side in contacts.values() for c in side)
    return (f"none of the {begun} foot contacts that begin within the recording begins with the other foot lifted "
            f"clear (clearance_mm {options['clearance_mm']:g} mm): no landing on one foot")


def task_windows(
    trial: xr.Dataset,
    markers: xr.DataArray,
    pelvis: xr.Dataset,
    *,
    task: str,
    config: dict,
    event_markers: xr.DataArray | None = None,
    heading: float | None = None,
    pelvis_filled: xr.DataArray | None = None,
    pelvis_rebuilt: xr.DataArray | None = None,
    report: dict | None = None,
) -> tuple[pd.DataFrame, xr.DataArray]:
    """The single-leg support windows of a non-running trial, with their metrics and curves.

    Parameters
    ----------
    trial : the canonical trial (``read_c3d``): its ``forces`` are used when it has force plates
    markers : the cleaned, low-passed markers ``[time, marker, axis]`` mm (as ``process_trial`` has them)
    pelvis : ``pelvic_angles`` of those markers (its ``obliquity`` is used)
    task : a key of ``TASKS`` other than running
    config : a validated config (``hipdrop.config.validate_config``): the task's thresholds (``tasks.<task>``), the
        contacts' (``events``: ``min_contact_s``, the force-plate keys, ``strike_height_mm``, ``off_height_mm``),
        the pelvis QC's ``stances.max_filled_s`` and ``stances.curve_points``
    event_markers : markers for the feet's contacts (``process_trial``'s, low-passed at the events' 30 Hz, which
        keeps a landing's impact sharp); default ``markers``
    heading : the facing direction (radians about Z) for the compensations; default the pelvis's
        (``compensations.facing_heading``)
    pelvis_filled, pelvis_rebuilt : pelvis QC as in ``stance_table``
    report : where given, filled with ``dropped`` (the candidate windows that are not windows: a hold shorter than
        ``min_hold_s``, a squat on both feet, a contact that is no landing; a table of side, start_s, end_s,
        reason) and ``none_found`` (why the trial has no window at all; "" when it has one)

    Returns
    -------
    windows : one row per window, ``hipdrop.kernels.windows.table.WINDOW_COLUMNS``
    curves : ``[stance, pct]`` support-side obliquity over each window (the stance curves' format)
    """
    if task == RUNNING:
        raise ValueError("running stances come from gait events: hipdrop.kernels.stances.stance_table "
                         "(hipdrop.trial.process.process_trial), not from task_windows")
    options = task_settings(task, config["tasks"].get(task))
    ev, st = config["events"], config["stances"]
    min_contact_s = ev["min_contact_s"]
    rate = float(trial.attrs["rate_hz"])
    feet = markers if event_markers is None else event_markers
    force_events = None
    if "forces" in trial:
        force_events = trial_force_events(trial, feet, ev)
    contacts = support_contacts(feet, rate_hz=rate, min_contact_s=min_contact_s, force_events=force_events,
                                strike_height_mm=ev["strike_height_mm"], off_height_mm=ev["off_height_mm"])
    support = single_leg_support(feet, contacts, clearance_mm=options["clearance_mm"])
    dropped: list[dict] = []
    if task == "single_leg_squat":
        found = squat_windows(support, pelvis_height(markers), contacts, rate_hz=rate,
                              min_depth_mm=options["min_depth_mm"], dropped=dropped)
    elif task == "single_leg_balance":
        found = balance_windows(support, contacts, rate_hz=rate, min_hold_s=options["min_hold_s"], dropped=dropped)
    else:
        found = landing_windows(support, contacts, rate_hz=rate, window_s=options["window_s"],
                                min_window_s=options["min_window_s"], min_contact_s=min_contact_s, dropped=dropped)
    if report is not None:
        time = support[TIME].to_numpy()
        at = lambda frame: round(float(np.interp(frame, np.arange(len(time)), time)), 3)  # noqa: E731
        report["dropped"] = pd.DataFrame([{"side": d["side"], "start_s": at(d["start"]), "end_s": at(d["end"]),
                                           "reason": d["reason"]} for d in sorted(dropped, key=lambda d: d["start"])],
                                         columns=DROPPED_COLUMNS)
        report["none_found"] = "" if found else _none_found(task, options, feet, support, contacts, dropped)
    angles = compensation_angles(markers, heading=heading)
    return window_table(found, pelvis["obliquity"], task=task, angles=angles, pelvis_filled=pelvis_filled,
                        pelvis_rebuilt=pelvis_rebuilt, max_filled_s=st["max_filled_s"], curve_points=st["curve_points"])
