"""What a workflow job pays before its own work: a fresh Python's start-up and the imports of the hipdrop modules
its adapter script uses, in wall and CPU seconds (median of --runs fresh interpreters).

    python benchmarks/startup.py [--runs 5]

The one measurement behind "each job pays Python's start-up" in docs/architecture.md section 5 and the workflow's
comments (workflow/rules/common.smk, jobs.smk; hipdrop.execution.isolated). Not part of the test run.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time

#: what each kind of job imports before its work (its adapter script's hipdrop modules)
JOBS = {
    "bare python": "pass",
    "import hipdrop": "import hipdrop",
    "a batch of trials (analyse_batch)": "import hipdrop.cohort.batches, hipdrop.trial.process",
    "the cohort's statistics (cohort_statistics)": "import hipdrop.stats.effects, hipdrop.stats.waveforms, "
                                                   "hipdrop.stats.power, hipdrop.stats.responders",
    "the figures (draw_report)": "import matplotlib; matplotlib.use('Agg'); import hipdrop.report.figures, "
                                 "hipdrop.report.runner_pages",
}


def cost(code: str) -> tuple[float, float]:
    """Wall and CPU seconds of a fresh interpreter running ``code``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    cost(JOBS["a batch of trials (analyse_batch)"])  # the first run fills the OS's file cache: not a job's cost
    print(f"{'job':46s} {'wall s':>7s} {'cpu s':>7s}")
    for name, code in JOBS.items():
        runs = [cost(code) for _ in range(args.runs)]
        print(f"{name:46s} {statistics.median(w for w, _ in runs):7.2f} {statistics.median(c for _, c in runs):7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
