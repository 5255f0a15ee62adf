# Adapter: per-batch tables -> the cohort's stance table, curves, trial log and quarantine list.
import logging
import sys

from hipdrop.cohort import aggregate_batches

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
summary, n_quarantined = aggregate_batches(dict(snakemake.input.items()), dict(snakemake.output.items()),
                                           curve_points=snakemake.params.curve_points)
logging.info(summary)
print(summary, file=sys.stderr)
if snakemake.params.strict and n_quarantined:
    raise SystemExit(f"strict mode: {n_quarantined} trial(s) quarantined, see {snakemake.output.quarantine}")
