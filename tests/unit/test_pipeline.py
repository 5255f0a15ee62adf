"""The per-trial pipeline over many files under every local scheduler, and what survives a dying worker (on a Dask
distributed cluster: tests/integration/test_cluster.py, which shares these fixtures)."""

import faulthandler
import os
import shutil
import signal
import time

import pytest

from hipdrop.config import ConfigError
from hipdrop.execution.isolated import WORKER_STAGE
from hipdrop.execution.parallel import process_trials
from hipdrop.execution.slurm import walltime_minutes
from hipdrop.simulate.running import CohortSpec, simulate_cohort
from hipdrop.trial.process import process_trial

#: seconds a trial may run in these tests: a 3 s simulated trial takes ~0.1 s
TIMEOUT_S = 4


def crash_exit_or_hang(path, **options):
    """``process_trial``, except on three copies of a good trial: it kills its own process with SIGSEGV (as a crash
    in compiled code would), exits without a result, or never returns."""
    name = os.path.basename(path)
    if name == "crash.c3d":
        faulthandler.disable()  # pytest's traceback dump of the dying child is noise here
        os.kill(os.getpid(), signal.SIGSEGV)
    if name == "exit.c3d":
        os._exit(3)
    if name == "hang.c3d":
        time.sleep(3600)
    return process_trial(path, **options)


@pytest.fixture(scope="module")
def directory(tmp_path_factory):
    directory = tmp_path_factory.mktemp("pipe")
    sheet = simulate_cohort(directory, CohortSpec(n_subjects=1, duration_s=3.0))
    (directory / "empty.c3d").write_bytes(b"")
    good = directory / sheet["path"].iloc[0]
    for name in ("crash.c3d", "exit.c3d", "hang.c3d"):
        shutil.copy(good, directory / name)
    return directory


@pytest.fixture(scope="module")
def files(directory):
    return sorted(str(p) for p in directory.glob("S01_*.c3d")) + [str(directory / "empty.c3d")]


@pytest.fixture(scope="module")
def reference(files):
    return {path: process_trial(path) for path in files}


def assert_same_as_serial(results, paths, reference):
    assert [r.path for r in results] == paths
    for result, path in zip(results, paths):
        expected = reference[path]
        assert result.ok == expected.ok
        if expected.ok:
            assert result.stances.equals(expected.stances)
            assert result.meta == expected.meta  # the config hash too: the scheduler is not science
        else:
            assert (result.failure.stage, result.failure.reason) == (expected.failure.stage, expected.failure.reason)


@pytest.mark.parametrize("scheduler", ["processes", "threads", "synchronous"])
def test_local_schedulers_give_the_serial_results_and_keep_bad_trials(files, reference, scheduler):
    results = process_trials(files, config={"dask": {"scheduler": scheduler}}, workers=2)
    assert_same_as_serial(results, files, reference)
    assert results[-1].failure.stage == "ingest"


def test_the_environment_variable_overrides_the_config(files, reference, monkeypatch):
    monkeypatch.setenv("HIPDROP_DASK_SCHEDULER", "synchronous")
    assert_same_as_serial(process_trials(files[:2], config={"dask": {"scheduler": "slurm"}}), files[:2], reference)
    monkeypatch.setenv("HIPDROP_DASK_SCHEDULER", "thread")
    with pytest.raises(ConfigError, match="HIPDROP_DASK_SCHEDULER=thread: expected one of"):
        process_trials(files[:1], config={})


def mixed_batch(directory, files):
    """Good trials around a crashing, an exiting and a hanging one: (paths, the bad ones' expected reasons)."""
    bad = {str(directory / "crash.c3d"): "the worker process died (SIGSEGV) while analysing this trial",
           str(directory / "exit.c3d"): "the worker process exited with code 3 without a result while analysing this trial",
           str(directory / "hang.c3d"): f"did not finish within {TIMEOUT_S} s (config dask.trial_timeout_s)"}
    paths = [files[0], *list(bad)[:2], files[1], list(bad)[2], *files[2:]]
    return paths, bad


def assert_bad_trials_quarantined_rest_complete(results, paths, bad, reference):
    assert [r.path for r in results] == paths
    for result, path in zip(results, paths):
        if path in bad:
            assert not result.ok and (result.failure.stage, result.failure.reason) == (WORKER_STAGE, bad[path])
            assert result.failure.path == path
    good = [p for p in paths if p not in bad]
    assert_same_as_serial([r for r, p in zip(results, paths) if p not in bad], good, reference)


def test_a_dying_or_hanging_trial_is_quarantined_and_the_rest_of_the_batch_completes(directory, files, reference):
    paths, bad = mixed_batch(directory, files)
    results = process_trials(paths, config={"dask": {"trial_timeout_s": TIMEOUT_S}}, workers=2,
                             trial_function=crash_exit_or_hang)
    assert_bad_trials_quarantined_rest_complete(results, paths, bad, reference)


def test_slurm_times_in_minutes():
    assert walltime_minutes("01:30:00") == 90
    assert walltime_minutes("1-00:00:00") == 1440
    assert walltime_minutes("30") == 30
    assert walltime_minutes("2:30") == 2.5
    assert walltime_minutes("infinite") == float("inf")
