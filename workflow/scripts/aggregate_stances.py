# Adapter: per-batch tables -> the cohort's stance table, curves, trial log and quarantine list.
import logging
import sys

import pandas as pd
import xarray as xr

from hipdrop.cohort import agreement_summary, concat_curves, empty_curves, order_columns, summary_line
from hipdrop.io.results import write_netcdf, write_table

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
stances = order_columns(pd.concat([pd.read_parquet(p) for p in snakemake.input.stances], ignore_index=True))
curves = concat_curves([xr.open_dataarray(p, engine="h5netcdf").load() for p in snakemake.input.curves])
trials = pd.concat([pd.read_csv(p) for p in snakemake.input.trials], ignore_index=True)
quarantine = pd.concat([pd.read_csv(p) for p in snakemake.input.quarantine], ignore_index=True)
agreement = pd.concat([pd.read_csv(p, dtype={"trial": str}) for p in snakemake.input.agreement], ignore_index=True)

write_table(stances, snakemake.output.parquet)
write_table(stances, snakemake.output.csv)
write_netcdf(curves if curves is not None else empty_curves(101), snakemake.output.curves)
write_table(trials, snakemake.output.trials)
write_table(quarantine, snakemake.output.quarantine)
write_table(agreement, snakemake.output.agreement)
write_table(agreement_summary(agreement), snakemake.output.agreement_summary)

summary = summary_line(trials, snakemake.output.quarantine)
logging.info(summary)
print(summary, file=sys.stderr)
if snakemake.params.strict and len(quarantine):
    raise SystemExit(f"strict mode: {len(quarantine)} trial(s) quarantined, see {snakemake.output.quarantine}")
