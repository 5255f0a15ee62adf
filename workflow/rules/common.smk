import os
# Shared helpers: the validated config and sheet, the subjects, and input functions for rules.
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from hipdrop.config import ConfigError, load_sheet, misspelt_columns, missing_files, unknown_columns, validate_config
from hipdrop.execution.slurm import slurm_fit_problems, slurm_jobs_writing_in, slurm_partition_limits, walltime_minutes
from hipdrop.execution.resume import clear_interrupted_run
from hipdrop.stats.design import double_modifications, sheet_design_problems

# hipdrop's validation first: one line per problem naming the key (for a typo, the keys allowed there), where
# Snakemake's prints the whole schema; it fills the schema's defaults, so validate() below only confirms them
config.update(validate_config(config))
validate(config, "../schemas/config.schema.yaml")

RESULTS = config["results"]
# The run that submits the jobs, not a job of it (a SLURM job parses this file again, on another node, while its
# siblings run): only there can stale state be judged.
SUBMITTING = not (workflow.remote_exec or workflow.subprocess_exec)
if SUBMITTING:
    # A login lost with `kill -9` leaves the SLURM jobs it submitted running: a new run would submit the same jobs
    # again, two jobs writing the same files. Refuse until they are gone (nothing cleared, nothing submitted).
    try:
        _ORPHANS = slurm_jobs_writing_in(Path.cwd())
    except ConfigError as _err:  # squeue there but no controller answering: a local run needs none, so a warning
        print(f"not checked for SLURM jobs of an earlier run: {_err}", file=sys.stderr)
        _ORPHANS = []
    if _ORPHANS:
        _ids = " ".join(job["job_id"] for job in _ORPHANS)
        raise ValueError(
            f"{len(_ORPHANS)} SLURM job(s) of an earlier run of this workflow still work in {Path.cwd()}: "
            + ", ".join(f"{job['job_id']} {job['comment']} ({job['state']})" for job in _ORPHANS)
            + f". A new run would write the same files. Wait for them (squeue --jobs {_ids.replace(' ', ',')}) or cancel "
            f"them (scancel {_ids}), then run again"
        )
    # a run killed without warning leaves its lock and half-written files: cleared when no other run works here
    for _stale in clear_interrupted_run(Path.cwd(), RESULTS):
        print(f"cleared what an interrupted run left behind: {_stale}", file=sys.stderr)
SHEET = load_sheet(config["trials"])
SUBJECTS = sorted(SHEET["subject"].unique())
# the design is checked before any work: reported here and in the run's summary; a condition that changes two
# things at once is fatal in strict mode
_MISSPELT = misspelt_columns(SHEET)
SHEET_PROBLEMS = sheet_design_problems(SHEET, baseline=config["stats"]["baseline"]) + _MISSPELT
for _problem in SHEET_PROBLEMS:
    print(f"trial sheet {config['trials']}: {_problem}", file=sys.stderr)
if config["strict"] and double_modifications(SHEET):
    raise ValueError(f"strict mode: the trial sheet {config['trials']} asks for two modifications at once (see above)")
if config["strict"] and _MISSPELT:
    raise ValueError(f"strict mode: the trial sheet {config['trials']}: " + "; ".join(_MISSPELT)
                     + ". Correct the column's name, or give it a name unlike hipdrop's columns if it is your own note")
# a lab's own notes columns are welcome; named so that a misspelt design column does not pass unseen
_UNKNOWN_COLUMNS = unknown_columns(SHEET)
if _UNKNOWN_COLUMNS:
    print(f"trial sheet {config['trials']}: column(s) not in workflow/schemas/trials.schema.yaml, not used: "
          f"{', '.join(_UNKNOWN_COLUMNS)}", file=sys.stderr)
# a missing file is quarantined by hipdrop ("file not found") and the rest of the cohort runs; strict mode stops
# here, before any work
MISSING_FILES = set(missing_files(SHEET))
for _path in sorted(MISSING_FILES):
    print(f"trial sheet {config['trials']}: file not found: {_path} (it will be quarantined)", file=sys.stderr)
if config["strict"] and MISSING_FILES:
    raise ValueError(f"strict mode: the trial sheet {config['trials']} names {len(MISSING_FILES)} file(s) that do not "
                     f"exist: {', '.join(sorted(MISSING_FILES))}; correct their paths or remove their rows")
# A job analyses a batch of whole subjects: each job pays Python's start-up and imports, several times a
# subject's own work (docs/architecture.md section 5; benchmarks/startup.py).
_PER_JOB = config["subjects_per_job"]
BATCHES = {
    f"batch{k // _PER_JOB + 1:03d}": SUBJECTS[k : k + _PER_JOB] for k in range(0, len(SUBJECTS), _PER_JOB)
}


