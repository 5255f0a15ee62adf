# Adapter: the figure, page and report-page steps (workflow/rules/figures.smk, report.smk) in one process, each
# step's own script with its own inputs, outputs, params and log (workflow/rules/jobs.smk).
from _steps import run_steps

run_steps(snakemake)
