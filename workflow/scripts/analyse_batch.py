# Adapter: a batch of subjects' trials -> hipdrop.cohort.batches.analyse_trials -> the batch's tables.
import logging

import dask
import pandas as pd

from hipdrop.cohort.aggregate import empty_curves
from hipdrop.cohort.batches import analyse_trials
from hipdrop.io.results import write_netcdf, write_table

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
# a Dask cluster's own chatter (connections opened and closed) only when something goes wrong; distributed sets
# its loggers' levels from this when it is first imported
dask.config.set({"logging.distributed": "warning"})
config = dict(snakemake.params.config)
out = analyse_trials(pd.DataFrame(snakemake.params.rows), config=config, workers=snakemake.threads)
for row in out["quarantine"].itertuples():
    logging.warning("quarantined %s at %s: %s", row.path, row.stage, row.reason)
logging.info("%d stances from %d trials", len(out["stances"]), len(out["trials"]))
write_table(out["stances"], snakemake.output.stances)
write_netcdf(out["curves"] if out["curves"] is not None else empty_curves(config["stances"]["curve_points"]), snakemake.output.curves)
write_table(out["trials"], snakemake.output.trials)
write_table(out["quarantine"], snakemake.output.quarantine)
write_table(out["agreement"], snakemake.output.agreement)
