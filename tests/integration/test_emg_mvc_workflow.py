"""The MVC-normalised EMG chain through the whole workflow: ``hipdrop simulate --mvc`` writes each runner's MVC trial
(hipdrop.simulate.emg.write_runner_mvc) and names it in the sheet's mvc column, Snakemake runs, and subjects.csv
and effects.csv give the gluteus medius envelope in % MVC as the simulator's truth has it (truth.json emg.mvc_mv,
emg.mvc_effects_pct).

Tolerances, derived: a sine carrier (``--no-variation``) leaves the 6 Hz low-pass's smoothing of the bursts and
the MVC's ramps, under 1 % each of a value (tests/unit/test_emg_mvc.py): 2 % of a runner's mean in % MVC; an
effect is a difference of two such means, each in error by the same smoothing share to within 1 %: 1 % of the
larger mean plus 0.1 percentage point for rounding in the CSV."""

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from hipdrop.cli import main
from hipdrop.simulate.emg import percent_mvc_truth
from tests.integration.test_workflow import run_workflow

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def mvc_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mvc_workflow")
    assert main(["simulate", str(tmp / "data"), "--subjects", "3", "--duration", "6", "--no-variation", "--mvc",
                 "--seed", "8"]) == 0
    (tmp / "config").mkdir()
    (tmp / "config" / "config.yaml").write_text(yaml.safe_dump({"trials": "data/trials.tsv"}))
    run_workflow(tmp)
    return tmp, json.loads((tmp / "data" / "truth.json").read_text())


def test_the_sheet_names_each_runner_s_mvc_file_and_the_truth_its_amplitude(mvc_run):
    tmp, truth = mvc_run
    sheet = pd.read_csv(tmp / "data" / "trials.tsv", sep="\t")
    assert (sheet["mvc"] == "mvc/" + sheet["subject"] + ".c3d").all()
    assert all((tmp / "data" / path).exists() for path in sheet["mvc"].unique())
    # without variation each side's MVC is the burst amplitude over the fixed share (0.12 mV / 0.45)
    assert truth["emg"]["mvc_mv"] == {s: {"L": pytest.approx(0.12 / 0.45), "R": pytest.approx(0.12 / 0.45)}
                                      for s in sheet["subject"].unique()}


def test_subjects_give_the_known_percent_mvc(mvc_run):
    tmp, truth = mvc_run
    subjects = pd.read_csv(tmp / "results" / "stats" / "subjects.csv")
    rows = subjects[subjects["metric"] == "emg_gmed_mean_pct"]
    assert len(rows) == 3 * 4 and (rows["emg_normalisation"] == "mvc").all()
    # the truth over the stances the analysis kept (matched by strike within a frame)
    stances = pd.read_parquet(tmp / "results" / "stances.parquet")
    kept = stances[~stances["excluded"].astype(bool)].dropna(subset=["emg_gmed_mean"])
    keys = ["subject", "condition", "trial", "side"]
    true = percent_mvc_truth(pd.DataFrame(truth["stances"]), truth["emg"]["mvc_mv"])
    true = true[[*keys, "strike_s", "emg_gmed_mean_pct"]].rename(columns={"emg_gmed_mean_pct": "true_pct"})
    matched = pd.merge_asof(kept.sort_values("strike_s"), true.sort_values("strike_s").astype({"trial": str}),
                            on="strike_s", by=keys, tolerance=0.006, direction="nearest")
    assert matched["true_pct"].notna().all() and len(matched) > 3 * 4 * 10
    expected = matched.groupby(["subject", "condition"])["true_pct"].mean()
    got = rows.set_index(["subject", "condition"])["mean"]
    np.testing.assert_allclose(got.loc[expected.index], expected, rtol=0.02)
    # in % MVC the baseline does not average 100 as it would in % of the baseline mean: 0.45 x the burst's shape
    assert got.max() < 60


def test_effects_on_gluteus_medius_in_percent_mvc_equal_the_truth(mvc_run):
    tmp, truth = mvc_run
    effects = pd.read_csv(tmp / "results" / "stats" / "effects.csv")
    rows = effects[(effects["metric"] == "emg_gmed_mean_pct") & (effects["analysis"] == "rm-anova")].set_index("term")
    subjects = pd.read_csv(tmp / "results" / "stats" / "subjects.csv")
    largest = subjects.loc[subjects["metric"] == "emg_gmed_mean_pct", "mean"].max()
    for condition, effect in truth["emg"]["mvc_effects_pct"]["emg_gmed_mean_pct"].items():
        assert rows.loc[f"condition[{condition}]", "estimate_deg"] == pytest.approx(effect, abs=0.01 * largest + 0.1)
