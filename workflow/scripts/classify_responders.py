# Adapter: stance table -> hipdrop.stats.responders.responder_table -> responders.csv.
import logging

import pandas as pd

from hipdrop.io.results import write_table
from hipdrop.stats.responders import responder_counts, responder_table

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
table = responder_table(pd.read_parquet(snakemake.input.stances), baseline=snakemake.params.baseline)
logging.info("responders per condition:\n%s", responder_counts(table).to_string())
write_table(table, snakemake.output[0])
