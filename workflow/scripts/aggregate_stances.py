# Adapter: per-batch tables -> the cohort's stance table, curves, trial log and quarantine list.
import logging
import sys

import pandas as pd

from hipdrop.cohort.aggregate import aggregate_batches
from hipdrop.cohort.summary import nothing_analysed

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
summary, n_quarantined = aggregate_batches(dict(snakemake.input.items()), dict(snakemake.output.items()),
                                           curve_points=snakemake.params.curve_points)
# every quarantined trial in this log too: when this job fails below, Snakemake deletes its outputs, the quarantine
# list among them, and the log is what stays
for row in pd.read_csv(snakemake.output.quarantine).itertuples():
    logging.warning("quarantined %s at %s: %s", row.path, row.stage, row.reason)
stop = nothing_analysed(snakemake.output.trials, snakemake.output.quarantine, every_reason=snakemake.log[0])
if stop is None and snakemake.params.strict and n_quarantined:
    stop = f"strict mode: {n_quarantined} trial(s) quarantined, each listed in {snakemake.log[0]}"
if stop:
    logging.error(stop)
    raise SystemExit(stop)
logging.info(summary)
print(summary, file=sys.stderr)
