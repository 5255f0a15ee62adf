"""Trials on a Dask ``distributed`` cluster: a running scheduler's address, or a dask-jobqueue ``SLURMCluster``
started for the call; on each worker every trial again runs isolated (``hipdrop.execution.isolated``)."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from hipdrop.config import ConfigError
from hipdrop.execution.isolated import TrialFunction, isolated_trial, worker_failure
from hipdrop.execution.slurm import slurm_fit_problems, slurm_partition_limits, walltime_minutes
from hipdrop.trial.process import TrialResult


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
