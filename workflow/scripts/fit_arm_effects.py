# Adapter: stance table (+ design flags) -> the mixed model and the rm-ANOVA on each arm measure
# (hipdrop.kernels.arms and the fore-aft amplitude) -> arm_effects.csv. The same analyses as effects.csv; a metric
# no trial measured (no arm markers), or with the same value in every stride, is left out and said so in the log.
import logging

import pandas as pd

from hipdrop.io.results import write_table
from hipdrop.stats.effects import effects_per_task

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
p = snakemake.params
stances = pd.read_parquet(snakemake.input.stances)
manipulation = pd.read_csv(snakemake.input.manipulation)
included = stances[~stances["excluded"].astype(bool)] if "excluded" in stances else stances
parts = []
for metric in p.metrics:
    values = pd.to_numeric(included[metric], errors="coerce").dropna() if metric in included else pd.Series(dtype=float)
    if values.empty:
        logging.warning("%s: no trial measured it (no arm markers, or no thorax for the rotation): no effects", metric)
        continue
    if values.max() == values.min():
        # e.g. a crossover share of 0 in every stride (wrists that never cross): no variance, nothing to estimate
        logging.warning("%s: %g in every included stride: no effect to estimate", metric, values.iloc[0])
        continue
    effects, _, notes = effects_per_task(
        stances, manipulation, baseline=p.baseline, metrics=[metric],
        min_subjects=p.min_subjects, alpha=p.alpha, exclude_confounded=p.exclude_confounded,
    )
    for note in notes:
        logging.warning(note)
    parts.append(effects)
if parts:
    effects = pd.concat(parts, ignore_index=True)
    # the models name their columns for peak drop (deg); here each row is in its metric's own unit
    units = {"mm": "mm", "deg": "deg", "pct": "%"}
    effects = effects.rename(columns={"estimate_deg": "estimate", "se_deg": "se"})
    effects.insert(effects.columns.get_loc("metric") + 1, "unit", effects["metric"].str.rsplit("_", n=1).str[-1].map(units))
else:
    effects = pd.DataFrame(columns=["task", "metric", "unit", "term"])
logging.info("arm measures' condition effects:\n%s", effects.to_string())
write_table(effects, snakemake.output[0])
