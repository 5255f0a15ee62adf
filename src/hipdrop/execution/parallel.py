"""Many trials in parallel, each isolated: a trial that kills its process or runs past its deadline becomes that
trial's quarantine entry (stage ``worker``), never the failure of its batch or of the cohort.

Where trials run is config ``dask.scheduler`` (``HIPDROP_DASK_SCHEDULER`` overrides it: one of the names below, or
a scheduler address such as ``tcp://host:8786``):

``processes`` (default)
    each trial in a child process forked from this one, at most ``workers`` at a time. Forking costs ~4 ms per
    trial (a trial takes ~140 ms) and gives every trial a fresh process: a crash in compiled code or an exhausted
    memory takes one child, a trial past ``dask.trial_timeout_s`` is killed, and nothing a trial leaks outlives it.
``threads``, ``synchronous``
    in this process (a pool of ``workers`` threads, or one after another): no isolation and no deadline, for
    debugging (pdb, profilers) and for readers that release the GIL.
``address``
    a running ``distributed`` scheduler (``dask.address``), e.g. one a lab keeps up on its cluster.
``slurm``
    a dask-jobqueue ``SLURMCluster`` of ``dask.slurm``'s job size, started for the call and closed after it.

On a ``distributed`` worker each trial again runs in a forked child (one per worker thread, kept for its next
trials), so a crash or a hang is the same quarantine entry there. The paths leave this process absolute (workers anywhere find the files), and results come back in
the order of ``paths`` with the paths as given.

The SLURM helpers at the end (``slurm_partition_limits``, ``slurm_fit_problems``, ``slurm_jobs_writing_in``) are
shared with the workflow (``workflow/rules/common.smk``): what a partition offers, and which jobs of an earlier
run still write into a folder.
"""

from __future__ import annotations

import math
import os
import pickle
import re
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection, Pipe, wait
from pathlib import Path
from typing import Callable

from hipdrop.config import ConfigError, validate_config
from hipdrop.errors import TrialError
from hipdrop.trial.process import TrialResult, process_trial

#: the quarantine stage of a trial whose process died or overran its deadline
WORKER_STAGE = "worker"
SCHEDULERS = ("processes", "threads", "synchronous", "address", "slurm")
#: what the workflow passes per trial: ``function(path) -> TrialResult`` (``process_trial`` with its config bound)
TrialFunction = Callable[[str], TrialResult]


def process_trials(paths: list[str], *, config: dict, workers: int = 1,
                   trial_function: Callable[..., TrialResult] = process_trial) -> list[TrialResult]:
    """``trial_function(path, config=..., keep_pelvis=False)`` (``process_trial``) over ``paths`` on the scheduler
    config ``dask`` names; ``workers``: trials at a time on the local schedulers. Results in the order of
    ``paths``; a trial whose process died or that did not finish within ``dask.trial_timeout_s`` has a failure
    at stage ``worker``.

    ``trial_function`` is for tests (a function that crashes for one file); it must be importable by name for the
    ``distributed`` schedulers.
    """
    config = validate_config(config)
    settings = config["dask"]
    scheduler, address = scheduler_choice(settings)
    if not paths:  # no worker forked, no cluster started for nothing
        return []
    # the science config only: where trials run changes no result, so it stays out of each trial's config hash
    run = partial(trial_function, config={k: v for k, v in config.items() if k != "dask"}, keep_pelvis=False)
    located = [os.path.abspath(p) for p in paths]
    timeout_s = settings["trial_timeout_s"]
    if scheduler == "synchronous":
        results = [run(p) for p in located]
    elif scheduler == "threads":
        with ThreadPoolExecutor(max(1, workers)) as pool:
            results = list(pool.map(run, located))
    elif scheduler == "processes":
        results = run_isolated(run, located, workers=workers, timeout_s=timeout_s)
    else:
        with distributed_client(scheduler, address=address, settings=settings,
                                log_directory=Path(config["results"]) / "logs" / "dask_slurm") as client:
            results = run_on_cluster(client, run, located, timeout_s=timeout_s)
    return [as_given(result, path) for result, path in zip(results, paths)]


def scheduler_choice(settings: dict) -> tuple[str, str | None]:
    """The scheduler and, for ``address``, the address: config ``dask`` unless ``HIPDROP_DASK_SCHEDULER`` is set
    (a scheduler name, or an address, which means ``address``)."""
    override = os.environ.get("HIPDROP_DASK_SCHEDULER", "").strip()
    if "://" in override:
        return "address", override
    if override:
        if override not in SCHEDULERS or override == "address":
            raise ConfigError(f"HIPDROP_DASK_SCHEDULER={override}: expected one of processes, threads, synchronous, "
                              "slurm, or a scheduler address such as tcp://host:8786")
        return override, settings.get("address")
    if settings["scheduler"] == "address" and not settings.get("address"):
        raise ConfigError("config: dask.scheduler is address but dask.address is not set (e.g. tcp://host:8786)")
    return settings["scheduler"], settings.get("address")