wildcard_constraints:
    batch="|".join(BATCHES),


def _run_cores():
    try:
        return workflow.cores
    except WorkflowError:  # no --cores (a cluster run without it): the profile sets the threads
        return 1


def batch_threads(wildcards):
    """Trials at a time in one batch job. With fewer than two batches per core, the batch jobs run one after
    another, each on every core (none left finishing alone on one core); with more, one trial at a time each, side
    by side, so that one job's start-up and end (imports and writing, on one core) overlap another's trials
    instead of idling a core. No result depends on it."""
    cores = _run_cores()
    return cores if len(BATCHES) < 2 * cores else 1


def page_threads(wildcards):
    """Runner pages drawn at a time: every core, as the pages are the last long step (benchmarks/runner_pages.py
    gives a page's cost) and the other figures are done by then; never more than the runners."""
    return max(1, min(_run_cores(), len(SUBJECTS)))


def batch_sheet(wildcards):
    """The sheet rows of one batch of subjects, as records (passed to the script as a param)."""
    return SHEET[SHEET["subject"].isin(BATCHES[wildcards.batch])].to_dict("records")


def batch_files(wildcards):
    """The batch's C3D files that exist, as inputs (a changed file reruns its batch). A missing one is no input,
    which would stop the whole run, but stays in the batch's rows, where hipdrop quarantines it."""
    rows = batch_sheet(wildcards)
    # and the runners' MVC files (sheet column mvc) that exist: a changed one changes its runner's % MVC
    mvc = {row["mvc"] for row in rows if isinstance(row.get("mvc"), str) and Path(row["mvc"]).exists()}
    return [row["path"] for row in rows if row["path"] not in MISSING_FILES] + sorted(mvc)


def all_batches(name):
    return expand(f"{RESULTS}/batches/{{batch}}/{name}", batch=BATCHES)


def design_tolerances():
    """The design checks' tolerances from config ``stats`` (hipdrop.stats.design.Tolerances fields)."""
    stats = config["stats"]
    return {
        "cadence_target_pct": stats["cadence_target_tolerance_pct"],
        "arm_swing_min_change_pct": stats["arm_swing_min_change_pct"],
        "cadence_stable_pct": stats["cadence_stable_tolerance_pct"],
        "arm_swing_stable_pct": stats["arm_swing_stable_tolerance_pct"],
        "arm_crossover_min_change_mm": stats["arm_crossover_min_change_mm"],
        "elbow_angle_min_change_deg": stats["elbow_angle_min_change_deg"],
    }


def slurm_requests():
    """What the jobs the run will submit ask of SLURM, each distinct request once: (job, partition, cpus, memory
    in MB, runtime in minutes), as the SLURM executor passes them to sbatch. Jobs of a group (profile ``groups``)
    are submitted as one job of the group's combined size, which is what is listed for them."""
    requests = set()
    for job in workflow.dag.needrun_jobs():
        if job.is_local:  # rule all and other local rules run here, not on the cluster
            continue
        submitted = workflow.dag.get_job_group(job) or job
        resources = submitted.resources
        cpus = resources.get("cpus_per_task") or resources.get("_cores") or 1
        memory_mb = resources.get("mem_mb") or (resources.get("mem_mb_per_cpu") or 0) * cpus or None
        runtime = resources.get("runtime")
        what = f"group {submitted.groupid}" if submitted.is_group() else f"rule {submitted.rule.name}"
        requests.add((what, resources.get("slurm_partition") or None, cpus, memory_mb,
                      walltime_minutes(runtime) if runtime else None))
    return sorted(requests, key=str)


onstart:
    # A job asking more than any node of its partition has would pend for ever (SLURM accepts it: "PartitionConfig"),
    # and the run would wait without a word: checked here, after the jobs are known and before any is submitted.
    if workflow.executor_plugin is not None and workflow.executor_plugin.name == "slurm":
        _limits, _problems = {}, []
        for _what, _partition, _cpus, _memory_mb, _runtime_min in slurm_requests():
            if _partition not in _limits:
                _limits[_partition] = slurm_partition_limits(_partition)
            _problems += slurm_fit_problems(_what, _limits[_partition], cpus=_cpus, memory_mb=_memory_mb,
                                            runtime_min=_runtime_min)
        if _problems:
            raise ValueError(
                "SLURM: " + "; ".join(_problems) + ". Nothing was submitted. In workflow/profiles/slurm/config.yaml lower "
                "that rule's set-threads or set-resources (mem_mb, runtime), for a group cores and resources: mem_mb, "
                "or choose a partition with bigger nodes (default-resources: slurm_partition)"
            )


# A figure's report caption is written by its own job: this run's numbers (hipdrop.report.captions) followed by the fixed
# description in workflow/report/. Snakemake reads a caption only when it builds the report, after the run, and takes
# an absolute path as it is.
def caption_of(name):
    return os.path.abspath(f"{RESULTS}/figures/{name}.caption.rst")


