# Adapter: stance table -> hipdrop.stats.responders.responder_table -> responders.csv.
import logging

import pandas as pd

from hipdrop.io.results import write_table
from hipdrop.stats.responders import responder_counts, responder_table
from hipdrop.stats.tasks import by_task, per_task

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
table = per_task(pd.read_parquet(snakemake.input.stances),
                 lambda rows: responder_table(rows, baseline=snakemake.params.baseline))
for task, rows in by_task(table):
    logging.info("%s: responders per condition:\n%s", task, responder_counts(rows).to_string())
write_table(table, snakemake.output[0])
