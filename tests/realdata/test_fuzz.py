"""The fuzz harness (benchmarks/fuzz.py), small and seeded: mutants of the real files and of simulated ones
through `hipdrop inspect` and `hipdrop trial` as a user runs them, and a workflow with mutants mixed into a cohort.

Slow (several minutes each): ``pytest -m slow tests/realdata/test_fuzz.py``.
"""

import importlib.util
import json
import sys

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


@pytest.fixture(scope="module")
def fuzz():
    spec = importlib.util.spec_from_file_location("fuzz", ROOT / "benchmarks" / "fuzz.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz"] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


def test_sixty_mutants_neither_crash_nor_pass_absurd_values(fuzz, tmp_path):
    """No signal, hang, traceback or reasonless failure; no accepted trial with absurd values; the spikes,
    infinities and kilometre jumps of every accepted points mutant flagged; no flag on any unmutated file."""
    summary = fuzz.main(["--n", "60", "--seed", "5", "--out", str(tmp_path), "--no-workflow"])
    records = json.loads((tmp_path / "fuzz.json").read_text())["records"]
    assert len(records) == 60 and len({r["kind"] for r in records}) >= 10
    assert summary["failures"] == {c: {"signal": 0, "hang": 0, "traceback": 0, "unexplained": 0} for c in ("inspect", "trial")}
    assert summary["absurd_accepted"] == []
    unflagged = [(r["file"], r["detail"]) for r in records if r["kind"] in ("points_spike", "points_inf", "points_km")
                 and r["inspect"]["outcome"] == "accepted" and not r["inspect"].get("flagged")]
    assert unflagged == []
    assert summary["unmutated"]["false_flags"] == {} and summary["unmutated"]["files"] >= 50


def test_mutants_mixed_into_a_cohort_are_quarantined_or_counted_and_leave_the_effects(fuzz, tmp_path):
    """A simulated cohort with 12 mutants of its own files added as extra trials: the workflow completes, each
    mutant is quarantined with a reason or analysed (points mutants with their bad samples counted, NaN read as
    gaps), and every effect on peak drop stays within 3 standard errors of the clean run's."""
    result = fuzz.workflow_check(tmp_path, n_mutants=12, seed=5, timeout=60.0)
    assert result["completed"], {k: v["stderr"][-2000:] for k, v in result["runs"].items()}
    allowed = {"quarantined", "analysed, bad samples counted", "analysed (structure kept)", "analysed, NaN read as gaps"}
    assert [f for f in result["fates"] if f["fate"] not in allowed] == []
    assert len(result["effects"]) == 3 and result["effects_within_3_se"], result["effects"]
