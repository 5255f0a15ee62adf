# Adapter: stance table -> hipdrop.stats.control.control_table and cohort_drift -> control.csv (per task).
import logging

import pandas as pd

from hipdrop.io.results import write_table
from hipdrop.stats.control import control_settings, control_table, with_cohort
from hipdrop.stats.tasks import per_task

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
p = snakemake.params
settings = control_settings({"control": p.control})
table = per_task(pd.read_parquet(snakemake.input.stances),
                 lambda rows: with_cohort(control_table(rows, min_stances=p.min_stances, alpha=p.alpha,
                                                        cv_min_abs_mean_deg=settings["cv_min_abs_mean_deg"],
                                                        hac_maxlags=settings["hac_maxlags"]),
                                          alpha=p.alpha, min_subjects=p.min_subjects))
logging.info("%d rows (subject x condition x metric, and the cohort's per condition x metric)", len(table))
write_table(table, snakemake.output[0])
