"""The workflow with its trials on a Dask cluster started elsewhere, and a cohort of which nothing could be analysed."""

from pathlib import Path

import pandas as pd
import pytest
import yaml
from distributed import LocalCluster

from hipdrop.simulate.running import CohortSpec, simulate_cohort
from tests.integration.test_workflow import run_workflow

pytestmark = pytest.mark.workflow


def study(directory: Path, **config) -> Path:
    simulate_cohort(directory / "data", CohortSpec(n_subjects=2, duration_s=4.0, seed=12))
    (directory / "config").mkdir()
    (directory / "config" / "config.yaml").write_text(yaml.safe_dump({"trials": "data/trials.tsv", **config}))
    return directory


def tables(workdir: Path) -> dict:
    results = workdir / "results"
    return {name: (results / name).read_bytes() for name in
            ("stances.parquet", "curves.nc", "qc/trials.csv", "qc/quarantine.csv", "qc/event_agreement.csv")}


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
