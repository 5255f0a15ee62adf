"""The calibration caveat: the measured table of benchmarks/calibration.py, read by the rule it states."""

import pytest

from hipdrop.stats.calibration import CALIBRATION, COVERAGE_RANGE, MAX_TYPE_ONE, calibration_caveat


@pytest.mark.parametrize(("analysis", "runners"), sorted(CALIBRATION))
def test_a_measured_size_gets_a_caveat_exactly_when_it_is_outside_the_targets(analysis, runners):
    measured = CALIBRATION[analysis, runners]
    calibrated = (COVERAGE_RANGE[0] <= measured.coverage <= COVERAGE_RANGE[1]) and measured.type_one <= MAX_TYPE_ONE
    caveat = calibration_caveat(analysis, runners)
    assert (caveat is None) == calibrated
    if caveat is not None:
        assert caveat.startswith(f"{analysis} at {runners} runners: its 95 % CIs covered the true effect in "
                                 f"{100 * measured.coverage:.1f} %")
        assert ("too narrow" in caveat) == (measured.coverage < COVERAGE_RANGE[0] or measured.type_one > MAX_TYPE_ONE)


def test_sizes_between_and_beyond_the_measured_ones_take_the_largest_measured_size_below():
    for analysis in {a for a, _ in CALIBRATION}:
        sizes = sorted(n for a, n in CALIBRATION if a == analysis)
        assert calibration_caveat(analysis, sizes[0] - 1) is None  # below every measurement: nothing measured
        for below, above in zip(sizes, sizes[1:] + [sizes[-1] + 5]):
            for n in range(below + 1, above):
                expected = calibration_caveat(analysis, below)
                got = calibration_caveat(analysis, n)
                assert (got is None) == (expected is None)
                if got is not None:
                    assert f"{below} runners (the largest size measured up to {n})" in got


def test_an_unknown_analysis_has_no_caveat():
    assert calibration_caveat("bayesian", 4) is None
