"""Randomised property test of the whole statistics layer: valid but extreme studies never crash it or make it say
something absurd.

Each seed draws one study (``random_study``): 3 to 6 runners; between-runner, effect and stride-to-stride SDs from
zero through 1e-9 to 1e3 deg; perfectly consistent effects; an outlying runner; one trial or one stance per
condition, unbalanced and missing cells, runners without baseline, one side only, NaN metrics and excluded
stances, a second task. It goes through the functions the workflow's statistics scripts call (workflow/scripts/
check_manipulation, summarise_subjects, fit_effects, fit_dose_response, classify_responders, estimate_power,
map_waveforms, summarise_run) with the configuration's defaults (config/config.yaml ``stats``), the tables the
summary reads as read back from CSV. ``absurdities`` lists what no table may hold: an infinite value, a CI that
does not contain its estimate, a negative SE, SD or MDC, a p outside [0, 1], a missing number without a reason.

benchmarks/stats_property.py runs the same generator over thousands of studies.
"""

from __future__ import annotations

import io
import re
import time
import warnings
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
import xarray as xr

pytest.importorskip("spm1d")

from hipdrop.cohort.summary import run_summary  # noqa: E402
from hipdrop.stats.design import manipulation_check  # noqa: E402
from hipdrop.stats.dose_response import cadence_conditions, dose_response  # noqa: E402
from hipdrop.stats.effects import effects_per_task  # noqa: E402
from hipdrop.stats.power import power_table  # noqa: E402
from hipdrop.stats.responders import NOT_ASSESSABLE, responder_table  # noqa: E402
from hipdrop.stats.subjects import subject_table  # noqa: E402
from hipdrop.stats.tasks import TASK, is_running, per_task  # noqa: E402
from hipdrop.stats.waveforms import spm_per_task, t_table  # noqa: E402
from hipdrop.vocab import PCT, RUNNING, STANCE  # noqa: E402

#: config/config.yaml ``stats`` defaults, as the workflow passes them
BASELINE, METRICS, MIN_SUBJECTS, ALPHA, POWER, SMALLEST_EFFECT_DEG = "baseline", ["cpd_peak_deg", "cpd_excursion_deg"], 3, 0.05, 0.8, 1.0
#: running's conditions: (target cadence change %, arm-swing instruction, true population effect on peak drop, deg)
RUNNING_CONDITIONS = {"baseline": (0.0, "normal", 0.0), "cadence_plus5": (5.0, "normal", -0.75),
                      "cadence_plus10": (10.0, "normal", -1.5), "arm_swing": (0.0, "reduced", -0.5)}
SQUAT_CONDITIONS = {"baseline": (np.nan, "normal", 0.0), "post_training": (np.nan, "normal", -3.0)}
#: SDs drawn for the between-runner, effect and stride-to-stride spread (deg): none, rounding-sized, realistic
#: (science.md section 11: 1.5 between runners, 0.5 of an effect, 0.6 stride to stride), absurdly large
SPREADS = (0.0, 1e-9, 0.6, 1.5, 1e3)
STANCE_COUNTS = (1, 2, 5, 20)  # per trial and runner-condition
POINTS = 51  # samples of a stance curve, 0-100 %
#: the test's studies and metrics: within about a minute of one core (0.3 cpu-s a study with one metric; the
#: second metric takes the same code paths); benchmarks/stats_property.py runs thousands with both
STUDIES, TEST_METRICS = 200, ["cpd_peak_deg"]


@dataclass
class Study:
    """A generated study: the stance table (one row per stance, as stances.parquet) and its obliquity curves."""

    stances: pd.DataFrame
    curves: xr.DataArray
    traits: str  # what was drawn, for the failure message


def _bump(pct: np.ndarray) -> np.ndarray:
    """A stance-shaped bump on 0-100 %: 0 at both ends, 1 at 30 % (as hipdrop.simulate.running's)."""
    s = pct / 100.0
    return s**3 * (1 - s) ** 7 / (0.3**3 * 0.7**7)


