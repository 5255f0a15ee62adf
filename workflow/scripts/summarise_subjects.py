# Adapter: stance table -> hipdrop.stats.subjects.subject_table -> subjects.csv.
import logging

import pandas as pd

from hipdrop.io.results import write_table
from hipdrop.stats.subjects import subject_table
from hipdrop.stats.tasks import per_task

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
table = per_task(pd.read_parquet(snakemake.input.stances),
                 lambda rows: subject_table(rows, baseline=snakemake.params.baseline,
                                            min_stances=snakemake.params.min_stances))
logging.info("%d rows (subject x condition x metric)", len(table))
write_table(table, snakemake.output[0])
