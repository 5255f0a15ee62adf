# Shared helpers: the validated config and sheet, the subjects, and input functions for rules.
from pathlib import Path

from snakemake.utils import validate

from hipdrop.config import load_sheet, validate_config

validate(config, "../schemas/config.schema.yaml")  # clear messages; hipdrop fills the same defaults below
config.update(validate_config(config))

RESULTS = config["results"]
SHEET = load_sheet(config["trials"])
SUBJECTS = sorted(SHEET["subject"].unique())


wildcard_constraints:
    subject="|".join(SUBJECTS),


def subject_sheet(wildcards):
    """The sheet rows of one subject, as records (passed to the script as a param)."""
    return SHEET[SHEET["subject"] == wildcards.subject].to_dict("records")


def subject_files(wildcards):
    return [row["path"] for row in subject_sheet(wildcards)]


def all_subjects(name):
    return expand(f"{RESULTS}/subjects/{{subject}}/{name}", subject=SUBJECTS)