def random_study(rng: np.random.Generator) -> Study:
    """One valid study at the extremes (see the module docstring); every draw from ``rng``."""
    pick = lambda options: options[rng.integers(len(options))]
    n_runners = int(rng.integers(3, 7))
    between, effect_sd, stride = pick(SPREADS), pick(SPREADS), pick(SPREADS)
    outlier = rng.uniform() < 0.2
    one_side = rng.uniform() < 0.2
    trials = int(pick((1, 1, 2, 3)))
    balanced = rng.uniform() < 0.5
    fixed_count = int(pick(STANCE_COUNTS))
    missing_share = pick((0.0, 0.0, 0.2, 0.5))
    nan_share, excluded_share = pick((0.0, 0.0, 0.1, 0.5)), pick((0.0, 0.0, 0.2, 0.9))
    tasks = {RUNNING: RUNNING_CONDITIONS} | ({"single_leg_squat": SQUAT_CONDITIONS} if rng.uniform() < 0.25 else {})
    kept = [c for c in RUNNING_CONDITIONS if c == BASELINE or rng.uniform() < 0.8]
    rows = []
    for task, conditions in tasks.items():
        for r in range(n_runners):
            subject = f"S{r + 1}"
            level = 6.0 + rng.normal(0, between) + (100.0 if outlier and r == 0 else 0.0)
            step = 0.35 * (1 + rng.normal(0, 0.03))
            swing = rng.uniform(170, 280)
            for condition, (target, arms, effect) in conditions.items():
                if task == RUNNING and condition not in kept:
                    continue
                if rng.uniform() < missing_share:
                    continue  # a missing cell: this runner did not run this condition (its baseline too, at times)
                achieved = (target if np.isfinite(target) else 0.0) * rng.uniform(0.7, 1.05)
                own = effect + (rng.normal(0, effect_sd) if condition != BASELINE else 0.0)
                own += 20.0 if outlier and r == 0 and condition != BASELINE else 0.0
                for trial in range(1, trials + 1):
                    count = fixed_count if balanced else int(pick(STANCE_COUNTS))
                    for k in range(count):
                        side = "L" if one_side else "LR"[k % 2]
                        peak = level + own + rng.normal(0, stride)
                        rows.append({
                            TASK: task, "subject": subject, "condition": condition, "trial": str(trial), "side": side,
                            "strike_s": 0.1 + k * step, "cpd_peak_deg": peak,
                            "cpd_excursion_deg": 1.4 * peak + rng.normal(0, stride),
                            "step_time_s": step / (1 + achieved / 100) * (1 + rng.normal(0, 0.01))
                            if task == RUNNING else np.nan,
                            "arm_swing_mm": swing * (0.6 if arms == "reduced" else 1.0) if task == RUNNING else np.nan,
                            "target_cadence_change_pct": target, "arm_swing": arms,
                        })
    stances = pd.DataFrame(rows)
    if stances.empty or BASELINE not in set(stances["condition"]):  # every cell went missing: keep one baseline
        return random_study(rng)
    stances["cadence_spm"] = 60.0 / stances["step_time_s"]
    n = len(stances)
    for metric in METRICS:
        stances.loc[rng.uniform(size=n) < nan_share, metric] = np.nan
    stances["excluded"] = rng.uniform(size=n) < excluded_share
    stances["exclude_reason"] = np.where(stances["excluded"], "stance time 0.6 s outside [0.1, 0.5] s", "")
    pct = np.linspace(0, 100, POINTS)
    shapes = stances["cpd_peak_deg"].to_numpy()[:, None] * _bump(pct)[None, :]
    shapes = shapes + rng.normal(0, 0.05, shapes.shape)
    curves = xr.DataArray(shapes, dims=(STANCE, PCT), coords={
        STANCE: np.arange(n), PCT: pct, **{c: (STANCE, stances[c].to_numpy()) for c in
                                          ("subject", "condition", "side", "excluded", TASK)}})
    traits = (f"{n_runners} runners, SDs between {between:g}, effect {effect_sd:g}, stride {stride:g} deg, "
              f"outlier {outlier}, one side {one_side}, {trials} trial(s), balanced {balanced} ({fixed_count}), "
              f"missing {missing_share}, NaN {nan_share}, excluded {excluded_share}, tasks {list(tasks)}, "
              f"conditions {kept}")
    return Study(stances, curves, traits)


