"""A synthetic running cohort written as real C3D files, with its ground truth.

Runners on a treadmill (lab X forward, Y left, Z up, mm, Plug-in Gait full-body marker names). The pelvic obliquity
over the whole gait cycle is drawn from a template learned from real running through hipdrop's own pipeline
(``hipdrop/data/obliquity_template.json``, ``scripts/learn_obliquity_template.py``, docs/science.md section 11):
each stance of side S and the flight after it (a half-cycle) is the S-side obliquity of the template's mean,
plus the runner's principal-component deviation (its scores normal, truncated to the range of the learned runners'
own scores, with their mean: a shape between real runners', never beyond them), plus that stride's, plus the runner's left/right
tilt; flights join the stances smoothly. The pelvis is posed with Baker's rotation-obliquity-tilt sequence, so the `rot`
obliquity of the written markers is exactly the intended one, whatever the tilt and rotation (docs/science.md
section 2), and every stance's true peak, excursion and time of peak are computed from the generated curve.

Design: every subject runs every condition (baseline, cadence +5 %, cadence +10 %, arm-swing change). A condition's
effect lowers (or raises) the stance-side obliquity of the first half of stance, strike to peak, by the effect and
fades out by foot off (``EFFECT_FLAT``), so the peak moves by exactly the effect wherever in the first half of
stance it lies. The cadence conditions' effect follows the cadence change the runner achieved in that trial (a
dose-response: the ``effects_deg`` of the cadence conditions are the effects at their targets, so -1.5 deg at
+10 % is -0.15 deg per 1 %), and a faster cadence shortens step and stance; an arm-swing condition that also
changes cadence (``arm_swing_cadence_pct``, a confound) gets that dose on top of its own effect. Runners differ in
speed, duty factor, strike pattern (rearfoot, midfoot, forefoot), step width and how far they follow the arm-swing
instruction. ``variation=False`` switches off all random variation (runners, strides, timing, achieved cadence,
marker noise, gaps): every runner is the template's mean, and every estimate must equal the truth.

Single-leg tasks (squats, balance holds, landings) are simulated in ``hipdrop.simulate.tasks``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.interpolate import CubicSpline
from scipy.stats import norm

from hipdrop.io.c3d.reader import write_c3d
from hipdrop.simulate.body import (ANALOG_RATE_HZ, FORCE_LABELS, HEEL_GROUND_MM, PELVIS_LOCAL, TOE_GROUND_MM,
                                   TREADMILL_PLATE, foot_trajectories, pelvis_pose, treadmill_force)
from hipdrop.simulate.emg import (DEFAULT_EMG_EFFECTS_PCT, analog_channels, emg_truth, runner_emg, trial_emg,
                                  write_runner_mvc)
from hipdrop.simulate.obliquity import (half_cycle_shapes, load_template, smoothstep, spline_component, stance_splines,
                                        stance_truth)

CONDITIONS = {
    # name: (target cadence change in % of baseline, arm-swing instruction)
    "baseline": (0.0, "normal"),
    "cadence_plus5": (5.0, "normal"),
    "cadence_plus10": (10.0, "normal"),
    "arm_swing": (0.0, "reduced"),
}
DEFAULT_EFFECTS_DEG = {"cadence_plus5": -0.75, "cadence_plus10": -1.5, "arm_swing": -0.5}
ARM_SWING_FACTOR = {"normal": 1.0, "reduced": 0.6}  # wrist excursion relative to the runner's own normal swing
#: the arm-swing condition's instruction when it targets crossover (``CohortSpec.arm_swing_target``): the wrists
#: stay on their own side of the body's midline; amplitude is not asked to change
CROSSOVER_INSTRUCTION = "no_crossover"
#: the wrist centre's distance from the body's midline with the arm furthest back (mm): the shoulder's, where it
#: hangs; it swings medially as it comes forward and is most medial with the arm furthest forward
WRIST_REST_MM = 170.0
#: how far ahead of the elbow the wrist is carried (mm): a 250-280 mm forearm held about level, 280 mm below the
#: shoulder, so the elbow angle (shoulder-elbow-wrist) is 90-110 deg through the swing, as in running
FOREARM_FORWARD_MM = 220.0
#: how much of an arm-swing instruction runners carry out (normal, clipped): most near it, some barely at all
ARM_COMPLIANCE = (1.0, 0.45, 0.05, 1.6)
#: strike patterns and their shares among runners
STRIKE_TYPES = {"rearfoot": 0.6, "midfoot": 0.25, "forefoot": 0.15}
#: the share of its cadence target a runner achieves in a trial (uniform): runners fall short more than they overshoot
ACHIEVED_SHARE = (0.7, 1.05)
#: the share of ``arm_swing_cadence_pct`` an arm-swing trial brings along (uniform)
CONFOUND_SHARE = (0.9, 1.1)

MARKERS = (
    "LASI RASI LPSI RPSI LHEE RHEE LTOE RTOE LANK RANK "
    "LSHO RSHO LELB RELB LWRA LWRB RWRA RWRB C7 CLAV"
).split()


@dataclass
class CohortSpec:
    """A simulated running cohort: runners, conditions and their effects (deg), recording settings and what varies.

    Every runner runs every condition of ``CONDITIONS`` ``trials_per_condition`` times; ``effects_deg`` are the
    population effects on peak pelvic drop, ``effect_sd_deg`` their between-runner SD.
    """

    n_subjects: int = 8
    trials_per_condition: int = 1
    duration_s: float = 30.0
    rate_hz: float = 200.0
    seed: int = 2026
    effects_deg: dict = field(default_factory=lambda: dict(DEFAULT_EFFECTS_DEG))
    effect_sd_deg: float = 0.5  # between-subject SD of each condition effect
    # white noise on every marker: the real running files' pelvis markers show second differences of 0.3-0.8 mm SD
    marker_noise_mm: float = 0.3
    gaps: bool = True
    events: bool = True
    force_plate: bool = False
    variation: bool = True  # False: no random variation of any kind
    template: str = ""  # a model file of scripts/learn_obliquity_template.py; "" is the packaged one
    arm_swing_cadence_pct: float = 0.0  # cadence change the arm-swing condition also brings (a confound), %
    static_obliquity_deg: float = 0.0  # every runner's standing pelvic obliquity (right side up), added to every trial
    static_trial: bool = False  # also write each runner's 3 s static standing trial (sheet column static)
    # surface EMG (issue 26 item 3; hipdrop.simulate.emg): both legs' gluteus medius as analog channels with a known
    # envelope; a condition scales its burst by emg_effects_pct (%), each runner's own effect by emg_effect_sd_pct more
    emg: bool = False
    emg_effects_pct: dict = field(default_factory=lambda: dict(DEFAULT_EMG_EFFECTS_PCT))
    emg_effect_sd_pct: float = 3.0
    # each runner's maximal voluntary contraction of both gluteus medius as a C3D file of its own (mvc/<subject>.c3d,
    # hipdrop.simulate.emg.write_runner_mvc), named in the sheet's mvc column; truth.json's emg.mvc_mv the amplitudes
    emg_mvc: bool = False
    # what the arm-swing condition targets: "amplitude" (fore-aft, ``ARM_SWING_FACTOR``) or "crossover" (the wrists'
    # peak crossing of the midline changes by ``crossover_change_mm`` x the runner's compliance; sheet column
    # arm_swing_target); with crossover, the first ``amplitude_instead`` runners reduce their amplitude instead
    # (``ARM_SWING_FACTOR["reduced"]``) and leave their crossover as it was: non-adherent and confounded
    arm_swing_target: str = "amplitude"
    crossover_change_mm: float = -60.0
    amplitude_instead: int = 1
    # fatigue (issue 26 item 4): every stance's peak drop grows by drift_deg_per_min per minute into the run (the
    # stance's strike plus its trial's start), and with stride_sd_deg each stance's peak moves by its own normal draw
    # of that SD in place of the template's stride shapes, so that the peak's stride-to-stride SD is known (both
    # through the first half of stance, as the conditions' effects: excursion unchanged); trial k of a condition
    # starts (k - 1) x trial_interval_min into the run (sheet column time_into_run_min when above 0)
    drift_deg_per_min: float = 0.0
    stride_sd_deg: float | None = None
    trial_interval_min: float = 0.0
    # the wrists sweep medially as they come forward, across the midline by each runner's own peak; False (unless
    # the arm-swing target is crossover) keeps them at the shoulders' width, as cohorts simulated before: the same
    # C3D files, whose crossover is then -WRIST_REST_MM
    crossing_wrists: bool = False

    def dose_deg_per_pct(self) -> float:
        """Peak-drop change per 1 % cadence change that the cadence conditions' effects imply (deg per %)."""
        slopes = {c: self.effects_deg.get(c, 0.0) / CONDITIONS[c][0] for c in CONDITIONS if CONDITIONS[c][0]}
        if not np.allclose(list(slopes.values()), next(iter(slopes.values()))):
            raise ValueError(f"the cadence conditions' effects imply different slopes (deg per %): {slopes}")
        return float(next(iter(slopes.values())))


