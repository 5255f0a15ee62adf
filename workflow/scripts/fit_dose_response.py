# Adapter: stance table -> hipdrop.stats.dose_response.dose_response (baseline and cadence conditions) -> dose_response.csv.
import logging

import pandas as pd

from hipdrop.io.results import write_table
from hipdrop.stats.dose_response import cadence_conditions, dose_response
from hipdrop.stats.tasks import is_running, per_task

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
stances = pd.read_parquet(snakemake.input.stances)
p = snakemake.params
# cadence is running's modification; the other tasks have no cadence to respond to
table = per_task(stances, lambda rows: dose_response(rows, baseline=p.baseline, cadence_conditions=cadence_conditions(rows),
                                                     min_subjects=p.min_subjects, alpha=p.alpha), only=is_running)
logging.info("dose-response:\n%s", table.to_string())
write_table(table, snakemake.output[0])
