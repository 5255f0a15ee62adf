"""Surface EMG for the simulated running cohort: both legs' gluteus medius as analog channels whose envelope is known.

Each channel is a band-limited Gaussian noise carrier (flat from ``CARRIER_HZ[0]`` to ``CARRIER_HZ[1]``, where
surface EMG holds most of its power and the 20-450 Hz band-pass of the analysis is flat) multiplied by an envelope
a(t), scaled so that the expected rectified signal is a(t) itself: for a unit-variance Gaussian c, E|c| =
sqrt(2 / pi), so s = a c sqrt(pi / 2) has E|s| = a. The envelope is a tonic level plus, around each stance of its
side, a Hann-shaped burst from late swing into mid-stance (gluteus medius is active from late swing into early
stance; docs/science.md section 13), scaled by the runner's amplitude, the condition's effect and a
stride-to-stride factor. The truth per stance is the mean and peak of a(t) over the stance and over the
pre-activation window before its strike, the windows the analysis uses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: the carrier's flat band (Hz)
CARRIER_HZ = (60.0, 250.0)
#: the burst spans these stance fractions around the strike (0 = strike, 1 = foot off) and peaks at the third
BURST_U = (-0.5, 0.8, 0.15)
#: tonic level, as a share of the runner's burst amplitude
TONIC_SHARE = 0.15
#: stride-to-stride SD of the burst's height (a share of it)
STRIDE_SD = 0.10
#: the runners' burst amplitude (mV at the electrode, uniform): typical gluteus medius in running
AMPLITUDE_MV = (0.05, 0.20)
#: the labels written, one per side: opensim_jogging's spelling, side first
LABELS = {"L": "L Gluteus Medius", "R": "R Gluteus Medius"}
#: the pre-activation window whose truth is given (s): config emg.pre_activation_s's default
PRE_S = 0.1
#: the per-stance truth, as the analysis names its columns
TRUTH_COLUMNS = ["emg_gmed_mean", "emg_gmed_peak", "emg_gmed_pre_mean", "emg_gmed_pre_peak"]


def _burst(u: np.ndarray) -> np.ndarray:
    """A skewed Hann burst over stance fraction ``u``: 0 outside BURST_U, 1 at its peak."""
    start, stop, peak = BURST_U
    rising = np.clip((u - start) / (peak - start), 0.0, 1.0)
    falling = np.clip((stop - u) / (stop - peak), 0.0, 1.0)
    return np.where(u < peak, np.sin(np.pi / 2 * rising) ** 2, np.sin(np.pi / 2 * falling) ** 2)


def true_envelope(ta: np.ndarray, strikes, offs, sides, side: str, *, amplitude_mv: float, gains: np.ndarray) -> np.ndarray:
    """a(t) in mV of the ``side`` channel at times ``ta``: tonic level plus each of its stances' bursts."""
    envelope = np.full(len(ta), TONIC_SHARE * amplitude_mv)
    for strike, off, s, gain in zip(strikes, offs, sides, gains):
        if s != side:
            continue
        stance = off - strike
        near = (ta >= strike + BURST_U[0] * stance) & (ta <= strike + BURST_U[1] * stance)
        envelope[near] += amplitude_mv * gain * _burst((ta[near] - strike) / stance)
    return envelope


