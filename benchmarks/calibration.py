"""Calibration of the statistics, measured: simulated studies through the real per-trial pipeline and both analyses.

    python benchmarks/calibration.py [--studies 200] [--subjects 8] [--duration 8] [--cores 2] [--out DIR]
                                     [--source c3d|stances]

Each study: ``hipdrop.simulate.running`` writes a cohort of C3D files (a new seed per study), ``hipdrop.cohort.batches.analyse_trials``
runs every trial through ``process_trial``, then ``hipdrop.stats.effects.both_analyses`` fits the mixed model and the
rm-ANOVA on peak drop. ``--source stances`` skips the C3D files and the per-trial pipeline: the stance table is the
simulator's own (``simulate_trial``'s true peaks and steps of the same runners, trials and seeds), which tests the
statistics alone at about 1/14 of the cost (0.74 against 10.5 s wall per 5-runner study, one worker on 2 shared
cores); the stance measurement the C3D route adds is the peak bias table's (a condition-dependent part under
0.01 deg). Two sets of studies: with the default true effects (coverage of each condition's 95 % CI of
the population's true effect, ``truth.json`` population_effects_deg: the expected effect at the cadence runners
achieve) and with every true effect zero (type-I error:
share of studies with p < 0.05 per condition, before Holm). Both with their binomial SE. The responders
(``hipdrop.stats.responders.responder_table``) against each runner's true change (its trials' realised effects,
``truth.json`` trial_effects): misclassified when the call differs from the class of the true change against the
same MDC95, and a wrong direction when a runner is called improved (worsened) whose true change is not below (above)
zero. Beside them, the bias of every measured stance peak
against the simulator's true peak, per condition (matched on side and strike time within 6 ms), and its
condition-dependent part (each condition's mean bias minus the baseline's). Prints the tables; ``--out`` keeps
one CSV row per study and condition. Not part of the test run (about 6 s per 8-runner study on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd


def stance_study(spec) -> tuple[pd.DataFrame, dict]:
    """The stance table and truth of ``simulate_cohort(spec)`` without C3D files: the same runners and trial streams
    (``np.random.default_rng([seed, runner])`` and ``[seed, runner, condition, trial]``), every visible stance
    included with its true peak, its step time (to the next strike) and the trial's arm swing."""
    from hipdrop.simulate.running import CONDITIONS, draw_runner, population_effect, simulate_trial

    rows, realised = [], []
    for i in range(spec.n_subjects):
        subject = f"S{i + 1:02d}"
        runner = draw_runner(np.random.default_rng([spec.seed, i]), spec)
        for c, condition in enumerate(CONDITIONS):
            for trial in range(1, spec.trials_per_condition + 1):
                sim = simulate_trial(np.random.default_rng([spec.seed, i, c, trial]), spec=spec, runner=runner,
                                     condition=condition)
                stances = sim["stances"].sort_values("strike_s")
                rows.append(stances.assign(
                    subject=subject, condition=condition, trial=str(trial), excluded=False,
                    step_time_s=stances["strike_s"].diff().shift(-1), arm_swing_mm=sim["arm_swing_mm"],
                    target_cadence_change_pct=sim["target_cadence_change_pct"], arm_swing=sim["arm_swing"],
                ).iloc[:-1])  # the last stance has no next strike
                realised.append({"subject": subject, "condition": condition, "effect_deg": sim["effect_deg"]})
    truth = {"population_effects_deg": {c: population_effect(spec, c) for c in spec.effects_deg},
             "trial_effects": realised}
    per_runner = pd.DataFrame(realised).groupby(["condition", "subject"])["effect_deg"].mean()
    truth["cohort_effects_deg"] = {c: float(per_runner[c].mean()) for c in spec.effects_deg}
    return pd.concat(rows, ignore_index=True), truth


def responder_errors(stances: pd.DataFrame, truth: dict) -> pd.DataFrame:
    """``responder_table`` beside each runner's true change (mean realised effect of its trials of the condition
    minus that of its baseline trials, deg) and the class that true change has against the same MDC95."""
    from hipdrop.stats.responders import IMPROVED, NOT_ASSESSABLE, UNCHANGED, WORSENED, responder_table

    calls = responder_table(stances, baseline="baseline")
    calls = calls[calls["responder"] != NOT_ASSESSABLE]
    effects = pd.DataFrame(truth["trial_effects"]).groupby(["subject", "condition"])["effect_deg"].mean()
    base = effects.xs("baseline", level="condition")
    true = effects.reindex(pd.MultiIndex.from_frame(calls[["subject", "condition"]])).to_numpy()
    calls = calls.assign(true_change_deg=true - calls["subject"].map(base).to_numpy())
    change, mdc = calls["true_change_deg"], calls["mdc95_deg"]
    calls["true_class"] = np.where(change < -mdc, IMPROVED, np.where(change > mdc, WORSENED, UNCHANGED))
    calls["misclassified"] = calls["responder"] != calls["true_class"]
    calls["wrong_direction"] = (((calls["responder"] == IMPROVED) & (change >= 0))
                                | ((calls["responder"] == WORSENED) & (change <= 0)))
    return calls[["subject", "condition", "change_deg", "true_change_deg", "mdc95_deg", "responder", "true_class",
                  "misclassified", "wrong_direction"]]