def realised_effect(spec: CohortSpec, condition: str, achieved_pct: float) -> float:
    """Population effect (deg) of a trial of ``condition`` run at ``achieved_pct`` cadence change: the dose
    (``CohortSpec.dose_deg_per_pct``) times the achieved change, plus the condition's own effect when it is not a
    cadence condition."""
    own = 0.0 if CONDITIONS[condition][0] else spec.effects_deg.get(condition, 0.0)
    return own + spec.dose_deg_per_pct() * achieved_pct


def population_effect(spec: CohortSpec, condition: str) -> float:
    """The expected ``realised_effect`` of ``condition`` over runners and trials (deg): at the mean achieved cadence
    change (``ACHIEVED_SHARE`` of the target, or of the confound ``CONFOUND_SHARE``)."""
    target, arms = CONDITIONS[condition]
    if arms != "normal" and spec.arm_swing_cadence_pct:
        target, share = spec.arm_swing_cadence_pct, CONFOUND_SHARE
    else:
        share = ACHIEVED_SHARE
    return realised_effect(spec, condition, target * (float(np.mean(share)) if spec.variation else 1.0))


def arm_instruction_of(spec: CohortSpec, condition: str) -> str:
    """The sheet's arm-swing instruction of a condition: ``CONDITIONS``', or ``CROSSOVER_INSTRUCTION`` for the
    arm-swing condition of a cohort whose arm-swing target is crossover."""
    instruction = CONDITIONS[condition][1]
    return CROSSOVER_INSTRUCTION if instruction != "normal" and spec.arm_swing_target == "crossover" else instruction


