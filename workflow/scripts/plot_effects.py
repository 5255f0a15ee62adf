# Adapter: effects.csv (+ responders, manipulation for the caption) -> hipdrop.report.figures.plot_effects -> PNG, caption.
import logging

import matplotlib

matplotlib.use("Agg")
import pandas as pd  # noqa: E402

from hipdrop.report.captions import effects_caption, write_caption  # noqa: E402
from hipdrop.report.figures import plot_effects, save_png  # noqa: E402

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
effects = pd.read_csv(snakemake.input.effects)
figure = plot_effects(effects, metrics=snakemake.params.metrics)
save_png(figure, snakemake.output.figure, dpi=snakemake.params.dpi)
numbers = effects_caption(effects, pd.read_csv(snakemake.input.responders),
                          pd.read_csv(snakemake.input.manipulation))
write_caption(snakemake.output.caption, numbers, snakemake.input.description)