def as_given(result: TrialResult, path: str) -> TrialResult:
    """The result under the path the caller gave (outputs do not depend on where the study folder lies)."""
    result.path = str(path)
    if result.failure is not None:
        result.failure = TrialError(path, result.failure.stage, result.failure.reason)
    return result


def worker_failure(path: str, reason: str) -> TrialResult:
    return TrialResult(path=str(path), failure=TrialError(path, WORKER_STAGE, reason))


# --- isolated trials: forked worker processes -------------------------------------------------------------


class _Worker:
    """A child process forked from this one that analyses the trials it is sent, one at a time.

    Forked, so it starts with everything this process has imported (a spawned one would pay ~1.5 s of imports);
    it stays for the next trial, so a trial's first-use costs (lazy imports, caches: ~0.2 s) are paid once per
    worker, not per trial. Its death shows as end of file on ``connection``, and its exit status says how it died.
    """

    #: every live worker of this process: a new child closes their pipes, so that each worker sees end of file
    #: when this process goes (and not only when the last child holding a copy of its pipe does)
    live: set["_Worker"] = set()

    def __init__(self):
        self.connection, child_end = Pipe(duplex=True)
        self.pid = os.fork()
        if self.pid == 0:  # the child: serves trials until told to stop, never returns into the caller's code
            self.connection.close()
            for sibling in _Worker.live:
                sibling.connection.close()
            _serve(child_end)
        child_end.close()
        self.index, self.path, self.deadline = -1, "", math.inf
        _Worker.live.add(self)

    def give(self, function: TrialFunction, path: str, index: int, timeout_s: float) -> None:
        self.index, self.path, self.deadline = index, path, time.monotonic() + timeout_s
        self.connection.send((function, path))

    def receive(self) -> TrialResult:
        """The trial's result, or, when the worker died instead, a failure saying how (the worker is then gone)."""
        try:
            return self.connection.recv()
        except (EOFError, OSError, pickle.UnpicklingError):
            return worker_failure(self.path, _death_reason(self._reap()))

    def kill(self, reason: str) -> TrialResult:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._reap()
        return worker_failure(self.path, reason)

    def stop(self) -> None:
        try:
            self.connection.send(None)
        except OSError:
            pass
        self._reap()

    @property
    def alive(self) -> bool:
        return self in _Worker.live

    def _reap(self) -> int:
        self.connection.close()
        _Worker.live.discard(self)
        return os.waitpid(self.pid, 0)[1]


def _serve(connection: Connection) -> None:
    """The worker's loop: ``(function, path)`` in, ``function(path)`` out, until ``None`` or end of file."""
    code = 0
    try:
        while True:
            try:
                task = connection.recv()
            except EOFError:  # the parent is gone
                break
            if task is None:
                break
            function, path = task
            try:
                result = function(path)
            except Exception as err:  # an injected function may raise; process_trial does not
                result = worker_failure(path, f"{type(err).__name__}: {' '.join(str(err).split())}")
            try:
                connection.send(result)
            except (pickle.PicklingError, TypeError, AttributeError) as err:
                connection.send(worker_failure(path, f"its result could not be sent back: {err}"))
    except BaseException:  # a closed pipe, Ctrl-C: the parent learns it from the exit status
        code = 1
    finally:
        # os._exit: the parent's atexit handlers and buffers are not run twice, but this worker's output is kept
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)


