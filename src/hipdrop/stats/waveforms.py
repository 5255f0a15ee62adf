"""Where in stance a condition changes pelvic obliquity: statistical parametric mapping (docs/science.md section 6).

Array convention: ``curves`` is the stance-side obliquity ``[stance, pct]`` (deg, 0-100 % of stance; positive = the
stance side up, i.e. the swing side dropped) with ``subject``, ``condition`` and ``excluded`` per stance, as
``hipdrop.io.results.read_curves`` returns it.

Method (Pataky 2012, spm1d): each runner's mean curve per condition over its included stances, left and right
stances pooled (the side offset is the runner's own and cancels in the paired change); then, for every condition
against baseline, a paired t statistic at every % of stance, SPM{t}, whose critical threshold t* at ``alpha``
(two-tailed) comes from random field theory on the smoothness of the residuals, and the probability of each
supra-threshold cluster of that extent. A paired test is a balanced design: each comparison uses the runners with
both curves, and names the runners it dropped and why.

spm1d is GPL-3.0: it is imported inside the functions that need it, never when hipdrop is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from hipdrop.config import schema_default
from hipdrop.stats.tasks import RUNNING, TASK
from hipdrop.vocab import PCT, STANCE

CLUSTER_COLUMNS = [
    "condition", "baseline", "n_subjects", "subjects_dropped", "alpha", "threshold_t", "cluster", "start_pct",
    "end_pct", "extent_pct", "direction", "peak_t", "peak_pct", "p", "estimable", "reason",
]
#: cluster direction: the condition's stance-side obliquity below baseline (less drop) or above it (more drop)
LESS_DROP, MORE_DROP = "less drop", "more drop"


@dataclass
class WaveformResult:
    """Outputs of ``spm_against_baseline``.

    clusters : one row per supra-threshold cluster (``CLUSTER_COLUMNS``); a condition without one has a single row
        with ``cluster`` 0 and no extent, so every tested condition appears with its runners and threshold
    t : SPM{t} ``[condition, pct]`` (condition minus baseline), with ``threshold_t`` and ``n_subjects`` per condition
    means : subject-mean curves ``[condition, subject, pct]`` (deg), NaN where a runner has no included stance
    dropped : runners left out of each comparison (``condition``, ``subject``, ``reason``)
    """

    clusters: pd.DataFrame
    t: xr.DataArray
    means: xr.DataArray
    dropped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["condition", "subject", "reason"]))


def subject_mean_curves(curves: xr.DataArray | Iterable[xr.DataArray], *, include_excluded: bool = False) -> xr.DataArray:
    """Each runner's mean curve per condition over its included stances (all with ``include_excluded``), both
    sides pooled.

    Parameters
    ----------
    curves : xarray.DataArray or iterable of them
        ``[stance, pct]`` with ``subject``, ``condition``, ``excluded`` per stance, or blocks of it
        (``hipdrop.io.results.iter_curves``), accumulated one block at a time.

    Returns
    -------
    xarray.DataArray
        ``[condition, subject, pct]`` in the curves' units (deg); a sample is the mean over the stances finite
        there; NaN where a runner has no included stance in a condition. Curves of several tasks (a ``task`` per
        stance) give conditions named "task: condition".
    """
    blocks = [curves] if isinstance(curves, xr.DataArray) else curves
    sums, counts, pct, attrs = {}, {}, None, {}
    for block in blocks:
        if pct is None:
            pct, attrs = block[PCT].to_numpy(), dict(block.attrs)
        if block.sizes.get(STANCE, 0) == 0:
            continue
        keep = np.ones(block.sizes[STANCE], bool) if include_excluded else ~block["excluded"].to_numpy().astype(bool)
        values = block.to_numpy()[keep]
        tasks = block[TASK].to_numpy()[keep].astype(str) if TASK in block.coords else np.full(keep.sum(), RUNNING)
        keys = pd.MultiIndex.from_arrays([tasks, block["condition"].to_numpy()[keep].astype(str),
                                          block["subject"].to_numpy()[keep].astype(str)])
        codes, uniques = pd.factorize(keys)
        for g, key in enumerate(uniques):
            mine = values[codes == g]
            sums[key] = sums.get(key, 0.0) + np.nansum(mine, axis=0)
            counts[key] = counts.get(key, 0) + np.isfinite(mine).sum(axis=0)
    # a condition is a task's own ("baseline" of running is not the squats' baseline): with several tasks in the
    # curves, conditions read "task: condition"
    several = len({k[0] for k in sums}) > 1
    label = {k[:2]: f"{k[0]}: {k[1]}" if several else k[1] for k in sums}
    conditions = sorted(set(label.values()))
    subjects = sorted({k[2] for k in sums})
    width = 0 if pct is None else len(pct)
    out = np.full((len(conditions), len(subjects), width), np.nan)
    for (task, condition, subject), total in sums.items():
        n = counts[(task, condition, subject)]
        out[conditions.index(label[task, condition]), subjects.index(subject)] = total / np.where(n > 0, n, np.nan)
    return xr.DataArray(out, dims=("condition", "subject", PCT),
                        coords={"condition": conditions, "subject": subjects, PCT: pct if pct is not None else []},
                        attrs=attrs)


def _paired(means: xr.DataArray, condition: str, baseline: str) -> tuple[list[str], list[dict]]:
    """Runners with a complete mean curve in both conditions, and the others with the reason."""
    kept, dropped = [], []
    for subject in means["subject"].values:
        missing = [name for name in (baseline, condition)
                   if name not in means["condition"].values
                   or not np.isfinite(means.sel(condition=name, subject=subject)).all()]
        if missing:
            dropped.append({"condition": condition, "subject": str(subject),
                            "reason": f"no complete {' or '.join(missing)} curve (no included stances)"})
        else:
            kept.append(str(subject))
    return kept, dropped


def spm_against_baseline(
    curves: xr.DataArray | Iterable[xr.DataArray], *, baseline: str, alpha: float = schema_default("stats.alpha"),
    min_subjects: int = schema_default("stats.min_subjects"),
) -> WaveformResult:
    """Paired SPM{t} of every condition against baseline over 0-100 % of stance.

    Parameters
    ----------
    curves : xarray.DataArray or iterable of them
        Stance-side obliquity ``[stance, pct]`` (deg) with ``subject``, ``condition``, ``excluded`` per stance.
    baseline : str
        The condition every other is compared with.
    alpha : float, default config ``stats.alpha``
        Two-tailed significance level of the SPM threshold.
    min_subjects : int, default config ``stats.min_subjects``
        Fewest runners with both curves before a condition is tested; fewer gives a row with ``estimable`` False.

    Returns
    -------
    WaveformResult
        ``clusters`` (start, end and extent in % of stance, ``direction`` less/more drop, peak t, cluster p),
        ``t`` (SPM{t} curves, deg-free), ``means`` (subject-mean curves, deg) and ``dropped`` runners.

    Notes
    -----
    ``spm1d.stats.ttest_paired(condition, baseline).inference(alpha, two_tailed=True)`` (Pataky 2012, Comput
    Methods Biomech Biomed Engin 15:295): t = mean(d) / (sd(d) / sqrt(n)) at each sample of the paired change d,
    n - 1 df; the threshold t* is the RFT critical height for the residuals' estimated smoothness; a cluster's p is
    the probability of a supra-threshold cluster at least that wide under the null. Cluster ends are interpolated
    between samples, in % of stance.
    """
    import spm1d  # GPL-3.0, optional: only here

    means = subject_mean_curves(curves)
    pct = means[PCT].to_numpy()
    nodes = np.arange(len(pct))
    rows, t_rows, dropped, thresholds, counts = [], [], [], [], []
    conditions = [c for c in means["condition"].values if c != baseline]
    for condition in conditions:
        kept, gone = _paired(means, condition, baseline)
        dropped += gone
        base = {"condition": condition, "baseline": baseline, "n_subjects": len(kept),
                "subjects_dropped": "; ".join(f"{d['subject']}" for d in gone), "alpha": alpha,
                "threshold_t": np.nan, "cluster": 0, "start_pct": np.nan, "end_pct": np.nan, "extent_pct": np.nan,
                "direction": "", "peak_t": np.nan, "peak_pct": np.nan, "p": np.nan, "estimable": True, "reason": ""}
        t_curve = np.full(len(pct), np.nan)
        ya = means.sel(condition=condition, subject=kept).to_numpy()
        yb = means.sel(condition=baseline, subject=kept).to_numpy() if baseline in means["condition"].values else None
        if len(kept) < max(min_subjects, 3):
            base.update(estimable=False, reason=f"{len(kept)} runner(s) with {condition} and {baseline} curves "
                                                f"(need {max(min_subjects, 3)})")
        elif np.allclose((ya - yb).std(axis=0, ddof=1), 0.0, atol=1e-12):
            base.update(estimable=False, reason="the change is the same in every runner: no between-runner "
                                                "variation to test against")
        else:
            inference = spm1d.stats.ttest_paired(ya, yb).inference(alpha, two_tailed=True)
            t_curve = np.asarray(inference.z, float)
            base["threshold_t"] = float(inference.zstar)
            for k, cluster in enumerate(inference.clusters, start=1):
                start, end = (float(np.interp(e, nodes, pct)) for e in cluster.endpoints)
                inside = (pct >= start) & (pct <= end)
                peak = int(np.flatnonzero(inside)[np.argmax(np.abs(t_curve[inside]))]) if inside.any() \
                    else int(np.argmin(np.abs(pct - (start + end) / 2)))
                rows.append({**base, "cluster": k, "start_pct": start, "end_pct": end, "extent_pct": end - start,
                             "direction": MORE_DROP if cluster.csign > 0 else LESS_DROP,
                             "peak_t": float(t_curve[peak]), "peak_pct": float(pct[peak]), "p": float(cluster.P)})
        if not any(r["condition"] == condition for r in rows):
            rows.append(base)
        t_rows.append(t_curve)
        thresholds.append(base["threshold_t"])
        counts.append(len(kept))
    t = xr.DataArray(np.array(t_rows).reshape(len(conditions), len(pct)), dims=("condition", PCT),
                     coords={"condition": conditions, PCT: pct, "threshold_t": ("condition", thresholds),
                             "n_subjects": ("condition", counts)},
                     name="spm_t", attrs={"long_name": f"paired SPM{{t}}, condition minus {baseline}",
                                          "alpha": alpha, "two_tailed": 1})
    return WaveformResult(
        clusters=pd.DataFrame(rows, columns=CLUSTER_COLUMNS), t=t, means=means,
        dropped=pd.DataFrame(dropped, columns=["condition", "subject", "reason"]),
    )


def spm_per_task(curves_of: Callable[[str], Iterable[xr.DataArray]], tasks: list[str], *, baseline: str,
                 **options) -> WaveformResult:
    """``spm_against_baseline`` within each task (``curves_of(task)`` gives that task's curves): a condition is
    compared with its own task's baseline. With several tasks the conditions read "task: condition" in ``t``,
    ``means`` and ``dropped``, and ``clusters`` has a leading ``task`` column."""
    results = {task: spm_against_baseline(curves_of(task), baseline=baseline, **options) for task in tasks}
    if len(results) == 1:
        task, result = next(iter(results.items()))
        result.clusters.insert(0, TASK, task)
        return result

    def labelled(array: xr.DataArray, task: str) -> xr.DataArray:
        return array.assign_coords(condition=[f"{task}: {c}" for c in array["condition"].values])

    clusters = pd.concat([r.clusters.assign(**{TASK: task}) for task, r in results.items()], ignore_index=True)
    return WaveformResult(
        clusters=clusters[[TASK, *CLUSTER_COLUMNS]],
        t=xr.concat([labelled(r.t, task) for task, r in results.items()], dim="condition"),
        means=xr.concat([labelled(r.means, task) for task, r in results.items()], dim="condition"),
        dropped=pd.concat([r.dropped.assign(condition=f"{task}: " + r.dropped["condition"].astype(str))
                           for task, r in results.items()], ignore_index=True),
    )


def t_table(result: WaveformResult) -> pd.DataFrame:
    """The SPM{t} curves as a tidy table: condition, pct, t, threshold_t."""
    t = result.t
    return pd.DataFrame({
        "condition": np.repeat(t["condition"].values, t.sizes[PCT]),
        PCT: np.tile(t[PCT].values, t.sizes["condition"]),
        "t": t.values.ravel(),
        "threshold_t": np.repeat(t["threshold_t"].values, t.sizes[PCT]),
    })


def plot_waveforms(result: WaveformResult, *, baseline: str):
    """Mean curve per condition with its 95 % confidence band (mean of subject means +/- t(0.975, n - 1) SE), and
    one SPM{t} panel per condition against baseline with the threshold +/- t* and the supra-threshold clusters
    shaded and labelled with their p. Returns the matplotlib Figure."""
    import matplotlib.pyplot as plt
    from scipy import stats

    conditions = [str(c) for c in result.t["condition"].values]
    fig, axes = plt.subplots(1 + max(len(conditions), 1), 1, figsize=(7, 3.0 + 2.2 * max(len(conditions), 1)),
                             layout="constrained", sharex=True, squeeze=False)
    axes = axes[:, 0]
    means, pct = result.means, result.means[PCT].to_numpy()
    ax = axes[0]
    colours = {}
    # the baseline (of each task, "task: baseline", when the result holds several) first, drawn thicker
    baselines = [str(c) for c in means["condition"].values if c == baseline or str(c).endswith(f": {baseline}")]
    for condition in baselines + conditions:
        if condition not in means["condition"].values:
            continue
        curves = means.sel(condition=condition).to_numpy()
        curves = curves[np.isfinite(curves).all(axis=1)]
        n = len(curves)
        if n == 0:
            continue
        mean = curves.mean(axis=0)
        line, = ax.plot(pct, mean, label=f"{condition} (n={n})", lw=1.6 if condition in baselines else 1.2)
        colours[condition] = line.get_color()
        if n > 1:
            half = stats.t.ppf(0.975, n - 1) * curves.std(axis=0, ddof=1) / np.sqrt(n)
            ax.fill_between(pct, mean - half, mean + half, color=line.get_color(), alpha=0.15, lw=0)
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set(ylabel="obliquity (deg)\n+ = swing side dropped", title="Stance-side pelvic obliquity: mean and 95 % CI of runners' means")
    ax.legend(frameon=False, fontsize=8)
    clusters = result.clusters
    for ax, condition in zip(axes[1:], conditions):
        t = result.t.sel(condition=condition)
        mine = clusters[clusters["condition"] == condition]
        threshold = float(t["threshold_t"])
        ax.plot(pct, t, color=colours.get(condition, "k"), lw=1.2)
        ax.axhline(0, color="0.6", lw=0.8)
        if np.isfinite(threshold):
            for sign in (1, -1):
                ax.axhline(sign * threshold, color="r", ls="--", lw=0.8)
            ax.text(pct[-1], threshold, f"t* = {threshold:.2f} ", color="r", fontsize=7, ha="right", va="bottom")
            ax.margins(y=0.2)  # room above the threshold line for its label
        for row in mine[mine["cluster"] > 0].itertuples():
            inside = (pct >= row.start_pct) & (pct <= row.end_pct)
            edge = threshold if row.peak_t > 0 else -threshold
            ax.fill_between(pct, edge, t, where=inside & (np.abs(t) >= threshold), color="0.3", alpha=0.4, lw=0)
            _cluster_label(ax, row, y=(edge + row.peak_t) / 2, span=(pct[0], pct[-1]))
        n = int(t["n_subjects"])
        note = "" if mine["estimable"].all() else f" (not tested: {mine['reason'].iloc[0]})"
        ax.set(ylabel="SPM{t}", title=f"{condition} vs {baseline}, paired, n = {n}{note}")
        ax.title.set_fontsize(9)
    axes[-1].set(xlabel="stance (%)", xlim=(pct[0], pct[-1]) if len(pct) else None)
    return fig


def _cluster_label(ax, cluster, *, y: float, span: tuple[float, float]) -> None:
    """A cluster's extent and p inside its shading, halfway between the threshold and the peak (``y``); centred on
    it, or from its start or to its end when it lies in the outer 15 % of the stance (``span``, %), where a centred
    label ran out of the axes over the tick labels (a cluster at 0-1 % of a 450-runner archive)."""
    start, end = (f"{v:.0f}" for v in (cluster.start_pct, cluster.end_pct))
    p_text = "p < 0.001" if cluster.p < 0.001 else f"p = {cluster.p:.3f}"
    centre, edge = (cluster.start_pct + cluster.end_pct) / 2, 0.15 * (span[1] - span[0])
    x, ha = ((cluster.start_pct, "left") if centre < span[0] + edge else (cluster.end_pct, "right")
             if centre > span[1] - edge else (centre, "center"))
    ax.text(x, y, f"{start} %, {p_text}" if start == end else f"{start}-{end} %, {p_text}", ha=ha, va="center",
            fontsize=7, bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1})
