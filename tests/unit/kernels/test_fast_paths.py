"""The per-stance kernels' shortcuts against numpy's own functions, to the bit (issue 27: the shortcuts skip
numpy's checks; the outputs must not change)."""

import numpy as np

from hipdrop.kernels.compensations import _sum3
from hipdrop.kernels.foot import _median
from hipdrop.kernels.stances import parabolic_peak, sampled_peak

RNG = np.random.default_rng(27)


def test_median_equals_numpys_for_odd_and_even_lengths():
    for n in (1, 2, 3, 10, 11, 60, 61):
        for _ in range(200):
            values = RNG.normal(0, 10.0 ** RNG.integers(-3, 4), n)
            assert _median(values) == np.median(values)


def test_sum_of_three_equals_numpys_sum_over_the_last_axis():
    values = RNG.normal(0, 1, (20000, 2, 3)) * 10.0 ** RNG.integers(-6, 6, (20000, 2, 3))
    assert np.array_equal(_sum3(values), values.sum(-1))


def test_sampled_peak_equals_the_peak_at_numpys_nanargmax():
    for _ in range(500):
        signal = np.sin(np.linspace(0, RNG.uniform(1, 6), 101)) + RNG.normal(0, 0.01, 101)
        signal[RNG.random(101) < RNG.uniform(0, 0.3)] = np.nan
        if np.isnan(signal).all():
            continue
        assert sampled_peak(signal) == parabolic_peak(signal, int(np.nanargmax(signal)))
