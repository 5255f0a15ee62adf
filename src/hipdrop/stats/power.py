"""How many runners a paired study needs to detect a change in pelvic drop (docs/science.md section 10).

The design is paired: every runner runs baseline and each condition, and the test is a one-sample t on the runners'
mean changes with n - 1 df, as in ``hipdrop.stats.models``. The SD of those changes comes from the mixed model's
variance components: the between-runner spread of the condition effect (random slope) plus the stride noise left in
a runner's mean change.

With a between-runner SD of the change of 2 deg (from Bramah 2019's CI), 6 runners detect 3 deg (exact power 0.83,
0.997 with 12) and 12 runners 1.8-1.9 deg, at alpha 0.05 and power 0.8 (docs/science.md section 6).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from hipdrop.config import schema_default
from hipdrop.stats.models import COMPONENT_COLUMNS, UNESTIMABLE_SOURCE

POWER_COLUMNS = [
    "metric", "condition", "sd_change_deg", "effect_deg", "runners_for_observed_effect", "runners_for_smallest_effect",
    "smallest_effect_deg", "alpha", "power", "note",
]
#: first block of sample sizes searched; blocks then grow fourfold, so typical answers (n < 64) cost one block
_FIRST_BLOCK = 64


def _check_probability(name: str, value: float) -> None:
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {value!r}")


def required_runners(sd_change_deg: float, effect_deg: float, *, alpha: float = schema_default("stats.alpha"),
                     power: float = schema_default("stats.power"), max_runners: int = 10000) -> int | None:
    """Smallest number of runners for a paired t-test to detect ``effect_deg`` with the given power.

    Parameters
    ----------
    sd_change_deg : float
        Between-runner SD of a runner's mean change (deg), e.g. from ``sd_change``.
    effect_deg : float
        Change to detect (deg); its sign does not matter (two-sided test).
    alpha : float, default config ``stats.alpha``
        Two-sided significance level.
    power : float, default config ``stats.power``
        Target power, 1 - beta.
    max_runners : int, default 10000
        Largest sample size searched.

    Returns
    -------
    int or None
        Number of runners (>= 2). None when no sample size answers: ``effect_deg`` is 0 (no n detects it), an
        input is not finite, or more than ``max_runners`` runners would be needed. ``power_table`` names which.

    Raises
    ------
    ValueError
        When ``sd_change_deg`` is negative, ``alpha`` or ``power`` lie outside (0, 1) or ``max_runners`` < 2.

    Notes
    -----
    The smallest ``n >= 2`` with ``(t_{1-alpha/2, n-1} + t_{power, n-1}) * sd_change / |effect| <= sqrt(n)``
    (docs/science.md section 10). It is the usual t-quantile approximation to the exact power of the paired t-test
    (noncentral t with n - 1 df and noncentrality ``effect * sqrt(n) / sd``). Checked against that exact power over
    SD/effect ratios of 0.2-5 at alpha 0.05 and power 0.8: at the returned n the exact power is at least 0.77 when
    n = 3, 0.79 when n = 4-7 and 0.80 (to 0.001) from n = 8; with one runner fewer it is at most 0.8002. So the
    count is right or one short for very small studies, where a t-test on 3-7 runners is fragile anyway.
    An SD of 0 returns 2, the smallest n with a t-test.

    Examples
    --------
    >>> required_runners(2.0, 3.0)
    6
    >>> required_runners(2.0, 0.0) is None
    True
    """
    _check_probability("alpha", alpha)
    _check_probability("power", power)
    if max_runners < 2:
        raise ValueError(f"max_runners must be at least 2, got {max_runners!r}")
    if not (np.isfinite(sd_change_deg) and np.isfinite(effect_deg)) or effect_deg == 0:
        return None
    if sd_change_deg < 0:
        raise ValueError(f"sd_change_deg must not be negative, got {sd_change_deg!r}")
    ratio = sd_change_deg / abs(effect_deg)
    start, block = 2, _FIRST_BLOCK
    while start <= max_runners:
        n = np.arange(start, min(start + block, max_runners + 1))
        df = n - 1
        reached = (stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)) * ratio <= np.sqrt(n)
        if reached.any():
            return int(n[np.argmax(reached)])
        start, block = start + block, 4 * block
    return None


def sd_change(slope_var_deg2: float, residual_var_deg2: float, *, stances_condition: float, stances_baseline: float,
              trial_var_deg2: float = 0.0, trials_condition: float = 1.0, trials_baseline: float = 1.0) -> float:
    """Between-runner SD of a runner's mean change from baseline (deg), from mixed-model variance components.

    Parameters
    ----------
    slope_var_deg2 : float
        Random-slope variance of the condition effect across runners (deg^2).
    residual_var_deg2 : float
        Residual (stride-to-stride) variance (deg^2).
    stances_condition, stances_baseline : float
        Included stances per runner in the condition and in baseline. With unequal counts across runners use their
        harmonic mean: the variance averages 1/n, and 1/mean(n) understates it.
    trial_var_deg2 : float, default 0.0
        Trial variance component (deg^2), where the model has one (repeated trials per condition).
    trials_condition, trials_baseline : float, default 1.0
        Trials per runner in the condition and in baseline.

    Returns
    -------
    float
        SD of the change (deg). NaN inputs give NaN.

    Raises
    ------
    ValueError
        When a variance is negative or a stance or trial count is not positive.

    Notes
    -----
    A runner's mean change is its true effect (random slope) plus the difference of two means of stride
    residuals (and of trial effects, where trials vary), so
    ``SD = sqrt(slope_var + trial_var * (1/T_c + 1/T_b) + residual_var * (1/n_c + 1/n_b))``
    (docs/science.md section 10; the first and last terms; the trial term is the same algebra for the trial component
    of ``hipdrop.stats.models``). As strides grow the SD falls to the random-slope SD: more strides per runner
    cannot replace runners.

    Examples
    --------
    >>> round(sd_change(1.0, 1.0, stances_condition=20, stances_baseline=20), 4)
    1.0488
    """
    for name, value in (("slope_var_deg2", slope_var_deg2), ("residual_var_deg2", residual_var_deg2),
                        ("trial_var_deg2", trial_var_deg2)):
        if value < 0:
            raise ValueError(f"{name} must not be negative, got {value!r}")
    for name, value in (("stances_condition", stances_condition), ("stances_baseline", stances_baseline),
                        ("trials_condition", trials_condition), ("trials_baseline", trials_baseline)):
        if value <= 0:
            raise ValueError(f"{name} must be positive, got {value!r}")
    variance = (slope_var_deg2 + trial_var_deg2 * (1.0 / trials_condition + 1.0 / trials_baseline)
                + residual_var_deg2 * (1.0 / stances_condition + 1.0 / stances_baseline))
    return float(np.sqrt(variance))


def _why_none(sd: float, effect: float, label: str, max_runners: int) -> str:
    """Why ``required_runners`` gave no answer for ``effect``."""
    if not np.isfinite(sd):
        return f"{label}: SD of the change not finite (missing variance components)"
    if not np.isfinite(effect):
        return f"{label}: not finite"
    if effect == 0:
        return f"{label} 0: no sample size detects it"
    return f"{label}: more than {max_runners} runners"


def power_table(components: pd.DataFrame, *, alpha: float = schema_default("stats.alpha"),
                power: float = schema_default("stats.power"),
                smallest_effect_deg: float = schema_default("stats.smallest_effect_deg"), max_runners: int = 10000) -> pd.DataFrame:
    """Runners needed per metric and condition, for the observed effect and for the smallest effect of interest.

    Parameters
    ----------
    components : pandas.DataFrame
        One row per metric x condition with ``COMPONENT_COLUMNS``: ``metric``, ``condition``, ``effect_deg``
        (observed effect against baseline, deg), ``slope_var_deg2`` and ``residual_var_deg2`` (mixed-model variance
        components, deg^2), ``stances_condition`` and ``stances_baseline`` (included stances per runner). Optional
        ``trial_var_deg2``, ``trials_condition`` and ``trials_baseline`` enter ``sd_change`` when present.
    alpha : float, default config ``stats.alpha``
        Two-sided significance level.
    power : float, default config ``stats.power``
        Target power.
    smallest_effect_deg : float, default config ``stats.smallest_effect_deg``
        Smallest change worth detecting (deg). The default is a placeholder of about the stride-to-stride SD
        (0.45-1.2 deg, docs/science.md section 3); set it from what matters clinically.
    max_runners : int, default 10000
        Largest sample size searched.

    Returns
    -------
    pandas.DataFrame
        ``POWER_COLUMNS``: ``sd_change_deg`` (deg), ``runners_for_observed_effect`` and
        ``runners_for_smallest_effect`` (nullable integers; missing where no sample size answers), the inputs
        ``effect_deg``, ``smallest_effect_deg``, ``alpha``, ``power``, and ``note`` saying why a count is missing
        (empty otherwise).

    Notes
    -----
    Plan on ``runners_for_smallest_effect``. The count for the observed effect is descriptive only: power computed
    from an observed effect is a function of its p value and says nothing new about the data (Hoenig & Heisey
    2001, Am Stat 55:19).
    """
    _check_probability("alpha", alpha)
    _check_probability("power", power)
    needed = [c for c in COMPONENT_COLUMNS if c != "source"]  # the numbers; source only explains them
    missing = set(needed) - set(components.columns)
    if missing:
        raise ValueError(f"power_table: components lack columns {sorted(missing)}; one row per metric x condition "
                         f"needs {needed}")
    rows = []
    for row in components.itertuples(index=False):
        extra = {k: getattr(row, k) for k in ("trial_var_deg2", "trials_condition", "trials_baseline") if hasattr(row, k)}
        sd = sd_change(row.slope_var_deg2, row.residual_var_deg2, stances_condition=row.stances_condition,
                       stances_baseline=row.stances_baseline, **extra)
        source = getattr(row, "source", "")
        # no components to plan from (hipdrop.stats.effects.with_unestimable): say why once, not per count
        unestimable = isinstance(source, str) and source.startswith(UNESTIMABLE_SOURCE)
        notes, counts = [source] if unestimable else [], {}
        for key, effect, label in (("runners_for_observed_effect", row.effect_deg, "observed effect"),
                                   ("runners_for_smallest_effect", smallest_effect_deg, "smallest effect")):
            counts[key] = required_runners(sd, effect, alpha=alpha, power=power, max_runners=max_runners)
            if counts[key] is None and not unestimable:
                notes.append(_why_none(sd, effect, label, max_runners))
        rows.append({"metric": row.metric, "condition": row.condition, "sd_change_deg": sd, "effect_deg": row.effect_deg,
                     **counts, "smallest_effect_deg": smallest_effect_deg, "alpha": alpha, "power": power,
                     "note": "; ".join(notes)})
    table = pd.DataFrame(rows, columns=POWER_COLUMNS)
    for key in ("runners_for_observed_effect", "runners_for_smallest_effect"):
        table[key] = pd.array(table[key].tolist(), dtype="Int64")
    return table
