# Adapter: manipulation.csv -> hipdrop.report.figures.plot_adherence -> PNG.
import logging

import matplotlib

matplotlib.use("Agg")
import pandas as pd  # noqa: E402

from hipdrop.report.captions import adherence_caption, write_caption  # noqa: E402
from hipdrop.report.figures import plot_adherence, save_png  # noqa: E402
from hipdrop.stats.tasks import running_rows  # noqa: E402

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
# cadence targets and arm swing are running's modifications
manipulation = running_rows(pd.read_csv(snakemake.input.manipulation))
figure = plot_adherence(manipulation, baseline=snakemake.params.baseline,
                        cadence_tolerance_pct=snakemake.params.cadence_tolerance_pct)
save_png(figure, snakemake.output.figure, dpi=snakemake.params.dpi)
numbers = adherence_caption(manipulation, baseline=snakemake.params.baseline)
write_caption(snakemake.output.caption, numbers, snakemake.input.description)
