"""The real Snakemake workflow on tiny simulated cohorts, checked against the simulator's truth."""

import json
import re
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from hipdrop.simulate.running import CohortSpec, simulate_cohort
from tests.conftest import ROOT, corpus_rows, shared_file

pytestmark = pytest.mark.workflow


def run_workflow(workdir, *extra, check=True):
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory", str(workdir),
               "--cores", "2", "--nolock", *extra]
    done = subprocess.run(command, capture_output=True, text=True)
    if check and done.returncode != 0:
        pytest.fail(f"snakemake failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return done


def make_study(tmp_path, spec, *, extra_rows=(), **config):
    data = tmp_path / "data"
    simulate_cohort(data, spec)
    sheet = pd.read_csv(data / "trials.tsv", sep="\t")
    sheet = pd.concat([sheet, pd.DataFrame(list(extra_rows))], ignore_index=True)
    (tmp_path / "config").mkdir()
    sheet.to_csv(tmp_path / "data" / "trials.tsv", sep="\t", index=False)
    config = {"trials": "data/trials.tsv", **config}
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    return json.loads((data / "truth.json").read_text())


@pytest.fixture(scope="module")
def exact_run(tmp_path_factory):
    """No subject, stride, timing or marker variation: every estimate must equal the truth."""
    tmp = tmp_path_factory.mktemp("exact")
    truth = make_study(tmp, CohortSpec(n_subjects=3, duration_s=8.0, variation=False))
    run_workflow(tmp)
    return tmp, truth


def test_effects_equal_truth_without_variation(exact_run):
    tmp, truth = exact_run
    effects = pd.read_csv(tmp / "results" / "stats" / "effects.csv")
    assert {"term", "estimate_deg", "ci_low", "ci_high", "p", "p_holm", "model"} <= set(effects.columns)
    for analysis in ("mixed model", "rm-anova"):
        peak = effects[(effects.metric == "cpd_peak_deg") & (effects.analysis == analysis)].set_index("term")
        assert len(peak) == 3
        for condition, effect in truth["effects_deg"].items():
            assert peak.loc[f"condition[{condition}]", "estimate_deg"] == pytest.approx(effect, abs=0.05), analysis


def test_every_stance_peak_equals_truth_without_variation(exact_run):
    tmp, truth = exact_run
    stances = pd.read_parquet(tmp / "results" / "stances.parquet")
    true = pd.DataFrame(truth["stances"])
    assert not stances.excluded.any()
    merged = pd.merge_asof(
        stances.sort_values("strike_s"), true.sort_values("strike_s").astype({"trial": str}),
        on="strike_s", by=["subject", "condition", "trial", "side"], tolerance=0.006, direction="nearest",
        suffixes=("", "_true"),
    )
    assert merged["cpd_peak_deg_true"].notna().all()
    assert np.abs(merged.cpd_peak_deg - merged.cpd_peak_deg_true).max() < 0.2


def test_outputs_and_names_other_tools_rely_on(exact_run):
    tmp, _ = exact_run
    results = tmp / "results"
    stances = pd.read_csv(results / "stances.csv")
    for column in ("subject", "condition", "trial", "side", "stance_index", "strike_s", "off_s", "stance_time_s",
                   "cadence_spm", "cpd_peak_deg", "cpd_excursion_deg", "cpd_peak_pct", "arm_swing_mm", "excluded",
                   "exclude_reason"):
        assert column in stances.columns
    assert list(pd.read_csv(results / "qc" / "quarantine.csv").columns) == ["path", "stage", "reason"]
    assert (results / "figures" / "obliquity_by_condition.png").stat().st_size > 10_000
    trials = pd.read_csv(results / "qc" / "trials.csv")
    assert trials.source_sha256.str.len().eq(64).all() and trials.config_hash.notna().all()
    # arm swing measured: the reduced condition swings 60 % of normal (simulate.ARM_SWING_FACTOR)
    checks = pd.read_csv(results / "stats" / "manipulation.csv").set_index(["subject", "condition"])
    np.testing.assert_allclose(checks.xs("arm_swing", level="condition").arm_swing_change_pct, -40.0, atol=1.0)


def _readme_outputs() -> list[re.Pattern]:
    """The first column of README.md's outputs table as patterns: ``<name>`` and ``*`` one path component, a
    trailing ``/`` everything under that folder."""
    text = (ROOT / "README.md").read_text()
    table = text[text.index("## What comes out"):].split("\n\n")[1]
    patterns = []
    for line in table.splitlines()[2:]:
        for name in re.findall(r"`([^`]+)`", line.split(" | ")[0]):
            pattern = re.sub(r"<[^>]+>|\\\*", "[^/]+", re.escape(name))
            patterns.append(re.compile(pattern + (".*" if name.endswith("/") else "")))
    return patterns


def test_every_output_of_a_run_is_in_the_readme_outputs_table(exact_run):
    tmp, _ = exact_run
    results = tmp / "results"
    patterns = _readme_outputs()
    unlisted = sorted(str(path.relative_to(results)) for path in results.rglob("*") if path.is_file()
                      and not any(pattern.fullmatch(str(path.relative_to(results))) for pattern in patterns))
    assert unlisted == [], f"outputs README.md's table (What comes out) does not list: {unlisted}"


@pytest.mark.parametrize("changed, reruns", [
    ({"stats": {"alpha": 0.1}}, {"cohort_statistics", "draw_report"}),
    ({"report": {"figure_dpi": 99}}, {"draw_report"}),
])
def test_a_statistics_or_figure_setting_reruns_those_steps_not_the_trials(exact_run, changed, reruns):
    tmp, _ = exact_run
    extra = tmp / "config" / "changed.yaml"
    extra.write_text(yaml.safe_dump(changed))
    done = run_workflow(tmp, "--dry-run", "--configfile", str(tmp / "config" / "config.yaml"), str(extra))
    jobs = set(re.findall(r"^rule (\w+):", done.stdout, flags=re.M))
    assert "analyse_batch" not in jobs and "aggregate_stances" not in jobs
    assert reruns <= jobs, done.stdout[-2000:]


def test_dose_response_equals_truth_without_variation(exact_run):
    tmp, truth = exact_run
    dose = pd.read_csv(tmp / "results" / "stats" / "dose_response.csv")
    population = dose[dose.level == "population"].iloc[0]
    assert population.estimable
    assert population.slope_deg_per_pct == pytest.approx(truth["dose_response_deg_per_pct"], abs=0.01)


def test_every_statistics_output_is_written(exact_run):
    tmp, _ = exact_run
    stats = tmp / "results" / "stats"
    effects = pd.read_csv(stats / "effects.csv")
    assert set(effects.analysis) == {"mixed model", "rm-anova"} and effects.estimable.all()
    subjects = pd.read_csv(stats / "subjects.csv")
    core = {"cpd_peak_deg", "cpd_excursion_deg", "cadence_spm", "arm_swing_mm"}
    assert core <= set(subjects.metric)
    # the arm and foot measures join only where the trials measured them (the simulator writes arms and feet)
    assert {"arm_crossover_mm", "foot_strike_angle_deg"} <= set(subjects.metric)
    assert (subjects.groupby("metric")["n_values"].max() > 0).all()
    assert len(pd.read_csv(stats / "responders.csv")) == 3 * 3  # runners x conditions other than baseline
    assert pd.read_csv(stats / "power.csv").runners_for_smallest_effect.notna().all()
    assert "12 trials analysed, 0 quarantined" in (tmp / "results" / "summary.txt").read_text()
    assert "3 runners" in (tmp / "results" / "methods.md").read_text()
    assert sorted(p.name for p in (tmp / "results" / "runners").glob("*.png")) == ["S01.png", "S02.png", "S03.png"]
    assert set(pd.read_csv(stats / "waveforms_clusters.csv").condition) == {"cadence_plus5", "cadence_plus10", "arm_swing"}


def test_noisy_cohort_estimates_lie_within_three_standard_errors(tmp_path):
    """Against the cohort's own true effects (the population effect plus its runners' drawn deviations), by both
    analyses; the dose-response slope against the simulator's; no runner of the default design confounded."""
    truth = make_study(tmp_path, CohortSpec(n_subjects=6, duration_s=10.0, seed=11))
    run_workflow(tmp_path)
    stats = tmp_path / "results" / "stats"
    effects = pd.read_csv(stats / "effects.csv")
    for analysis, rows in effects[effects.metric == "cpd_peak_deg"].groupby("analysis"):
        peak = rows.set_index("term")
        for condition, effect in truth["cohort_effects_deg"].items():
            row = peak.loc[f"condition[{condition}]"]
            assert abs(row.estimate_deg - effect) < 3 * row.se_deg, (analysis, condition, row.estimate_deg, row.se_deg)
    dose = pd.read_csv(stats / "dose_response.csv").query("level == 'population'").iloc[0]
    assert abs(dose.slope_deg_per_pct - truth["dose_response_deg_per_pct"]) < 3 * dose.se
    assert not pd.read_csv(stats / "manipulation.csv").confounded.any()


def test_report_builds_without_warnings_and_its_captions_state_the_truth(exact_run):
    tmp, truth = exact_run
    done = run_workflow(tmp, "--report", str(tmp / "report.html"))
    assert "warn" not in done.stderr.lower(), done.stderr[-3000:]
    html = (tmp / "report.html").read_text()
    effects = (tmp / "results" / "figures" / "effects.caption.rst").read_text()
    for condition, target in (("cadence_plus5", 5), ("cadence_plus10", 10)):
        # the same tolerance as the estimate's own test (test_effects_equal_truth_without_variation)
        stated = re.search(rf"{condition} \(cadence \+{target} %\) lowered peak drop by ([0-9.]+) deg", effects)
        assert stated and float(stated[1]) == pytest.approx(-truth["effects_deg"][condition], abs=0.05)
        assert stated[0] in html
    # without variation every runner's change equals the effect: all 3 fall, by more than their MDC95
    assert "Mean peak drop fell in 3 of 3 runners (3 by more than their MDC95)" in effects
    adherence = (tmp / "results" / "figures" / "adherence.caption.rst").read_text()
    assert "3 of 3 runners adherent, 0 confounded" in adherence
    dose = (tmp / "results" / "figures" / "dose_response.caption.rst").read_text()
    per_ten = re.search(r"([-+][0-9.]+) deg per 10 %", dose)  # the dose-response test's 0.01 deg/% tolerance, x 10
    assert per_ten and float(per_ten[1]) == pytest.approx(10 * truth["dose_response_deg_per_pct"], abs=0.1)


def test_thin_unbalanced_and_confounded_designs_are_named_not_estimated(tmp_path):
    """The arm-swing condition also raises cadence by 5 % (every runner confounded); S01 alone ran a 4.5 m/s
    condition; runner X has no baseline. The summary and effects name each; no p value from one runner, no SE
    beyond a plausible size, and X is not counted."""
    extra = [{"subject": "S01", "condition": "speed_4_5", "trial": 1, "path": "S01_cadence_plus5_1.c3d",
              "target_cadence_change_pct": 0.0, "arm_swing": "normal"}]
    extra += [{"subject": "X", "condition": c, "trial": 1, "path": f"S02_{c}_1.c3d", "target_cadence_change_pct": t,
               "arm_swing": "normal"} for c, t in (("cadence_plus5", 5.0), ("cadence_plus10", 10.0))]
    make_study(tmp_path, CohortSpec(n_subjects=4, duration_s=6.0, seed=3, arm_swing_cadence_pct=5.0), extra_rows=extra)
    done = run_workflow(tmp_path)
    assert "runner(s) without a baseline trial, left out of paired analyses: X" in done.stderr
    assert "condition speed_4_5 is run by a single runner" in done.stderr
    stats = tmp_path / "results" / "stats"
    checks = pd.read_csv(stats / "manipulation.csv")
    arm = checks[(checks.condition == "arm_swing")]
    assert len(arm) == 4 and arm.confounded.all()
    effects = pd.read_csv(stats / "effects.csv")
    speed = effects[effects.term == "condition[speed_4_5]"]
    assert len(speed) == 4 and not speed.estimable.any() and speed.p.isna().all() and speed.reason.str.contains("1 runner").all()
    ok = effects[effects.estimable]
    assert (ok.n_subjects == 4).all() and (ok.se_deg < 2.0).all()
    assert (effects.loc[effects.term == "condition[arm_swing]", "n_confounded"] == 4).all()
    summary = (tmp_path / "results" / "summary.txt").read_text()
    assert "adherence arm_swing (arm swing): 4 of 4 runners adherent, 4 confounded" in summary
    assert "not estimable: 1 runner(s) ran speed_4_5 and baseline" in summary


def test_bad_files_are_quarantined_and_the_rest_completes(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "empty.c3d").write_bytes(b"")
    (tmp_path / "data" / "text.c3d").write_text("this is not a C3D file\n" * 40)
    shutil.copy(shared_file("running/RIC_20140515T133244_run.c3d"), tmp_path / "data" / "clusters_only.c3d")
    bad = [{"subject": "S01", "condition": "baseline", "trial": k, "path": name}
           for k, name in enumerate(("empty.c3d", "text.c3d", "clusters_only.c3d"), start=7)]
    make_study(tmp_path, CohortSpec(n_subjects=1, duration_s=5.0), extra_rows=bad)
    done = run_workflow(tmp_path)
    assert "4 trials analysed, 3 quarantined" in done.stderr
    quarantine = pd.read_csv(tmp_path / "results" / "qc" / "quarantine.csv").set_index("path")
    reasons = {p.rsplit("/", 1)[-1]: (r.stage, r.reason) for p, r in quarantine.iterrows()}
    assert reasons["empty.c3d"] == ("ingest", "the file is empty (0 bytes)")
    assert reasons["text.c3d"][0] == "ingest" and "not a C3D file" in reasons["text.c3d"][1]
    assert reasons["clusters_only.c3d"][0] == "pelvis" and "LASI" in reasons["clusters_only.c3d"][1]
    assert pd.read_parquet(tmp_path / "results" / "stances.parquet").condition.nunique() == 4
    # strict mode turns the same quarantine into a failed run
    shutil.rmtree(tmp_path / "results")
    strict = run_workflow(tmp_path, "--config", "strict=True", check=False)
    assert strict.returncode != 0 and "strict mode: 3 trial(s) quarantined" in strict.stderr


def test_lint_and_dry_run_of_the_repository_workflow():
    lint = subprocess.run([sys.executable, "-m", "snakemake", "--lint", "--dry-run"], cwd=ROOT, capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    if (ROOT / "data" / "demo" / "trials.tsv").exists():  # the demo cohort exists after `make demo`
        dry = subprocess.run([sys.executable, "-m", "snakemake", "--dry-run", "--cores", "2"], cwd=ROOT, capture_output=True, text=True)
        assert dry.returncode == 0, dry.stderr


def test_config_errors_name_the_key(tmp_path):
    make_study(tmp_path, CohortSpec(n_subjects=1, duration_s=2.0), clean={"lowpass_hz": -3})
    done = run_workflow(tmp_path, "--dry-run", check=False)
    assert done.returncode != 0 and "lowpass_hz" in done.stdout + done.stderr


def test_cohort_mixed_with_every_formats_file(tmp_path):
    """Simulated trials plus every file of tests/data/c3d/formats: the good trials are analysed, every bad one
    is listed with a specific reason, and the run completes (the segfaulting file included)."""
    formats = [shared_file(row["file"]) for row in corpus_rows("formats")]
    (tmp_path / "data").mkdir()
    rows = []
    for k, path in enumerate(formats, start=1):
        shutil.copy(path, tmp_path / "data" / path.name)
        rows.append({"subject": "F", "condition": "baseline", "trial": k, "path": path.name})
    make_study(tmp_path, CohortSpec(n_subjects=2, duration_s=4.0), extra_rows=rows)
    done = run_workflow(tmp_path)
    results = tmp_path / "results"
    quarantine = pd.read_csv(results / "qc" / "quarantine.csv")
    trials = pd.read_csv(results / "qc" / "trials.csv")
    stances = pd.read_parquet(results / "stances.parquet")
    name = lambda paths: paths.str.rsplit("/", n=1).str[-1]
    # nothing is lost: every file is either quarantined with a reason or analysed into stances
    analysed = trials[trials.status == "ok"]
    assert set(name(quarantine.path)) | set(name(analysed.path)) >= {p.name for p in formats}
    assert set(name(quarantine.path)).isdisjoint(name(analysed.path))
    assert (stances[stances.subject == "F"].groupby("trial").size().reindex(analysed[analysed.subject == "F"].trial.astype(str)).fillna(0) > 0).all()
    # every file ezc3d cannot read, or misreads, is among the quarantined, at ingest, with its own reason
    from tests.realdata.test_corpus import REFUSALS

    by_name = quarantine.assign(name=name(quarantine.path)).set_index("name")
    for file, reason in REFUSALS.items():
        if file.startswith("formats/"):
            assert by_name.loc[file.split("/")[1], "stage"] == "ingest" and reason in by_name.loc[file.split("/")[1], "reason"]
    assert f"{len(analysed)} trials analysed, {len(quarantine)} quarantined" in done.stderr
    assert {"S01", "S02"} <= set(stances.subject)


def test_a_condition_changing_two_things_is_reported_and_fails_a_strict_run(tmp_path):
    extra = [{"subject": s, "condition": "combo", "trial": 1, "path": f"{s}_cadence_plus10_1.c3d",
              "target_cadence_change_pct": 10.0, "arm_swing": "reduced"} for s in ("S01", "S02")]
    make_study(tmp_path, CohortSpec(n_subjects=2, duration_s=2.0), extra_rows=extra)
    lenient = run_workflow(tmp_path, "--dry-run")
    assert "condition combo asks for two modifications at once (cadence +10 % and arm swing 'reduced')" in lenient.stderr
    strict = run_workflow(tmp_path, "--dry-run", "--config", "strict=True", check=False)
    assert strict.returncode != 0 and "strict mode: the trial sheet data/trials.tsv asks for two modifications" in strict.stdout + strict.stderr


def test_a_misspelt_design_column_is_a_design_problem_and_fails_a_strict_run(tmp_path):
    """Issue 22 item 15: ``target_cadense_change_pct`` was a warning even with strict: true, and every cadence
    target quietly became 0."""
    make_study(tmp_path, CohortSpec(n_subjects=2, duration_s=2.0))
    sheet = pd.read_csv(tmp_path / "data" / "trials.tsv", sep="\t")
    sheet.rename(columns={"target_cadence_change_pct": "target_cadense_change_pct"}).to_csv(
        tmp_path / "data" / "trials.tsv", sep="\t", index=False)
    said = ("column target_cadense_change_pct is not a trial sheet column (did you mean target_cadence_change_pct?): "
            "target_cadence_change_pct keeps its default 0.0")
    assert said in run_workflow(tmp_path, "--dry-run").stderr
    strict = run_workflow(tmp_path, "--dry-run", "--config", "strict=True", check=False)
    assert strict.returncode != 0 and f"strict mode: the trial sheet data/trials.tsv: {said}" in strict.stdout + strict.stderr


def test_a_killed_run_resumes_with_the_readme_command_to_the_same_outputs(tmp_path):
    """kill -9 of a running workflow (its lock and any half-written file left behind), then the README's command
    again: it starts without `--unlock`, completes, leaves no temporary file, and every result is byte-identical to
    an uninterrupted run's (timings and logs aside)."""
    import os
    import signal
    import time

    make_study(tmp_path, CohortSpec(n_subjects=3, duration_s=4.0, seed=4), subjects_per_job=1)
    readme = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory", str(tmp_path),
              "--profile", str(ROOT / "workflow" / "profiles" / "default"), "--cores", "2"]
    results = tmp_path / "results"

    def outputs():
        return {p.relative_to(results): p.read_bytes() for p in sorted(results.rglob("*"))
                if p.is_file() and not {"logs", "benchmarks"} & set(p.relative_to(results).parts)}

    assert subprocess.run(readme, capture_output=True, text=True).returncode == 0
    uninterrupted = outputs()
    shutil.rmtree(results)
    shutil.rmtree(tmp_path / ".snakemake")

    run = subprocess.Popen(readme, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while not (results / "batches" / "batch001" / "stances.parquet").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    assert list((tmp_path / ".snakemake" / "locks").glob("*.lock")), "the killed run should have left its lock"
    assert not (results / "summary.txt").exists(), "the run was killed too late to test anything"

    resumed = subprocess.run(readme, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert not [p for p in results.rglob(".*") if p.is_file()]
    assert outputs() == uninterrupted


def test_a_missing_file_is_quarantined_the_rest_runs_and_strict_mode_stops_before_any_work(tmp_path):
    """A sheet row whose file does not exist (and a lab's own notes column): the run names both before any work,
    completes with the missing trial in quarantine.csv as "file not found" at ingest; strict mode fails at once,
    naming the file."""
    gone = {"subject": "S01", "condition": "baseline", "trial": 2, "path": "S01_baseline_2.c3d",
            "target_cadence_change_pct": 0.0, "arm_swing": "normal", "notes": "export forgotten"}
    make_study(tmp_path, CohortSpec(n_subjects=2, duration_s=3.0, seed=5), extra_rows=[gone])
    done = run_workflow(tmp_path)
    assert "trial sheet data/trials.tsv: file not found: data/S01_baseline_2.c3d (it will be quarantined)" in done.stderr
    assert "trial sheet data/trials.tsv: column(s) not in workflow/schemas/trials.schema.yaml, not used: notes" in done.stderr
    assert "8 trials analysed, 1 quarantined" in done.stderr
    assert "8 trials analysed, 1 quarantined" in (tmp_path / "results" / "summary.txt").read_text()
    quarantine = pd.read_csv(tmp_path / "results" / "qc" / "quarantine.csv")
    assert len(quarantine) == 1
    row = quarantine.iloc[0]
    assert row.path.endswith("data/S01_baseline_2.c3d") and row.stage == "ingest" and row.reason == "file not found"
    assert pd.read_parquet(tmp_path / "results" / "stances.parquet").groupby(["subject", "condition"]).ngroups == 8
    # strict: fails while reading the sheet, before any job has run
    shutil.rmtree(tmp_path / "results")
    strict = run_workflow(tmp_path, "--config", "strict=True", check=False)
    assert strict.returncode != 0
    assert "strict mode: the trial sheet data/trials.tsv names 1 file(s) that do not exist" in strict.stdout + strict.stderr
    assert "S01_baseline_2.c3d" in strict.stdout + strict.stderr
    assert not (tmp_path / "results" / "batches").exists()


def test_a_config_typo_gives_one_line_naming_the_key_and_the_allowed_ones(tmp_path):
    make_study(tmp_path, CohortSpec(n_subjects=1, duration_s=2.0), clean={"lowpas_hz": 3})
    done = run_workflow(tmp_path, "--dry-run", check=False)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    named = [line for line in output.splitlines() if "lowpas_hz" in line]
    assert len(named) == 1, output
    assert "unknown key clean.lowpas_hz (did you mean lowpass_hz?)" in named[0]
    assert "allowed under clean: max_gap_s, lowpass_hz, lowpass_order, lowpass_twicing" in named[0]
    assert "description" not in output and "additionalProperties" not in output  # not the whole schema


def test_a_labs_folder_to_results_with_hipdrop_sheet_then_snakemake(tmp_path):
    """A study laid out as S01/baseline/trial1.c3d ...: `hipdrop sheet` makes the sheet, the lab fills the design,
    one listed file has gone missing and S03 never ran a baseline; `snakemake` runs to results, the missing file
    quarantined and S03 named in the summary."""
    simulate_cohort(tmp_path / "sim", CohortSpec(n_subjects=3, duration_s=4.0, seed=6))
    study = tmp_path / "data" / "study"
    for source in sorted((tmp_path / "sim").glob("S*_*_1.c3d")):
        subject, condition = source.stem.split("_", 1)[0], source.stem.split("_", 1)[1].rsplit("_", 1)[0]
        if subject == "S03" and condition == "baseline":
            continue
        (study / subject / condition).mkdir(parents=True, exist_ok=True)
        shutil.copy(source, study / subject / condition / "trial1.c3d")
    made = subprocess.run([sys.executable, "-m", "hipdrop.cli", "sheet", str(study), "-o", str(tmp_path / "data" / "trials.tsv")],
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    sheet = pd.read_csv(tmp_path / "data" / "trials.tsv", sep="\t")
    assert len(sheet) == 11 and set(sheet.subject) == {"S01", "S02", "S03"}
    sheet["target_cadence_change_pct"] = sheet.condition.map({"cadence_plus5": 5.0, "cadence_plus10": 10.0}).fillna(0.0)
    sheet["arm_swing"] = np.where(sheet.condition == "arm_swing", "reduced", "normal")
    sheet.to_csv(tmp_path / "data" / "trials.tsv", sep="\t", index=False)
    (study / "S02" / "arm_swing" / "trial1.c3d").unlink()  # gone since the sheet was made
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump({"trials": "data/trials.tsv"}))
    done = run_workflow(tmp_path)
    quarantine = pd.read_csv(tmp_path / "results" / "qc" / "quarantine.csv")
    assert len(quarantine) == 1 and quarantine.path[0].endswith("S02/arm_swing/trial1.c3d")
    assert (quarantine.stage[0], quarantine.reason[0]) == ("ingest", "file not found")
    summary = (tmp_path / "results" / "summary.txt").read_text()
    assert "10 trials analysed, 1 quarantined" in summary
    assert "runner(s) without a baseline trial, left out of paired analyses: S03" in summary
    effects = pd.read_csv(tmp_path / "results" / "stats" / "effects.csv")
    cadence = effects[(effects.term == "condition[cadence_plus5]") & (effects.analysis == "mixed model")].iloc[0]
    assert not cadence.estimable and cadence.n_subjects == 2 and "2 runner(s) ran cadence_plus5" in cadence.reason
    assert "file not found" in done.stderr


def test_a_mixed_cohort_of_running_and_single_leg_squats_gives_effects_per_task(tmp_path):
    """Runners and squatters in one sheet, both with a "baseline": each task's condition is measured against its
    own task's baseline, and each equals the simulator's truth (no variation)."""
    from hipdrop.simulate.tasks import TaskCohortSpec, simulate_task_cohort

    running = make_study(tmp_path, CohortSpec(n_subjects=3, duration_s=8.0, variation=False))
    squat = simulate_task_cohort(tmp_path / "data" / "squat", TaskCohortSpec(n_subjects=3, variation=False))
    squat_truth = json.loads((tmp_path / "data" / "squat" / "truth.json").read_text())
    sheet = pd.read_csv(tmp_path / "data" / "trials.tsv", sep="\t")  # the running sheet has no task column
    sheet = pd.concat([sheet, squat.assign(path="squat/" + squat["path"])], ignore_index=True)
    sheet.to_csv(tmp_path / "data" / "trials.tsv", sep="\t", index=False)
    run_workflow(tmp_path)
    effects = pd.read_csv(tmp_path / "results" / "stats" / "effects.csv")
    peak = effects[(effects.metric == "cpd_peak_deg") & (effects.analysis == "mixed model")].set_index(["task", "term"])
    assert sorted(peak.index) == sorted([("running", f"condition[{c}]") for c in running["effects_deg"]]
                                        + [("single_leg_squat", "condition[post_training]")])
    for condition, effect in running["effects_deg"].items():
        assert peak.loc[("running", f"condition[{condition}]"), "estimate_deg"] == pytest.approx(effect, abs=0.05)
    assert peak.loc[("single_leg_squat", "condition[post_training]"), "estimate_deg"] == pytest.approx(
        squat_truth["effects_deg"]["post_training"], abs=0.05)
    stances = pd.read_parquet(tmp_path / "results" / "stances.parquet")
    assert set(stances.task) == {"running", "single_leg_squat"}
    assert "peak drop single_leg_squat: condition[post_training]" in (tmp_path / "results" / "summary.txt").read_text()


#: a messy real study (issue 22): four runners from five labs, conditions that are not interventions, a
#: condition one runner ran, walking files whose 0.6-0.7 s stances are out of running's bounds, overground jogs
#: of 1-2 contacts a side; (subject, condition, file, cadence target %)
MESSY_STUDY = [
    ("R1", "speed35", "running/RBDS001runT35.c3d", 0), ("R1", "overground", "running/opensim_jogging.c3d", 0),
    ("R2", "speed35", "pig/gaitalytics_treadmill_events.c3d", 0), ("R2", "overground", "pig/gaitalytics_test_small.c3d", 0),
    ("R3", "speed35", "pig/sydney_S4-AMGait03.c3d", 0), ("R3", "cadence_plus10", "pig/sydney_S4-AMGait04.c3d", 10),
    ("R4", "overground", "pig/fmc_MH0222_BP06.c3d", 0),
]


@pytest.fixture(scope="module")
def messy_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("messy")
    rows = [{"subject": s, "condition": c, "trial": 1, "path": str(shared_file(f)), "target_cadence_change_pct": t,
             "arm_swing": "normal"} for s, c, f, t in MESSY_STUDY]
    (tmp / "config").mkdir()
    pd.DataFrame(rows).to_csv(tmp / "trials.tsv", sep="\t", index=False)
    (tmp / "config" / "config.yaml").write_text(yaml.safe_dump({"trials": "trials.tsv", "stats": {"baseline": "speed35"}}))
    run_workflow(tmp)
    return tmp / "results"


def test_a_messy_real_study_says_what_each_number_rests_on(messy_run):
    """Issue 22 items 3, 5, 6, 7, 8: the summary counts included and excluded stances with their reasons, names
    the runner-conditions that lost most and the means from few stances, judges no condition that is not an
    intervention, counts responders among the runners who ran a condition, and no output is empty without a
    reason."""
    summary = (messy_run / "summary.txt").read_text()
    stances = pd.read_parquet(messy_run / "stances.parquet")
    n, excluded = len(stances), int(stances["excluded"].sum())
    assert f"stances: {n - excluded} of {n} included" in summary and excluded > 0
    assert "outside [0.1, 0.5] s" in summary  # the walking files' stances, counted by kind
    assert "runner-conditions that lost more than 25 % of their stances: " in summary
    assert "means from fewer than 10 included stances" in summary and "R4 overground" in summary
    # speed and overground are not interventions: described, never adherent or confounded
    assert "adherence overground" not in summary and "compared, not judged overground" in summary
    checks = pd.read_csv(messy_run / "stats" / "manipulation.csv")
    overground = checks[checks["condition"] == "overground"]
    assert (overground["targets"] == "not an intervention").all() and not overground["confounded"].any()
    # responders: only the runners who ran a condition
    responders = pd.read_csv(messy_run / "stats" / "responders.csv")
    ran = {(s, c) for s, c, *_ in MESSY_STUDY}
    assert set(zip(responders["subject"], responders["condition"])) <= ran
    assert "responders overground (cpd_peak_deg, change against its MDC95; the 3 runners who ran it)" in summary
    # nothing estimable: every table says why, and the methods fit no model
    for name in ("power.csv", "variance_components.csv"):
        table = pd.read_csv(messy_run / "stats" / name)
        assert len(table) and table.filter(regex="^(note|source)$").iloc[:, 0].str.startswith("effect not estimable").all()
    assert "no model was fitted" in (messy_run / "methods.md").read_text()
    subjects = pd.read_csv(messy_run / "stats" / "subjects.csv")
    assert subjects.loc[subjects["n_values"] < 10, "few_stances"].all()
    assert not subjects.loc[subjects["n_values"] >= 10, "few_stances"].any()
