# Adapter: the run's tables -> hipdrop.cohort.summary.run_summary -> summary.txt (also on the console and in the log).
import logging
import sys
from pathlib import Path

import pandas as pd

from hipdrop.cohort.summary import run_summary
from hipdrop.stats.reference import reference_settings

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
tables = {name: pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path)
          for name, path in snakemake.input.items()}
p = snakemake.params
text = run_summary(tables, sheet_problems=p.sheet_problems, quarantine_path=p.quarantine, min_stances=p.min_stances,
                   flag_excluded_pct=p.flag_excluded_pct,
                   reference_z_threshold=reference_settings({"reference": p.reference})["z_threshold"])
logging.info("\n%s", text)
print(text, file=sys.stderr)
Path(snakemake.output[0]).write_text(text + "\n")
