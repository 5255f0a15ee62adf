"""The workflow on a real SLURM, started on this machine by the repository's own scripts/start_slurm.sh: through the
SLURM executor and through a dask-jobqueue SLURMCluster, every output byte-identical to a local run.

Where no SLURM answers, the fixture runs scripts/start_slurm.sh as root (it installs the Debian packages slurm-wlm and
munge when they are missing, as on CI). Skipped, saying why, where that cannot be done: not root, no apt-get or
package mirror, or a SLURM that does not run a one-second job.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from hipdrop.config import ConfigError
from hipdrop.execution.slurm import slurm_jobs_writing_in, slurm_partition_limits
from hipdrop.simulate.running import CohortSpec, simulate_cohort
from tests.conftest import ROOT

#: every test here starts SLURM (the fixture); those that also run Snakemake on it are marked workflow too
pytestmark = pytest.mark.cluster

#: outputs that cannot repeat: logs carry timestamps, benchmarks carry timings
UNREPEATABLE = {"logs", "benchmarks"}


def slurm_answers() -> bool:
    if shutil.which("sinfo") is None:
        return False
    done = subprocess.run(["sinfo", "--noheader", "--format", "%T"], capture_output=True, text=True)
    return done.returncode == 0 and any(s.startswith(("idle", "mixed", "allocated")) for s in done.stdout.split())


@pytest.fixture(scope="module")
def slurm():
    """A SLURM that takes jobs: the running one, or one installed (as root: Debian packages) and started by
    scripts/start_slurm.sh, as on CI. Skipped, with the reason, where that cannot be done, or where the SLURM
    started does not run a one-second job within a minute (then the machine, not hipdrop, is at fault)."""
    if not slurm_answers():
        if os.geteuid() != 0:
            pytest.skip("no SLURM answers here and starting one needs root: run `sudo scripts/start_slurm.sh` first")
        try:
            started = subprocess.run([str(ROOT / "scripts" / "start_slurm.sh")], capture_output=True, text=True,
                                     timeout=600)
        except subprocess.TimeoutExpired:
            pytest.skip("scripts/start_slurm.sh did not finish within 600 s (a package mirror that slow?)")
        if started.returncode != 0:
            pytest.skip(f"scripts/start_slurm.sh could not start SLURM here: {started.stderr.strip()[-600:]}")
        assert slurm_answers(), "scripts/start_slurm.sh succeeded but sinfo shows no node taking jobs"
    try:
        smoke = subprocess.run(["sbatch", "--wait", "--quiet", "--time=1", "--output=/dev/null", "--wrap", "sleep 1"],
                               capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.skip("SLURM answers but a one-second job did not finish within 60 s (node busy or misconfigured)")
    if smoke.returncode != 0:
        pytest.skip(f"SLURM answers but does not run a one-second job: {smoke.stderr.strip()[-600:]}")


def snakemake(workdir, *options, check=True, **popen):
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory", str(workdir),
               *options]
    if popen:
        return subprocess.Popen(command, **popen)
    done = subprocess.run(command, capture_output=True, text=True)
    if check and done.returncode != 0:
        pytest.fail(f"snakemake {' '.join(options)} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return done


def on_slurm(workdir, *options, **kwargs):
    return snakemake(workdir, "--profile", str(ROOT / "workflow" / "profiles" / "slurm"), *options, **kwargs)


def outputs(workdir) -> dict:
    results = Path(workdir) / "results"
    return {p.relative_to(results): p.read_bytes() for p in sorted(results.rglob("*"))
            if p.is_file() and not UNREPEATABLE & set(p.relative_to(results).parts)}


def study(directory, **config) -> Path:
    """The tiny cohort (3 runners x 4 conditions x 8 s, one batch job) with its config."""
    simulate_cohort(directory / "data", CohortSpec(n_subjects=3, duration_s=8.0, seed=11))
    (directory / "config").mkdir()
    (directory / "config" / "config.yaml").write_text(yaml.safe_dump({"trials": "data/trials.tsv", **config}))
    return directory


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    """The reference: the same study run locally, with the README's command."""
    workdir = study(tmp_path_factory.mktemp("local"))
    snakemake(workdir, "--profile", str(ROOT / "workflow" / "profiles" / "default"), "--cores", "2")
    return outputs(workdir)


@pytest.mark.workflow
def test_the_slurm_profile_gives_a_local_runs_outputs_byte_for_byte(slurm, local_run, tmp_path):
    """The README's cluster command on a single-node SLURM: every output (the unrepeatable logs and timings
    aside) equals the local run's, and no job is left in the queue."""
    workdir = study(tmp_path)
    done = on_slurm(workdir)
    assert "has been submitted with SLURM jobid" in done.stderr
    cluster = outputs(workdir)
    assert sorted(cluster) == sorted(local_run)
    assert [name for name in cluster if cluster[name] != local_run[name]] == []
    assert slurm_jobs_writing_in(workdir) == []


@pytest.mark.workflow
def test_a_job_too_big_for_the_partition_stops_the_run_before_anything_is_submitted(slurm, tmp_path):
    """One cpu more per batch job than the largest node has: the run stops naming the limit (SLURM itself would
    accept the job and leave it pending for ever), and nothing is submitted or written."""
    limits = slurm_partition_limits()
    workdir = study(tmp_path)
    done = on_slurm(workdir, "--set-threads", f"analyse_batch={limits.cpus + 1}", check=False)
    assert done.returncode != 0
    assert (f"SLURM: rule analyse_batch asks {limits.cpus + 1} cpus; partition {limits.name}'s largest node has "
            f"{limits.cpus}. Nothing was submitted.") in done.stderr
    assert "has been submitted" not in done.stderr
    assert not (workdir / "results").exists() and slurm_jobs_writing_in(workdir) == []


