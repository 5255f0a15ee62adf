"""Gap repair and filtering against exact answers."""

import dask.array
import numpy as np
import pytest
import xarray as xr

from hipdrop.kernels.filters import lowpass, usable_cutoff
from hipdrop.kernels.gaps import fill_short_gaps, refill_pelvis, repair_markers
from hipdrop.config import validate_config
from hipdrop.kernels.plausibility import mask_implausible
from hipdrop.simulate.body import PELVIS_LOCAL, pelvis_pose
from tests.conftest import marker_array

#: the plausibility limits at their defaults (config section plausibility)
LIMITS = validate_config({})["plausibility"]
SPIKE_LIMITS = {"max_speed_m_s": LIMITS["max_segment_speed_m_s"], "max_spike_s": LIMITS["max_spike_s"]}


def test_spline_fill_is_exact_on_a_cubic_and_respects_the_limit():
    t = np.arange(100) / 100.0
    cubic = 3 * t**3 - 2 * t**2 + t
    xyz = np.stack([cubic, cubic, cubic], -1)
    short, long = xyz.copy(), xyz.copy()
    short[40:45] = np.nan  # 50 ms
    long[40:60] = np.nan  # 200 ms
    markers = marker_array({"A": short, "B": long})
    filled, mask = fill_short_gaps(markers, max_gap_s=0.1, rate_hz=100.0)
    np.testing.assert_allclose(filled.sel(marker="A"), xyz, atol=1e-9)
    assert np.isnan(filled.sel(marker="B")[40:60]).all()
    assert mask.sel(marker="A").sum() == 5 and mask.sel(marker="B").sum() == 0


def test_rigid_refill_rebuilds_a_missing_asis():
    n = 200
    wave = np.radians(8 * np.sin(np.linspace(0, 6 * np.pi, n)))
    pose = pelvis_pose(wave / 2, wave, np.radians(12 + 0 * wave))
    origin = np.stack([np.linspace(0, 500, n), 20 * np.sin(wave), 950 + 30 * np.cos(wave)], -1)
    truth = {name: origin + pose @ np.array(local) for name, local in PELVIS_LOCAL.items()}
    cut = {k: v.copy() for k, v in truth.items()}
    cut["LASI"][60:160] = np.nan  # 1 s at 100 Hz: far beyond any spline
    refilled, mask = refill_pelvis(marker_array(cut))
    np.testing.assert_allclose(refilled.sel(marker="LASI"), truth["LASI"], atol=1e-6)
    assert int(mask.sel(marker="LASI").sum()) == 100


def test_lowpass_keeps_slow_motion_and_removes_fast():
    t = np.arange(1000) / 200.0
    slow, fast = 100 * np.sin(2 * np.pi * 2 * t), 5 * np.sin(2 * np.pi * 60 * t)
    xyz = np.repeat((slow + fast)[:, None], 3, axis=1)
    out = lowpass(marker_array({"A": xyz}, rate_hz=200.0), cutoff_hz=15.0, order=2, rate_hz=200.0)
    inner = slice(100, -100)
    np.testing.assert_allclose(out.sel(marker="A", axis="x")[inner], slow[inner], atol=0.1)


def test_lowpass_leaves_gaps_as_gaps_and_stays_lazy():
    xyz = np.random.default_rng(0).normal(size=(300, 3)).cumsum(0)
    xyz[100:120] = np.nan
    markers = marker_array({"A": xyz}, rate_hz=200.0).chunk({"marker": 1})
    out = lowpass(markers, cutoff_hz=15.0, order=2, rate_hz=200.0)
    assert isinstance(out.data, dask.array.Array)
    computed = out.compute()
    assert np.isnan(computed.values[100:120]).all() and np.isfinite(computed.values[:100]).all()