def description(name):
    return os.path.join(workflow.basedir, "workflow", "report", name)


# --- the cohort's steps as few jobs (workflow/rules/jobs.smk builds them from the step rules with these) ----------
import hashlib

from snakemake.io import report as _report_flag


def _step_rules(*files):
    """The rules defined in ``files`` (names of workflow/rules/*.smk) that run a script without wildcards."""
    return [
        step for step in workflow.rules
        if os.path.basename(step.snakefile) in files and step.script and not step.has_wildcards()
    ]


def _plain(files):
    return {name: (str(value) if isinstance(value, str) else [str(v) for v in value]) for name, value in files.items()}


def _named(namedlist):
    """A rule's inputs, outputs, params or log as {name: value or [values]}; an unnamed one as "_<position>"."""
    names, covered = {}, set()
    for name, (start, end) in namedlist._names.items():
        names[name] = namedlist[start] if end is None else list(namedlist[start:end])
        covered.update(range(start, start + 1 if end is None else end))
    for i, value in enumerate(namedlist):
        if i not in covered:
            names[f"_{i}"] = value
    return names


def _as_output(file):
    """A step's output as an output of its job, with its report entry (the caption as an absolute path)."""
    if "report" not in file.flags:
        return str(file)
    entry = file.flags["report"]
    caption = entry.caption.get_path_or_uri(secret_free=True) if hasattr(entry.caption, "get_path_or_uri") else entry.caption
    return _report_flag(str(file), caption=caption, category=entry.category, subcategory=entry.subcategory,
                        labels=entry.labels, patterns=entry.patterns, htmlindex=entry.htmlindex)


def _digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def _in_order(steps):
    """The steps in an order where each comes after the steps whose outputs it reads (definition order otherwise)."""
    made_by = {path: step["rule"] for step in steps for paths in step["output"].values()
               for path in ([paths] if isinstance(paths, str) else paths)}
    pending, done, order = list(steps), set(), []
    while pending:
        for step in pending:
            needs = {made_by[p] for paths in step["input"].values() for p in ([paths] if isinstance(paths, str) else paths)
                     if p in made_by and made_by[p] != step["rule"]}
            if needs <= done:
                order.append(step)
                done.add(step["rule"])
                pending.remove(step)
                break
        else:
            raise WorkflowError(f"steps that read each other's outputs in a circle: {[s['rule'] for s in pending]}")
    return order


class StepsJob:
    """One job's inputs (from outside the job), outputs, logs, threads and params, from its step rules."""

    def __init__(self, name, step_rules):
        self.name = name
        self.rules = [step.name for step in step_rules]
        steps, outputs, logs, self.thread_rules = [], {}, {}, []
        for source in step_rules:
            if any(callable(v) for v in source.params):
                raise WorkflowError(f"{source.name}, a step of {name}, takes params that are functions: give it plain values")
            step_output = _named(source.output)
            steps.append({
                "rule": source.name,
                "script": os.path.join(os.path.dirname(source.snakefile), source.script),
                "input": _plain(_named(source.input)),
                "output": _plain(step_output),
                "params": dict(_named(source.params)),
                "log": [str(path) for path in source.log],
            })
            for key, value in step_output.items():
                outputs[f"{source.name}__{key.lstrip('_')}"] = (
                    _as_output(value) if isinstance(value, str) else [_as_output(v) for v in value])
            logs[source.name] = [str(path) for path in source.log]
            self.thread_rules.append(source)
        self.steps = _in_order(steps)
        made = {str(p) for paths in outputs.values() for p in ([paths] if isinstance(paths, str) else paths)}
        self.inputs, seen = {}, set()
        for step in self.steps:  # each file once, under the name of the first step that reads it
            for key, paths in step["input"].items():
                outside = [p for p in ([paths] if isinstance(paths, str) else paths) if p not in made and p not in seen]
                seen.update(outside)
                if outside:
                    self.inputs[f"{step['rule']}__{key.lstrip('_')}"] = outside
        self.outputs = outputs
        self.logs = {step: paths[0] if len(paths) == 1 else paths for step, paths in logs.items()}
        for step in self.steps:
            step["script_digest"] = _digest(step["script"])
        for step_name in self.rules:
            workflow.ruleorder(name, step_name)

    def thread_count(self, wildcards):
        """The most threads any of its steps asks (a step's threads may be a function, as page_threads)."""
        counts = []
        for step in self.thread_rules:
            cores = step.resources["_cores"]
            counts.append(cores._evaluator(wildcards) if cores.is_evaluable() else cores.value)
        return max([1] + [int(count) for count in counts if count is not None])
