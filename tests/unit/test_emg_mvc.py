"""EMG normalised to a maximal voluntary contraction the sheet names (column mvc; issue 26 item 3), against
simulated MVC files whose envelope is known (hipdrop.simulate.emg.write_mvc).

Tolerances, derived:
- Sine carrier: the chain's gains (band-pass at 120 Hz, the sampled sine's rectified mean) are those of the running
  trials' sine carrier (tests/unit/test_simulate_emg.py), so they cancel in % MVC; what is left is the 6 Hz
  low-pass's smoothing of the bursts and of the MVC's ramps, under 1 % each: 2 % on the ratio.
- Noise carrier (flat over B = 190 Hz): a 0.5 s window's mean of the envelope has a relative SD of about
  sigma = 1 / (2 sqrt(B T)) = 5.1 % (tests/unit/test_simulate_emg.py). The MVC amplitude is the highest such mean,
  so its expectation is at least the truth (the mean of the window at the hold's centre) and, for near-Gaussian
  means, at most sigma sqrt(2 ln n) above it over n candidate windows (n < 5000: 4.1 sigma).
"""

import numpy as np
import pandas as pd
import pytest

from hipdrop.cohort.batches import analyse_trials
from hipdrop.config import load_sheet, validate_config
from hipdrop.errors import TrialError
from hipdrop.kernels.emg import mvc_peak
from hipdrop.simulate.emg import CARRIER_HZ, mvc_envelope, write_mvc
from hipdrop.simulate.running import CohortSpec, simulate_cohort
from hipdrop.stats.emg import mixed_normalisation, normalisation_column, normalise_emg
from hipdrop.trial.emg import mvc_reference

SETTINGS = validate_config(None)["emg"]


def test_mvc_peak_is_the_highest_window_mean():
    rate = 1000.0
    t = np.arange(int(6 * rate)) / rate
    envelope = mvc_envelope(t, 0.8)
    assert mvc_peak(envelope, rate_hz=rate, window_s=0.5) == pytest.approx(0.8)
    # a 1 ms spike of 10 mV moves a 500 ms mean by 10 / 500 = 0.02 mV only, on top of the hold
    spiked = envelope.copy()
    spiked[2500] = 10.0
    assert mvc_peak(spiked, rate_hz=rate, window_s=0.5) == pytest.approx(0.8 + (10.0 - 0.8) / 500)
    # a triangle 0..1..0 over 2 s: the best 0.5 s window is centred on the apex, mean 1 - 0.25 / 2
    tri = 1 - np.abs(np.arange(2001) / 1000.0 - 1)
    assert mvc_peak(tri, rate_hz=rate, window_s=0.5) == pytest.approx(0.875, abs=1e-3)
    gap = envelope.copy()
    gap[:] = np.nan
    assert np.isnan(mvc_peak(gap, rate_hz=rate))


def test_sine_mvc_recovered(tmp_path):
    truth = write_mvc(tmp_path / "mvc.c3d", {"L": 0.35, "R": 0.9}, variation=False)
    reference, meta = mvc_reference(tmp_path / "mvc.c3d", SETTINGS)
    # the 120 Hz sine's band-pass and sampling gains (tests/unit/test_simulate_emg.py) are under 0.5 %
    assert reference == {("gmed", s): pytest.approx(truth[s], rel=0.005) for s in ("L", "R")}
    assert meta["mvc_channels"].startswith("L gmed=L Gluteus Medius")


def test_noise_mvc_within_the_bias_of_a_maximum():
    import tempfile
    from pathlib import Path

    ratios = []
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(8):
            path = Path(folder) / f"mvc{seed}.c3d"
            truth = write_mvc(path, {"L": 0.5, "R": 0.2}, seed=seed)
            reference, _ = mvc_reference(path, SETTINGS)
            ratios += [reference[("gmed", s)] / truth[s] for s in ("L", "R")]
    sigma = 1 / (2 * np.sqrt((CARRIER_HZ[1] - CARRIER_HZ[0]) * 0.5))
    se = sigma * 1.5 / np.sqrt(len(ratios))  # the maximum's spread is below the window mean's; 1.5 sigma is generous
    assert 1 - 3 * se - 0.01 < np.mean(ratios) < 1 + sigma * np.sqrt(2 * np.log(5000)) + 3 * se, ratios


def test_a_file_without_emg_is_refused(tmp_path):
    from hipdrop.io.c3d.reader import write_c3d

    write_c3d(tmp_path / "x.c3d", np.zeros((50, 1, 3)) + 100.0, ["M"], rate_hz=100.0)
    with pytest.raises(TrialError, match="no analog channels") as err:
        mvc_reference(tmp_path / "x.c3d", SETTINGS)
    assert err.value.stage == "mvc"


