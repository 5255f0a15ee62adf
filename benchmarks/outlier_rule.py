"""How often the stance-time outlier rule excludes a sound stance, by the number of stance times in the trial.

The rule (``hipdrop.kernels.stances.stance_table``; config ``stances.outlier_robust_sd``, ``outlier_floor_s``,
``outlier_min_stances``) flags a stance time more than ``outlier_robust_sd`` robust SDs (1.4826 MAD) from the
trial's median. On Gaussian stance times with no outlier at all, every flag is a false one; this measures their
rate, and the spread of the MAD-based SD, for trials of n stance times. The floor (``outlier_floor_s``) is left out
(the times are in units of their true SD), so the numbers are the MAD's own: the reason the rule waits for
``outlier_min_stances`` stance times.

    python benchmarks/outlier_rule.py [--trials 20000] [--seed 0]

Not part of the test run. Cited by docs/science.md section 3 and config/README.md (``stances.outlier_min_stances``).
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import stats

from hipdrop.config import validate_config


def false_flag_rate(n: int, *, robust_sd: float, trials: int, rng: np.random.Generator) -> tuple[float, float]:
    """Share of sound stance times flagged, and the relative SD of the MAD-based SD, over ``trials`` trials of
    ``n`` standard-normal stance times."""
    times = rng.standard_normal((trials, n))
    median = np.median(times, axis=1, keepdims=True)
    sd = 1.4826 * np.median(np.abs(times - median), axis=1, keepdims=True)
    flagged = np.abs(times - median) > robust_sd * sd
    return float(flagged.mean()), float(sd.std() / sd.mean())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20000, help="simulated trials per n (default 20000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    settings = validate_config({})["stances"]
    k = settings["outlier_robust_sd"]
    print(f"rule: more than {k:g} robust SDs from the median; judged from {settings['outlier_min_stances']} stance "
          f"times (config defaults); ideal rate (true SD known) {100 * 2 * stats.norm.sf(k):.4f} %")
    print(f"{'n':>4} {'flagged %':>10} {'SD of the robust SD %':>22}")
    for n in (3, 4, 5, 10, 20, 40, 80):
        rate, spread = false_flag_rate(n, robust_sd=k, trials=args.trials, rng=rng)
        print(f"{n:>4} {100 * rate:>10.2f} {100 * spread:>22.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
