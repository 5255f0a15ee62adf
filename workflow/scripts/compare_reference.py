# Adapter: stance table (running) -> hipdrop.stats.reference.reference_table -> reference.csv.
import logging

import pandas as pd

from hipdrop.io.results import write_table
from hipdrop.stats.reference import reference_settings, reference_table
from hipdrop.stats.tasks import running_rows

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
settings = reference_settings({"reference": snakemake.params.reference})
table = reference_table(running_rows(pd.read_parquet(snakemake.input.stances)), baseline=snakemake.params.baseline,
                        group=settings["group"], table=settings["table"], z_threshold=settings["z_threshold"],
                        min_runners=settings["min_runners"])
logging.info("%d runners, %d compared", len(table), int(table["reference_z"].notna().sum()))
write_table(table, snakemake.output[0])
