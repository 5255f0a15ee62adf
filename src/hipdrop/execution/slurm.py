"""SLURM as the workflow and the Dask cluster need it: what a partition's largest node offers (a job that cannot fit
stops the run before anything is submitted), and which jobs of an earlier run still write into a folder."""

from __future__ import annotations

import math
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from hipdrop.config import ConfigError


@dataclass(frozen=True)
class PartitionLimits:
    """The most one job can get on a SLURM partition: cpus and memory (MB) of its largest node, its time limit."""

    name: str
    cpus: int
    memory_mb: int
    max_runtime_min: float  # inf without a limit


def _slurm(*command: str) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except FileNotFoundError as err:
        raise ConfigError(f"{command[0]} not found: is this a SLURM login node?") from err
    if done.returncode != 0:
        raise ConfigError(f"{' '.join(command)} failed: {done.stderr.strip()}")
    return done.stdout


def slurm_partition_limits(partition: str | None = None) -> PartitionLimits:
    """The limits of ``partition`` (None: the cluster's default partition), from ``sinfo``, one line per node."""
    rows = [line.split("|") for line in _slurm("sinfo", "--noheader", "--Node", "--format", "%P|%c|%m|%l").splitlines()
            if line.strip()]
    default = sorted({p.rstrip("*") for p, *_ in rows if p.endswith("*")})
    name = partition or (default[0] if default else None)
    nodes = [row for row in rows if row[0].rstrip("*") == name]
    if not nodes:
        offered = sorted({p.rstrip("*") for p, *_ in rows})
        raise ConfigError(f"SLURM partition {name!r} not found; this cluster has: {', '.join(offered) or 'none'}")
    return PartitionLimits(name=name, cpus=max(int(n[1].rstrip("+")) for n in nodes),
                           memory_mb=max(int(n[2].rstrip("+")) for n in nodes),
                           max_runtime_min=max(walltime_minutes(n[3]) for n in nodes))


def walltime_minutes(text: str) -> float:
    """A SLURM time (``minutes``, ``MM:SS``, ``HH:MM:SS``, ``D-HH[:MM[:SS]]``, ``infinite``) in minutes."""
    text = str(text).strip()
    if text.lower() in ("infinite", "unlimited", "n/a"):
        return math.inf
    days, _, clock = text.rpartition("-")
    parts = [float(p) for p in clock.split(":")]
    if days:  # D-HH, D-HH:MM, D-HH:MM:SS
        hours, minutes, seconds = (parts + [0.0, 0.0])[:3]
    elif len(parts) == 3:
        hours, minutes, seconds = parts
    elif len(parts) == 2:
        hours, (minutes, seconds) = 0.0, parts
    else:
        hours, minutes, seconds = 0.0, parts[0], 0.0
    return float(days or 0) * 1440 + hours * 60 + minutes + seconds / 60


def slurm_fit_problems(what: str, limits: PartitionLimits, *, cpus: int, memory_mb: float | None,
                       runtime_min: float | None) -> list[str]:
    """One sentence per request of ``what`` that the partition cannot meet (such a job would pend for ever)."""
    problems = []
    if cpus > limits.cpus:
        problems.append(f"{what} asks {cpus} cpus; partition {limits.name}'s largest node has {limits.cpus}")
    if memory_mb and memory_mb > limits.memory_mb:
        problems.append(f"{what} asks {memory_mb:g} MB of memory; partition {limits.name}'s largest node has "
                        f"{limits.memory_mb} MB")
    if runtime_min and runtime_min > limits.max_runtime_min:
        problems.append(f"{what} asks {runtime_min:g} min; partition {limits.name} allows {limits.max_runtime_min:g} min")
    return problems


#: the comment the Snakemake SLURM executor gives every job it submits: rule_<rule>[_wildcards_<values>]
_SNAKEMAKE_JOB_COMMENT = re.compile(r"^rule_\w+")


def slurm_jobs_writing_in(workdir: str | Path, *, timeout_s: float = 60.0) -> list[dict]:
    """The queued, running or suspended SLURM jobs of this user that Snakemake submitted for a workflow in
    ``workdir`` (job comment ``rule_...``, working directory ``workdir``): after a lost login they are orphans,
    still writing the files a new run would write. The job this code runs in, if any, is not listed. Empty where
    SLURM is not installed; ``ConfigError`` when squeue fails or does not answer within ``timeout_s``."""
    try:
        out = subprocess.run(["squeue", "--noheader", "--me", "--format", "%i|%T|%k|%Z"], capture_output=True,
                             text=True, timeout=timeout_s)
    except FileNotFoundError:
        return []
    except subprocess.TimeoutExpired:
        raise ConfigError(f"squeue did not answer within {timeout_s:g} s (cannot tell whether an earlier run's jobs "
                          "still write here)") from None
    if out.returncode != 0:
        raise ConfigError(f"squeue failed: {out.stderr.strip()} (cannot tell whether an earlier run's jobs still write here)")
    workdir = Path(workdir).resolve()
    own = os.environ.get("SLURM_JOB_ID")
    jobs = []
    for line in out.stdout.splitlines():
        job_id, state, comment, directory = (line.split("|", 3) + ["", "", ""])[:4]
        if (job_id.strip() != own and _SNAKEMAKE_JOB_COMMENT.match(comment.strip())
                and directory.strip() and Path(directory.strip()).resolve() == workdir):
            jobs.append({"job_id": job_id.strip(), "state": state.strip(), "comment": comment.strip()})
    return jobs
