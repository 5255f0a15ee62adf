"""hipdrop.kernels.emg against analytic cases: the envelope of a sine, window statistics of a known ramp, the labels
of the corpus's EMG channels."""

import numpy as np
import pandas as pd
import pytest
from scipy.signal import butter, sosfreqz

from hipdrop.kernels.emg import emg_columns, emg_envelope, find_emg_channels, stance_emg


@pytest.mark.parametrize("label, muscle, side", [
    ("R Gluteus Medius", "gmed", "R"),      # opensim_jogging
    ("L Gluteus Maximu", "gmax", "L"),      # opensim_jogging, truncated to 16 characters
    ("LGMED", "gmed", "L"), ("RGLUTMED", "gmed", "R"), ("GMED_L", "gmed", "L"), ("Right GluteusMedius", "gmed", "R"),
    ("EMG R G.Med", "gmed", "R"), ("L_GMax EMG1", "gmax", "L"),
])
def test_labels_with_a_side(label, muscle, side):
    found, notes = find_emg_channels(["Fz1", label, "LHAMS"], ["N", "V", "V"])
    assert [(c["muscle"], c["side"], c["index"], c["to_mv"]) for c in found] == [(muscle, side, 1, 1000.0)]
    assert notes == []


def test_a_label_without_side_needs_the_map():
    # dorn_JA1Gait35: one leg's GMED, GMAX among TA, VMO, ...; LGAST is lateral gastrocnemius, not a left muscle
    labels = ["TA", "GMED", "GMAX", "LGAST", "MHAMS"]
    found, notes = find_emg_channels(labels, ["V"] * 5)
    assert found == [] and len(notes) == 2 and "'GMED'" in notes[0] and "emg.sides" in notes[0]
    found, notes = find_emg_channels(labels, ["mV"] * 5, sides={"gmed": "R"})
    assert [(c["muscle"], c["side"], c["to_mv"]) for c in found] == [("gmed", "R", 1.0)] and len(notes) == 1


def test_a_config_map_adds_muscles_and_the_first_channel_wins():
    found, notes = find_emg_channels(["R TFL", "R Tensor", "L GMED", "L GMED"], ["uV"] * 4,
                                     muscles={"tfl": [r"tfl|tensor"], "gmed": [r"gmed"]})
    assert [(c["muscle"], c["side"], c["index"]) for c in found] == [("tfl", "R", 0), ("gmed", "L", 2)]
    assert found[0]["to_mv"] == 1e-3 and len(notes) == 2


def _forward_backward_gain(rate, f, band=(20.0, 450.0), order=4):
    sos = butter(order, band, btype="bandpass", fs=rate, output="sos")
    return float(np.abs(sosfreqz(sos, worN=[f], fs=rate)[1][0]) ** 2)  # forward and backward: |H|^2


@pytest.mark.parametrize("rate, f", [(1500.0, 100.0), (1000.0, 50.0), (1500.0, 300.0)])
def test_envelope_of_a_sine_is_its_mean_rectified_amplitude(rate, f):
    # the band-pass passes the sine with its forward-backward gain g and no phase shift; the rectified samples
    # repeat every rate / f samples, so the 6 Hz low-pass leaves their mean over a period (a 4th-order Butterworth
    # run both ways passes (6 / 2f)^16 < 1e-12 of every harmonic): g A mean|sin| over the period's samples (2A/pi
    # for a continuous sine; sampling moves it by up to 3 % at 5 samples a period). An offset is removed first
    t = np.arange(int(4 * rate)) / rate
    amplitude = 0.25
    envelope = emg_envelope(0.7 + amplitude * np.sin(2 * np.pi * f * t), rate_hz=rate)
    inner = slice(int(0.75 * rate), int(3.25 * rate))  # away from the filters' edge transients
    period = int(round(rate / f))
    expected = amplitude * np.abs(np.sin(2 * np.pi * f * t[:period])).mean() * _forward_backward_gain(rate, f)
    np.testing.assert_allclose(envelope[inner], expected, rtol=1e-4)


def test_band_kept_below_nyquist_and_refused_when_impossible():
    t = np.arange(3000) / 600.0
    envelope = emg_envelope(np.sin(2 * np.pi * 100 * t), rate_hz=600.0)  # 450 Hz capped at 270 Hz
    expected = np.abs(np.sin(2 * np.pi * 100 * t[:6])).mean() * _forward_backward_gain(600.0, 100.0, band=(20.0, 270.0))
    np.testing.assert_allclose(envelope[600:2400], expected, rtol=1e-4)
    with pytest.raises(ValueError, match="needs more than"):
        emg_envelope(np.zeros(3000), rate_hz=40.0)
    with pytest.raises(ValueError, match="too short"):
        emg_envelope(np.zeros(100), rate_hz=1000.0)


def test_window_statistics_of_a_ramp():
    # envelope = time (s) at 1000 Hz from 0.5 s: a window [a, b) holds the samples a, a + 1 ms, ..., b - 1 ms
    time = 0.5 + np.arange(2000) / 1000.0
    stances = pd.DataFrame({"side": ["R", "L", "R", "R"], "strike_s": [1.0, 1.3, 0.55, 2.3],
                            "off_s": [1.2, 1.5, 0.75, np.nan]})
    table = stance_emg(stances, time, {("gmed", "R"): time.copy()}, muscles=["gmed"], pre_s=0.1)
    assert list(table.columns) == emg_columns(["gmed"])
    np.testing.assert_allclose(table.iloc[0].to_numpy(), [1.0995, 1.199, 0.9495, 0.999], atol=1e-9)
    assert table.iloc[1].isna().all()  # a left stance and only a right channel
    assert np.isfinite(table.iloc[2, :2]).all() and table.iloc[2, 2:].isna().all()  # pre window before the recording
    assert table.iloc[3, :2].isna().all() and np.isfinite(table.iloc[3, 2:]).all()  # no foot off; pre window kept
