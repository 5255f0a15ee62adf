# Adapter: config, trial log and stance table -> hipdrop.report.methods.methods_paragraph -> methods.md.
import logging

import pandas as pd

from hipdrop.io.results import atomic_path
from hipdrop.report.emg import emg_mean_columns
from hipdrop.report.methods import methods_paragraph

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
tables = {
    "trials": pd.read_csv(snakemake.input.trials, usecols=lambda c: c in {"status", "event_source"}),
    "stances": pd.read_parquet(snakemake.input.stances, columns=["subject", "condition", "trial", "excluded",
                                                                 *emg_mean_columns(snakemake.input.stances)]),
    "effects": pd.read_csv(snakemake.input.effects, usecols=["term", "analysis", "estimable", "reason"]),
    "reference": pd.read_csv(snakemake.input.reference, usecols=["reference_source"]),
}
text = methods_paragraph(snakemake.params.config, tables)
with atomic_path(snakemake.output[0]) as tmp:
    tmp.write_text(text)
logging.info("wrote %s (%d characters)", snakemake.output[0], len(text))
