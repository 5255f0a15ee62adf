"""The per-trial pipeline under the Dask schedulers it supports."""

import pytest
from distributed import LocalCluster

from hipdrop.parallel import process_trials
from hipdrop.pipeline import process_trial
from hipdrop.simulate import CohortSpec, simulate_cohort


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    directory = tmp_path_factory.mktemp("pipe")
    sheet = simulate_cohort(directory, CohortSpec(n_subjects=1, duration_s=3.0))
    empty = directory / "empty.c3d"
    empty.write_bytes(b"")
    return [str(directory / p) for p in sheet["path"]] + [str(empty)]


@pytest.mark.parametrize("scheduler", ["processes", "synchronous", "distributed"])
def test_schedulers_give_the_same_results_and_keep_bad_trials(files, scheduler, monkeypatch):
    if scheduler == "distributed":
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        monkeypatch.setenv("HIPDROP_DASK_SCHEDULER", cluster.scheduler_address)
    else:
        monkeypatch.setenv("HIPDROP_DASK_SCHEDULER", scheduler)
    try:
        results = process_trials(files, config={}, workers=2)
    finally:
        if scheduler == "distributed":
            cluster.close()
    assert [r.path for r in results] == files
    assert [r.ok for r in results] == [True] * (len(files) - 1) + [False]
    assert results[-1].failure.stage == "ingest"
    serial = process_trial(files[0])
    assert results[0].stances.cpd_peak_deg.tolist() == serial.stances.cpd_peak_deg.tolist()