def arm_targets(spec: CohortSpec, runner: dict, instruction: str) -> tuple[float, float]:
    """(fore-aft wrist excursion, peak crossover of the midline) in mm that a runner carries out under an arm-swing
    instruction, as far as they follow it (without variation: exactly)."""
    crossover = runner["crossover_mm"]
    if instruction == CROSSOVER_INSTRUCTION:
        if runner["amplitude_instead"]:
            factor = ARM_SWING_FACTOR["reduced"]
            return runner["arm_swing_mm"] * (1 + (factor - 1) * runner["arm_compliance"]), crossover
        return runner["arm_swing_mm"], crossover + spec.crossover_change_mm * runner["arm_compliance"]
    return runner["arm_swing_mm"] * (1 + (ARM_SWING_FACTOR[instruction] - 1) * runner["arm_compliance"]), crossover


def simulate_trial(rng: np.random.Generator, *, spec: CohortSpec, runner: dict, condition: str,
                   time_into_run_min: float = 0.0) -> dict:
    """Markers, events and truth of one treadmill trial (starting ``time_into_run_min`` into the run)."""
    target_pct, arm_instruction = CONDITIONS[condition][0], arm_instruction_of(spec, condition)
    var = spec.variation
    rate, n = spec.rate_hz, int(round(spec.duration_s * spec.rate_hz))
    t = (np.arange(n) + 1) / rate  # capture-relative time of each frame; the first frame is C3D frame 1

    achieved_pct = target_pct * (rng.uniform(*ACHIEVED_SHARE) if var else 1.0)
    if arm_instruction != "normal" and spec.arm_swing_cadence_pct:
        achieved_pct = spec.arm_swing_cadence_pct * (rng.uniform(*CONFOUND_SHARE) if var else 1.0)
    cadence = runner["cadence_spm"] * (1 + achieved_pct / 100)
    step_s = 60.0 / cadence
    n_steps = int(spec.duration_s / step_s) + 4
    steps = step_s * (1 + (rng.normal(0, 0.01, n_steps) if var else np.zeros(n_steps)))
    strikes = 0.05 + np.concatenate([[0.0], np.cumsum(steps[:-1])]) - step_s  # start before the first frame
    sides = np.where(np.arange(n_steps) % 2 == 0, "R", "L")
    stance_s = runner["duty"] * steps  # stance shorter than a step: a flight phase (running)
    offs = strikes + stance_s

    effect = realised_effect(spec, condition, achieved_pct) + runner["effect_dev"].get(condition, 0.0)
    template = load_template(spec.template)
    shapes = half_cycle_shapes(rng, template, np.asarray(runner["shape"]), n_steps, var and spec.stride_sd_deg is None)
    per_stance = np.full(n_steps, effect)
    if spec.drift_deg_per_min:  # fatigue: the drop grows with the minutes into the run
        per_stance = per_stance + spec.drift_deg_per_min * (time_into_run_min + strikes / 60.0)
    if spec.stride_sd_deg is not None and var:
        per_stance = per_stance + rng.normal(0.0, spec.stride_sd_deg, n_steps)
    stance_curves = stance_splines(template, shapes, per_stance)
    # the flight after stance k runs from its foot-off value to minus the next stance's strike value (S-side), its
    # template shape bent smoothly onto both
    flight = shapes[:, template["n"] - 1:]
    start, end = stance_curves(1.0), -np.roll(stance_curves(0.0), -1)
    flight_curves = CubicSpline(template["flight_v"], flight.T, axis=0)

    # which half-cycle (index into strikes) each frame falls into; stances of one runner never overlap
    k = np.clip(np.searchsorted(strikes, t, side="right") - 1, 0, n_steps - 2)
    u = (t - strikes[k]) / stance_s[k]
    v = np.clip((t - offs[k]) / (strikes[k + 1] - offs[k]), 0.0, 1.0)
    in_stance = u <= 1.0
    s_side = np.empty(n)
    s_side[in_stance] = spline_component(stance_curves, np.clip(u[in_stance], 0.0, 1.0), k[in_stance])
    kf, vf = k[~in_stance], v[~in_stance]
    ramp = smoothstep(vf)
    bend = (1 - ramp) * (start[kf] - flight[kf, 0]) + ramp * (end[kf] - flight[kf, -1])
    s_side[~in_stance] = spline_component(flight_curves, vf, kf) + bend
    signed = np.where(sides[k] == "R", 1.0, -1.0)
    # deg, PiG sign: positive = right side up; the runner's running tilt and a standing offset tilt the whole trial
    obliquity_r = spec.static_obliquity_deg + runner["offset_deg"] + signed * s_side

    # stride phase, 0 at each right strike, for the oscillating parts of the pose
    r_strikes = strikes[sides == "R"]
    j = np.clip(np.searchsorted(r_strikes, t, side="right") - 1, 0, len(r_strikes) - 2)
    phase = 2 * np.pi * (t - r_strikes[j]) / (r_strikes[j + 1] - r_strikes[j])
    tilt = np.radians(12.0 + 2.0 * np.sin(2 * phase))
    rotation = np.radians(6.0 * np.sin(phase))
    pose = pelvis_pose(rotation, np.radians(-obliquity_r), tilt)  # Rx lifts +Y (left): angle = left-side obliquity

    origin = np.stack([10.0 * np.sin(2 * phase), 15.0 * np.sin(phase), 950.0 - 35.0 * np.cos(2 * phase)], -1)
    markers = {name: origin + pose @ np.array(local) for name, local in PELVIS_LOCAL.items()}

    speed = runner["belt_mm_s"]
    for side, lateral in (("L", runner["half_width_mm"]), ("R", -runner["half_width_mm"])):
        heel, toe = foot_trajectories(t, strikes, offs, stance_s, sides == side, speed=speed, strike=runner["strike_type"])
        heel[:, 1] = toe[:, 1] = lateral
        toe[:, 1] += 10.0
        markers[f"{side}HEE"], markers[f"{side}TOE"] = heel, toe
        markers[f"{side}ANK"] = heel * np.array([1, 1, 0]) + np.array([50.0, 15.0 if side == "L" else -15.0, 95.0])

    # the instructed change, carried out as far as this runner does (without variation: exactly)
    swing_mm, crossover_mm = arm_targets(spec, runner, arm_instruction)
    crossing = spec.crossing_wrists or spec.arm_swing_target == "crossover"
    crossover_mm = crossover_mm if crossing else -WRIST_REST_MM
    trunk = origin + np.array([0.0, 0.0, 480.0])
    for side, lateral, sign in (("L", WRIST_REST_MM, 1.0), ("R", -WRIST_REST_MM, -1.0)):
        shoulder = trunk + np.array([-20.0, lateral, 0.0])
        fore_aft = sign * swing_mm / 2 * np.cos(phase)  # right arm back at right strike (opposite to its leg)
        markers[f"{side}SHO"] = shoulder
        markers[f"{side}ELB"] = shoulder + np.stack([fore_aft * 0.45, np.zeros(n), np.full(n, -280.0)], -1)
        # medially as the arm comes forward: crossover_mm across the midline (trunk's y) with the arm furthest
        # forward; the thorax does not turn, so this is the truth in its frame
        medial = (WRIST_REST_MM + crossover_mm) * (1 + sign * np.cos(phase)) / 2 if crossing else np.zeros(n)
        # the forearm held forward, near perpendicular to the upper arm as runners carry it (docs/science.md
        # section 12); the wrist's fore-aft excursion stays the swing's, FOREARM_FORWARD_MM ahead of the elbow's line
        wrist = shoulder + np.stack([fore_aft + FOREARM_FORWARD_MM, -sign * medial,
                                     np.full(n, -300.0) + 60 * np.abs(np.sin(phase))], -1)
        markers[f"{side}WRA"] = wrist + np.array([0.0, 25.0, 0.0])
        markers[f"{side}WRB"] = wrist - np.array([0.0, 25.0, 0.0])
    markers["C7"] = trunk + np.array([-80.0, 0.0, 80.0])
    markers["CLAV"] = trunk + np.array([60.0, 0.0, 40.0])

    xyz = np.stack([markers[m] for m in MARKERS], axis=1)
    if var:
        xyz = xyz + rng.normal(0, spec.marker_noise_mm, xyz.shape)
    if var and spec.gaps:
        _cut_gaps(rng, xyz, rate)

    visible = (strikes >= t[0]) & (offs <= t[-1])
    frame_of = lambda times: np.rint(times * rate).astype(int) / rate  # events sit on frames, as Nexus writes them
    events = pd.DataFrame(
        {
            "side": np.concatenate([sides[visible], sides[visible]]),
            "event": ["foot_strike"] * visible.sum() + ["foot_off"] * visible.sum(),
            "time_s": np.concatenate([frame_of(strikes[visible]), frame_of(offs[visible])]),
        }
    ).sort_values("time_s", kind="stable")
    # the peak a stance-side obliquity reaches (running tilt and standing offset included: + on the right, - on the
    # left), the same referenced to standing, the excursion from strike and the time of the peak
    sign = np.where(sides[visible] == "R", 1.0, -1.0)
    true = {key: value[visible] for key, value in stance_truth(stance_curves).items()}
    stances = pd.DataFrame(
        {"side": sides[visible], "strike_s": strikes[visible], "off_s": offs[visible],
         "cpd_peak_deg": true["peak"] + sign * (runner["offset_deg"] + spec.static_obliquity_deg),
         "cpd_peak_deg_static_ref": true["peak"] + sign * runner["offset_deg"],
         "cpd_excursion_deg": true["peak"] - true["strike"], "cpd_peak_pct": true["peak_pct"]}
    )
    # the effect on this runner's peak: the peak of their own mean shape with it less without it (the intended
    # effect wherever the peak lies in the first EFFECT_FLAT of stance)
    own = np.asarray(runner["shape"])[None]
    with_and_without = stance_splines(template, np.vstack([own, own]), np.array([effect, 0.0]))
    carried = float(np.diff(stance_truth(with_and_without)["peak"])[0] * -1)
    forces = (treadmill_force(t, strikes, offs, sides, mass_kg=runner["mass_kg"], rate_hz=spec.rate_hz)
              if spec.force_plate else None)
    emg = trial_emg(rng, t, strikes, offs, sides, spec=spec, runner=runner, condition=condition,
                    analog_rate_hz=ANALOG_RATE_HZ) if spec.emg else None
    if emg is not None:  # the envelope's truth per stance (hipdrop.simulate.emg.TRUTH_COLUMNS)
        stances = stances.join(emg["truth"][visible].reset_index(drop=True))
    return {
        "markers": xyz, "events": events, "stances": stances, "forces": forces, "emg": emg,
        "achieved_cadence_change_pct": achieved_pct, "cadence_spm": cadence, "effect_deg": carried,
        "arm_swing_mm": swing_mm, "target_cadence_change_pct": target_pct, "arm_swing": arm_instruction,
        "arm_crossover_mm": crossover_mm,
    }


