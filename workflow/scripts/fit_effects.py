# Adapter: stance table -> hipdrop.stats.models.condition_effects per metric -> effects.csv.
import logging

import pandas as pd

from hipdrop.io.results import write_table
from hipdrop.stats.models import condition_effects

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
stances = pd.read_parquet(snakemake.input.stances)
effects = pd.concat(
    [condition_effects(stances, metric=m, baseline=snakemake.params.baseline) for m in snakemake.params.metrics],
    ignore_index=True,
)
logging.info("condition effects:\n%s", effects.to_string())
write_table(effects, snakemake.output[0])
