# Adapter: stances (exclusions) + quarantine.csv + event_agreement_summary.csv -> hipdrop.report.figures.plot_quality -> PNG.
import logging

import matplotlib

matplotlib.use("Agg")
import pandas as pd  # noqa: E402

from hipdrop.report.captions import quality_caption, write_caption  # noqa: E402
from hipdrop.report.figures import plot_quality, save_png  # noqa: E402

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
# only the two columns the figure needs: the stance table of an archive is large
stances = pd.read_parquet(snakemake.input.stances, columns=["excluded", "exclude_reason"])


def read_table(path):
    """A CSV that may be empty (no trial quarantined, no event references) as a DataFrame."""
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


agreement = read_table(snakemake.input.agreement)
quarantine = read_table(snakemake.input.quarantine)
figure = plot_quality(stances, quarantine, agreement)
logging.info("%d stances, %d excluded; %d trials with event references", len(stances), int(stances["excluded"].sum()),
             len(agreement[["subject", "condition", "trial"]].drop_duplicates()) if len(agreement) else 0)
save_png(figure, snakemake.output.figure, dpi=snakemake.params.dpi)
write_caption(snakemake.output.caption, quality_caption(stances, quarantine, agreement),
              snakemake.input.description)
