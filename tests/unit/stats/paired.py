"""The textbook interval the tests bound the statistics' confidence intervals by: a one-sample t interval on one
value per runner (its mean change, or its own slope), which a CI that covers the truth only by being too wide fails."""

import numpy as np
import pandas as pd
from scipy import stats


def t_half_width(values, *, alpha: float = 0.05) -> float:
    """Half-width of the two-sided 1 - alpha t interval of the mean of ``values`` (one per runner), t_{1-alpha/2,
    n-1} s / sqrt(n) (Student 1908)."""
    values = np.asarray(values, dtype=float)
    return float(stats.t.ppf(1 - alpha / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values)))


def runner_changes(table: pd.DataFrame, condition: str, *, baseline: str = "baseline",
                   metric: str = "cpd_peak_deg") -> pd.Series:
    """Each runner's mean ``metric`` in ``condition`` minus its mean in ``baseline`` (runners with both)."""
    means = table.groupby(["subject", "condition"])[metric].mean().unstack()
    return (means[condition] - means[baseline]).dropna()
