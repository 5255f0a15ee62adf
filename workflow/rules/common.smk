# Shared helpers: the validated config and sheet, the subjects, and input functions for rules.
from pathlib import Path

from snakemake.utils import validate

from hipdrop.config import load_sheet, validate_config

validate(config, "../schemas/config.schema.yaml")  # clear messages; hipdrop fills the same defaults below
config.update(validate_config(config))

RESULTS = config["results"]
SHEET = load_sheet(config["trials"])
SUBJECTS = sorted(SHEET["subject"].unique())
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
    return [row["path"] for row in batch_sheet(wildcards)]


def all_batches(name):
    return expand(f"{RESULTS}/batches/{{batch}}/{name}", batch=BATCHES)
