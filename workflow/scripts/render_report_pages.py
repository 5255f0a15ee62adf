# Adapter: summary.txt, methods.md and the result tables -> hipdrop.report.tables -> one HTML page each (the report
# shows HTML; a CSV or text file there is only a download).
import logging
import os
from pathlib import Path

from hipdrop.report.tables import methods_html, read_table, summary_html, table_html, write_page

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
# a table's name as the reader knows it, e.g. results/stats/effects.csv: relative to the folder above results/,
# which is two levels above this job's log (results/logs/render_report_pages.log)
above = Path(snakemake.log[0]).resolve().parents[2]
for name, path in snakemake.input.items():
    if name == "summary":
        page = summary_html(Path(path).read_text())
    elif name == "methods":
        page = methods_html(Path(path).read_text())
    else:
        page = table_html(read_table(path), title=snakemake.params.titles[name], source=path,
                          name=os.path.relpath(Path(path).resolve(), above))
    write_page(snakemake.output[name], page)
    logging.info("%s -> %s", path, snakemake.output[name])
