"""The hipdrop command as a user runs it: a real process, real files."""

import json
import subprocess
import sys

import pandas as pd
import xarray as xr

from tests.conftest import shared_file


def hipdrop(*args):
    return subprocess.run([sys.executable, "-m", "hipdrop.cli", *map(str, args)], capture_output=True, text=True)


def test_simulate_then_trial_then_inspect(tmp_path):
    assert hipdrop("simulate", tmp_path / "c", "--subjects", "1", "--duration", "4", "--force-plate").returncode == 0
    truth = json.loads((tmp_path / "c" / "truth.json").read_text())
    assert set(truth["effects_deg"]) == {"cadence_plus5", "cadence_plus10", "arm_swing"}
    done = hipdrop("trial", tmp_path / "c" / "S01_baseline_1.c3d", "-o", tmp_path / "out", "--sequence", "tor", "--events", "force")
    assert done.returncode == 0, done.stderr
    events = pd.read_csv(tmp_path / "out" / "events.csv")
    assert list(events.columns) == ["side", "event", "frame", "time_s", "source"] and set(events.source) == {"force"}
    assert len(pd.read_csv(tmp_path / "out" / "stances.csv")) > 5
    pelvis = xr.open_dataset(tmp_path / "out" / "pelvis.nc", engine="h5netcdf")
    assert pelvis.attrs["sequence"] == "tor" and list(pelvis.side.values) == ["L", "R"]
    assert {"tilt", "obliquity", "rotation"} <= set(pelvis.data_vars)
    report = json.loads(hipdrop("inspect", tmp_path / "c" / "S01_baseline_1.c3d", "--json").stdout)
    assert report["rate_hz"] == 200.0 and report["force_plates"] == 1 and report["vertical_axis"] == "+z"


def test_bad_file_gives_one_line_and_a_nonzero_exit(tmp_path):
    bad = tmp_path / "bad.c3d"
    bad.write_bytes(b"\x02P" + b"\x00" * 100)
    done = hipdrop("trial", bad, "-o", tmp_path / "out")
    assert done.returncode != 0 and done.stderr.count("\n") == 1 and str(bad) in done.stderr and "Traceback" not in done.stderr
    inspected = hipdrop("inspect", bad, "--json")
    assert inspected.returncode != 0 and json.loads(inspected.stdout)["readable"] is False


def test_file_without_pelvis_says_why():
    done = hipdrop("trial", shared_file("running/RIC_20140515T133244_run.c3d"), "-o", "/tmp/never-written")
    assert done.returncode != 0 and "pelvis" in done.stderr and "LASI" in done.stderr


def test_notebook_cells_run_on_workflow_results(tmp_path, monkeypatch):
    """notebooks/explore_results.ipynb executed cell by cell on a fresh small workflow run."""
    import matplotlib

    matplotlib.use("Agg")
    from tests.conftest import ROOT
    from tests.integration.test_workflow import make_study, run_workflow
    from hipdrop.simulate import CohortSpec

    make_study(tmp_path, CohortSpec(n_subjects=2, duration_s=4.0))
    run_workflow(tmp_path)
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    notebook = json.loads((ROOT / "notebooks" / "explore_results.ipynb").read_text())
    scope = {}
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            exec("".join(cell["source"]), scope)
    assert len(scope["stances"]) > 0 and scope["fig"].axes[0].lines
