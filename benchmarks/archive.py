"""Scale: a simulated archive the size of the Running Injury Clinic's (about 1,800 running trials) through the whole
workflow, against a bare ezc3d parse of the same files on the same cores.

    python benchmarks/archive.py [--trials 1800] [--duration 30] [--cores 2] [--subjects-per-job N]
                                 [--batch-threads T] [--archive DIR] [--keep]

1. Simulates the archive into --archive (reused when it holds a trials.tsv): trials/4 runners x 4 conditions x
   30 s at 200 Hz, Plug-in Gait markers, in parts of 10 runners, each part written by a fresh process: the ezc3d
   writer leaks about 3.5 MB per file written, so no process writes more than one part.
2. Bare ezc3d: ``ezc3d.c3d(path)`` of every file on --cores processes (benchmarks/run.py's pool).
3. The whole workflow with the default profile on --cores cores, from a cold start, timed; --subjects-per-job and
   --batch-threads (analyse_batch's threads) change the job layout.
4. From the jobs' Snakemake benchmark files and the run's log: wall time per stage (analyse: until the last batch
   job ends; then aggregation, statistics and figures), job-seconds and CPU-seconds per stage, peak memory per job
   (RSS, and PSS, which shares the pages a batch job's forked workers hold in common), and the ratios, in wall
   time and in CPU time (the CPU ratio holds on a machine others share; the wall ratio only on an idle one).
Not part of the test run. On the 2-core development machine (shared) 200 trials took 3 minutes and 400 trials 6.5,
simulation included (README, "Known limits"): the statistics grow faster than the cohort.
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from run import _bare, timed_pool  # noqa: E402  the same bare parse and pool as the demo benchmark

RUNNERS_PER_PART = 10


def run_measuring_own_cpu(command: list[str]) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``command``; return its completed process (text output) and the CPU seconds of its own process alone,
    without its children (sampled every 0.2 s until it exits: the last 0.2 s may be missed)."""
    import psutil  # a Snakemake dependency

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, text=True)
        watched, own = psutil.Process(process.pid), 0.0
        while process.poll() is None:
            try:
                times = watched.cpu_times()
                own = times.user + times.system
            except psutil.Error:  # exited between the poll and the sample
                pass
            time.sleep(0.2)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(command, process.returncode, out.read(), err.read()), own


def children_cpu_s() -> float:
    """CPU seconds of this process's finished descendants: a child's own children count once it has waited for
    them, so around a Snakemake run it is the whole run's, every job and worker included."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _bare_cpu(path: str) -> float:
    start = time.process_time()
    _bare(path)
    return time.process_time() - start
CONDITIONS_PER_RUNNER = 4


def simulate_part(directory: Path, part: int, runners: int, duration_s: float) -> pd.DataFrame:
    """One part of the archive in its own folder; runner ids and paths made unique across parts."""
    from hipdrop.simulate.running import CohortSpec, simulate_cohort

    name = f"part{part:03d}"
    sheet = simulate_cohort(directory / name, CohortSpec(n_subjects=runners, duration_s=duration_s, seed=2026 + part))
    return sheet.assign(subject=name + "_" + sheet["subject"], path=name + "/" + sheet["path"])


def simulate_archive(directory: Path, trials: int, duration_s: float, cores: int) -> Path:
    sheet_path = directory / "trials.tsv"
    if sheet_path.exists():
        return sheet_path
    runners = -(-trials // CONDITIONS_PER_RUNNER)
    sizes = [min(RUNNERS_PER_PART, runners - start) for start in range(0, runners, RUNNERS_PER_PART)]
    # a fresh process per part: the writer's leak (~3.5 MB per file) never accumulates past one part
    with ProcessPoolExecutor(cores, max_tasks_per_child=1) as pool:
        parts = list(pool.map(simulate_part, [directory] * len(sizes), range(len(sizes)), sizes, [duration_s] * len(sizes)))
    pd.concat(parts, ignore_index=True).to_csv(sheet_path, sep="\t", index=False)
    return sheet_path


#: a job's start and end as Snakemake's log shows them: a timestamp line, then what happened
_STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$")
_FINISHED = re.compile(r"Finished jobid: \d+ \(Rule: (\w+)\)")


def finish_times(log: str) -> pd.DataFrame:
    """(rule, seconds after the first timestamp) of every finished job, from Snakemake's console log."""
    rows, stamp, first = [], None, None
    for line in log.splitlines():
        match = _STAMP.match(line.strip())
        if match:
            stamp = datetime.strptime(match.group(1), "%a %b %d %H:%M:%S %Y")
            first = first or stamp
            continue
        done = _FINISHED.search(line)
        if done and stamp is not None:
            rows.append({"rule": done.group(1), "finished_s": (stamp - first).total_seconds()})
    return pd.DataFrame(rows, columns=["rule", "finished_s"])