def simulate_static(rng: np.random.Generator, *, spec: CohortSpec, duration_s: float = 3.0) -> np.ndarray:
    """Markers [time, marker, axis] of a runner standing still on both feet: the pelvis at its standing obliquity
    (``spec.static_obliquity_deg``, right side up) and a 12 deg tilt, with the trials' marker noise."""
    n = int(round(duration_s * spec.rate_hz))
    zero = np.zeros(n)
    pose = pelvis_pose(zero, np.radians(np.full(n, -spec.static_obliquity_deg)), np.radians(np.full(n, 12.0)))
    origin = np.array([0.0, 0.0, 950.0])
    markers = {name: origin + pose @ np.array(local) for name, local in PELVIS_LOCAL.items()}
    still = lambda xyz: np.tile(np.asarray(xyz, float), (n, 1))
    for side, lateral in (("L", 100.0), ("R", -100.0)):
        markers[f"{side}HEE"], markers[f"{side}TOE"] = still([0, lateral, HEEL_GROUND_MM]), still([180, lateral + 10, TOE_GROUND_MM])
        markers[f"{side}ANK"] = still([50, lateral + (15 if side == "L" else -15), 95])
        shoulder = [-20, 1.7 * lateral, 1430]
        markers[f"{side}SHO"], markers[f"{side}ELB"] = still(shoulder), still([-20, 1.7 * lateral, 1150])
        markers[f"{side}WRA"], markers[f"{side}WRB"] = still([-20, 1.7 * lateral + 25, 950]), still([-20, 1.7 * lateral - 25, 950])
    markers["C7"], markers["CLAV"] = still([-80, 0, 1510]), still([60, 0, 1470])
    xyz = np.stack([markers[m] for m in MARKERS], axis=1)
    return xyz + rng.normal(0, spec.marker_noise_mm, xyz.shape) if spec.variation else xyz


