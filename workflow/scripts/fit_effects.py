# Adapter: stance table (+ design flags) -> the mixed model and the rm-ANOVA per metric -> effects.csv, and the
# mixed model's variance components -> variance_components.csv (for the power calculation).
import logging

import pandas as pd

from hipdrop.io.results import write_table
from hipdrop.stats.effects import effects_per_task

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
p = snakemake.params
effects, components, notes = effects_per_task(
    pd.read_parquet(snakemake.input.stances), pd.read_csv(snakemake.input.manipulation), baseline=p.baseline,
    metrics=p.metrics, min_subjects=p.min_subjects, alpha=p.alpha, exclude_confounded=p.exclude_confounded,
)
for note in notes:
    logging.warning(note)
logging.info("condition effects:\n%s", effects.to_string())
write_table(effects, snakemake.output.effects)
write_table(components, snakemake.output.components)
