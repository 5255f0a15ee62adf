# Adapter: stance table (+ design flags) -> the mixed model and the rm-ANOVA on each arm measure
# (hipdrop.kernels.arms and the fore-aft amplitude) -> arm_effects.csv. The same analyses as effects.csv; a metric
# no trial measured (no arm markers), or with the same value in every stride, gets rows that say why it has no effect.
import logging

import pandas as pd

from hipdrop.io.results import write_table
from hipdrop.stats.effects import effects_per_task

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
p = snakemake.params
stances = pd.read_parquet(snakemake.input.stances)
manipulation = pd.read_csv(snakemake.input.manipulation)
effects, _, notes = effects_per_task(
    stances, manipulation, baseline=p.baseline, metrics=list(p.metrics),
    min_subjects=p.min_subjects, alpha=p.alpha, exclude_confounded=p.exclude_confounded,
)
for note in notes:
    logging.warning(note)
# the models name their columns for peak drop (deg); here each row is in its metric's own unit
units = {"mm": "mm", "deg": "deg", "pct": "%"}
effects = effects.rename(columns={"estimate_deg": "estimate", "se_deg": "se"})
effects.insert(effects.columns.get_loc("metric") + 1, "unit", effects["metric"].str.rsplit("_", n=1).str[-1].map(units))
logging.info("arm measures' condition effects:\n%s", effects.to_string())
write_table(effects, snakemake.output[0])
