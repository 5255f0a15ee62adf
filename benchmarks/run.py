"""Speed and memory, as ratios measured in one run on the same files and cores (docs/architecture.md section 5).

    python benchmarks/run.py [--subjects 8] [--duration 30] [--cores 2] [--against OTHER_CHECKOUT] [--rounds 3]

Simulates a cohort into a temporary folder (or uses --cohort DIR), then times on the same cores:
  1. bare ezc3d: ``ezc3d.c3d(path)`` of every file, in a process pool (wall time, and the CPU time of the parses);
  2. hipdrop ingest: ``hipdrop.io.read_c3d`` of every file, same pool (checks, mapping, canonical frame);
  3. the whole Snakemake workflow on the cohort, from a cold start in a fresh folder (Python start-up, imports and
     Snakemake's own work included): wall time and CPU time (Snakemake and every job and worker), the number of
     jobs, then ``snakemake -n`` with nothing left to do. With --against (the root of another checkout, e.g.
     ``git archive <commit> | tar -x -C /tmp/before``; its Snakefile with its own ``src``), both workflows run
     round after round in alternation with the bare parse, each round in this order, so that the ratios hold on a
     shared machine; medians are printed.
Prints the ratios and the peak resident memory of each workflow job, then the peak memory of the aggregation
and figure steps when they join the run's batches once and --copies times over (the same batch files listed
repeatedly: a cohort that many times larger, as far as these steps can tell). Not part of the test run.

SLURM's commands: where they are installed but no controller answers (a laptop with the client tools, this
project's CI between SLURM tests), Snakemake's SLURM plugin and the workflow's check for an earlier run's SLURM
jobs each wait ~9 s for an answer at every start. That is no cost of the workflow, so by default the workflow runs
with a PATH that hides them (--with-slurm-tools keeps them).
"""

from __future__ import annotations

import argparse
import os
import resource
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
    function(path)  # imports (xarray imports dask when it first wraps an array, 0.16-0.3 cpu-s) are start-up


def timed_pool(function, paths, cores) -> float:
    with ProcessPoolExecutor(cores, initializer=_warm, initargs=(function, paths[0])) as pool:
        list(pool.map(_warm, [function] * cores, paths[:cores]))  # start every worker before the clock
        start = time.perf_counter()
        list(pool.map(function, paths))
        return time.perf_counter() - start


def _bare_cpu(path: str) -> float:
    start = time.process_time()
    _bare(path)
    return time.process_time() - start


def bare_parse(paths: list[str], cores: int) -> tuple[float, float]:
    """Wall seconds of the bare parse of ``paths`` on ``cores`` processes, and the CPU seconds of the parses."""
    wall = timed_pool(_bare, paths, cores)
    with ProcessPoolExecutor(cores, initializer=_warm, initargs=(_bare, paths[0])) as pool:
        cpu = sum(pool.map(_bare_cpu, paths, chunksize=4))
    return wall, cpu


#: SLURM's commands, hidden from the timed workflow (module docstring)
SLURM_COMMANDS = {"squeue", "sinfo", "sacct", "scontrol", "sbatch", "scancel", "srun", "salloc", "sacctmgr", "sstat"}


