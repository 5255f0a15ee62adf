"""The exploring notebook compares against the run's own baseline, whatever the study calls it (issue 22 item
14: it hard-coded 'baseline' and, pointed at a run with another one, silently compared against nothing)."""

import nbclient
import nbformat
import pandas as pd
import pytest
import yaml

from hipdrop.simulate.running import CohortSpec
from tests.conftest import ROOT
from tests.integration.test_workflow import make_study, run_workflow

pytestmark = pytest.mark.workflow  # the module's fixture runs the whole workflow

NOTEBOOK = ROOT / "notebooks" / "explore_results.ipynb"


@pytest.fixture(scope="module")
def pre_run(tmp_path_factory):
    """A small run whose baseline condition is called 'pre' (config stats.baseline: pre)."""
    tmp = tmp_path_factory.mktemp("pre")
    make_study(tmp, CohortSpec(n_subjects=3, duration_s=4.0), stats={"baseline": "pre"})
    sheet = pd.read_csv(tmp / "data" / "trials.tsv", sep="\t")
    sheet["condition"] = sheet["condition"].replace("baseline", "pre")
    sheet.to_csv(tmp / "data" / "trials.tsv", sep="\t", index=False)
    run_workflow(tmp)
    return tmp / "results"


def explore(results, monkeypatch, *extra_cells):
    """Run the notebook on ``results`` with ``extra_cells`` appended; the text each code cell printed."""
    monkeypatch.setenv("HIPDROP_RESULTS", str(results))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    notebook.cells += [nbformat.v4.new_code_cell(source) for source in extra_cells]
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(results.parent)}}).execute()
    return ["".join(o.get("text", "") for o in c.outputs) for c in notebook.cells if c.cell_type == "code"]


def test_the_notebook_compares_against_the_runs_own_baseline(pre_run, monkeypatch):
    assert yaml.safe_load((pre_run / "config.yaml").read_text())["stats"]["baseline"] == "pre"
    printed = explore(pre_run, monkeypatch, "print(BASELINE, sorted(waveforms.clusters['baseline'].unique()), "
                                            "sorted(waveforms.clusters['condition'].unique()))")
    assert "baseline: pre" in printed[0]
    # SPM of each other condition against 'pre', not of every condition against a 'baseline' there is none of
    assert printed[-1].strip() == "pre ['pre'] ['arm_swing', 'cadence_plus10', 'cadence_plus5']"


def test_the_notebook_stops_with_a_clear_message_when_the_baseline_has_no_stances(pre_run, monkeypatch, tmp_path):
    """A run whose recorded baseline no stance has (a config left at 'baseline' for a study calling it 'pre')."""
    results = tmp_path / "results"
    results.mkdir()
    for name in ("stances.parquet", "curves.nc"):
        (results / name).symlink_to(pre_run / name)
    (results / "stats").symlink_to(pre_run / "stats")
    (results / "qc").symlink_to(pre_run / "qc")
    (results / "summary.txt").symlink_to(pre_run / "summary.txt")
    (results / "config.yaml").write_text(yaml.safe_dump({"stats": {"baseline": "baseline"}}))
    with pytest.raises(nbclient.exceptions.CellExecutionError,
                       match=r"the baseline of the run at .* is 'baseline' .*, but no stance has that condition "
                             r"\(conditions: arm_swing, cadence_plus10, cadence_plus5, pre\)"):
        explore(results, monkeypatch)
