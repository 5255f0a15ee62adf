"""Many trials in parallel: ``process_trial`` under Dask, on local processes or a ``distributed`` scheduler."""

from __future__ import annotations

import os
from contextlib import contextmanager

import dask

from hipdrop.config import validate_config
from hipdrop.pipeline import TrialResult, process_trial


@contextmanager
def dask_scheduler(workers: int):
    """Keyword arguments for ``dask.compute``. ``HIPDROP_DASK_SCHEDULER`` may name a ``distributed`` scheduler
    address (``tcp://host:8786``, e.g. of a dask-jobqueue cluster) or ``synchronous``/``threads``/``processes``;
    by default local processes (ezc3d holds the GIL, so threads would parse one file at a time)."""
    choice = os.environ.get("HIPDROP_DASK_SCHEDULER", "processes")
    if "://" in choice:
        from distributed import Client

        with Client(choice) as client:
            yield {"scheduler": client.get}
    elif choice == "processes" and workers <= 1:
        yield {"scheduler": "synchronous"}
    else:
        # fork: the workers inherit the imported stack (~1.5 s of imports per spawned worker otherwise)
        with dask.config.set({"multiprocessing.context": "fork"}):
            yield {"scheduler": choice, "num_workers": workers}


def process_trials(paths: list[str], *, config: dict, workers: int = 1) -> list[TrialResult]:
    """``process_trial`` over many files in parallel under Dask; results in the order of ``paths``."""
    config = validate_config(config)
    tasks = [dask.delayed(process_trial, pure=True)(p, config=config, keep_pelvis=False) for p in paths]
    with dask_scheduler(workers) as scheduler:
        return list(dask.compute(*tasks, **scheduler))
