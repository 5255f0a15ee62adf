# Adapter: curves.nc -> hipdrop.report.figures.plot_obliquity_by_condition -> PNG.
import logging

import matplotlib

matplotlib.use("Agg")
from hipdrop.io.results import iter_curves  # noqa: E402
from hipdrop.report.figures import plot_obliquity_by_condition, save_png  # noqa: E402

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
figure = plot_obliquity_by_condition(iter_curves(snakemake.input.curves))
save_png(figure, snakemake.output[0], dpi=snakemake.params.dpi)