def _carrier(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    """Unit-variance Gaussian noise, flat over CARRIER_HZ and nothing outside (white noise cut in the frequency
    domain: the kept share of a unit white variance is 2 x bandwidth / rate)."""
    spectrum = np.fft.rfft(rng.normal(0.0, 1.0, n))
    f = np.fft.rfftfreq(n, 1.0 / rate)
    spectrum[(f < CARRIER_HZ[0]) | (f > CARRIER_HZ[1])] = 0.0
    return np.fft.irfft(spectrum, n) / np.sqrt(2 * (CARRIER_HZ[1] - CARRIER_HZ[0]) / rate)


def _carried(rng: np.random.Generator, envelope: np.ndarray, ta: np.ndarray, rate_hz: float, variation: bool) -> np.ndarray:
    """A channel in V whose expected rectified value is ``envelope`` (mV): the noise carrier, or without
    ``variation`` a 120 Hz sine."""
    carrier = _carrier(rng, len(ta), rate_hz) if variation else np.sqrt(2.0) * np.sin(2 * np.pi * 120.0 * ta)
    # a sine carrier (without variation) is rectified to 2 sqrt(2) / pi, not sqrt(2 / pi): scale each to E|s| = a
    scale = np.sqrt(np.pi / 2) if variation else np.pi / (2 * np.sqrt(2.0))
    return envelope * carrier * scale / 1000.0  # mV -> V


def _window(ta, envelope, start, stop) -> tuple[float, float]:
    inside = (ta >= start) & (ta < stop)
    if start < ta[0] or stop > ta[-1] or not inside.any():
        return np.nan, np.nan
    return float(envelope[inside].mean()), float(envelope[inside].max())


def simulate_emg(rng: np.random.Generator, ta: np.ndarray, strikes, offs, sides, *, runner: dict, effect_pct: float,
                 variation: bool, rate_hz: float) -> tuple[np.ndarray, list[str], np.ndarray, pd.DataFrame]:
    """Both legs' gluteus medius at analog times ``ta``: channels ``[sample, 2]`` in V (ANALOG:UNITS V), their
    labels, their units, and the truth per stance (``TRUTH_COLUMNS``, mV, one row per strike in order)."""
    strikes, offs, sides = np.asarray(strikes), np.asarray(offs), np.asarray(sides)
    gains = (1 + effect_pct / 100.0) * (1 + (rng.normal(0.0, STRIDE_SD, len(strikes)) if variation else np.zeros(len(strikes))))
    channels, truth = [], pd.DataFrame(np.nan, index=range(len(strikes)), columns=TRUTH_COLUMNS)
    for side in ("L", "R"):
        envelope = true_envelope(ta, strikes, offs, sides, side, amplitude_mv=runner["amplitude_mv"][side], gains=gains)
        channels.append(_carried(rng, envelope, ta, rate_hz, variation))
        for k in np.flatnonzero(sides == side):
            truth.iloc[k, :2] = _window(ta, envelope, strikes[k], offs[k])
            truth.iloc[k, 2:] = _window(ta, envelope, strikes[k] - PRE_S, strikes[k])
    return np.column_stack(channels), [LABELS["L"], LABELS["R"]], ["V", "V"], truth


def cohort_emg_effects(stances: pd.DataFrame, *, baseline: str) -> dict:
    """The cohort's true effects on the normalised measures: per runner and side, each stance's truth in % of the
    runner-side's mean true stance mean in ``baseline``; per runner and condition the mean over its stances; per
    condition the mean over runners of its difference from baseline (percentage points). ``{metric: {condition:
    effect}}`` with metrics named ``<column>_pct``."""
    table = stances.dropna(subset=["emg_gmed_mean"]).copy()
    reference = (table[table["condition"] == baseline].groupby(["subject", "side"])["emg_gmed_mean"].mean()
                 .rename("reference"))
    table = table.join(reference, on=["subject", "side"])
    out = {}
    for column in TRUTH_COLUMNS:
        normalised = 100.0 * table[column] / table["reference"]
        means = normalised.groupby([table["subject"], table["condition"]]).mean().unstack("condition")
        out[f"{column}_pct"] = {c: float((means[c] - means[baseline]).mean()) for c in means.columns if c != baseline}
    return out


#: each condition's effect on the gluteus medius burst's height (%): a higher step rate raised gluteus medius
#: activity in late swing (Chumanov et al. 2012, Gait Posture 36:231); the sizes are the simulator's, not published
DEFAULT_EMG_EFFECTS_PCT = {"cadence_plus5": 5.0, "cadence_plus10": 10.0, "arm_swing": 0.0}


def runner_emg(rng: np.random.Generator, variation: bool) -> dict:
    """One runner's EMG: burst amplitude per side (mV) and a standard-normal deviation per condition, which
    ``CohortSpec.emg_effect_sd_pct`` scales into the runner's own effect."""
    if not variation:
        return {"amplitude_mv": {"L": 0.12, "R": 0.12}, "effect_dev_z": {c: 0.0 for c in DEFAULT_EMG_EFFECTS_PCT}}
    return {"amplitude_mv": {s: float(rng.uniform(*AMPLITUDE_MV)) for s in ("L", "R")},
            "effect_dev_z": {c: float(rng.normal()) for c in DEFAULT_EMG_EFFECTS_PCT}}


def runner_effect_pct(spec, runner: dict, condition: str) -> float:
    """The runner's own effect of ``condition`` on the burst height (%)."""
    return spec.emg_effects_pct.get(condition, 0.0) + runner["emg"]["effect_dev_z"].get(condition, 0.0) * spec.emg_effect_sd_pct


def trial_emg(rng: np.random.Generator, t: np.ndarray, strikes, offs, sides, *, spec, runner: dict, condition: str,
              analog_rate_hz: float) -> dict:
    """The EMG channels of one simulated trial on the analog clock of its frames ``t`` (the force plate's), from a
    stream of its own (drawn from ``rng``'s seed, so the markers' draws stay as they are), and their truth."""
    own = np.random.default_rng(rng.bit_generator.seed_seq.spawn(1)[0])
    ta = t[0] + np.arange(len(t) * int(round(analog_rate_hz / spec.rate_hz))) / analog_rate_hz
    channels, labels, units, truth = simulate_emg(own, ta, strikes, offs, sides, runner=runner["emg"],
                                                  effect_pct=runner_effect_pct(spec, runner, condition),
                                                  variation=spec.variation, rate_hz=analog_rate_hz)
    return {"analogs": channels, "labels": labels, "units": units, "truth": truth}


def analog_channels(forces: np.ndarray | None, force_labels: list[str], emg: dict | None) -> dict:
    """``write_c3d``'s analog arguments: the force plate's channels, then the EMG's when there are any."""
    if emg is None:
        return {"analogs": forces, "analog_labels": force_labels}
    if forces is None:
        return {"analogs": emg["analogs"], "analog_labels": emg["labels"], "analog_units": emg["units"]}
    return {"analogs": np.column_stack([forces, emg["analogs"]]), "analog_labels": [*force_labels, *emg["labels"]],
            "analog_units": [("N" if a.startswith("F") else "Nmm") for a in force_labels] + emg["units"]}


def emg_truth(spec, subjects: dict, stances: list[dict], *, baseline: str = "baseline") -> dict:
    """truth.json's ``emg``: the population's and this cohort's effects on the burst height (%), and the cohort's
    true effects on the normalised measures (``cohort_emg_effects``, percentage points of the baseline mean)."""
    conditions = [c for c in spec.emg_effects_pct]
    return {
        "labels": list(LABELS.values()), "carrier_hz": list(CARRIER_HZ), "pre_activation_s": PRE_S,
        "burst_effects_pct": dict(spec.emg_effects_pct),
        "cohort_burst_effects_pct": {c: float(np.mean([runner_effect_pct(spec, r, c) for r in subjects.values()]))
                                     for c in conditions},
        "normalised_effects_pct": cohort_emg_effects(pd.DataFrame(stances), baseline=baseline),
        **(_mvc_truth(subjects, stances, baseline=baseline) if spec.emg_mvc else {}),
    }


def _mvc_truth(subjects: dict, stances: list[dict], *, baseline: str) -> dict:
    """truth.json's ``emg.mvc_mv`` (subject -> side -> the MVC file's true amplitude, mV) and ``emg.mvc_effects_pct``
    (per ``<column>_pct`` and condition: the mean over runners of the runner's mean stance value in % MVC in the
    condition less that in ``baseline``, percentage points of MVC)."""
    mvc = {subject: runner["emg"]["mvc_mv"] for subject, runner in subjects.items()}
    table = percent_mvc_truth(pd.DataFrame(stances).dropna(subset=["emg_gmed_mean"]), mvc)
    effects = {}
    for column in TRUTH_COLUMNS:
        means = table.groupby(["subject", "condition"])[f"{column}_pct"].mean().unstack("condition")
        effects[f"{column}_pct"] = {c: float((means[c] - means[baseline]).mean()) for c in means if c != baseline}
    return {"mvc_mv": mvc, "mvc_effects_pct": effects}


#: a simulated maximal voluntary contraction: rest, a ramp up, the hold, a ramp down, rest (s)
MVC_PHASES_S = (1.0, 0.5, 2.0, 0.5, 1.0)


def mvc_envelope(ta: np.ndarray, amplitude_mv: float) -> np.ndarray:
    """a(t) in mV of a simulated MVC at times ``ta`` (s from its start): the tonic level of the running trials
    (``TONIC_SHARE`` of the amplitude) at rest, raised-cosine ramps (``MVC_PHASES_S``) to ``amplitude_mv`` held for
    2 s. Its highest mean over any window up to the hold's length is ``amplitude_mv`` exactly."""
    rest, up, hold, down, _ = MVC_PHASES_S
    rise = np.clip((ta - rest) / up, 0.0, 1.0)
    fall = np.clip((ta - rest - up - hold) / down, 0.0, 1.0)
    shape = np.sin(np.pi / 2 * rise) ** 2 - np.sin(np.pi / 2 * fall) ** 2
    return amplitude_mv * (TONIC_SHARE + (1 - TONIC_SHARE) * shape)


def write_mvc(path, amplitude_mv: dict, *, seed: int = 0, variation: bool = True, rate_hz: float = 1000.0,
              point_rate_hz: float = 100.0) -> dict:
    """Write a maximal voluntary contraction of both legs' gluteus medius as a C3D file of analog channels only
    (labels ``LABELS``, V; no markers), each channel ``mvc_envelope`` of its side's ``amplitude_mv`` (mV) times
    the running trials' carrier (noise, or a 120 Hz sine without ``variation``). Returns the truth: side ->
    amplitude (mV), the highest 500 ms mean of the envelope."""
    from hipdrop.io.c3d.reader import write_c3d

    rng = np.random.default_rng(seed)
    n_frames = int(round(sum(MVC_PHASES_S) * point_rate_hz))
    ta = np.arange(n_frames * int(round(rate_hz / point_rate_hz))) / rate_hz
    channels = []
    for side in ("L", "R"):
        channels.append(_carried(rng, mvc_envelope(ta, amplitude_mv[side]), ta, rate_hz, variation))
    write_c3d(path, np.zeros((n_frames, 0, 3)), [], rate_hz=point_rate_hz, analogs=np.column_stack(channels),
              analog_labels=[LABELS["L"], LABELS["R"]], analog_rate_hz=rate_hz, analog_units=["V", "V"])
    return {side: float(amplitude_mv[side]) for side in ("L", "R")}


#: a runner's gluteus medius burst in running as a share of its MVC amplitude (uniform; the simulator's choice, a
#: stance peak below the maximal contraction, as running's is): the MVC the simulator writes is the burst amplitude
#: over this share
RUNNING_SHARE_OF_MVC = (0.3, 0.6)
#: the share without variation
RUNNING_SHARE_FIXED = 0.45
#: where the MVC files go, relative to the sheet's folder (sheet column mvc)
MVC_FOLDER = "mvc"


def write_runner_mvc(directory, subject: str, runner: dict, *, seed: list[int], variation: bool) -> tuple[str, dict]:
    """Write ``subject``'s MVC trial (``write_mvc``) into ``directory``/``MVC_FOLDER``: each side's amplitude is
    its running burst amplitude (``runner["emg"]["amplitude_mv"]``) over a share of ``RUNNING_SHARE_OF_MVC``
    drawn from a stream of its own (``seed``), so the runners' other draws stay as they are. Returns the file's
    path relative to ``directory`` (the sheet's ``mvc`` value) and the true MVC amplitude per side (mV)."""
    from pathlib import Path

    rng = np.random.default_rng(seed)
    amplitude = {side: runner["emg"]["amplitude_mv"][side]
                 / (float(rng.uniform(*RUNNING_SHARE_OF_MVC)) if variation else RUNNING_SHARE_FIXED)
                 for side in ("L", "R")}
    relative = f"{MVC_FOLDER}/{subject}.c3d"
    (Path(directory) / MVC_FOLDER).mkdir(parents=True, exist_ok=True)
    truth = write_mvc(Path(directory) / relative, amplitude, seed=int(rng.integers(2 ** 31)), variation=variation)
    return relative, truth


def percent_mvc_truth(stances: pd.DataFrame, mvc_mv: dict) -> pd.DataFrame:
    """``stances`` (truth.json's, with ``subject`` and ``side``) with each ``TRUTH_COLUMNS`` value in % of its
    runner-side's true MVC amplitude (``mvc_mv``: subject -> side -> mV), as ``<column>_pct``: the analysis's %
    MVC, known."""
    out = stances.copy()
    mvc = pd.Series([mvc_mv.get(str(s), {}).get(side, np.nan) for s, side in zip(out["subject"], out["side"])],
                    index=out.index, dtype=float)
    for column in TRUTH_COLUMNS:
        out[f"{column}_pct"] = 100.0 * out[column] / mvc
    return out
