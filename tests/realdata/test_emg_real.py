"""Surface EMG on the corpus's running files with EMG: dorn_JA1Gait35 (one leg: GMED, GMAX, TA, VMO, VL, RF,
hamstrings, gastrocnemius, soleus; 1500 Hz) and opensim_jogging (both legs' gluteus medius and maximus among
others; 1500 Hz). docs/science.md section 13 gives the values."""

import numpy as np
import pytest
from scipy.signal import butter, filtfilt

from hipdrop.config import validate_config
from hipdrop.io.c3d.reader import read_c3d
from hipdrop.trial.emg import trial_emg
from hipdrop.trial.process import process_trial
from tests.conftest import shared_file

DORN, JOGGING = "running/dorn_JA1Gait35.c3d", "running/opensim_jogging.c3d"


def _second_envelope(raw_v, rate):
    """The chain written out again with scipy's transfer-function filters: an independent implementation."""
    x = raw_v - raw_v.mean()
    b, a = butter(4, [20.0, 450.0], btype="bandpass", fs=rate)
    x = np.abs(filtfilt(b, a, x))  # the default padding of both, 27 samples
    b, a = butter(4, 6.0, fs=rate)
    return 1000.0 * filtfilt(b, a, x, padlen=int(3 * rate / 6.0))  # V -> mV


def _check_against_second(trial, stances, label, side, muscle="gmed"):
    analogs = trial["analogs"]
    envelope = _second_envelope(analogs.sel(analog_channel=label).to_numpy(), analogs.attrs["rate_hz"])
    time = analogs["analog_time"].to_numpy()
    for st in stances[(stances["side"] == side) & stances["off_s"].notna()].itertuples():
        inside = (time >= st.strike_s) & (time < st.off_s)
        assert getattr(st, f"emg_{muscle}_mean") == pytest.approx(envelope[inside].mean(), rel=1e-3)
        assert getattr(st, f"emg_{muscle}_peak") == pytest.approx(envelope[inside].max(), rel=1e-3)


def test_dorn_gluteus_medius_of_the_right_leg():
    path = shared_file(DORN)
    # its labels carry no side: without the map the muscles are named and left out, not guessed
    plain = process_trial(path)
    assert plain.ok and plain.stances.filter(like="emg_").isna().all().all()
    assert "'GMED'" in plain.meta["emg_notes"] and "emg.sides" in plain.meta["emg_notes"]

    result = process_trial(path, config=validate_config({"emg": {"sides": {"GMED": "R", "GMAX": "R"}}}))
    st = result.stances
    assert result.meta["emg_channels"] == "R gmed=GMED [V]; R gmax=GMAX [V]"
    right = st[(st["side"] == "R") & st["off_s"].notna()]
    assert len(right) == 2 and np.isfinite(right.filter(like="emg_gmed")).all().all()
    assert st.loc[st["side"] == "L"].filter(like="emg_").isna().all().all()
    np.testing.assert_allclose(right["emg_gmed_mean"], [132.0, 141.8], atol=0.1)  # mV as stored (amplified)
    _check_against_second(read_c3d(path), st, "GMED", "R")

    # the recording is of the right leg: the muscles of stance (gluteus medius, vastus lateralis) fire in the right
    # stances and are nearly silent in the left ones (the right leg's swing)
    trial = read_c3d(path)
    for label in ("GMED", "VL"):
        settings = validate_config({"emg": {"muscles": {"m": [label]}, "sides": {label: "R"}}})["emg"]
        right_mean = trial_emg(trial, st, settings)[0]["emg_m_mean"].groupby(st["side"]).mean()
        settings["sides"] = {label: "L"}
        left_mean = trial_emg(trial, st, settings)[0]["emg_m_mean"].groupby(st["side"]).mean()
        assert right_mean["R"] > 4 * left_mean["L"], label


def test_opensim_jogging_both_glutei():
    path = shared_file(JOGGING)
    result = process_trial(path)
    st = result.stances
    assert result.meta["emg_channels"] == ("R gmax=R Gluteus Maximu [V]; L gmax=L Gluteus Maximu [V]; "
                                           "R gmed=R Gluteus Medius [V]; L gmed=L Gluteus Medius [V]")
    complete = st[st["off_s"].notna()]
    assert list(complete["side"]) == ["L", "R", "L"]
    assert np.isfinite(complete[["emg_gmed_mean", "emg_gmed_peak", "emg_gmax_mean", "emg_gmax_peak"]]).all().all()
    # the first strike comes 7 ms after the recording starts: no 100 ms before it to measure pre-activation in
    assert st.iloc[0][["emg_gmed_pre_mean", "emg_gmed_pre_peak"]].isna().all()
    assert np.isfinite(st.iloc[1:][["emg_gmed_pre_mean", "emg_gmed_pre_peak"]]).all().all()
    trial = read_c3d(path)
    _check_against_second(trial, st, "R Gluteus Medius", "R")
    _check_against_second(trial, st, "L Gluteus Medius", "L")
