# Adapter: dose_response.csv + subjects.csv + manipulation.csv -> hipdrop.report.figures.plot_dose_response -> PNG.
import logging

import matplotlib

matplotlib.use("Agg")
import pandas as pd  # noqa: E402

from hipdrop.report.captions import dose_response_caption, write_caption  # noqa: E402
from hipdrop.report.figures import plot_dose_response, save_png  # noqa: E402
from hipdrop.stats.tasks import running_rows  # noqa: E402

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
# the dose is the cadence achieved: running only
dose, subjects, manipulation = (running_rows(pd.read_csv(getattr(snakemake.input, name)))
                               for name in ("dose_response", "subjects", "manipulation"))
figure = plot_dose_response(dose, subjects, manipulation, baseline=snakemake.params.baseline)
save_png(figure, snakemake.output.figure, dpi=snakemake.params.dpi)
write_caption(snakemake.output.caption, dose_response_caption(dose), snakemake.input.description)