def test_twicing_flattens_the_pass_band_as_tukey_says():
    """Zero-lag 2nd-order digital Butterworth (bilinear, pre-warped): gain |H|^2 = 1 / (1 + (w / wc)^4) with
    w = tan(pi f / fs); twiced, g (2 - g). At 5 Hz under a 15 Hz cut-off (200 Hz) the plain filter keeps 98.8 % of the
    amplitude, the twiced one 99.99 %; at 40 Hz both remove most of it."""
    rate, cutoff = 200.0, 15.0
    t = np.arange(0, 20, 1 / rate)
    for f in (5.0, 40.0):
        x = marker_array({"M": np.stack([np.sin(2 * np.pi * f * t)] * 3, axis=1)}, rate_hz=rate)
        plain = 1 / (1 + (np.tan(np.pi * f / rate) / np.tan(np.pi * cutoff / rate)) ** 4)
        for twicing, gain in ((False, plain), (True, plain * (2 - plain))):
            y = lowpass(x, cutoff_hz=cutoff, order=2, rate_hz=rate, twicing=twicing).values[:, 0, 0]
            middle = slice(len(t) // 4, 3 * len(t) // 4)  # away from the edges' padding
            assert np.sqrt(2) * y[middle].std() == pytest.approx(gain, abs=2e-3), (f, twicing)


# ----------------------------------------------------------------------------------------- plausibility
def _running_body(rate_hz=200.0, seconds=2.0):
    """Pelvis and feet of a runner on a treadmill: each foot swings +-1.33 m fore-aft at 3 Hz, a peak speed of
    2 pi 3 Hz 1.33 m = 25 m/s, the sprint foot's; the pelvis bobs 40 mm."""
    t = np.arange(int(seconds * rate_hz)) / rate_hz
    swing = 1326.0 * np.sin(2 * np.pi * 3 * t)
    bob = 40.0 * np.sin(2 * np.pi * 6 * t)
    zero = 0 * t
    return {
        "LASI": np.stack([zero + 100, zero + 120, 1000 + bob], -1), "RASI": np.stack([zero + 100, zero - 120, 1000 + bob], -1),
        "LPSI": np.stack([zero - 80, zero + 50, 1020 + bob], -1), "RPSI": np.stack([zero - 80, zero - 50, 1020 + bob], -1),
        "LHEE": np.stack([swing, zero + 100, zero + 80], -1), "RHEE": np.stack([-swing, zero - 100, zero + 80], -1),
    }


def test_motion_up_to_a_sprinters_foot_is_plausible():
    """Feet at 25 m/s, a toe at 45 m/s, the pelvis bobbing 40 mm while skin slides its LASI marker +-40 mm (2.5
    times the RBDS SD) against the other three: nothing flagged."""
    body = _running_body()
    body["LASI"] += 40.0 * np.sin(2 * np.pi * 3 * np.arange(400) / 200.0)[:, None] * [1.0, 0.0, 0.6]
    t = np.arange(400) / 200.0
    # and a toe swinging +-0.72 m at 10 Hz: 45 m/s at mid-swing, 90 % of max_segment_speed_m_s
    body["LTOE"] = np.stack([716.2 * np.sin(2 * np.pi * 10 * t), 0 * t, 50 + 0 * t], -1)
    out = mask_implausible(marker_array(body, rate_hz=200.0), rate_hz=200.0, **LIMITS)
    assert int((out["implausible"] > 0).sum()) == 0
    xr.testing.assert_equal(out["markers"], marker_array(body, rate_hz=200.0))


def test_each_kind_of_implausible_sample_is_found_where_it_was_written():
    body = _running_body()
    truth = marker_array(body, rate_hz=200.0)
    bad = {k: v.copy() for k, v in body.items()}
    bad["LASI"][20, 2] = np.inf                       # nonfinite
    bad["RASI"][30, 0] = np.nan                       # missing on one axis only: nonfinite
    bad["LPSI"][40] += [0.0, 0.0, 150_000.0]          # 150 m up: outside any capture volume
    bad["RPSI"][60] += [4_000.0, 0.0, 0.0]            # 4 m from the body, at 800 m/s: off the body first
    bad["LASI"][80, 2] += 600.0                       # a 600 mm, one-frame spike: 120 m/s each way
    bad["RASI"][100:103, 1] -= 700.0                  # a 3-frame spike
    bad["LHEE"][0, 2] += 900.0                        # a spike in the first frame
    bad["RHEE"][150:160] = np.nan
    bad["RHEE"][160, 2] += 800.0                      # a spike just after a gap
    bad["RHEE"][392, 2] += 800.0                      # a spike 8 frames before the end: the frames after it are sound
    bad["LPSI"][200:260, 2] += 500.0                  # 0.3 s 500 mm up: no spike, but the pelvis is one bone
    bad["LHEE"][200:260, 2] += 500.0                  # the same on a foot: a step, not a spike, left as written
    out = mask_implausible(marker_array(bad, rate_hz=200.0), rate_hz=200.0, **LIMITS)
    kind = out["implausible"].to_pandas()
    found = {(int(t), m, int(kind.iloc[t][m])) for t, m in zip(*np.nonzero(kind.to_numpy()))
             for m in [kind.columns[m]]}
    assert found == {(20, "LASI", 1), (30, "RASI", 1), (40, "LPSI", 2), (60, "RPSI", 3), (80, "LASI", 4),
                     (100, "RASI", 4), (101, "RASI", 4), (102, "RASI", 4), (0, "LHEE", 4), (160, "RHEE", 4),
                     (392, "RHEE", 4), *((t, "LPSI", 5) for t in range(200, 260))}
    assert out["counts"].to_series().to_dict() == {"nonfinite": 2, "outside_volume": 1, "off_body": 1, "spike": 7,
                                                   "pelvis_shape": 60}
    cleaned = out["markers"]
    assert np.isnan(cleaned.sel(marker="LASI")[[20, 80]]).all() and np.isnan(cleaned.sel(marker="RASI")[100:103]).all()
    keep = out["implausible"] == 0
    assert int(keep.sum()) == keep.size - 71
    # every other sample as written, the foot's step included
    np.testing.assert_array_equal(cleaned.sel(marker="LASI")[81:], truth.sel(marker="LASI")[81:])
    np.testing.assert_array_equal(cleaned.sel(marker="LHEE")[1:], bad["LHEE"][1:])


@pytest.mark.parametrize(("jump_mm", "flagged"), [(450.0, False), (550.0, True)])
def test_a_spike_is_a_jump_faster_than_any_segment(jump_mm, flagged):
    """At 100 Hz, 50 m/s (max_segment_speed_m_s) is 500 mm per frame: a one-frame excursion of a heel of 450 mm
    could be a body's, one of 550 mm cannot."""
    body = {k: v[::2] for k, v in _running_body(rate_hz=200.0).items()}  # 100 Hz
    body = {k: np.zeros_like(v) + v[0] for k, v in body.items()}  # standing still
    body["LHEE"][50, 2] += jump_mm
    out = mask_implausible(marker_array(body, rate_hz=100.0), rate_hz=100.0, **LIMITS)
    assert bool(out["implausible"].sel(marker="LHEE")[50]) is flagged
    assert int((out["implausible"] > 0).sum()) == int(flagged)


def _spikes_one_by_one(xyz, rate_hz):
    """The spike rule of ``_spikes``'s docstring, sample by sample in plain Python: a second implementation."""
    from hipdrop.kernels.plausibility import MAX_SPIKE_FRAMES

    n, longest = len(xyz), max(1, min(int(LIMITS["max_spike_s"] * rate_hz), MAX_SPIKE_FRAMES))
    limit = LIMITS["max_segment_speed_m_s"] * 1000.0 / rate_hz
    out = np.zeros(xyz.shape[:2], bool)
    for m in range(xyz.shape[1]):
        at = lambda t: xyz[t, m] if 0 <= t < n and np.isfinite(xyz[t, m]).all() else None
        dist = lambda a, b: np.inf if a is None or b is None else float(np.linalg.norm(a - b))
        fast = lambda a, b: a is not None and b is not None and dist(a, b) > limit
        slow = lambda a, b, steps=1: a is not None and b is not None and dist(a, b) <= limit * steps
        spiked = set()  # samples of two-sided runs of the lengths done
        for k in range(1, longest + 1):
            found = set()
            for t in range(n):
                inside = [at(i) for i in range(t, t + k)]
                if t + k > n or any(x is None for x in inside):
                    continue
                smooth = all(not fast(inside[i], inside[i + 1]) for i in range(k - 1))
                before, after = at(t - 1), at(t + k)
                entry, leave = fast(inside[0], before), fast(inside[-1], after)
                from_left = before is None and leave and slow(at(t + k + 1), after) and smooth
                from_right = after is None and entry and slow(before, at(t - 2)) and smooth
                two_sided = (entry and leave and slow(after, before, k + 1) and not {t - 1, t + k} & spiked
                             and all(dist(x, before + (i + 1) / (k + 1) * (after - before)) > limit
                                     for i, x in enumerate(inside)))
                if two_sided or from_left or from_right:
                    out[t : t + k, m] = True
                if two_sided:
                    found |= set(range(t, t + k))
            spiked |= found
    return out


def test_the_path_between_two_spikes_and_real_frames_inside_a_run_are_no_spikes():
    """Two cases of the 1,000-mutant fuzz run (dorn_JA1Gait35, 250 Hz): the real path between two spikes 13
    frames apart, and spike, real frames, spike. Only the written spikes are flagged."""
    from hipdrop.kernels.plausibility import _spikes

    rate = 250.0  # limit 200 mm a frame; the path moves 70 mm a frame
    path = np.stack([np.zeros(60), 70.0 * np.arange(60), np.full(60, 300.0)], -1)[:, None]
    between = path.copy()
    between[20] += [-290.0, -760.0, 1700.0]  # as LMT1 frame 97: 1.9 m off
    between[33] += [-150.0, -300.0, -100.0]  # as LMT1 frame 110: 0.35 m off, within 2.6 m of the first
    assert np.linalg.norm(between[33] - between[20]) <= 200.0 * 14
    assert np.flatnonzero(_spikes(between, rate, **SPIKE_LIMITS)[:, 0]).tolist() == [20, 33]
    inside = path.copy()
    inside[[30, 40]] += [0.0, 0.0, 900.0]  # up 0.9 m and back, twice: 9 real frames between
    assert np.flatnonzero(_spikes(inside, rate, **SPIKE_LIMITS)[:, 0]).tolist() == [30, 40]
    for xyz in (between, inside):
        np.testing.assert_array_equal(_spikes(xyz, rate, **SPIKE_LIMITS), _spikes_one_by_one(xyz, rate))


@pytest.mark.parametrize("seed", range(6))
def test_spikes_equal_a_sample_by_sample_implementation(seed):
    """Random walks with excursions of every length (some past max_spike_s), gaps and edges, at rates from 50 to
    1000 Hz: the vectorised rule flags exactly the samples the one-by-one rule does."""
    from hipdrop.kernels.plausibility import _spikes

    rng = np.random.default_rng(seed)
    for _ in range(4):
        n, rate = int(rng.integers(5, 120)), float(rng.choice([50, 100, 200, 250, 1000]))
        xyz = np.cumsum(rng.normal(0, 0.2 * 1000 * 50 / rate, (n, 2, 3)), 0)  # steps near the speed limit too
        for _ in range(int(rng.integers(1, 8))):
            t, length = int(rng.integers(0, n)), int(rng.integers(1, 14))
            xyz[t : t + length, int(rng.integers(0, 2))] += rng.normal(0, 3000, 3)
        for _ in range(int(rng.integers(0, 4))):
            t = int(rng.integers(0, n))
            xyz[t : t + int(rng.integers(1, 6)), int(rng.integers(0, 2))] = np.nan
        np.testing.assert_array_equal(_spikes(xyz, rate, **SPIKE_LIMITS), _spikes_one_by_one(xyz, rate))


def test_plausibility_stays_lazy_on_chunked_markers():
    body = _running_body()
    body["LASI"][80, 2] += 600.0
    markers = marker_array(body, rate_hz=200.0)
    lazy = mask_implausible(markers.chunk({"marker": 2}), rate_hz=200.0, **LIMITS)
    assert isinstance(lazy["markers"].data, dask.array.Array) and isinstance(lazy["counts"].data, dask.array.Array)
    xr.testing.assert_identical(lazy.compute(), mask_implausible(markers, rate_hz=200.0, **LIMITS))


def test_spline_fill_treats_infinite_samples_as_gaps():
    t = np.arange(100) / 100.0
    line = np.stack([t, 2 * t, 3 * t], -1) * 1000
    bad = line.copy()
    bad[40:43] = np.nan
    bad[60] = [np.inf, 0.0, 0.0]
    filled, mask = fill_short_gaps(marker_array({"A": bad}), max_gap_s=0.1, rate_hz=100.0)
    np.testing.assert_allclose(filled.sel(marker="A")[40:43], line[40:43], atol=1e-9)
    np.testing.assert_allclose(filled.sel(marker="A")[60], line[60], atol=1e-9)


def test_no_lowpass_and_no_fill_take_the_markers_as_stored():
    xyz = np.random.default_rng(1).normal(size=(300, 3)).cumsum(0)
    markers = marker_array({"A": xyz}, rate_hz=200.0)
    assert lowpass(markers, cutoff_hz=None, order=2, rate_hz=200.0) is markers
    body = _running_body()
    body["LASI"][50:53] = np.nan  # 15 ms: a spline would fill it, and the rigid body could rebuild it
    repaired = repair_markers(marker_array(body, rate_hz=200.0), rate_hz=200.0, max_gap_s=0)
    assert np.isnan(repaired["markers"].sel(marker="LASI")[50:53]).all()
    assert not repaired["filled"].any() and not repaired["rebuilt"].any()
    assert not repair_markers(marker_array(body, rate_hz=200.0), rate_hz=200.0, max_gap_s=0.1)["markers"].isnull().any()


def test_a_cutoff_the_frame_rate_cannot_carry_is_named():
    markers = marker_array({"A": np.zeros((100, 3))}, rate_hz=25.0)
    with pytest.raises(ValueError, match="a 15 Hz low-pass needs a frame rate above 30 Hz"):
        lowpass(markers, cutoff_hz=15.0, order=2, rate_hz=25.0)
    cutoff, warning = usable_cutoff(15.0, rate_hz=25.0)
    assert cutoff is None and "Nyquist frequency (12.5 Hz)" in warning and "not low-passed" in warning
    assert usable_cutoff(15.0, rate_hz=200.0) == (15.0, "") and usable_cutoff(None, rate_hz=25.0) == (None, "")


def test_nanmedian_by_sort_equals_numpys():
    """Random arrays with gaps, all-NaN rows and an empty axis, along every axis: numpy's numbers, without its
    warnings."""
    import warnings

    from hipdrop.kernels.arrays import nanmedian

    rng = np.random.default_rng(3)
    for shape in [(7, 5, 3), (1, 4, 3), (6, 1, 3), (5, 0, 3), (0, 4, 3)]:
        values = rng.normal(size=shape)
        values[rng.random(shape) < 0.3] = np.nan
        if shape[0] > 2:
            values[2] = np.nan
        for axis in range(3):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected = np.nanmedian(values, axis=axis) if values.shape[axis] else np.full(
                    np.delete(values.shape, axis), np.nan)
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                np.testing.assert_array_equal(nanmedian(values, axis=axis), expected)
