"""The simulator's EMG (hipdrop.simulate.emg) recovered by the analysis (hipdrop.kernels.emg through process_trial and
the statistics) against its known envelope.

Tolerances, derived:
- Deterministic (a sine carrier): the chain's only errors are the band-pass's gain at the carrier (computed below),
  the sampled sine's rectified mean (computed below) and the 6 Hz low-pass's smoothing of the burst, whose flanks
  last 0.65 stance each (about 0.16 s): smoothing moves the stance mean and peak by well under 1 %, the bound used.
- Noise carrier (flat over B = 190 Hz): the mean of |s| over a window of T s has a relative SD of about
  1 / (2 sqrt(B T)) (for |c| of a Gaussian c, cov(|c(t)|, |c(t + tau)|) ~ rho(tau)^2 / pi, whose integral over tau
  is 1 / (2 pi B) for a flat band; Var|s| scaled by pi / 2): 7 % for a 0.25 s stance. The tests check that SD
  within a factor 0.75-1.33 and the mean error within 3 standard errors plus the 1 % systematic bound.
"""

import json

import numpy as np
import pandas as pd
import pytest
from scipy.signal import butter, sosfreqz

from hipdrop.kernels.emg import emg_envelope, stance_emg
from hipdrop.simulate.emg import CARRIER_HZ, PRE_S, TRUTH_COLUMNS, cohort_emg_effects, simulate_emg
from hipdrop.simulate.running import CohortSpec, simulate_cohort
from hipdrop.stats.emg import normalise_emg
from hipdrop.stats.models import fit_effects
from hipdrop.trial.process import process_trial

RATE = 1000.0


def _stances(n=12, step=0.36, stance=0.25, start=0.6):
    strikes = start + step * np.arange(n)
    return pd.DataFrame({"side": np.where(np.arange(n) % 2 == 0, "R", "L"), "strike_s": strikes,
                         "off_s": strikes + stance})


def test_sine_carrier_gives_the_known_envelope():
    st = _stances()
    ta = np.arange(int(6.0 * RATE)) / RATE
    runner = {"amplitude_mv": {"L": 0.1, "R": 0.15}}
    channels, labels, units, truth = simulate_emg(np.random.default_rng(0), ta, st["strike_s"], st["off_s"],
                                                  st["side"], runner=runner, effect_pct=10.0, variation=False,
                                                  rate_hz=RATE)
    assert labels == ["L Gluteus Medius", "R Gluteus Medius"] and units == ["V", "V"]
    envelope = emg_envelope(channels * 1000.0, rate_hz=RATE)  # V -> mV
    found = stance_emg(st, ta, {("gmed", "L"): envelope[:, 0], ("gmed", "R"): envelope[:, 1]}, muscles=["gmed"],
                       pre_s=PRE_S)
    # the chain's known gains: band-pass (forward and backward) at 120 Hz, and the rectified sampled sine
    # (120 Hz at 1000 Hz repeats every 25 samples) against the continuous 2/pi the simulator scales by
    band = butter(4, [20.0, 450.0], btype="bandpass", fs=RATE, output="sos")
    gain = float(np.abs(sosfreqz(band, worN=[120.0], fs=RATE)[1][0]) ** 2)
    sampled = np.abs(np.sin(2 * np.pi * 120.0 * np.arange(25) / RATE)).mean() / (2 / np.pi)
    expected = truth[TRUTH_COLUMNS].to_numpy() * gain * sampled
    np.testing.assert_allclose(found.to_numpy(), expected, rtol=0.01)


@pytest.fixture(scope="module")
def emg_cohort(tmp_path_factory):
    folder = tmp_path_factory.mktemp("emg_cohort")
    sheet = simulate_cohort(folder, CohortSpec(n_subjects=4, duration_s=20.0, emg=True, seed=7))
    truth = json.loads((folder / "truth.json").read_text())
    tables = []
    for row in sheet.itertuples():
        result = process_trial(folder / row.path)
        assert result.ok, result.failure
        assert result.meta["emg_channels"] == "L gmed=L Gluteus Medius [V]; R gmed=R Gluteus Medius [V]"
        tables.append(result.stances.assign(subject=row.subject, condition=row.condition, trial=row.trial))
    return pd.concat(tables, ignore_index=True), truth


def test_noise_carrier_envelope_recovered_per_stance(emg_cohort):
    stances, truth = emg_cohort
    true = pd.DataFrame(truth["stances"])
    matched = pd.merge_asof(stances.sort_values("strike_s"), true.sort_values("strike_s"), on="strike_s",
                            by=["subject", "condition", "side"], tolerance=0.004, direction="nearest",
                            suffixes=("", "_true"))
    matched = matched.dropna(subset=["emg_gmed_mean", "emg_gmed_mean_true"])
    assert len(matched) > 300
    error = matched["emg_gmed_mean"] / matched["emg_gmed_mean_true"] - 1
    band = CARRIER_HZ[1] - CARRIER_HZ[0]
    predicted_sd = np.sqrt(np.mean(1 / (4 * band * (matched["off_s_true"] - matched["strike_s"]))))
    assert 0.75 * predicted_sd < error.std() < 1.33 * predicted_sd, (error.std(), predicted_sd)
    assert abs(error.mean()) < 3 * predicted_sd / np.sqrt(len(error)) + 0.01, error.mean()
    pre = (matched["emg_gmed_pre_mean"] / matched["emg_gmed_pre_mean_true"] - 1).dropna()
    predicted_pre = 1 / (2 * np.sqrt(band * PRE_S))
    assert abs(pre.mean()) < 3 * predicted_pre / np.sqrt(len(pre)) + 0.01 + 0.025, pre.mean()  # + half a frame on
    # the burst's steepest flank: 2.5 ms x its slope, up to 2.5 % of the window's mean (events sit on frames)


def test_condition_effects_on_normalised_activation_recovered(emg_cohort):
    stances, truth = emg_cohort
    normalised = normalise_emg(stances, baseline="baseline")
    baseline_mean = normalised[normalised["condition"] == "baseline"].groupby(["subject", "side"])["emg_gmed_mean_pct"].mean()
    np.testing.assert_allclose(baseline_mean, 100.0)
    # the cohort's true effects on the normalised stance mean, recomputed from truth.json's stances as the simulator does
    again = cohort_emg_effects(pd.DataFrame(truth["stances"]), baseline="baseline")
    for metric, effects in truth["emg"]["normalised_effects_pct"].items():
        assert effects == pytest.approx(again[metric])
    for metric in ("emg_gmed_mean_pct", "emg_gmed_pre_mean_pct"):
        table = fit_effects(normalised, metric=metric, baseline="baseline", min_subjects=3).table.set_index("term")
        for condition, true in truth["emg"]["normalised_effects_pct"][metric].items():
            row = table.loc[f"condition[{condition}]"]
            assert row["estimable"], row["reason"]
            # the estimate's SE covers the noise of 4 runners' stances; 3 SE and the 1 % systematic bound (of ~100 %)
            assert abs(row["estimate_deg"] - true) < 3 * row["se_deg"] + 1.0, (metric, condition, row["estimate_deg"], true)