def test_an_squeue_that_does_not_answer_in_time_is_an_error_naming_the_wait(slurm, tmp_path):
    """A controller that is slow or gone (squeue then retries for ~20 s): the orphan check gives up with a
    ConfigError, which the Snakefile reports as a warning, never a traceback. 0.1 ms: no squeue answers that fast."""
    with pytest.raises(ConfigError, match=r"squeue did not answer within 0.0001 s"):
        slurm_jobs_writing_in(tmp_path, timeout_s=1e-4)


def test_partition_limits_are_the_nodes_own(slurm):
    """What sinfo says the default partition offers, against the node's own record in scontrol."""
    limits = slurm_partition_limits()
    nodes = subprocess.run(["scontrol", "show", "node", "--oneliner"], capture_output=True, text=True, check=True).stdout
    fields = [dict(item.split("=", 1) for item in line.split() if "=" in item) for line in nodes.splitlines() if line]
    partition_nodes = [f for f in fields if limits.name in f.get("Partitions", "").split(",")]
    assert limits.cpus == max(int(f["CPUTot"]) for f in partition_nodes)
    assert limits.memory_mb == max(int(f["RealMemory"]) for f in partition_nodes)


@pytest.mark.workflow
def test_a_dask_slurmcluster_gives_the_same_stance_table(slurm, local_run, tmp_path):
    """config dask.scheduler slurm: the batch's trials run on Dask workers in SLURM jobs that dask-jobqueue
    submits (the sheet's relative paths made absolute for them). The tables equal the local run's byte for byte."""
    workdir = study(tmp_path, dask={"scheduler": "slurm", "slurm": {"cores": 1, "memory_mb": 1000, "walltime": "00:10:00"}})
    snakemake(workdir, "--cores", "2", "--until", "aggregate_stances")
    worker_logs = list((workdir / "results" / "logs" / "dask_slurm").glob("*.err"))
    assert worker_logs, "no Dask worker job ran under SLURM"
    assert any("Starting Worker" in log.read_text() for log in worker_logs)
    cluster = outputs(workdir)
    for name in ("stances.parquet", "stances.csv", "curves.nc", "qc/trials.csv", "qc/quarantine.csv",
                 "qc/event_agreement.csv"):
        assert cluster[Path(name)] == local_run[Path(name)], name


def orphan_of_a_lost_login(workdir) -> str:
    """The README's cluster command, killed (-9, as a lost login kills it) while its batch job runs; the job,
    suspended so that it is still there when the next command looks, is returned: an orphan."""
    first = on_slurm(workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    orphans = []
    while not orphans and time.monotonic() < deadline:
        orphans = [j for j in slurm_jobs_writing_in(workdir) if j["state"] == "RUNNING"]
        time.sleep(0.2)
    assert orphans, "no batch job started within 120 s"
    orphan = orphans[0]["job_id"]
    subprocess.run(["scontrol", "suspend", orphan], check=True)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    return orphan


def wait_for_no_jobs_in(workdir, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while slurm_jobs_writing_in(workdir) and time.monotonic() < deadline:
        time.sleep(1)


@pytest.mark.workflow
def test_a_rerun_after_a_lost_login_refuses_while_an_orphan_job_still_writes(slurm, tmp_path):
    """kill -9 of Snakemake while a batch job runs: the README's command again refuses, naming the job and how to
    wait for it or cancel it, and submits nothing."""
    workdir = study(tmp_path)
    orphan = orphan_of_a_lost_login(workdir)
    try:
        queued = {j["job_id"] for j in slurm_jobs_writing_in(workdir)}
        refused = on_slurm(workdir, check=False)
        assert refused.returncode != 0
        message = next(line for line in refused.stderr.splitlines() if "of an earlier run of this workflow" in line)
        assert f"SLURM job(s) of an earlier run of this workflow still work in {workdir}: " in message
        assert f"{orphan} rule_analyse_batch_wildcards_batch001 (SUSPENDED)" in message
        assert "Wait for them (squeue --jobs " in message and "or cancel them (scancel " in message
        assert "has been submitted" not in refused.stderr
        assert {j["job_id"] for j in slurm_jobs_writing_in(workdir)} == queued
    finally:
        subprocess.run(["scancel", orphan], check=False)
        wait_for_no_jobs_in(workdir)


@pytest.mark.workflow
@pytest.mark.slow  # a killed run, its orphan held and released, then a whole run: minutes
def test_once_the_orphan_has_finished_the_same_command_completes_with_a_local_runs_outputs(slurm, local_run, tmp_path):
    """After a lost login and the refusal above, the orphan resumed and finished: the README's command then
    completes the run, every output equal to a local run's."""
    workdir = study(tmp_path)
    orphan = orphan_of_a_lost_login(workdir)
    assert on_slurm(workdir, check=False).returncode != 0
    subprocess.run(["scontrol", "resume", orphan], check=False)
    wait_for_no_jobs_in(workdir)
    on_slurm(workdir)
    assert outputs(workdir) == local_run
