# Adapter: the run's validated config, every default filled in -> hipdrop.io.run_record.write_run_config -> config.yaml.
# A script step, not a `run:` block: Snakemake runs a `run:` job in a snakemake process of its own that parses the
# whole workflow again (0.9 cpu-s on the demo); as a step it joins draw_report (workflow/rules/jobs.smk).
from pathlib import Path

from hipdrop.io.run_record import write_run_config

write_run_config(snakemake.output[0], snakemake.params.config)
Path(snakemake.log[0]).write_text(f"wrote {snakemake.output[0]}\n")