def _read_back(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` written as CSV and read back, as the summary reads the run's tables."""
    buffer = io.StringIO()
    table.to_csv(buffer, index=False)
    buffer.seek(0)
    return pd.read_csv(buffer)


def analyse(study: Study, *, metrics: list[str] = METRICS) -> dict:
    """Every statistics table of the workflow (workflow/scripts/*.py, the same calls and defaults) and the summary,
    the effects on ``metrics``."""
    stances = study.stances
    checks = per_task(stances, lambda rows: manipulation_check(rows, baseline=BASELINE))
    subjects = per_task(stances, lambda rows: subject_table(rows, baseline=BASELINE))
    effects, components, notes = effects_per_task(stances, _read_back(checks), baseline=BASELINE, metrics=metrics,
                                                  min_subjects=MIN_SUBJECTS, alpha=ALPHA, exclude_confounded=False)
    dose = per_task(stances, lambda rows: dose_response(rows, baseline=BASELINE, cadence_conditions=cadence_conditions(rows),
                                                        min_subjects=MIN_SUBJECTS, alpha=ALPHA), only=is_running)
    responders = per_task(stances, lambda rows: responder_table(rows, baseline=BASELINE))
    power = per_task(_read_back(components), lambda rows: power_table(rows, alpha=ALPHA, power=POWER,
                                                                     smallest_effect_deg=SMALLEST_EFFECT_DEG))
    curves = study.curves
    tasks = sorted(set(curves[TASK].values), key=lambda t: (t != RUNNING, t))
    waves = spm_per_task(lambda task: [curves[curves[TASK] == task]], tasks, baseline=BASELINE, alpha=ALPHA,
                         min_subjects=MIN_SUBJECTS)
    trials = stances[["subject", "condition", "trial"]].drop_duplicates().assign(status="ok")
    summary = run_summary({"trials": trials, "effects": _read_back(effects), "manipulation": _read_back(checks),
                           "responders": _read_back(responders), "dose_response": _read_back(dose),
                           "stances": stances}, sheet_problems=[], quarantine_path="qc/quarantine.csv")
    return {"manipulation": checks, "subjects": subjects, "effects": effects, "components": components, "notes": notes,
            "dose_response": dose, "responders": responders, "power": power, "clusters": waves.clusters,
            "spm_t": t_table(waves), "summary": summary}


def _blank(value) -> bool:
    return not isinstance(value, str) or not value.strip()


def absurdities(tables: dict) -> list[str]:
    """What no statistics table may hold, one sentence per finding (empty when all is well)."""
    found = []
    for name, table in tables.items():
        if isinstance(table, pd.DataFrame):
            numbers = table.select_dtypes("number").astype(float)
            if np.isinf(numbers.to_numpy()).any():
                found.append(f"{name}: infinite value in {list(numbers.columns[np.isinf(numbers).any()])}")

    def interval(where, estimate, se, low, high, p=None):
        if not np.isfinite([estimate, low, high]).all():
            found.append(f"{where}: estimate or CI not finite ({estimate}, {low}, {high})")
        elif not low <= estimate <= high:
            found.append(f"{where}: CI {low}..{high} does not contain its estimate {estimate}")
        if se is not None and not (np.isfinite(se) and se >= 0):
            found.append(f"{where}: SE {se}")
        if p is not None and np.isfinite(p) and not 0 <= p <= 1:
            found.append(f"{where}: p {p}")

    for row in tables["effects"].itertuples():
        where = f"effects {row.task} {row.metric} {row.term} ({row.analysis})"
        if row.estimable:
            interval(where, row.estimate_deg, row.se_deg, row.ci_low, row.ci_high, row.p)
            if not np.isfinite(row.p) and _blank(row.reason):
                found.append(f"{where}: p NaN without a reason")
            if np.isfinite(row.p_holm) and not row.p <= row.p_holm <= 1:
                found.append(f"{where}: p_holm {row.p_holm} for p {row.p}")
            if row.analysis == "rm-anova":
                if np.isfinite(row.effect_size_dz):
                    interval(where + " d_z", row.effect_size_dz, None, row.dz_ci_low, row.dz_ci_high)
                elif _blank(row.reason):
                    found.append(f"{where}: d_z NaN without a reason")
        else:
            if _blank(row.reason):
                found.append(f"{where}: not estimable without a reason")
            if np.isfinite([row.estimate_deg, row.se_deg, row.p]).any():
                found.append(f"{where}: not estimable but carries numbers")
    subjects = tables["subjects"]
    if (subjects["sd"] < 0).any() or (subjects["n_values"] > subjects["n_included"]).any():
        found.append("subjects: negative SD or more values than included stances")
    if (np.isfinite(subjects["mean"].astype(float)) != (subjects["n_values"] > 0)).any():
        found.append("subjects: a mean without values, or values without a mean")
    for row in tables["dose_response"].itertuples():
        where = f"dose-response {row.level} {row.subject}"
        if row.level == "population" and row.estimable:
            interval(where, row.slope_deg_per_pct, row.se, row.ci_low, row.ci_high, row.p)
        elif row.level == "runner":
            if not np.isfinite(row.slope_deg_per_pct):
                found.append(f"{where}: runner slope not finite")
            if not np.isfinite(row.own_slope_deg_per_pct) and _blank(row.reason):
                found.append(f"{where}: own slope NaN without a reason")
        elif _blank(row.reason):
            found.append(f"{where}: not estimable without a reason")
    for row in tables["responders"].itertuples():
        where = f"responders {row.task} {row.subject} {row.condition}"
        if row.responder == NOT_ASSESSABLE:
            if _blank(row.reason):
                found.append(f"{where}: not assessable without a reason")
        elif not (np.isfinite([row.change_deg, row.se_change_deg, row.mdc95_deg]).all()
                  and row.se_change_deg >= 0 and row.mdc95_deg >= 0):
            found.append(f"{where}: change {row.change_deg}, SE {row.se_change_deg}, MDC {row.mdc95_deg}")
    for row in tables["power"].itertuples():
        where = f"power {row.task} {row.metric} {row.condition}"
        if np.isfinite(row.sd_change_deg) and row.sd_change_deg < 0:
            found.append(f"{where}: SD of the change {row.sd_change_deg}")
        for count in (row.runners_for_observed_effect, row.runners_for_smallest_effect):
            if pd.isna(count) and _blank(row.note):
                found.append(f"{where}: no runner count and no note")
            elif not pd.isna(count) and count < 2:
                found.append(f"{where}: {count} runners")
    for row in tables["clusters"].itertuples():
        where = f"waveforms {row.task} {row.condition} cluster {row.cluster}"
        if not row.estimable:
            if _blank(row.reason):
                found.append(f"{where}: not tested without a reason")
            continue
        if not (np.isfinite(row.threshold_t) and row.threshold_t > 0):
            found.append(f"{where}: threshold {row.threshold_t}")
        if row.cluster > 0 and not (0 <= row.p <= 1 and row.start_pct <= row.peak_pct <= row.end_pct):
            found.append(f"{where}: p {row.p}, {row.start_pct}-{row.end_pct} % peaking at {row.peak_pct}")
    # the numbers a reader sees, not the reasons: a model's rejection may quote an optimizer's "log-likelihood inf"
    numbers = "\n".join(line.split("not estimable")[0] for line in tables["summary"].splitlines()
                        if not line.startswith("model:"))
    words = re.findall(r"\b(?:nan|inf)\b", numbers, flags=re.IGNORECASE)
    if words:
        found.append(f"summary: prints {sorted(set(words))}")
    return found


def run_studies(seeds, *, metrics: list[str] = METRICS, on_result=None) -> list[str]:
    """Generate and analyse one study per seed; one line per problem of a seed that raised or gave an absurd
    value. ``on_result(seed, problems)`` after each study."""
    problems = []
    for seed in seeds:
        study = random_study(np.random.default_rng([2828, seed]))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tables = analyse(study, metrics=metrics)
            found = absurdities(tables)
        except Exception as error:  # noqa: BLE001 - the property: nothing raises; the seed says which study did
            found = [f"{type(error).__name__}: {error}"]
        problems += [f"seed {seed} ({study.traits}): {f}" for f in found]
        if on_result is not None:
            on_result(seed, found)
    return problems


def test_extreme_studies_never_crash_or_give_absurd_numbers():
    start = time.perf_counter()
    problems = run_studies(range(STUDIES), metrics=TEST_METRICS)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:20])
    assert time.perf_counter() - start < 600  # a minute on an idle core; room for a shared machine
