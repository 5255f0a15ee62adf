# Adapter: the mixed model's variance components -> hipdrop.stats.power.power_table -> power.csv.
import logging

import pandas as pd

from hipdrop.io.results import write_table
from hipdrop.stats.power import power_table
from hipdrop.stats.tasks import per_task

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
p = snakemake.params
table = per_task(pd.read_csv(snakemake.input.components),
                 lambda rows: power_table(rows, alpha=p.alpha, power=p.power, smallest_effect_deg=p.smallest_effect_deg))
logging.info("runners needed:\n%s", table.to_string())
write_table(table, snakemake.output[0])
