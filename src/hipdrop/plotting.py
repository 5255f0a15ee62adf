"""Figures, one call each, from result objects (``hipdrop.io.results.read_curves``)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from hipdrop.vocab import PCT, STANCE


def plot_obliquity_by_condition(curves: xr.DataArray, *, ax=None, include_excluded: bool = False):
    """Stance-side pelvic obliquity over stance, one line per condition: the mean of subject means, with a band of
    +/- 1 SD between subjects. Returns the matplotlib Figure."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    if curves.sizes.get(STANCE, 0) == 0:
        ax.text(0.5, 0.5, "no stances to plot", ha="center", va="center", transform=ax.transAxes)
        return ax.figure
    if not include_excluded:
        curves = curves.where(~curves["excluded"], drop=True)
    for condition in sorted(np.unique(curves["condition"].values)):
        mine = curves.where(curves["condition"] == condition, drop=True)
        per_subject = mine.groupby("subject").mean(STANCE)
        mean, sd = per_subject.mean("subject"), per_subject.std("subject")
        line, = ax.plot(mean[PCT], mean, label=f"{condition} (n={per_subject.sizes['subject']})")
        ax.fill_between(mean[PCT], mean - sd, mean + sd, color=line.get_color(), alpha=0.15, lw=0)
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set(xlabel="stance (%)", ylabel="stance-side obliquity (deg, + = stance side up)", title="Pelvic obliquity over stance")
    ax.legend(frameon=False, fontsize=8)
    return ax.figure