def path_without_slurm(folder: Path) -> str:
    """A PATH like this one, with SLURM's commands left out: links to every other command, in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            target = folder / entry.name
            if entry.name not in SLURM_COMMANDS and not target.exists() and not target.is_symlink():
                target.symlink_to(entry.path)
    return str(folder)


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_workflow(root: Path, work: Path, sheet: Path, cores: int, env: dict, subjects_per_job: int | None) -> dict:
    """The workflow of the checkout at ``root`` (its Snakefile, its ``src``) from a cold start in ``work``: wall and
    CPU seconds (every process of the run), jobs, and the wall seconds of ``snakemake -n`` with nothing left to do."""
    (work / "config").mkdir(parents=True, exist_ok=True)
    (work / "config" / "config.yaml").write_text(
        yaml.safe_dump({"trials": str(sheet), **({"subjects_per_job": subjects_per_job} if subjects_per_job else {})}))
    env = {**env, "PYTHONPATH": str(root / "src")}
    command = [sys.executable, "-m", "snakemake", "-s", str(root / "Snakefile"), "-d", str(work), "--cores", str(cores)]
    start, cpu = time.perf_counter(), children_cpu_s()
    subprocess.run(command + ["--quiet"], check=True, env=env, capture_output=True)
    wall, cpu = time.perf_counter() - start, children_cpu_s() - cpu
    start = time.perf_counter()
    subprocess.run(command + ["-n", "--quiet"], check=True, env=env, capture_output=True)
    nothing = time.perf_counter() - start
    jobs = pd.concat([pd.read_csv(f, sep="\t").assign(job=f.stem)
                      for f in (work / "results" / "benchmarks").rglob("*.tsv")])
    return {"wall": wall, "cpu": cpu, "nothing_to_do": nothing, "jobs": jobs}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subjects", type=int, default=8)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--cohort", type=Path, help="existing cohort folder with trials.tsv")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (bare parse, ingest, workflows)")
    parser.add_argument("--against", type=Path, help="root of another checkout, its workflow timed in alternation")
    parser.add_argument("--subjects-per-job", type=int, help="config subjects_per_job (default: the config's)")
    parser.add_argument("--copies", type=int, default=50, help="cohort multiple for the aggregation memory check")
    parser.add_argument("--with-slurm-tools", action="store_true", help="leave SLURM's commands on the PATH")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hipdrop-bench-"))
    cohort = args.cohort
    if cohort is None:
        from hipdrop.simulate.running import CohortSpec, simulate_cohort

        cohort = work / "data"
        simulate_cohort(cohort, CohortSpec(n_subjects=args.subjects, duration_s=args.duration))
    sheet = cohort / "trials.tsv"
    paths = [str(cohort / p) for p in pd.read_csv(sheet, sep="\t")["path"]]
    megabytes = sum(Path(p).stat().st_size for p in paths) / 1e6
    env = dict(os.environ)
    if not args.with_slurm_tools:
        env["PATH"] = path_without_slurm(work / "bin")
    trees = {"this": ROOT} | ({"against": args.against.resolve()} if args.against else {})

    # alternate everything over several rounds: the machine's load drifts, so a ratio from interleaved runs is fairer
    rounds = []
    for k in range(args.rounds):
        bare, bare_cpu = bare_parse(paths, args.cores)
        row = {"bare": bare, "bare_cpu": bare_cpu, "ingest": timed_pool(_ingest, paths, args.cores)}
        for name, root in trees.items():
            row[name] = run_workflow(root, work / f"{name}-{k}", sheet, args.cores, env, args.subjects_per_job)
        rounds.append(row)

    def median(values) -> float:
        return float(np.median(list(values)))

    bare = median(r["bare"] for r in rounds)
    print(f"{len(paths)} trials, {megabytes:.1f} MB, {args.cores} cores, {args.rounds} interleaved rounds (medians; "
          f"ratios are medians of each round's own ratio){'' if args.with_slurm_tools else '; SLURM commands hidden'}")
    print(f"bare ezc3d parse      {bare:7.2f} s  {median(r['bare_cpu'] for r in rounds):7.2f} cpu-s  "
          f"({megabytes / bare:.0f} MB/s)")
    print(f"hipdrop ingest        {median(r['ingest'] for r in rounds):7.2f} s  ratio to bare ezc3d "
          f"{median(r['ingest'] / r['bare'] for r in rounds):.2f}")
    for name, root in trees.items():
        runs = [r[name] for r in rounds]
        wall_ratios = sorted(run["wall"] / r["bare"] for run, r in zip(runs, rounds))
        cpu_ratios = sorted(run["cpu"] / r["bare_cpu"] for run, r in zip(runs, rounds))
        print(f"workflow {name:8s} ({root}): {median(run['wall'] for run in runs):6.2f} s "
              f"{median(run['cpu'] for run in runs):6.2f} cpu-s; ratio to bare ezc3d {np.median(wall_ratios):.2f} wall "
              f"(range {wall_ratios[0]:.2f}-{wall_ratios[-1]:.2f}), {np.median(cpu_ratios):.2f} cpu "
              f"({cpu_ratios[0]:.2f}-{cpu_ratios[-1]:.2f}); {len(runs[-1]['jobs'])} jobs; snakemake -n with nothing "
              f"to do {median(run['nothing_to_do'] for run in runs):.2f} s")
    jobs = rounds[-1]["this"]["jobs"]
    batches = jobs[jobs.job.str.startswith("batch")]
    print(f"peak RSS per job (MB), this checkout: max {jobs['max_rss'].max():.0f}; analyse_batch jobs "
          f"{batches['max_rss'].min():.0f}-{batches['max_rss'].max():.0f} ({len(batches)} jobs)")
    results = work / f"this-{args.rounds - 1}" / "results"
    for copies in (1, args.copies):
        peak, n_stances = aggregation_peak_mb(results, copies)
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