#: one-frame pelvis marker dropouts per marker and minute (RBDS001runT35: 2 in 4 markers x 30 s, none longer)
PELVIS_GAPS_PER_MIN = 1.0


def _cut_gaps(rng: np.random.Generator, xyz: np.ndarray, rate: float) -> None:
    """Short occlusions (20-60 ms) in feet and arm markers, as cameras lose them; pelvis markers lose a single frame
    now and then, as in the real running files (a fill that short keeps the stance, docs/science.md section 3)."""
    n = xyz.shape[0]
    for m, name in enumerate(MARKERS):
        if name in PELVIS_LOCAL:
            xyz[rng.integers(1, n - 1, size=rng.poisson(PELVIS_GAPS_PER_MIN * n / rate / 60)), m] = np.nan
            continue
        for start in rng.integers(0, n - 20, size=3):
            xyz[start : start + rng.integers(int(0.02 * rate), int(0.06 * rate)), m] = np.nan


def draw_runner(rng: np.random.Generator, spec: CohortSpec) -> dict:
    """One runner: speed, cadence, duty factor, strike pattern, step width, arm swing and how far they follow an
    arm-swing instruction, their own mean obliquity half-cycle (the template's mean plus a principal-component
    deviation) and left/right tilt, and their deviation from each condition's population effect."""
    var = spec.variation
    draw = lambda sd: float(rng.normal(0, sd)) if var else 0.0
    template = load_template(spec.template)
    speed = rng.uniform(2500, 4000) if var else 3200.0
    scores = rng.normal(0, 1, len(template["runner_pc"])) if var else np.zeros(len(template["runner_pc"]))
    if var:  # a normal truncated to the learned runners' range, its mean theirs (zero): by the inverse CDF of the
        # same one draw, so the runner's other draws stay the same
        loc = template["runner_score_loc"]
        below, within = (norm.cdf(b - loc) for b in template["runner_score_range"])
        scores = loc + norm.ppf(below + norm.cdf(scores) * (within - below))
    mean, sd, low, high = ARM_COMPLIANCE
    return {
        # faster runners step faster (RBDS: 154, 162, 174 steps/min at 2.5, 3.5, 4.5 m/s, docs/science.md 11)
        "cadence_spm": float(np.clip(166 + 12 * (speed - 3200) / 1000 + draw(6.0), 150, 195)),
        # stance / step time: RBDS at 3.5 m/s 0.66, the overground jogger 0.75
        "duty": float(np.clip(0.70 - 0.05 * (speed - 3200) / 1000 + draw(0.025), 0.6, 0.8)),
        "belt_mm_s": float(speed),
        "mass_kg": rng.uniform(55, 85) if var else 70.0,
        "shape": (template["mean"] + scores @ template["runner_pc"]).round(6).tolist(),
        "offset_deg": draw(template["offset_sd_deg"]),  # running tilt, + right side up
        "effect_dev": {c: draw(spec.effect_sd_deg) for c in DEFAULT_EFFECTS_DEG},
        "arm_swing_mm": rng.uniform(170, 280) if var else 220.0,
        "arm_compliance": float(np.clip(rng.normal(mean, sd), low, high)) if var else 1.0,
        "strike_type": str(rng.choice(list(STRIKE_TYPES), p=list(STRIKE_TYPES.values()))) if var else "rearfoot",
        "half_width_mm": rng.uniform(50, 110) if var else 100.0,  # half the lateral distance between the feet
        # drawn last, so that the draws above stay those of cohorts simulated before crossover was
        "crossover_mm": rng.uniform(0.0, 50.0) if var else 30.0,  # peak crossing of the midline, mm (+ = across)
        "amplitude_instead": False,
    }