def stage_of_rules() -> dict[str, str]:
    """Each rule's stage: the rules file that defines it (analyse, aggregate, stats, figures, report)."""
    stages = {}
    for smk in sorted((ROOT / "workflow" / "rules").glob("*.smk")):
        for rule in re.findall(r"^rule (\w+):", smk.read_text(), flags=re.M):
            stages[rule] = smk.stem
    return stages


def job_table(results: Path) -> pd.DataFrame:
    stages = stage_of_rules()
    jobs = []
    for tsv in sorted((results / "benchmarks").rglob("*.tsv")):
        rule = tsv.parent.name if tsv.parent.name != "benchmarks" else tsv.stem
        jobs.append(pd.read_csv(tsv, sep="\t").iloc[-1:].assign(rule=rule, job=tsv.stem, stage=stages.get(rule, "?")))
    return pd.concat(jobs, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=1800)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--subjects-per-job", type=int, help="config subjects_per_job (default: the config's)")
    parser.add_argument("--batch-threads", type=int, help="analyse_batch's threads (default: the profile's)")
    parser.add_argument("--archive", type=Path, help="folder of the archive (simulated there when it has no trials.tsv)")
    parser.add_argument("--keep", action="store_true", help="keep the workflow's folder and print it")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hipdrop-archive-"))
    archive = args.archive or work / "archive"
    archive.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    sheet_path = simulate_archive(archive, args.trials, args.duration, args.cores)
    simulated = time.perf_counter() - start
    paths = [str(archive / p) for p in pd.read_csv(sheet_path, sep="\t")["path"]]
    megabytes = sum(Path(p).stat().st_size for p in paths) / 1e6

    bare = timed_pool(_bare, paths, args.cores)
    with ProcessPoolExecutor(args.cores) as pool:
        bare_cpu = sum(pool.map(_bare_cpu, paths, chunksize=16))

    (work / "config").mkdir()
    config = {"trials": str(sheet_path)}
    if args.subjects_per_job:
        config["subjects_per_job"] = args.subjects_per_job
    (work / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    command = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(work),
               "--profile", str(ROOT / "workflow" / "profiles" / "default"), "--cores", str(args.cores)]
    if args.batch_threads:
        command += ["--set-threads", f"analyse_batch={args.batch_threads}"]
    start, cpu_before = time.perf_counter(), children_cpu_s()
    done, snakemake_cpu = run_measuring_own_cpu(command)
    workflow, workflow_cpu = time.perf_counter() - start, children_cpu_s() - cpu_before
    if done.returncode != 0:
        sys.exit(f"the workflow failed:\n{done.stderr[-3000:]}")

    jobs = job_table(work / "results")
    finished = finish_times(done.stderr).assign(stage=lambda t: t["rule"].map(stage_of_rules()))
    analysed = finished.loc[finished["stage"] == "analyse", "finished_s"].max()
    print(f"archive: {len(paths)} trials of {args.duration:g} s at 200 Hz, {megabytes:.0f} MB (simulated in "
          f"{simulated:.0f} s); {args.cores} cores; "
          f"{jobs['stage'].eq('analyse').sum()} batch jobs")
    print(f"bare ezc3d parse       {bare:8.1f} s  {bare_cpu:8.1f} cpu-s  ({1000 * bare_cpu / len(paths):.0f} cpu-ms per trial)")
    print(f"whole workflow         {workflow:8.1f} s  {workflow_cpu:8.1f} cpu-s  ratio to bare ezc3d {workflow / bare:.2f} "
          f"(wall), {workflow_cpu / bare_cpu:.2f} (cpu)")
    print(f"  analysed (last batch job ended) at {analysed:6.0f} s; aggregation, statistics and figures after it "
          f"{finished['finished_s'].max() - analysed:4.0f} s (log times, 1 s resolution)")
    # the benchmark files sample each job's processes about once a second: what ran between the last sample and
    # the end (a worker's last trial, a short job's tail) lands here, beside Snakemake's own parsing and scheduling
    print(f"  outside the jobs' benchmark files: {workflow_cpu - jobs['cpu_time'].sum():.0f} cpu-s, of which Snakemake's "
          f"own process {snakemake_cpu:.0f} (parsing, scheduling, sampling the jobs), the rest job CPU the sampling "
          "missed")
    print("per stage: jobs, job-seconds, CPU-seconds, peak RSS / PSS of one job (MB)")
    for stage, rows in jobs.groupby("stage", sort=False):
        print(f"  {stage:10s} {len(rows):4d} jobs {rows['s'].sum():8.1f} s {rows['cpu_time'].sum():8.1f} cpu-s  "
              f"peak {rows['max_rss'].max():6.0f} / {rows['max_pss'].max():6.0f} MB")
    print("slowest jobs:")
    for row in jobs.nlargest(5, "s").itertuples():
        print(f"  {row.rule:20s} {row.job:12s} {row.s:7.1f} s  {row.cpu_time:7.1f} cpu-s  peak RSS {row.max_rss:5.0f} MB")
    if args.keep:
        print(f"kept: {work}")
    else:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
