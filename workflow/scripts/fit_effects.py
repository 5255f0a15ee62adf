# Adapter: stance table (+ design flags) -> the mixed model and the rm-ANOVA per metric -> effects.csv, and the
# mixed model's variance components -> variance_components.csv (for the power calculation).
import logging

import pandas as pd

from hipdrop.io.results import write_table
from hipdrop.stats.effects import effects_per_task
from hipdrop.stats.emg import mixed_normalisation, normalised_for_statistics

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
p = snakemake.params
stances, emg = pd.read_parquet(snakemake.input.stances), []
if p.emg["analysed"]:  # a study with EMG: the envelopes in % (hipdrop.stats.emg.normalised_for_statistics)
    reported, stances, emg = normalised_for_statistics(stances, baseline=p.baseline)
    mixed = mixed_normalisation(reported)  # some runners in % MVC, others in % of their baseline mean
    if mixed:
        logging.warning("EMG %s: only some runners have an MVC; the effects use every runner's baseline mean "
                        "(subjects.csv keeps %% MVC where there is one)", ", ".join(mixed))
effects, components, notes = effects_per_task(
    stances, pd.read_csv(snakemake.input.manipulation), baseline=p.baseline,
    metrics=[*p.metrics, *emg], min_subjects=p.min_subjects, alpha=p.alpha, exclude_confounded=p.exclude_confounded,
)
# the power calculation (smallest_effect_deg) is about degrees of drop: the EMG's components stay out of it
components = components[~components["metric"].isin(emg)]
for note in notes:
    logging.warning(note)
logging.info("condition effects:\n%s", effects.to_string())
write_table(effects, snakemake.output.effects)
write_table(components, snakemake.output.components)
