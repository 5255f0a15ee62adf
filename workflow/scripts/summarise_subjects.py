# Adapter: stance table -> hipdrop.stats.subjects.subject_table -> subjects.csv.
import logging

import pandas as pd

from hipdrop.io.results import write_table
from hipdrop.stats.control import subject_columns as control_columns
from hipdrop.stats.emg import emg_metrics, normalisation_column, normalise_emg
from hipdrop.stats.reference import subject_columns as reference_columns
from hipdrop.stats.subjects import SUBJECT_METRICS, subject_table
from hipdrop.stats.tasks import per_task

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
stances = pd.read_parquet(snakemake.input.stances)
emg = []  # a study with EMG: each muscle's envelope in % of the runner's MVC where there is one, else of its
# baseline mean (hipdrop.stats.emg.normalise_emg; only the effects need normalised_for_statistics' second table)
if snakemake.params.emg["analysed"]:
    stances = normalise_emg(stances, baseline=snakemake.params.baseline)
    emg = emg_metrics(stances)
table = per_task(stances,
                 lambda rows: subject_table(rows, baseline=snakemake.params.baseline, metrics=(*SUBJECT_METRICS, *emg),
                                            min_stances=snakemake.params.min_stances))
if emg:  # which reference each runner's EMG is in: % MVC (sheet column mvc) or % of its baseline mean
    table = normalisation_column(table, stances)
# beside each row: its control (stride-to-stride SD, CV, drift; stats/control.csv) and, on the baseline peak-drop
# row, the runner's z against the reference (stats/reference.csv)
table = control_columns(table, pd.read_csv(snakemake.input.control, dtype={"subject": str, "condition": str}))
table = reference_columns(table, pd.read_csv(snakemake.input.reference, dtype={"subject": str}),
                          baseline=snakemake.params.baseline)
logging.info("%d rows (subject x condition x metric)", len(table))
write_table(table, snakemake.output[0])
