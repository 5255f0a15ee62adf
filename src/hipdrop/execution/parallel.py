"""Many trials in parallel, each isolated: a trial that kills its process or runs past its deadline becomes that
trial's quarantine entry (stage ``worker``), never the failure of its batch or of the cohort.

Where trials run is config ``dask.scheduler`` (``HIPDROP_DASK_SCHEDULER`` overrides it: one of the names below, or
a scheduler address such as ``tcp://host:8786``):

``processes`` (default)
    each trial in a child process forked from this one, at most ``workers`` at a time. A fork costs little beside
    a trial's own work (docs/architecture.md section 5) and gives every trial a fresh process: a crash in compiled
    code or an exhausted memory takes one child, a trial past ``dask.trial_timeout_s`` is killed, and nothing a trial leaks outlives it.
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

The forked workers are ``hipdrop.execution.isolated``, the clusters ``hipdrop.execution.distributed``; SLURM's
limits and an earlier run's jobs, which the workflow checks too, ``hipdrop.execution.slurm``.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Callable

from hipdrop.config import ConfigError, validate_config
from hipdrop.execution.distributed import distributed_client, run_on_cluster
from hipdrop.execution.isolated import as_given, run_isolated
from hipdrop.trial.process import TrialResult, process_trial

SCHEDULERS = ("processes", "threads", "synchronous", "address", "slurm")
#: what the workflow passes per trial: ``function(path) -> TrialResult`` (``process_trial`` with its config bound)


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
        if min(workers, len(located)) > 1:
            warm_trial_path(run.keywords["config"])
        results = run_isolated(run, located, workers=workers, timeout_s=timeout_s)
    else:
        with distributed_client(scheduler, address=address, settings=settings,
                                log_directory=Path(config["results"]) / "logs" / "dask_slurm") as client:
            results = run_on_cluster(client, run, located, timeout_s=timeout_s)
    return [as_given(result, path) for result, path in zip(results, paths)]


#: whether this process has run its warm-up trial (``warm_trial_path``)
_warmed = False


def warm_trial_path(config: dict) -> None:
    """Once per process, before the first fork: ``process_trial`` on a tiny simulated trial (one runner's 2 s
    baseline), here, so that the forked workers start with what a trial's first run loads (xarray's chunk managers
    pull in dask.array, jinja2 and psutil; caches), paid once by this process instead of once by each
    worker. Only where two or more workers will fork (with one, its first trial pays the same). The warm-up is
    this package's own simulated data, never a study's file (those run isolated); a warm-up that fails changes
    nothing but the time."""
    global _warmed
    if _warmed:
        return
    _warmed = True
    import tempfile

    from hipdrop.simulate.running import CohortSpec, simulate_cohort

    try:
        with tempfile.TemporaryDirectory(prefix="hipdrop-warm-") as folder:
            sheet = simulate_cohort(folder, CohortSpec(n_subjects=1, duration_s=2.0))
            process_trial(os.path.join(folder, sheet["path"].iloc[0]), config=config, keep_pelvis=False)
    except Exception:  # noqa: BLE001 - the warm-up only saves time; the trials themselves report their own failures
        pass


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


# --- isolated trials: forked worker processes -------------------------------------------------------------


# --- distributed: a scheduler address or a dask-jobqueue SLURMCluster -----------------------------------------


# --- SLURM: what a partition offers, and the jobs an earlier run left -----------------------------------------