@pytest.fixture(scope="module")
def mvc_cohort(tmp_path_factory):
    """Two runners, sine carriers; S01's sheet rows name an MVC file (relative to the sheet), S02's none."""
    folder = tmp_path_factory.mktemp("mvc_cohort")
    simulate_cohort(folder, CohortSpec(n_subjects=2, duration_s=6.0, emg=True, variation=False, seed=5))
    sheet = pd.read_csv(folder / "trials.tsv", sep="\t", dtype=str)
    first = sorted(sheet["subject"].unique())[0]
    (folder / "mvc").mkdir()
    amplitude = {"L": 0.3, "R": 0.6}
    write_mvc(folder / "mvc" / f"{first}.c3d", amplitude, variation=False)
    sheet["mvc"] = np.where(sheet["subject"] == first, f"mvc/{first}.c3d", "")
    sheet.to_csv(folder / "trials.tsv", sep="\t", index=False)
    truth = pd.read_json(folder / "truth.json", orient="index", typ="series")
    loaded = load_sheet(folder / "trials.tsv")
    out = analyse_trials(loaded, config=validate_config(None), workers=1)
    return out, first, amplitude, pd.DataFrame(truth["stances"])


def test_stance_emg_in_percent_mvc(mvc_cohort):
    out, first, amplitude, truth = mvc_cohort
    stances = out["stances"]
    mvc_log = out["trials"][out["trials"]["status"] == "mvc reference"]
    assert mvc_log["subject"].tolist() == [first]
    normalised = normalise_emg(stances, baseline="baseline")
    mine = normalised[normalised["subject"] == first].dropna(subset=["emg_gmed_mean"])
    assert (mine["emg_gmed_norm"] == "mvc").all()
    matched = pd.merge_asof(mine.sort_values("strike_s"), truth.sort_values("strike_s"), on="strike_s",
                            by=["subject", "condition", "side"], tolerance=0.004, direction="nearest",
                            suffixes=("", "_true")).dropna(subset=["emg_gmed_mean_true"])
    assert len(matched) > 20
    expected = 100 * matched["emg_gmed_mean_true"] / matched["side"].map(amplitude)
    np.testing.assert_allclose(matched["emg_gmed_mean_pct"], expected, rtol=0.02)
    # the other runner has no MVC: % of its baseline mean, which averages 100 in the baseline
    other = normalised[(normalised["subject"] != first) & normalised["emg_gmed_mean"].notna()]
    assert (other["emg_gmed_norm"] == "baseline").all()
    base = other[(other["condition"] == "baseline") & ~other["excluded"].astype(bool)]
    np.testing.assert_allclose(base.groupby("side")["emg_gmed_mean_pct"].mean(), 100.0)
    assert mixed_normalisation(normalised) == ["gmed"]



def test_effects_of_a_mixed_cohort_use_every_runner_s_baseline(mvc_cohort):
    """With mvc=False (what the effects use when only some runners have an MVC) the MVC runner is in % of its own
    baseline mean too: its baseline stances average 100 on each side, as the other runner's do."""
    out, first, _, _ = mvc_cohort
    normalised = normalise_emg(out["stances"], baseline="baseline", mvc=False)
    rows = normalised[normalised["emg_gmed_mean"].notna()]
    assert (rows["emg_gmed_norm"] == "baseline").all() and mixed_normalisation(normalised) == []
    base = rows[(rows["condition"] == "baseline") & ~rows["excluded"].astype(bool)]
    np.testing.assert_allclose(base.groupby(["subject", "side"])["emg_gmed_mean_pct"].mean(), 100.0)

def test_subjects_table_says_the_normalisation(mvc_cohort):
    out, first, _, _ = mvc_cohort
    from hipdrop.stats.emg import emg_metrics
    from hipdrop.stats.subjects import subject_table

    normalised = normalise_emg(out["stances"], baseline="baseline")
    metrics = ("cpd_peak_deg", *emg_metrics(normalised))
    said = normalisation_column(subject_table(normalised, baseline="baseline", metrics=metrics, min_stances=1),
                                normalised)
    emg_rows = said["metric"].str.startswith("emg_")
    assert emg_rows.any() and (said.loc[~emg_rows, "emg_normalisation"] == "").all()
    expected = np.where(said.loc[emg_rows, "subject"] == first, "mvc", "baseline")
    assert (said.loc[emg_rows, "emg_normalisation"] == expected).all()


def test_runner_page_line_marks_percent_mvc(mvc_cohort):
    from hipdrop.report.emg import page_line

    out, first, _, _ = mvc_cohort
    other = next(s for s in out["stances"]["subject"].unique() if s != first)
    assert "gmed (% MVC) baseline " in page_line(first, out["stances"], baseline="baseline")
    line = page_line(other, out["stances"], baseline="baseline")
    assert "MVC" not in line and "gmed baseline 100" in line


def test_methods_say_which_runners_are_in_percent_mvc(mvc_cohort):
    from hipdrop.report.emg import methods_parts

    out, _, _, _ = mvc_cohort
    config = validate_config(None)
    text = methods_parts(config, out["stances"])[0]
    assert "For the 1 runner whose trial sheet named a maximal voluntary contraction (MVC) trial" in text
    assert "over 500 ms" in text
    without = out["stances"].drop(columns=[c for c in out["stances"] if c.endswith("_mvc_mv")])
    assert "MVC" not in methods_parts(config, without)[0]
