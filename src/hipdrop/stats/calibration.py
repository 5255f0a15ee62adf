"""How well the two analyses' CIs and p values hold at the small sizes clinics run, as measured, and the caveat a
study of such a size needs.

The figures come from ``benchmarks/calibration.py`` (simulated studies of 4 conditions, 8 s per trial, the simulator's
default effects for coverage and all effects zero for the type-I error; ``--source stances``: the simulator's
stance table through the statistics), on the simulator of commit ac0b336 (the learned template with bounded runner
scores, the 12 ms landing, the arms carried forward):

    python benchmarks/calibration.py --source stances --studies 200 --subjects N --seed 880000 --cores 1

for N = 3, 4, 5 and 8. Each entry pools the 3 conditions: coverage of the 95 % CI of the population's true effect
over 600 CIs, type-I error at alpha 0.05 over 600 tests; the binomial SEs are those of 600 independent trials (the
three conditions of one study share its runners, so the true SE is somewhat larger). Per condition (200 studies,
SE 0.015) the mixed model covered 0.945-0.975 with type-I 0.020-0.055, the rm-ANOVA 0.920-0.965 and 0.035-0.070.

The mixed model's figures are those of ``hipdrop.stats.models`` since issue 25's calibration work: a subject-by-side
variance component, independent condition slopes where the runners are too few for an unstructured covariance, and
Satterthwaite's df. Before it, on the same seeds (ac0b336), it covered 1.000 / 0.998 / 0.997 / 0.993 with type-I
0.000 / 0.002 / 0.003 / 0.003 at 3 / 4 / 5 / 8 runners: conservative, its SEs 1.2-1.4 times the spread of its
estimates, because each runner's own left/right tilt (SD 2.0 deg) stayed in its residual (README).
"""

from __future__ import annotations

from typing import NamedTuple


class Calibration(NamedTuple):
    """One analysis at one number of runners, measured: shares in [0, 1] and the studies behind them."""

    coverage: float  # share of 95 % CIs containing the true effect
    coverage_se: float  # its binomial SE
    type_one: float  # share of p < 0.05 with every true effect zero
    type_one_se: float  # its binomial SE
    studies: int  # simulated studies per set (with effects; as many null)


#: coverage inside this range is calibrated (the benchmark's target: 0.95 within about 2 SE of 200-600 trials)
COVERAGE_RANGE = (0.93, 0.97)
#: a type-I error above this at alpha 0.05 is liberal
MAX_TYPE_ONE = 0.07
#: measured by benchmarks/calibration.py (module docstring), keyed by (analysis, runners)
CALIBRATION: dict[tuple[str, int], Calibration] = {
    ("mixed model", 3): Calibration(0.963, 0.008, 0.028, 0.007, 200),
    ("rm-anova", 3): Calibration(0.957, 0.008, 0.038, 0.008, 200),
    ("mixed model", 4): Calibration(0.953, 0.009, 0.038, 0.008, 200),
    ("rm-anova", 4): Calibration(0.950, 0.009, 0.052, 0.009, 200),
    ("mixed model", 5): Calibration(0.963, 0.008, 0.033, 0.007, 200),
    ("rm-anova", 5): Calibration(0.948, 0.009, 0.053, 0.009, 200),
    ("mixed model", 8): Calibration(0.962, 0.008, 0.045, 0.008, 200),
    ("rm-anova", 8): Calibration(0.952, 0.009, 0.047, 0.009, 200),
}


def calibration_caveat(analysis: str, n_subjects: int) -> str | None:
    """The caveat an effect of ``analysis`` on ``n_subjects`` runners needs, or None when it is calibrated.

    Parameters
    ----------
    analysis : str
        "mixed model" or "rm-anova" (the ``analysis`` column of the effects).
    n_subjects : int
        Runners behind the effect (the ``n_subjects`` column).

    Returns
    -------
    str or None
        One sentence with the measured coverage and type-I error (and their SEs) and what they mean for reading
        the CI and p, for a size whose measurement falls outside ``COVERAGE_RANGE`` or above ``MAX_TYPE_ONE``;
        None when it is calibrated, or when there is no measurement at or below ``n_subjects`` for the analysis
        (fewer runners than any measured size). A size between two measured ones takes the largest measured size
        below it (calibration improves with runners, so this errs toward a caveat); a size above the largest takes
        the largest.

    Examples
    --------
    >>> calibration_caveat("rm-anova", 3) is None
    True
    """
    sizes = sorted(n for a, n in CALIBRATION if a == analysis and n <= n_subjects)
    if not sizes:
        return None
    measured = sizes[-1]
    c = CALIBRATION[analysis, measured]
    low, high = COVERAGE_RANGE
    if low <= c.coverage <= high and c.type_one <= MAX_TYPE_ONE:
        return None
    if c.coverage < low or c.type_one > MAX_TYPE_ONE:
        meaning = "its CIs are too narrow and its p values too small: read them with caution"
    else:
        meaning = "its CIs are wider and its p values larger than they need be (conservative): it may miss real effects"
    where = f"{measured} runners" if measured == n_subjects else f"{measured} runners (the largest size measured up to {n_subjects})"
    return (f"{analysis} at {where}: its 95 % CIs covered the true effect in {100 * c.coverage:.1f} % "
            f"(SE {100 * c.coverage_se:.1f} %) and p < 0.05 came in {100 * c.type_one:.1f} % (SE "
            f"{100 * c.type_one_se:.1f} %) with no true effect, over {c.studies} simulated studies each "
            f"(benchmarks/calibration.py); {meaning}")
