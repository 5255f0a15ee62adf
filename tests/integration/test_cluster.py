"""Trials on a Dask distributed cluster (a LocalCluster started here): the workflow with its trials on a cluster
started elsewhere, a batch whose trials crash, exit, hang or kill their worker, and a cohort of which nothing could be
analysed (a workflow run without a cluster)."""

import os
import shutil
import signal
from pathlib import Path

import dask
import pandas as pd
import pytest
import yaml
from distributed import Client, LocalCluster

from hipdrop.execution.isolated import WORKER_STAGE
from hipdrop.execution.parallel import process_trials
from hipdrop.simulate.running import CohortSpec, simulate_cohort
from hipdrop.trial.process import process_trial
from tests.integration.test_workflow import run_workflow
# the batch of good and bad trials the local schedulers are tested on; directory, files and reference are its fixtures
from tests.unit.test_pipeline import (TIMEOUT_S, assert_bad_trials_quarantined_rest_complete, assert_same_as_serial,
                                      crash_exit_or_hang, directory, files, mixed_batch, reference)


def study(directory: Path, **config) -> Path:
    simulate_cohort(directory / "data", CohortSpec(n_subjects=2, duration_s=4.0, seed=12))
    (directory / "config").mkdir()
    (directory / "config" / "config.yaml").write_text(yaml.safe_dump({"trials": "data/trials.tsv", **config}))
    return directory


def tables(workdir: Path) -> dict:
    results = workdir / "results"
    return {name: (results / name).read_bytes() for name in
            ("stances.parquet", "curves.nc", "qc/trials.csv", "qc/quarantine.csv", "qc/event_agreement.csv")}


@pytest.mark.workflow
@pytest.mark.cluster
def test_trials_on_a_dask_scheduler_whose_workers_work_elsewhere(tmp_path, monkeypatch):
    """config dask.scheduler address: the workers of a cluster started in another folder find the sheet's files
    (relative to the study) and the tables are the local run's, byte for byte."""
    local = study(tmp_path / "local")
    run_workflow(local, "--until", "aggregate_stances")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the workers' working folder: the sheet's relative paths mean nothing there
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = study(tmp_path / "remote", dask={"scheduler": "address", "address": cluster.scheduler_address})
        done = run_workflow(remote, "--until", "aggregate_stances")
    assert "8 trials analysed, 0 quarantined" in done.stderr
    assert tables(remote) == tables(local)


@pytest.mark.workflow
def test_a_cohort_with_no_trial_analysed_stops_with_the_reasons_in_the_log(tmp_path):
    """Every file unreadable: the run stops at the aggregation, its log and the console saying how many trials were
    tried and the first reasons (the statistics never start, where they used to fail on an empty table)."""
    (tmp_path / "data").mkdir()
    rows = []
    for k, subject in enumerate(["S01", "S01", "S02", "S02"]):
        (tmp_path / "data" / f"broken{k}.c3d").write_bytes(b"")
        rows.append({"subject": subject, "condition": ["baseline", "cadence_plus10"][k % 2], "trial": 1,
                     "path": f"broken{k}.c3d"})
    pd.DataFrame(rows).to_csv(tmp_path / "data" / "trials.tsv", sep="\t", index=False)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump({"trials": "data/trials.tsv"}))
    done = run_workflow(tmp_path, check=False)
    assert done.returncode != 0
    log = (tmp_path / "results" / "logs" / "aggregate_stances.log").read_text()
    stop = next(line for line in log.splitlines() if "trials analysed;" in line)
    assert "ERROR 0 of 4 trials analysed; first reasons: broken0.c3d (ingest: " in stop
    assert "broken1.c3d (ingest: " in stop and "broken2.c3d (ingest: " in stop and "broken3.c3d" not in stop
    assert stop.endswith("every reason in results/logs/aggregate_stances.log")
    assert all(f"quarantined data/broken{k}.c3d at ingest: " in log for k in range(4))
    assert "0 of 4 trials analysed; first reasons: broken0.c3d" in done.stderr
    assert not (tmp_path / "results" / "stats").exists()
    assert "KeyError" not in done.stderr


@pytest.mark.cluster
def test_on_a_distributed_cluster_too_and_its_workers_survive(directory, files, reference, monkeypatch):
    """A LocalCluster of worker processes started elsewhere (their working folder is not the caller's): the
    caller's relative paths still find the files, come back as given, and the crash, the exit and the hang are
    each their trial's entry while both workers stay up."""
    paths, bad = mixed_batch(directory, files)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.wait_for_workers(2)
        workers_before = set(client.scheduler_info()["workers"])
        monkeypatch.chdir(directory)
        relative = [os.path.relpath(p, directory) for p in paths]
        config = {"dask": {"scheduler": "address", "address": cluster.scheduler_address, "trial_timeout_s": TIMEOUT_S}}
        results = process_trials(relative, config=config, trial_function=crash_exit_or_hang)
        workers_after = set(client.scheduler_info()["workers"])
    assert workers_after == workers_before  # the same two worker processes (a restarted one has a new address)
    for result, path in zip(results, paths):
        result.path = path  # compare under the absolute names the references were made with
        if result.failure is not None:
            assert result.failure.path == os.path.relpath(path, directory)
            result.failure.path = path
    assert_bad_trials_quarantined_rest_complete(results, paths, bad, reference)


def kill_the_dask_worker(path, **options):
    """``process_trial``, except on ``killer.c3d``: the trial's forked process kills its parent, the Dask worker
    itself (as an out-of-memory killer would), wherever the trial runs."""
    if os.path.basename(path) == "killer.c3d":
        os.kill(os.getppid(), signal.SIGKILL)
        os._exit(0)
    return process_trial(path, **options)


@pytest.mark.cluster
def test_a_trial_that_kills_its_dask_worker_each_time_is_quarantined_and_the_rest_completes(directory, files, reference):
    """``distributed`` reruns a task whose worker died (here once: allowed-failures 1) and then gives up on it
    (KilledWorker), and on the trials that were queued on the same workers: those run again alone and complete;
    only the trial that kills its worker every time becomes its entry. The nannies restart the workers."""
    killer = str(directory / "killer.c3d")
    shutil.copy(files[0], killer)
    paths = [files[0], killer, *files[1:]]
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        config = {"dask": {"scheduler": "address", "address": cluster.scheduler_address, "trial_timeout_s": 60}}
        results = process_trials(paths, config=config, trial_function=kill_the_dask_worker)
    assert (results[1].failure.stage, results[1].failure.reason) == (
        WORKER_STAGE, "the Dask worker died every time it ran this trial")
    assert_same_as_serial([results[0], *results[2:]], [files[0], *files[1:]], reference)
