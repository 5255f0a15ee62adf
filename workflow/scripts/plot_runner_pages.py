# Adapter: curves, stances, responders, manipulation -> hipdrop.report.runner_pages.runner_page -> one PNG per runner.
import logging

import matplotlib

matplotlib.use("Agg")
import pandas as pd  # noqa: E402

from hipdrop.io.results import iter_curves  # noqa: E402
from hipdrop.report.runner_pages import write_runner_pages  # noqa: E402
from hipdrop.stats.control import page_lines as control_lines  # noqa: E402
from hipdrop.stats.reference import page_line as reference_line  # noqa: E402
from hipdrop.stats.tasks import with_task_labels  # noqa: E402
from hipdrop.stats.waveforms import subject_mean_curves  # noqa: E402

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
# the runners' mean curves in one pass over the curves file: the cohort's stances never sit in memory at once
means = subject_mean_curves(iter_curves(snakemake.input.curves))
stances = pd.read_parquet(snakemake.input.stances)
stances = stances[[c for c in ("task", "subject", "condition", "side", "excluded", "exclude_reason", "cpd_peak_deg")
                   if c in stances] + [c for c in stances if c.startswith("emg_")]]  # EMG: hipdrop.report.emg
responders = pd.read_csv(snakemake.input.responders, dtype={"subject": str, "condition": str})
manipulation = pd.read_csv(snakemake.input.manipulation, dtype={"subject": str, "condition": str})
# a runner who also squats: each task's conditions apart ("task: condition"), as in the mean curves
stances, responders, manipulation = (with_task_labels(t) for t in (stances, responders, manipulation))
pages = {str(subject): path for subject, path in zip(snakemake.params.subjects, snakemake.output.pages)}
# the runner's control against fatigue (stats/control.csv) and baseline peak drop against the reference
control = pd.read_csv(snakemake.input.control, dtype={"subject": str, "condition": str})
reference = pd.read_csv(snakemake.input.reference, dtype={"subject": str})
notes = {subject: ["Control of peak drop (stride-to-stride SD about each side's mean; CV; drift per minute, "
                   "Newey-West CI): " + "; ".join(control_lines(subject, with_task_labels(control))),
                   reference_line(subject, reference)] for subject in pages}
write_runner_pages(pages, means, stances, responders, manipulation, baseline=snakemake.params.baseline,
                   min_stances=snakemake.params.min_stances, workers=snakemake.threads,
                   dpi=snakemake.params.dpi, notes=notes)
