# Adapter: subjects.csv + responders.csv -> hipdrop.report.figures.plot_runners -> PNG.
import logging

import matplotlib

matplotlib.use("Agg")
import pandas as pd  # noqa: E402

from hipdrop.report.captions import runners_caption, write_caption  # noqa: E402
from hipdrop.report.figures import plot_runners, save_png  # noqa: E402

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
responders = pd.read_csv(snakemake.input.responders)
figure = plot_runners(pd.read_csv(snakemake.input.subjects), responders, baseline=snakemake.params.baseline)
save_png(figure, snakemake.output.figure, dpi=snakemake.params.dpi)
write_caption(snakemake.output.caption, runners_caption(responders),
              snakemake.input.description)
