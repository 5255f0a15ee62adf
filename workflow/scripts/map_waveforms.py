# Adapter: curves.nc -> hipdrop.stats.waveforms.spm_per_task -> clusters and SPM{t} tables, figure.
import logging

import matplotlib

matplotlib.use("Agg")
from hipdrop.io.results import curve_tasks, iter_curves, write_table  # noqa: E402
from hipdrop.report.captions import waveforms_caption, write_caption  # noqa: E402
from hipdrop.report.figures import save_png  # noqa: E402
from hipdrop.stats.waveforms import plot_waveforms, spm_per_task, t_table  # noqa: E402

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
params = snakemake.params
result = spm_per_task(lambda task: iter_curves(snakemake.input.curves, task=task), curve_tasks(snakemake.input.curves),
                      baseline=params.baseline, alpha=params.alpha, min_subjects=params.min_subjects)
for row in result.dropped.itertuples():
    logging.info("%s vs %s: runner %s left out: %s", row.condition, params.baseline, row.subject, row.reason)
logging.info("clusters:\n%s", result.clusters.to_string())
write_table(result.clusters, snakemake.output.clusters)
write_table(t_table(result), snakemake.output.t)
figure = plot_waveforms(result, baseline=params.baseline)
save_png(figure, snakemake.output.figure, dpi=snakemake.params.dpi)
write_caption(snakemake.output.caption, waveforms_caption(result.clusters), snakemake.input.description)