def _death_reason(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        hint = " (killed from outside, typically for exhausting the memory)" if number == signal.SIGKILL else ""
        return f"the worker process died ({name}){hint} while analysing this trial"
    return (f"the worker process exited with code {os.waitstatus_to_exitcode(status)} without a result while "
            "analysing this trial")


def _late(timeout_s: float) -> str:
    return f"did not finish within {timeout_s:g} s (config dask.trial_timeout_s)"


def run_isolated(function: TrialFunction, paths: list[str], *, workers: int, timeout_s: float) -> list[TrialResult]:
    """``function(path)`` for every path on at most ``workers`` forked worker processes. A worker that dies gives
    the trial it held a ``worker`` failure naming the signal; one still busy ``timeout_s`` seconds after it got
    its trial is killed and the trial fails as late; either way a fresh worker takes the next trial. Results in
    the order of ``paths``. Forks from the calling thread only (call it from one thread at a time).
    """
    results: list[TrialResult | None] = [None] * len(paths)
    waiting = deque(range(len(paths)))
    idle: list[_Worker] = []
    busy: dict[Connection, _Worker] = {}
    try:
        while waiting or busy:
            while waiting and len(busy) < max(1, workers):
                worker = idle.pop() if idle else _Worker()
                index = waiting.popleft()
                worker.give(function, paths[index], index, timeout_s)
                busy[worker.connection] = worker
            soonest = min(worker.deadline for worker in busy.values())
            for connection in wait(list(busy), timeout=max(0.0, soonest - time.monotonic())):
                worker = busy.pop(connection)
                results[worker.index] = worker.receive()
                if worker.alive:
                    idle.append(worker)
            now = time.monotonic()
            for connection in [c for c, worker in busy.items() if worker.deadline <= now]:
                worker = busy.pop(connection)
                results[worker.index] = worker.kill(_late(timeout_s))
    finally:  # an interrupted batch (Ctrl-C, an error here) leaves no worker behind
        for worker in idle:
            worker.stop()
        for worker in busy.values():
            worker.kill("interrupted")
    return results


#: a ``distributed`` worker thread's own forked worker process, kept for the thread's next trials
_thread_worker = threading.local()


def isolated_trial(function: TrialFunction, path: str, *, timeout_s: float) -> TrialResult:
    """One trial on this thread's forked worker process: the task a ``distributed`` worker runs."""
    worker = getattr(_thread_worker, "worker", None)
    if worker is None or not worker.alive:
        worker = _thread_worker.worker = _Worker()
    worker.give(function, path, 0, timeout_s)
    if wait([worker.connection], timeout=timeout_s):
        return worker.receive()
    return worker.kill(_late(timeout_s))


# --- distributed: a scheduler address or a dask-jobqueue SLURMCluster -----------------------------------------


@contextmanager
def distributed_client(scheduler: str, *, address: str | None, settings: dict, log_directory: Path):
    """A ``distributed.Client`` on the scheduler at ``address``, or on a SLURMCluster of ``settings["slurm"]``'s
    job size (checked against its partition before anything is submitted)."""
    from distributed import Client

    if scheduler == "address":
        with Client(address) as client:
            yield client
        return
    from dask_jobqueue import SLURMCluster

    job = settings["slurm"]
    partition = job["partition"] or os.environ.get("SLURM_JOB_PARTITION")
    account = job["account"] or os.environ.get("SLURM_JOB_ACCOUNT")
    limits = slurm_partition_limits(partition)
    problems = slurm_fit_problems("a Dask worker job (config dask.slurm)", limits, cpus=job["cores"],
                                  memory_mb=job["memory_mb"], runtime_min=walltime_minutes(job["walltime"]))
    if problems:
        raise ConfigError("; ".join(problems))
    log_directory.mkdir(parents=True, exist_ok=True)
    # one single-threaded worker process per core: the per-trial Python work holds the GIL
    with SLURMCluster(cores=job["cores"], processes=job["cores"], memory=f"{job['memory_mb']}MiB",
                      walltime=job["walltime"], queue=partition, account=account, interface=job["interface"],
                      log_directory=str(log_directory), python=sys.executable,
                      # no dashboard, and any free port for the scheduler's web server: batch jobs running side
                      # by side would compete for the default one
                      scheduler_options={"dashboard": False, "dashboard_address": ":0"}) as cluster:
        cluster.scale(jobs=job["jobs"])
        with Client(cluster) as client:
            yield client


def run_on_cluster(client, run: TrialFunction, paths: list[str], *, timeout_s: float) -> list[TrialResult]:
    """Every trial as one task (each forked again on its worker, ``isolated_trial``). A worker's death fails every
    task the scheduler had placed on it, so a task ``distributed`` gives up on (KilledWorker: its workers died under
    it every time it was retried) runs again alone; only a trial that then kills its worker too is its ``worker``
    failure, never the trials that shared a worker with it."""
    from distributed import KilledWorker

    task = partial(isolated_trial, run, timeout_s=timeout_s)
    results, suspects = [], []
    for k, future in enumerate(client.map(task, paths, pure=False)):
        try:
            results.append(future.result())
        except KilledWorker:
            results.append(None)
            suspects.append(k)
    for k in suspects:
        try:
            results[k] = client.submit(task, paths[k], pure=False).result()
        except KilledWorker:
            results[k] = worker_failure(paths[k], "the Dask worker died every time it ran this trial")
    return results


# --- SLURM: what a partition offers, and the jobs an earlier run left -----------------------------------------


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