def simulate_cohort(directory: str | Path, spec: CohortSpec | None = None) -> pd.DataFrame:
    """Write a cohort of C3D files, ``trials.tsv`` and ``truth.json`` into ``directory``; return the sheet.

    Paths in the sheet are relative to the sheet's own folder.
    """
    spec = spec or CohortSpec()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rows, truth_stances, subjects, realised = [], [], {}, []
    for i in range(spec.n_subjects):
        subject = f"S{i + 1:02d}"
        # one stream per runner and one per trial: a runner stays the same whatever the trials' length or number
        runner = draw_runner(np.random.default_rng([spec.seed, i]), spec)
        if spec.emg:  # a stream of its own: the runners' other draws stay as they are
            runner["emg"] = runner_emg(np.random.default_rng([spec.seed, i, 7701]), spec.variation)
        mvc_path = ""
        if spec.emg_mvc:
            if not spec.emg:
                raise ValueError("CohortSpec: emg_mvc writes each runner's MVC of its EMG: it needs emg=True")
            mvc_path, runner["emg"]["mvc_mv"] = write_runner_mvc(directory, subject, runner,
                                                                 seed=[spec.seed, i, 7702], variation=spec.variation)
        runner["amplitude_instead"] = spec.arm_swing_target == "crossover" and i < spec.amplitude_instead
        subjects[subject] = runner
        for c, condition in enumerate(CONDITIONS):
            for trial in range(1, spec.trials_per_condition + 1):
                rng = np.random.default_rng([spec.seed, i, c, trial])
                start_min = (trial - 1) * spec.trial_interval_min
                sim = simulate_trial(rng, spec=spec, runner=runner, condition=condition, time_into_run_min=start_min)
                name = f"{subject}_{condition}_{trial}.c3d"
                write_c3d(
                    directory / name, sim["markers"], list(MARKERS), rate_hz=spec.rate_hz,
                    events=sim["events"] if spec.events else None,
                    **analog_channels(sim["forces"], FORCE_LABELS, sim["emg"]), analog_rate_hz=ANALOG_RATE_HZ,
                    force_plate=TREADMILL_PLATE if spec.force_plate else None,
                )
                rows.append({
                    "subject": subject, "condition": condition, "trial": trial, "path": name,
                    "target_cadence_change_pct": sim["target_cadence_change_pct"], "arm_swing": sim["arm_swing"],
                    **({"arm_swing_target": "crossover" if sim["arm_swing"] == CROSSOVER_INSTRUCTION else "amplitude"}
                       if spec.arm_swing_target != "amplitude" else {}),
                    **({"time_into_run_min": start_min} if spec.trial_interval_min > 0 else {}),
                    **({"mvc": mvc_path} if spec.emg_mvc else {}),
                })
                st = sim["stances"].assign(subject=subject, condition=condition, trial=trial)
                truth_stances += st.round(6).to_dict("records")
                realised.append({"subject": subject, "condition": condition, "effect_deg": sim["effect_deg"],
                                 "achieved_cadence_change_pct": sim["achieved_cadence_change_pct"],
                                 "arm_swing_mm": sim["arm_swing_mm"], "arm_crossover_mm": sim["arm_crossover_mm"]})
        if spec.static_trial:
            name = f"{subject}_static_1.c3d"
            write_c3d(directory / name, simulate_static(np.random.default_rng([spec.seed, i, 99]), spec=spec),
                      list(MARKERS), rate_hz=spec.rate_hz)
            rows.append({"subject": subject, "condition": "static", "trial": 1, "path": name,
                         "target_cadence_change_pct": 0.0, "arm_swing": "normal", "static": True})
    sheet = pd.DataFrame(rows)
    if spec.static_trial:
        sheet["static"] = sheet["static"].fillna(False).astype(bool)
    sheet.to_csv(directory / "trials.tsv", sep="\t", index=False)
    per_runner = pd.DataFrame(realised).groupby(["condition", "subject"])["effect_deg"].mean()
    truth = {
        # the population effect of each condition at its instructed target (cadence conditions) or as instructed
        "effects_deg": spec.effects_deg,
        # the population's expected effect at the cadence runners achieve (what a study's CIs are about)
        "population_effects_deg": {c: population_effect(spec, c) for c in spec.effects_deg},
        # what a within-subject design estimates: the mean of this cohort's own realised effects (at the cadence
        # each runner achieved, plus the drawn subjects' deviations)
        "cohort_effects_deg": {c: float(per_runner[c].mean()) for c in spec.effects_deg},
        # peak drop change per 1 % achieved cadence change, the same for every runner (deg per %)
        "dose_response_deg_per_pct": spec.dose_deg_per_pct(),
        "trial_effects": realised,
        "spec": asdict(spec),
        "subjects": subjects,
        **({"emg": emg_truth(spec, subjects, truth_stances)} if spec.emg else {}),
        "stances": truth_stances,
    }
    (directory / "truth.json").write_text(json.dumps(truth, indent=1, default=float))
    return sheet
