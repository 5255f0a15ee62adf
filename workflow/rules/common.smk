# Shared helpers: the validated config and sheet, the subjects, and input functions for rules.
import sys
from pathlib import Path

from snakemake.utils import validate

from hipdrop.config import load_sheet, missing_files, unknown_columns, validate_config
from hipdrop.runs import clear_interrupted_run
from hipdrop.stats.design import double_modifications, sheet_design_problems

# hipdrop's validation first: one line per problem naming the key (for a typo, the keys allowed there), where
# Snakemake's prints the whole schema; it fills the schema's defaults, so validate() below only confirms them
config.update(validate_config(config))
validate(config, "../schemas/config.schema.yaml")

RESULTS = config["results"]
# a run killed without warning leaves its lock and half-written files: cleared when no other run works here
for _stale in clear_interrupted_run(Path.cwd(), RESULTS):
    print(f"cleared what an interrupted run left behind: {_stale}", file=sys.stderr)
SHEET = load_sheet(config["trials"])
SUBJECTS = sorted(SHEET["subject"].unique())
# the design is checked before any work: reported here and in the run's summary; a condition that changes two
# things at once is fatal in strict mode
SHEET_PROBLEMS = sheet_design_problems(SHEET, baseline=config["stats"]["baseline"])
for _problem in SHEET_PROBLEMS:
    print(f"trial sheet {config['trials']}: {_problem}", file=sys.stderr)
if config["strict"] and double_modifications(SHEET):
    raise ValueError(f"strict mode: the trial sheet {config['trials']} asks for two modifications at once (see above)")
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
# A job analyses a batch of whole subjects: each job pays ~1.6 s of Python start-up and imports, several
# times a subject's own work (architecture.md section 5).
_PER_JOB = config["subjects_per_job"]
BATCHES = {
    f"batch{k // _PER_JOB + 1:03d}": SUBJECTS[k : k + _PER_JOB] for k in range(0, len(SUBJECTS), _PER_JOB)
}


wildcard_constraints:
    batch="|".join(BATCHES),


def batch_sheet(wildcards):
    """The sheet rows of one batch of subjects, as records (passed to the script as a param)."""
    return SHEET[SHEET["subject"].isin(BATCHES[wildcards.batch])].to_dict("records")


def batch_files(wildcards):
    """The batch's C3D files that exist, as inputs (a changed file reruns its batch). A missing one is no input,
    which would stop the whole run, but stays in the batch's rows, where hipdrop quarantines it."""
    return [row["path"] for row in batch_sheet(wildcards) if row["path"] not in MISSING_FILES]


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
    }
