"""Several workflow steps in one process (workflow/rules/jobs.smk): each step's own adapter script, run in turn with
that step's inputs, outputs, params and log, as Snakemake would run it as a job of its own; one Python start-up and
one set of imports for all of them (docs/architecture.md section 5)."""

import logging
import runpy
import sys
import time

from snakemake.iocontainers import InputFiles, Log, OutputFiles, Params
from snakemake.script import Snakemake


def _namedlist(kind, named: dict):
    """A Snakemake named list of ``kind`` from {name: value or [values]}; a name "_<position>" stays unnamed."""
    items = kind()
    for name, value in named.items():
        start = len(items)
        if isinstance(value, list) and not name.startswith("_"):
            items.extend(value)
            items._set_name(name, start, end=len(items))
        else:
            items.append(value)
            if not name.startswith("_"):
                items._set_name(name, start)
    return items


def _fresh_logging() -> None:
    """Each step's ``logging.basicConfig(filename=its log)`` takes effect: the previous step's handlers go."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()


def run_steps(job) -> None:
    """Run the steps of ``job`` (the Snakemake object of a jobs.smk rule), in the order its params list them."""
    for step in job.params.steps:
        _fresh_logging()
        own = Snakemake(
            _namedlist(InputFiles, step["input"]),
            _namedlist(OutputFiles, step["output"]),
            _namedlist(Params, step["params"]),
            job.wildcards, job.threads, job.resources, _namedlist(Log, {f"_{i}": path for i, path in enumerate(step["log"])}), job.config,
            step["rule"], job.bench_iteration, job.scriptdir,
        )
        start = time.process_time()
        runpy.run_path(step["script"], init_globals={"snakemake": own}, run_name="__main__")
        if "matplotlib.pyplot" in sys.modules:  # a step's figures are written: none stays in memory for the next
            sys.modules["matplotlib.pyplot"].close("all")
        print(f"{job.rule}: {step['rule']} done ({time.process_time() - start:.2f} cpu-s)", file=sys.stderr)
    _fresh_logging()
