# Adapter: stance table -> hipdrop.stats.design.manipulation_check (adherence, confounds) -> manipulation.csv.
import logging

import pandas as pd

from hipdrop.io.results import write_table
from hipdrop.stats.design import Tolerances, manipulation_check
from hipdrop.stats.tasks import per_task

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
tolerances = Tolerances(**snakemake.params.tolerances)
checks = per_task(pd.read_parquet(snakemake.input.stances),
                  lambda rows: manipulation_check(rows, baseline=snakemake.params.baseline, tolerances=tolerances,
                                                 interventions=snakemake.params.interventions))
logging.info("achieved cadence change by condition (median %%):\n%s",
             checks.groupby(["task", "condition"])["achieved_cadence_change_pct"].median().to_string())
for row in checks[checks["confounded"].astype(bool)].itertuples():
    logging.warning("confounded: %s %s: %s", row.subject, row.condition, row.design_notes)
write_table(checks, snakemake.output[0])
