"""The single-leg tasks simulated (squat repetitions, balance holds, landings): markers of a pelvis, thorax,
knees and feet as C3D files with each window's true peak drop, trunk lean and knee angle (truth.json)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hipdrop.io.c3d.reader import write_c3d
from hipdrop.kernels.windows.support import CLEARANCE_HYSTERESIS_MM
from hipdrop.simulate.body import HEEL_GROUND_MM, PELVIS_LOCAL, TOE_GROUND_MM, pelvis_pose
from hipdrop.trial.tasks import task_settings
from hipdrop.vocab import SIDES

KNEE_HALF_WIDTH_MM, ANKLE_HALF_WIDTH_MM = 50.0, 35.0  # epicondyle and malleolus markers either side of the centres


def _bump(s: np.ndarray, peak_pct: float) -> np.ndarray:
    """Smooth stance-shaped bump on s in [0, 1]: 0 at both ends with zero slope and curvature, 1 at peak_pct.

    g(s) = s^a (1-s)^b / (p^a (1-p)^b) with a = 3 and b chosen so that the maximum a / (a + b) falls at p.
    """
    p = peak_pct / 100.0
    a = 3.0
    b = a * (1.0 - p) / p
    inside = (s >= 0) & (s <= 1)
    sc = np.clip(s, 0.0, 1.0)
    return np.where(inside, sc**a * (1.0 - sc) ** b / (p**a * (1.0 - p) ** b), 0.0)


TASK_MARKERS = (
    "LASI RASI LPSI RPSI LHEE RHEE LTOE RTOE LANK RANK LMED RMED LKNE RKNE LKNM RKNM LSHO RSHO C7 CLAV STRN T10"
).split()


#: the hip joint centres in the frame of PELVIS_LOCAL (pelvic width 240 mm, depth 150 mm), by the Harrington et al.
#: 2007 regression, worked by hand: forward -0.24 x 150 - 9.9 = -45.9, down -0.30 x 240 - 10.9 = -82.9, lateral
#: 0.33 x 240 + 7.3 = 86.5 mm: the simulated anatomy puts the hips where the published regression says they are
HIP_LOCAL = {"L": (-45.9, 86.5, -82.9), "R": (-45.9, -86.5, -82.9)}


#: thorax landmarks in the thorax frame (origin mid(T10, STRN); X forward, Y left, Z along the thorax axis)
THORAX_LOCAL = {"T10": (-90.0, 0.0, 0.0), "STRN": (90.0, 0.0, 0.0), "C7": (-70.0, 0.0, 330.0),
                "CLAV": (70.0, 0.0, 330.0), "LSHO": (-20.0, 170.0, 270.0), "RSHO": (-20.0, -170.0, 270.0)}


THORAX_BASE_MM = 150.0  # mid(T10, STRN) above the pelvis origin


STANDING_PELVIS_MM = 950.0  # pelvis origin above the floor, standing


ANKLE_HEIGHT_MM = 80.0  # ankle centre above the floor, foot flat; the heel marker rests 25 mm up, the toe 20 mm


ANKLE_LATERAL_MM = 100.0  # ankle centres either side of the midline


FOOT_LIFT_MM = 150.0  # the free foot's lift


WEIGHT_SHIFT_MM = 60.0  # the pelvis moves this far over the support foot


LIFT_S = 0.3  # lifting or lowering the free foot


QUIET_S = 1.0  # standing on both feet before, between and after the bouts


BOX_MM = 300.0  # the landing's box


GRAVITY_MM_S2 = 9810.0


ABSORB_S = 0.15  # after a landing the pelvis decelerates to rest over this time, then rises back


RECOVER_S = 0.6


@dataclass
class TaskSpec:
    """One simulated trial of a single-leg task (``hipdrop.trial.tasks.TASKS``); heights of the per-window bumps in deg."""

    task: str = "single_leg_squat"
    rate_hz: float = 100.0
    seed: int = 2026
    variation: bool = True  # False: no random variation of any kind, no marker noise
    marker_noise_mm: float = 0.5
    sides: tuple = ("R", "L")  # the support side of each bout, in order (landing: one landing per side)
    reps: int = 3  # squat repetitions per bout
    rep_s: float = 2.0
    pause_s: float = 0.5  # still between repetitions, and before the first and after the last
    depth_mm: float = 150.0  # squat depth of the pelvis
    hold_s: float = 4.0  # balance hold with the foot fully lifted
    peak_drop_deg: float = 5.0
    trunk_lean_deg: float = 4.0
    fppa_deg: float = 8.0  # valgus added by each window, over the baseline
    fppa_baseline_deg: float = 2.0  # valgus of the support knee standing
    window_sd_deg: float = 1.0  # window-to-window SD of the three heights (variation only)
    drop_shift_deg: float = 0.0  # added to every window's peak drop (a condition's effect)


def _ramp(t: np.ndarray, t0: float, t1: float) -> np.ndarray:
    """0 before t0, 1 after t1, half a cosine between: zero velocity at both ends."""
    return (1.0 - np.cos(np.pi * np.clip((t - t0) / (t1 - t0), 0.0, 1.0))) / 2.0


def _lift_crossing(level_mm: float, t0: float, rising: bool) -> float:
    """Time at which a ``_ramp`` lift of ``FOOT_LIFT_MM`` over ``LIFT_S`` from ``t0`` passes ``level_mm`` (rising),
    or a lowering from ``t0`` does (falling)."""
    u = np.arccos(1.0 - 2.0 * level_mm / FOOT_LIFT_MM) / np.pi
    return t0 + LIFT_S * (u if rising else 1.0 - u)


def _bump_at(t, start: float, end: float, peak_pct: float) -> np.ndarray:
    return _bump((np.asarray(t, float) - start) / (end - start), peak_pct)


def _knee_centres(
    hip: np.ndarray, ankle: np.ndarray, lateral: np.ndarray, fppa_deg: np.ndarray, forward: np.ndarray
) -> np.ndarray:
    """Knee centres [time, 3] halfway up between hip and ankle centres [time, 3], ``forward`` mm ahead of the ankle,
    placed sideways (along the unit ``lateral`` of that side) so that thigh and shank make ``fppa_deg`` in the
    frontal plane (the lab's Y-Z plane: the subject faces +X), positive in valgus."""
    lh, la = hip @ lateral, ankle @ lateral
    vh, va = hip[:, 2], ankle[:, 2]
    vk = (vh + va) / 2
    target = np.radians(fppa_deg)
    angle = lambda lk: np.arctan2(la - lk, vk - va) - np.arctan2(lk - lh, vh - vk)
    lo, hi = np.minimum(lh, la) - 400.0, np.maximum(lh, la) + 400.0  # the angle falls as the knee moves laterally
    for _ in range(60):
        mid = (lo + hi) / 2
        above = angle(mid) > target
        lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    lk = (lo + hi) / 2
    knee = np.zeros_like(hip)
    knee[:, 0] = ankle[:, 0] + forward
    knee[:, 1] = lk * lateral[1]  # lateral is +-Y
    knee[:, 2] = vk
    return knee


def _task_windows(spec: TaskSpec, rng: np.random.Generator) -> tuple[list[dict], float]:
    """The windows of a trial, in seconds from its first frame, and its duration. Each window holds its support
    side, its true ``start`` and ``end`` (by the task's definition, ``hipdrop.trial.tasks``), the ``span`` of its bumps and
    their heights and peak times, and its bout's motion: ``lift`` (the free foot starts up), ``lower`` (it starts
    down); a squat's ``deepest``; a landing's ``drop`` (off the box), ``contact`` and ``climb`` (back onto the box)."""
    settings = task_settings(spec.task)
    var = spec.variation
    windows, t = [], QUIET_S
    for side in spec.sides:
        bout = {"side": side, "lift": t}
        if spec.task == "single_leg_landing":
            # on the box on both feet, the free foot lifted, a short hold on one leg, then the drop: contact comes
            # after a free fall of BOX_MM
            drop = t + LIFT_S + 0.9
            contact = drop + np.sqrt(2 * BOX_MM / GRAVITY_MM_S2)
            lower = contact + 1.2
            bout |= {"drop": drop, "contact": contact, "lower": lower, "climb": lower + LIFT_S + QUIET_S / 2}
            end = contact + settings["window_s"]
            windows.append(bout | {"start": contact, "end": end, "span": (contact, end)})
            t = bout["climb"] + RECOVER_S + QUIET_S / 2
            continue
        if spec.task == "single_leg_squat":
            durations = spec.rep_s * (rng.uniform(0.9, 1.1, spec.reps) if var else np.ones(spec.reps))
            starts = t + LIFT_S + spec.pause_s + np.concatenate([[0.0], np.cumsum(durations[:-1] + spec.pause_s)])
            bout["lower"] = starts[-1] + durations[-1] + spec.pause_s
            windows += [bout | {"start": a, "end": a + d, "span": (a, a + d), "deepest": a + d / 2}
                        for a, d in zip(starts, durations)]
        else:
            bout["lower"] = t + LIFT_S + spec.hold_s
            # the hold is the time the free foot is clear of the ground: above clearance_mm on the way up, until
            # below clearance_mm - hysteresis on the way down (hipdrop.kernels.windows.support.single_leg_support)
            windows.append(bout | {
                "start": _lift_crossing(settings["clearance_mm"], t, True),
                "end": _lift_crossing(settings["clearance_mm"] - CLEARANCE_HYSTERESIS_MM, bout["lower"], False),
                "span": (t + LIFT_S, bout["lower"])})
        t = bout["lower"] + LIFT_S + QUIET_S
    draw = lambda mean: float(mean + (rng.normal(0, spec.window_sd_deg) if var else 0.0))
    # drop, lean and valgus peak at different times, so "at the time of peak drop" differs from "peak"
    peaks = (35.0, 50.0, 30.0) if spec.task == "single_leg_landing" else (55.0, 40.0, 50.0)
    for w in windows:
        w |= {"drop_deg": draw(spec.peak_drop_deg + spec.drop_shift_deg), "lean_deg": draw(spec.trunk_lean_deg),
              "fppa_deg": draw(spec.fppa_deg), "drop_pct": peaks[0], "lean_pct": peaks[1], "fppa_pct": peaks[2]}
    return windows, t


def _task_truth(w: dict, spec: TaskSpec) -> dict:
    """The metrics a window must read, from its bumps (docs/science.md section 3, ``hipdrop.kernels.windows``)."""
    span0, span1 = w["span"]
    peak_t = span0 + w["drop_pct"] / 100 * (span1 - span0)
    at_peak = lambda name: float(_bump_at(peak_t, span0, span1, w[f"{name}_pct"]))
    truth = {
        "task": spec.task, "side": w["side"], "strike_s": float(w["start"]), "off_s": float(w["end"]),
        "cpd_peak_deg": w["drop_deg"],
        "cpd_excursion_deg": w["drop_deg"],  # every bump starts from zero at or after its window's start
        "cpd_peak_pct": float(100 * (peak_t - w["start"]) / (w["end"] - w["start"])),
        "trunk_lean_peak_deg": w["lean_deg"], "trunk_lean_at_peak_deg": w["lean_deg"] * at_peak("lean"),
        "knee_fppa_peak_deg": spec.fppa_baseline_deg + w["fppa_deg"],
        "knee_fppa_at_peak_deg": spec.fppa_baseline_deg + w["fppa_deg"] * at_peak("fppa"),
    }
    if "deepest" in w:
        truth |= {"deepest_s": float(w["deepest"]),
                  "cpd_deepest_deg": w["drop_deg"] * float(_bump_at(w["deepest"], span0, span1, w["drop_pct"]))}
    return truth


def _landing_motion(t: np.ndarray, windows: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For a landing trial: the height of the surface under the feet (mm), the body's fall below it and its forward
    travel (mm), and how far the pelvis sinks after each contact (mm), over time ``t`` (s)."""
    surface, fall, travel, sink = np.full(len(t), BOX_MM), np.zeros(len(t)), np.zeros(len(t)), np.zeros(len(t))
    for w in windows:
        fall_s = w["contact"] - w["drop"]
        falling = (t >= w["drop"]) & (t < w["contact"])
        fall += np.where(falling, 0.5 * GRAVITY_MM_S2 * (t - w["drop"]) ** 2, 0.0)
        on_floor = (t >= w["contact"]) & (t < w["climb"] + RECOVER_S)
        # back onto the box: the whole body (feet too) raised smoothly, which no contact rule takes for a landing
        surface = np.where(on_floor, BOX_MM * _ramp(t, w["climb"], w["climb"] + RECOVER_S), surface)
        # off the box forward, and back with the climb
        travel += BOX_MM * np.clip((t - w["drop"]) / fall_s, 0.0, 1.0) * (1 - _ramp(t, w["climb"], w["climb"] + RECOVER_S))
        # from contact the pelvis decelerates evenly from the fall's speed to rest, then rises back
        speed = GRAVITY_MM_S2 * fall_s
        since = np.clip(t - w["contact"], 0.0, ABSORB_S)
        sink += np.where(t >= w["contact"], speed * since * (1 - since / (2 * ABSORB_S)), 0.0) * (
            1 - _ramp(t, w["contact"] + ABSORB_S, w["contact"] + ABSORB_S + RECOVER_S))
    return surface, fall, travel, sink


def simulate_task_markers(spec: TaskSpec) -> tuple[np.ndarray, list[dict]]:
    """Markers ``[time, marker, axis]`` (mm, ``TASK_MARKERS``) of one single-leg task trial, and the truth of each
    window (``_task_truth``), in capture-relative seconds (C3D frame 1 at 1 / rate, as ``read_c3d`` reads it)."""
    if spec.task not in ("single_leg_squat", "single_leg_balance", "single_leg_landing"):
        raise ValueError(f"the simulator has no single-leg task {spec.task!r}")
    rng = np.random.default_rng([spec.seed, 15])
    windows, duration = _task_windows(spec, rng)
    n = int(round(duration * spec.rate_hz))
    t = (np.arange(n) + 1) / spec.rate_hz  # capture-relative time of each frame; the first frame is C3D frame 1
    if spec.task == "single_leg_landing":
        surface, fall, travel, sink = _landing_motion(t, windows)
    else:
        surface, fall, travel, sink = (np.zeros(n) for _ in range(4))
    obliquity_left, lean_left = np.zeros(n), np.zeros(n)
    fppa = {s: np.full(n, spec.fppa_baseline_deg) for s in SIDES}
    lift = {s: np.zeros(n) for s in SIDES}
    shift = np.zeros(n)  # the pelvis over the support foot (+Y = left)
    for side, start, lower in {(w["side"], w["lift"], w["lower"]) for w in windows}:
        up = _ramp(t, start, start + LIFT_S) * (1 - _ramp(t, lower, lower + LIFT_S))
        lift["R" if side == "L" else "L"] += FOOT_LIFT_MM * up
        shift += (1.0 if side == "L" else -1.0) * WEIGHT_SHIFT_MM * up
    for w in windows:
        sign = 1.0 if w["side"] == "L" else -1.0
        obliquity_left += sign * w["drop_deg"] * _bump_at(t, *w["span"], w["drop_pct"])
        lean_left += sign * w["lean_deg"] * _bump_at(t, *w["span"], w["lean_pct"])
        fppa[w["side"]] += w["fppa_deg"] * _bump_at(t, *w["span"], w["fppa_pct"])
        if "deepest" in w:
            sink += spec.depth_mm * (1 - np.cos(2 * np.pi * np.clip((t - w["start"]) / (w["end"] - w["start"]), 0, 1))) / 2
    bend = np.clip(sink / spec.depth_mm, 0.0, 1.5)  # how deep the subject is: tilts pelvis and trunk forward

    origin = np.stack([travel, shift, surface - fall + STANDING_PELVIS_MM - sink], -1)
    pose = pelvis_pose(np.zeros(n), np.radians(obliquity_left), np.radians(12.0 + 10.0 * bend))
    markers = {name: origin + pose @ np.array(local) for name, local in PELVIS_LOCAL.items()}
    # the thorax flexed forward about Y, then leaned about the lab's forward axis (a positive lean_left tips it left)
    flexion, lean = np.radians(8.0 + 25.0 * bend), np.radians(lean_left)
    cf, sf, cl, sl, one, zero = np.cos(flexion), np.sin(flexion), np.cos(lean), np.sin(lean), np.ones(n), np.zeros(n)
    flex = np.stack([np.stack([cf, zero, sf], -1), np.stack([zero, one, zero], -1), np.stack([-sf, zero, cf], -1)], -2)
    tip_left = np.stack([np.stack([one, zero, zero], -1), np.stack([zero, cl, -sl], -1), np.stack([zero, sl, cl], -1)], -2)
    thorax = tip_left.transpose(0, 2, 1) @ flex  # Rx(-lean): the top moves toward +Y
    base = origin + np.array([-40.0, 0.0, THORAX_BASE_MM])
    markers |= {name: base + thorax @ np.array(local) for name, local in THORAX_LOCAL.items()}

    for side in SIDES:
        lateral = np.array([0.0, 1.0 if side == "L" else -1.0, 0.0])
        height = surface - fall + ANKLE_HEIGHT_MM + lift[side]
        ankle = np.stack([travel, np.full(n, lateral[1] * ANKLE_LATERAL_MM), height], -1)
        hip = origin + pose @ np.array(HIP_LOCAL[side])
        forward = 0.6 * sink * (lift[side] == 0) + 100.0 * lift[side] / FOOT_LIFT_MM  # the knee ahead of the ankle
        knee = _knee_centres(hip, ankle, lateral, fppa[side], forward)
        markers[f"{side}KNE"], markers[f"{side}KNM"] = (knee + k * KNEE_HALF_WIDTH_MM * lateral for k in (1, -1))
        markers[f"{side}ANK"], markers[f"{side}MED"] = (ankle + k * ANKLE_HALF_WIDTH_MM * lateral for k in (1, -1))
        markers[f"{side}HEE"] = ankle + np.array([-60.0, 0.0, HEEL_GROUND_MM - ANKLE_HEIGHT_MM])
        markers[f"{side}TOE"] = ankle + np.array([130.0, 10.0 * lateral[1], TOE_GROUND_MM - ANKLE_HEIGHT_MM])
    xyz = np.stack([markers[m] for m in TASK_MARKERS], axis=1)
    if spec.variation:
        xyz = xyz + rng.normal(0, spec.marker_noise_mm, xyz.shape)
    return xyz, [_task_truth(w, spec) for w in windows]


def simulate_task_trial(
    path: str | Path, task: str, *, variation: bool = True, write_truth: bool = True, **options
) -> list[dict]:
    """Write one single-leg task trial as a C3D file and, with ``write_truth``, its truth beside it (``path`` with
    ``.json``: the task, the spec, one record per window); return the windows' truth.

    ``options`` are ``TaskSpec`` fields. Times in the truth are capture-relative seconds, as ``read_c3d`` gives
    them.
    """
    spec = TaskSpec(task=task, variation=variation, **options)
    xyz, truth = simulate_task_markers(spec)
    path = Path(path)
    write_c3d(path, xyz, list(TASK_MARKERS), rate_hz=spec.rate_hz)
    if write_truth:
        record = {"task": task, "spec": asdict(spec), "windows": truth}
        path.with_suffix(".json").write_text(json.dumps(record, indent=1, default=float))
    return truth


#: a clinic's design: the same single-leg task before and after a strengthening programme (effect on peak drop, deg)
DEFAULT_TASK_EFFECTS_DEG = {"post_training": -1.5}


@dataclass
class TaskCohortSpec:
    """Subjects who each perform ``task`` in every condition: ``baseline`` and those of ``effects_deg``."""

    task: str = "single_leg_squat"
    n_subjects: int = 6
    trials_per_condition: int = 1
    rate_hz: float = 100.0
    seed: int = 2026
    effects_deg: dict = field(default_factory=lambda: dict(DEFAULT_TASK_EFFECTS_DEG))
    peak_drop_mean_deg: float = 5.0
    subject_sd_deg: float = 1.5  # between-subject SD of the baseline peak drop
    effect_sd_deg: float = 0.5  # between-subject SD of each condition's effect
    variation: bool = True  # False: no random variation of any kind

    def conditions(self) -> list[str]:
        """``baseline`` and the conditions of ``effects_deg``, in order."""
        return ["baseline", *self.effects_deg]


def simulate_task_cohort(directory: str | Path, spec: TaskCohortSpec | None = None) -> pd.DataFrame:
    """Write a single-leg task cohort (C3D files, ``trials.tsv`` with a ``task`` column, ``truth.json``) into
    ``directory``; return the sheet. Paths in the sheet are relative to its own folder.

    ``truth.json`` holds ``effects_deg`` (the population effect of each condition on peak drop), ``cohort_effects_deg``
    (the mean of this cohort's own effects: what a within-subject design estimates), ``subjects`` and ``windows``
    (each window's truth, ``simulate_task_trial``, with subject, condition and trial).
    """
    spec = spec or TaskCohortSpec()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    var = spec.variation
    rows, windows, subjects, realised = [], [], {}, []
    for i in range(spec.n_subjects):
        subject = f"S{i + 1:02d}"
        rng = np.random.default_rng([spec.seed, i])
        draw = lambda sd: float(rng.normal(0, sd)) if var else 0.0
        person = {"peak_drop_deg": spec.peak_drop_mean_deg + draw(spec.subject_sd_deg),
                  "effect_dev_deg": {c: draw(spec.effect_sd_deg) for c in spec.effects_deg}}
        subjects[subject] = person
        for c, condition in enumerate(spec.conditions()):
            effect = spec.effects_deg.get(condition, 0.0) + person["effect_dev_deg"].get(condition, 0.0)
            realised.append({"subject": subject, "condition": condition, "effect_deg": effect})
            for trial in range(1, spec.trials_per_condition + 1):
                name = f"{subject}_{condition}_{trial}.c3d"
                seed = int(np.random.default_rng([spec.seed, i, c, trial]).integers(2**31))
                truth = simulate_task_trial(
                    directory / name, spec.task, variation=var, write_truth=False, rate_hz=spec.rate_hz, seed=seed,
                    peak_drop_deg=person["peak_drop_deg"], drop_shift_deg=effect)
                windows += [w | {"subject": subject, "condition": condition, "trial": trial} for w in truth]
                rows.append({"subject": subject, "condition": condition, "trial": trial, "path": name, "task": spec.task})
    sheet = pd.DataFrame(rows)
    sheet.to_csv(directory / "trials.tsv", sep="\t", index=False)
    per_subject = pd.DataFrame(realised).groupby("condition")["effect_deg"].mean()
    truth = {"task": spec.task, "effects_deg": spec.effects_deg,
             "cohort_effects_deg": {c: float(per_subject[c]) for c in spec.effects_deg},
             "spec": asdict(spec), "subjects": subjects, "windows": windows}
    (directory / "truth.json").write_text(json.dumps(truth, indent=1, default=float))
    return sheet