def one_study(seed: int, *, null: bool, subjects: int, duration: float, source: str = "c3d",
              ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Effects (both analyses, peak drop) beside the cohort's truth, the per-stance peak errors (C3D route only) and
    the responder calls beside the truth."""
    from hipdrop.simulate.running import CohortSpec
    from hipdrop.stats.design import manipulation_check
    from hipdrop.stats.effects import both_analyses

    warnings.simplefilter("ignore")
    spec = CohortSpec(n_subjects=subjects, duration_s=duration, seed=seed)
    if null:
        spec.effects_deg = dict.fromkeys(spec.effects_deg, 0.0)
    if source == "stances":
        stances, truth = stance_study(spec)
        peaks = pd.DataFrame(columns=["condition", "stance_time_s", "error_deg"])
    else:
        stances, truth = c3d_study(spec)
        true = pd.DataFrame(truth["stances"]).astype({"trial": str, "subject": str})
        kept = stances[~stances["excluded"]].astype({"trial": str})
        peaks = pd.merge_asof(kept.sort_values("strike_s"), true.sort_values("strike_s"), on="strike_s",
                              by=["subject", "condition", "trial", "side"], tolerance=0.006, direction="nearest",
                              suffixes=("", "_true")).dropna(subset=["cpd_peak_deg_true"])
        peaks = peaks.assign(error_deg=peaks["cpd_peak_deg"] - peaks["cpd_peak_deg_true"])
    effects, _, _ = both_analyses(stances, manipulation_check(stances, baseline="baseline"), baseline="baseline",
                                  metrics=["cpd_peak_deg"])
    effects["condition"] = effects["term"].str[len("condition[") : -1]
    effects["truth_deg"] = effects["condition"].map(truth["population_effects_deg"])
    effects["cohort_truth_deg"] = effects["condition"].map(truth["cohort_effects_deg"])
    effects["covered"] = (effects["ci_low"] <= effects["truth_deg"]) & (effects["truth_deg"] <= effects["ci_high"])
    effects["covers_cohort"] = (effects["ci_low"] <= effects["cohort_truth_deg"]) & (effects["cohort_truth_deg"] <= effects["ci_high"])
    effects["significant"] = effects["p"] < 0.05
    effects["seed"], effects["null"] = seed, null
    peaks = peaks.assign(seed=seed, null=null)
    responders = responder_errors(stances, truth).assign(seed=seed, null=null)
    return (effects[["seed", "null", "analysis", "condition", "estimate_deg", "se_deg", "ci_low", "ci_high", "p",
                     "truth_deg", "covered", "cohort_truth_deg", "covers_cohort", "significant", "estimable", "model"]],
            peaks[["seed", "null", "condition", "stance_time_s", "error_deg"]], responders)


def c3d_study(spec) -> tuple[pd.DataFrame, dict]:
    """The stance table of ``simulate_cohort(spec)``'s C3D files through ``analyse_trials``, and its truth."""
    from hipdrop.cohort.batches import analyse_trials
    from hipdrop.config import load_sheet, validate_config
    from hipdrop.simulate.running import simulate_cohort

    with tempfile.TemporaryDirectory() as tmp:
        simulate_cohort(tmp, spec)
        truth = json.loads((Path(tmp) / "truth.json").read_text())
        out = analyse_trials(load_sheet(Path(tmp) / "trials.tsv"), config=validate_config({}), workers=1)
    return out["stances"], truth


def _run(args_tuple):
    seed, null, subjects, duration, source = args_tuple
    return one_study(seed, null=null, subjects=subjects, duration=duration, source=source)


def study_jobs(args: argparse.Namespace) -> list[tuple]:
    """One job per study: (seed, null, subjects, duration, source), the ``--studies`` seeds from ``--seed`` for each
    set of ``--sets`` (effects: the default true effects; null: every true effect zero)."""
    sets = [{"effects": False, "null": True}[name] for name in args.sets.split(",")]
    return [(args.seed + k, null, args.subjects, args.duration, args.source) for null in sets
            for k in range(args.studies)]


def in_fresh_pools(run, jobs: list, *, cores: int) -> list:
    """``run`` over ``jobs`` on ``cores`` worker processes, a fresh pool every few jobs: ezc3d's writer keeps about
    3.5 MB per file written, so long-lived workers would grow by gigabytes over a few hundred studies
    (max_tasks_per_child hangs on Python 3.11)."""
    results = []
    for k in range(0, len(jobs), 4 * cores):
        with ProcessPoolExecutor(cores) as pool:
            results += list(pool.map(run, jobs[k : k + 4 * cores]))
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--studies", type=int, default=200, help="studies per set (with effects, and null)")
    parser.add_argument("--subjects", type=int, default=8)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per trial")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--seed", type=int, default=10_000, help="first study's seed")
    parser.add_argument("--out", type=Path, help="folder for the per-study CSVs")
    parser.add_argument("--sets", default="effects,null", help="which sets of studies: effects, null or both")
    parser.add_argument("--source", choices=("c3d", "stances"), default="c3d",
                        help="c3d: the whole pipeline; stances: the simulator's stance table, statistics only")
    args = parser.parse_args()
    start = time.perf_counter()
    results = in_fresh_pools(_run, study_jobs(args), cores=args.cores)
    effects = pd.concat([r[0] for r in results], ignore_index=True)
    peaks = pd.concat([r[1] for r in results], ignore_index=True)
    responders = pd.concat([r[2] for r in results], ignore_index=True)
    print(f"{args.studies} studies per set ({args.sets}) of {args.subjects} runners x 4 "
          f"conditions x {args.duration:g} s from {args.source}, in {time.perf_counter() - start:.0f} s\n")
    ok = effects[effects["estimable"].astype(bool)]
    with_effects, null = ok[~ok["null"]], ok[ok["null"]]
    if with_effects.empty or null.empty:
        print("(a set was not run: its table is empty)\n")
    coverage = with_effects.groupby(["analysis", "condition"]).agg(
        coverage=("covered", "mean"), studies=("covered", "size"), bias_deg=("estimate_deg", "mean"),
        truth_deg=("truth_deg", "first"), sd_estimate=("estimate_deg", "std"), mean_se=("se_deg", "mean"),
        covers_cohort=("covers_cohort", "mean"))
    coverage["bias_deg"] -= coverage["truth_deg"]
    coverage["binomial_se"] = np.sqrt(0.95 * 0.05 / coverage["studies"])
    print("95 % CI coverage of the population's true effect at the achieved cadence (target 0.93-0.97); "
          "covers_cohort: of this cohort's own mean effect, which the CI is not about (near 1 by design):\n"
          + coverage.round(4).to_string() + "\n")
    type_one = null.groupby(["analysis", "condition"])["significant"].agg(["mean", "size"])
    type_one["binomial_se"] = np.sqrt(0.05 * 0.95 / type_one["size"])
    print("type-I error at alpha 0.05, true effects zero (target <= 0.05):\n" + type_one.round(4).to_string() + "\n")
    family = ok["model"].str.split(";").str[0].where(ok["analysis"] != "rm-anova", "rm-ANOVA on subject means")
    print("models used:\n" + ok.groupby(["analysis", family]).size().to_string() + "\n")
    calls = responders.groupby("null").agg(misclassified=("misclassified", "mean"),
                                            wrong_direction=("wrong_direction", "mean"),
                                            assessed=("misclassified", "size"))
    calls["binomial_se"] = np.sqrt(calls["misclassified"] * (1 - calls["misclassified"]) / calls["assessed"])
    print("responders (assessed runner x condition calls; misclassified: call differs from the true change's class "
          "against the same MDC95; wrong direction: improved/worsened against the sign of the true change):\n"
          + calls.round(4).to_string() + "\n")
    bias = peaks.groupby("condition").agg(mean_error_deg=("error_deg", "mean"), se=("error_deg", "sem"),
                                           stances=("error_deg", "size"), stance_time_s=("stance_time_s", "mean"))
    bias["condition_dependent_deg"] = bias["mean_error_deg"] - bias["mean_error_deg"].get("baseline", np.nan)
    print("measured minus true stance peak, per condition (target: condition-dependent part < 0.01 deg):\n"
          + bias.round(4).to_string())
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        effects.to_csv(args.out / "calibration_effects.csv", index=False)
        bias.to_csv(args.out / "calibration_peak_bias.csv")
        responders.to_csv(args.out / "calibration_responders.csv", index=False)


if __name__ == "__main__":
    main()
