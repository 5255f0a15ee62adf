"""Speed and memory, as ratios measured in one run on the same files and cores (docs/architecture.md section 5).

    python benchmarks/run.py [--subjects 8] [--duration 30] [--cores 2]

Simulates a cohort into a temporary folder (or uses --cohort DIR), then times on the same cores:
  1. bare ezc3d: ``ezc3d.c3d(path)`` of every file, in a process pool;
  2. hipdrop ingest: ``hipdrop.io.read_c3d`` of every file, same pool (checks, mapping, canonical frame);
  3. the whole Snakemake workflow on the cohort, from a cold start (Python start-up and imports included).
Prints the ratios and the peak resident memory of each workflow job, then the peak memory of the aggregation
and figure steps when they join the run's batches once and --copies times over (the same batch files listed
repeatedly: a cohort that many times larger, as far as these steps can tell). Not part of the test run.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _bare(path: str) -> int:
    import ezc3d

    return ezc3d.c3d(path)["data"]["points"].shape[2]


def _ingest(path: str) -> int:
    from hipdrop.io.c3d.reader import read_c3d

    return read_c3d(path).sizes["time"]


def _warm(function, path) -> None:
    function(path)  # imports (xarray pulls in dask.array on first use, 0.4 s) are start-up, not parsing


def timed_pool(function, paths, cores) -> float:
    with ProcessPoolExecutor(cores, initializer=_warm, initargs=(function, paths[0])) as pool:
        list(pool.map(_warm, [function] * cores, paths[:cores]))  # start every worker before the clock
        start = time.perf_counter()
        list(pool.map(function, paths))
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subjects", type=int, default=8)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--cohort", type=Path, help="existing cohort folder with trials.tsv")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved bare/ingest rounds")
    parser.add_argument("--subjects-per-job", type=int, help="config subjects_per_job (default: the config's)")
    parser.add_argument("--copies", type=int, default=50, help="cohort multiple for the aggregation memory check")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hipdrop-bench-"))
    cohort = args.cohort
    if cohort is None:
        from hipdrop.simulate.running import CohortSpec, simulate_cohort

        cohort = work / "data"
        simulate_cohort(cohort, CohortSpec(n_subjects=args.subjects, duration_s=args.duration))
    paths = [str(cohort / p) for p in pd.read_csv(cohort / "trials.tsv", sep="\t")["path"]]
    megabytes = sum(Path(p).stat().st_size for p in paths) / 1e6

    # alternate the two over several rounds: the machine's load drifts, so a ratio from interleaved runs is fairer
    rounds = [(timed_pool(_bare, paths, args.cores), timed_pool(_ingest, paths, args.cores)) for _ in range(args.rounds)]
    ratios = sorted(i / b for b, i in rounds)
    bare = float(np.median([b for b, _ in rounds]))
    ingest = float(np.median([i for _, i in rounds]))

    (work / "config").mkdir(exist_ok=True)
    (work / "config" / "config.yaml").write_text(
        yaml.safe_dump({"trials": str(cohort / "trials.tsv"),
                        **({"subjects_per_job": args.subjects_per_job} if args.subjects_per_job else {})}))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(work), "--cores", str(args.cores), "--quiet"], check=True)
    workflow = time.perf_counter() - start
    jobs = pd.concat([pd.read_csv(f, sep="\t").assign(job=f.stem) for f in (work / "results" / "benchmarks").rglob("*.tsv")])

    print(f"{len(paths)} trials, {megabytes:.1f} MB, {args.cores} cores")
    print(f"bare ezc3d parse      {bare:7.2f} s  ({megabytes / bare:.0f} MB/s)")
    print(f"hipdrop ingest        {ingest:7.2f} s  ratio to bare ezc3d {np.median(ratios):.2f} "
          f"(median of {len(ratios)} interleaved rounds; range {ratios[0]:.2f}-{ratios[-1]:.2f})")
    print(f"whole workflow        {workflow:7.2f} s  ratio to bare ezc3d {workflow / bare:.2f}")
    batches = jobs[jobs.job.str.startswith("batch")]
    print(f"peak RSS per job (MB): max {jobs['max_rss'].max():.0f}; analyse_batch jobs "
          f"{batches['max_rss'].min():.0f}-{batches['max_rss'].max():.0f} ({len(batches)} jobs)")
    for copies in (1, args.copies):
        peak, n_stances = aggregation_peak_mb(work / "results", copies)
        print(f"aggregate + figure, batches x{copies:<3d} ({n_stances} stances): peak RSS {peak:.0f} MB")
    shutil.rmtree(work)


#: run in a fresh interpreter: join the batches' files listed ``copies`` times, then the figure's blockwise means
_AGGREGATE = """
import json, resource, sys
from pathlib import Path
from hipdrop.cohort.aggregate import aggregate_batches
from hipdrop.io.results import iter_curves
from hipdrop.report.figures import subject_mean_curves
results, copies = Path(sys.argv[1]), int(sys.argv[2])
batches = sorted((results / "batches").iterdir()) * copies
names = {"stances": "stances.parquet", "curves": "curves.nc", "trials": "trials.csv", "quarantine": "quarantine.csv",
         "agreement": "event_agreement.csv"}
inputs = {key: [str(b / name) for b in batches] for key, name in names.items()}
out = results / f"scaling-{copies}"
outputs = {key: str(out / name) for key, name in [("parquet", "stances.parquet"), ("csv", "stances.csv"),
           ("curves", "curves.nc"), ("trials", "trials.csv"), ("quarantine", "quarantine.csv"),
           ("agreement", "agreement.csv"), ("agreement_summary", "agreement_summary.csv")]}
aggregate_batches(inputs, outputs, curve_points=101)
means = subject_mean_curves(iter_curves(outputs["curves"]))
import h5netcdf
with h5netcdf.File(outputs["curves"], "r") as c:
    n = c.dimensions["stance"].size
print(json.dumps([resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, n]))
"""


def aggregation_peak_mb(results: Path, copies: int) -> tuple[float, int]:
    """Peak resident memory (MB) of aggregating the run's batches ``copies`` times over, and the stances joined."""
    import json

    done = subprocess.run([sys.executable, "-c", _AGGREGATE, str(results), str(copies)], check=True, capture_output=True, text=True)
    peak, n = json.loads(done.stdout.strip().splitlines()[-1])
    return peak, n


if __name__ == "__main__":
    main()
