"""Figures, one call each, from result objects (``hipdrop.io.results.read_curves``)."""

from __future__ import annotations

from collections.abc import Iterable

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr

from hipdrop.vocab import PCT, STANCE


def subject_mean_curves(blocks: Iterable[xr.DataArray], *, include_excluded: bool = False) -> xr.DataArray:
    """Mean curve of every subject in every condition, ``[group, pct]`` with ``condition`` and ``subject`` per
    group; NaN samples skipped. Accumulated block by block, so a cohort's curves never need to fit in memory."""
    sums, counts, pct = {}, {}, None
    for block in blocks:
        if block.sizes.get(STANCE, 0) == 0:
            continue
        pct = block[PCT].to_numpy()
        keep = np.ones(block.sizes[STANCE], bool) if include_excluded else ~block["excluded"].to_numpy().astype(bool)
        values = block.to_numpy()[keep]
        groups = pd.MultiIndex.from_arrays([block["condition"].to_numpy()[keep], block["subject"].to_numpy()[keep]])
        codes, keys = pd.factorize(groups)
        for g, key in enumerate(keys):
            mine = values[codes == g]
            sums[key] = sums.get(key, 0.0) + np.nansum(mine, axis=0)
            counts[key] = counts.get(key, 0) + np.isfinite(mine).sum(axis=0)
    keys = sorted(sums)
    width = 0 if pct is None else len(pct)
    means = np.array([sums[k] / np.where(counts[k] > 0, counts[k], np.nan) for k in keys]) if keys else np.empty((0, width))
    return xr.DataArray(means, dims=("group", PCT), coords={
        PCT: pct if pct is not None else np.empty(0),
        "condition": ("group", [k[0] for k in keys]), "subject": ("group", [k[1] for k in keys])})


def plot_obliquity_by_condition(curves: xr.DataArray | Iterable[xr.DataArray], *, ax=None, include_excluded: bool = False):
    """Stance-side pelvic obliquity over stance, one line per condition: the mean of subject means, with a band of
    +/- 1 SD between subjects. ``curves``: the curves array, or blocks of it (``hipdrop.io.results.iter_curves``).
    Returns the matplotlib Figure."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    per_subject = subject_mean_curves([curves] if isinstance(curves, xr.DataArray) else curves, include_excluded=include_excluded)
    if per_subject.sizes["group"] == 0:
        ax.text(0.5, 0.5, "no stances to plot", ha="center", va="center", transform=ax.transAxes)
        return ax.figure
    for condition in sorted(set(per_subject["condition"].values)):
        mine = per_subject.where(per_subject["condition"] == condition, drop=True)
        mean, sd = mine.mean("group"), mine.std("group")
        line, = ax.plot(mean[PCT], mean, label=f"{condition} (n={mine.sizes['group']})")
        ax.fill_between(mean[PCT], mean - sd, mean + sd, color=line.get_color(), alpha=0.15, lw=0)
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set(xlabel="stance (%)", ylabel="stance-side obliquity (deg, + = stance side up)", title="Pelvic obliquity over stance")
    ax.legend(frameon=False, fontsize=8)
    return ax.figure
