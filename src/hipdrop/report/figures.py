"""Figures, one call each, from result objects (``hipdrop.io.results.read_curves``) and the result tables of
``results/stats`` and ``results/qc``; each returns a matplotlib Figure."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr

from hipdrop.config import schema_default
from hipdrop.stats.design import NOT_AN_INTERVENTION
from hipdrop.stats.exclusions import reason_kinds
from hipdrop.stats.tasks import with_task_labels
from hipdrop.stats.waveforms import subject_mean_curves
from hipdrop.vocab import PCT


def save_png(figure, path, *, dpi: int, **savefig) -> None:
    """``figure`` written to ``path`` as a PNG at ``dpi`` dots per inch (config ``report.figure_dpi`` or
    ``report.runner_page_dpi``), atomically (``hipdrop.io.results.atomic_path``: a reader never sees half a file);
    ``savefig``: more of matplotlib's savefig arguments."""
    from hipdrop.io.results import atomic_path

    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=dpi, format="png", **savefig)


def plot_obliquity_by_condition(curves: xr.DataArray | Iterable[xr.DataArray], *, ax=None, include_excluded: bool = False):
    """Stance-side pelvic obliquity over stance, one line per condition: the mean of subject means, with a band of
    +/- 1 SD between subjects. ``curves``: the curves array, or blocks of it (``hipdrop.io.results.iter_curves``).
    Every runner with a curve in a condition is in its line, and the legend says how many (and which are not); when
    the runners differ between conditions the title says so and how many ran every condition, as the lines then
    compare different people (a study with no runner in every condition still shows every condition).
    Returns the matplotlib Figure."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    per_subject = subject_mean_curves(curves, include_excluded=include_excluded)
    if per_subject.sizes["condition"] == 0:
        ax.text(0.5, 0.5, "no stances to plot", ha="center", va="center", transform=ax.transAxes)
        return ax.figure
    ran = per_subject.notnull().any(PCT).to_pandas()  # [condition, subject]: the runner has a curve there
    labels, note = _runner_sets(ran)
    for condition in per_subject["condition"].values:
        mine = per_subject.sel(condition=condition).dropna("subject", how="all")
        mean, sd = mine.mean("subject"), mine.std("subject")
        line, = ax.plot(mean[PCT], mean, label=labels[condition])
        ax.fill_between(mean[PCT], mean - sd, mean + sd, color=line.get_color(), alpha=0.15, lw=0)
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set(xlabel="stance (%)", ylabel="stance-side obliquity (deg, + = stance side up)")
    ax.set_title("Pelvic obliquity over stance" + (f"\n{note}" if note else ""), fontsize=10 if note else None)
    ax.legend(frameon=False, fontsize=8)
    return ax.figure


#: runners a legend entry names as missing from its condition; more are counted
NAMED_MISSING = 4


def _runner_sets(ran: pd.DataFrame) -> tuple[dict[str, str], str]:
    """Legend labels of the conditions (``ran``: bool [condition, subject]) with their runners, and a note when the
    runners differ between conditions: then the lines compare different people, not each runner with itself.
    Conditions of several tasks ("task: condition") are compared within their task."""
    task = {c: c.split(": ", 1)[0] if ": " in c else "" for c in ran.index}
    labels, notes = {}, []
    for name in dict.fromkeys(task.values()):
        mine = ran.loc[[c for c in ran.index if task[c] == name]]
        mine = mine.loc[:, mine.any(axis=0)]
        same = bool(mine.all(axis=None))
        for condition, row in mine.iterrows():
            missing = list(row.index[~row.to_numpy()])
            label = f"{condition} ({int(row.sum())} runner{'s' if row.sum() != 1 else ''}"
            if missing:
                label += (f", not {', '.join(missing)}" if len(missing) <= NAMED_MISSING
                          else f", not {len(missing)} others")
            labels[condition] = label + ")"
        if not same:
            complete = int(mine.all(axis=0).sum())
            notes.append(f"{name + ': ' if name else ''}runners differ between conditions: "
                         f"{complete or 'none'} of {mine.shape[1]} ran every condition")
    if notes:
        notes.append("lines compare different runners; the effects pair each runner with itself")
    return labels, "\n".join(notes)


# ---------------------------------------------------------------------------------------------------------------
# Figures of the result tables (results/stats/*.csv, results/qc/*.csv): pure functions, tables in, Figure out. The
# workflow's plot_* rules and the notebooks call the same ones.

#: runners the dose-response figure names one by one: matplotlib's colour cycle holds 10 colours, and past them a
#: legend entry per runner names no line (and 450 entries covered the plot of a 1,800-trial archive)
NAMED_RUNNERS = 10
#: runners per panel of the runners figure drawn at full strength; more are drawn fainter in proportion
CLEAR_RUNNERS = 30
#: colour of each responder class (hipdrop.stats.responders), colour-blind safe (Okabe-Ito)
RESPONDER_COLOURS = {"improved": "#009E73", "unchanged": "#999999", "worsened": "#D55E00", "not assessable": "#56B4E9"}
#: marker and colour of each analysis in the forest plot
ANALYSIS_STYLE = {"mixed model": ("o", "#0072B2"), "rm-anova": ("s", "#E69F00")}
CONFOUNDED_STYLE = {"marker": "X", "s": 70, "color": "#D55E00", "edgecolors": "black", "linewidths": 0.6, "zorder": 4}
#: the conditions' colours in the adherence figure: matplotlib's, less its orange and red (too near the confounded
#: cross's vermilion), and their marker shapes (none the cross)
ADHERENCE_COLOURS = ("C0", "C2", "C4", "C9", "C6", "C8", "C5", "C7")
ADHERENCE_MARKERS = ("o", "s", "^", "D", "v", "P", "<", ">")
_UNITS = {"deg": "deg", "spm": "steps/min", "mm": "mm", "pct": "%", "s": "s"}
_METRIC_NAMES = {"cpd_peak_deg": "peak pelvic drop", "cpd_excursion_deg": "pelvic drop excursion",
                 "cpd_peak_deg_static_ref": "peak pelvic drop (static reference)", "cadence_spm": "cadence",
                 "arm_swing_mm": "arm swing"}


def metric_label(metric: str) -> str:
    """A metric column's name for an axis, with its unit from the name's suffix: ``cpd_peak_deg`` ->
    "peak pelvic drop (deg)"."""
    unit = _UNITS.get(metric.rsplit("_", 1)[-1], "")
    name = _METRIC_NAMES.get(metric, metric.rsplit("_", 1)[0].replace("_", " ") if unit else metric.replace("_", " "))
    return f"{name} ({unit})" if unit else name


def _condition(term: str) -> str:
    """``condition[cadence_plus10]`` -> ``cadence_plus10``."""
    term = str(term)
    return term[len("condition["):-1] if term.startswith("condition[") and term.endswith("]") else term


def _truthy(values: pd.Series) -> np.ndarray:
    """Booleans from a CSV column that may hold True/False, "True"/"False", 1/0 or NaN (NaN = False)."""
    return values.map(lambda v: str(v).strip().lower() in ("true", "1", "1.0")).to_numpy(bool)


def _empty(ax, text: str):
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.3")
    ax.set_xticks([])
    ax.set_yticks([])


def plot_effects(effects: pd.DataFrame, *, metrics: Iterable[str] | None = None):
    """Forest plot of every condition's effect against baseline, one panel per metric: estimate and 95 % CI of
    both analyses (``analysis`` "mixed model" and "rm-anova") side by side on each condition's row, a line at zero
    (no change); a row that could not be estimated reads "not estimable" with its reason, never a point.

    ``effects``: ``results/stats/effects.csv`` (columns ``metric``, ``term``, ``estimate_deg``, ``ci_low``,
    ``ci_high``, ``analysis``, ``estimable``, ``reason``, optionally ``n_subjects``). Returns the Figure; per
    panel one errorbar container per analysis with one point per estimable row.
    """
    metrics = list(dict.fromkeys(effects["metric"])) if metrics is None else list(metrics)
    effects = with_task_labels(effects.assign(term=effects["term"].map(_condition)), column="term")
    fig, axes = plt.subplots(len(metrics) or 1, 1, figsize=(7.5, 1.2 + 0.75 * max(1, effects["term"].nunique()) * max(1, len(metrics))),
                             layout="constrained", squeeze=False)
    if not metrics:
        _empty(axes[0, 0], "no effects estimated")
        return fig
    analyses = [a for a in ANALYSIS_STYLE if a in set(effects["analysis"])] + sorted(set(effects["analysis"]) - set(ANALYSIS_STYLE))
    offsets = dict(zip(analyses, np.linspace(-0.18, 0.18, len(analyses)) if len(analyses) > 1 else [0.0]))
    for ax, metric in zip(axes[:, 0], metrics):
        mine = effects[effects["metric"] == metric].assign(condition=lambda t: t["term"].map(_condition))
        conditions = sorted(set(mine["condition"]))
        rows = {c: len(conditions) - 1 - k for k, c in enumerate(conditions)}  # first condition on top
        estimable = _truthy(mine["estimable"]) & np.isfinite(mine["estimate_deg"].to_numpy(float))
        for k, analysis in enumerate(analyses):
            marker, colour = ANALYSIS_STYLE.get(analysis, ("D", f"C{k}"))
            ok = mine[estimable & (mine["analysis"] == analysis).to_numpy()]
            y = ok["condition"].map(rows).to_numpy(float) + offsets[analysis]
            est = ok["estimate_deg"].to_numpy(float)
            err = np.vstack([est - ok["ci_low"].to_numpy(float), ok["ci_high"].to_numpy(float) - est])
            ax.errorbar(est, y, xerr=err, fmt=marker, color=colour, capsize=3, ms=5, label=analysis)
            for row in mine[~estimable & (mine["analysis"] == analysis).to_numpy()].itertuples():
                reason = f": {row.reason}" if isinstance(row.reason, str) and row.reason else ""
                ax.text(0.02, rows[row.condition] + offsets[analysis], f"{analysis}: not estimable{reason}",
                        transform=ax.get_yaxis_transform(), va="center", ha="left", fontsize=7, color=colour)
        ax.axvline(0, color="0.5", lw=0.8, zorder=0)
        labels = []
        for c in conditions:
            n = mine.loc[mine["condition"] == c, "n_subjects"].max() if "n_subjects" in mine else np.nan
            labels.append(f"{c} (n={n:.0f})" if np.isfinite(n) else c)
        ax.set_yticks([rows[c] for c in conditions], labels)
        ax.set_ylim(-0.6, len(conditions) - 0.4)
        unit = _UNITS.get(metric.rsplit("_", 1)[-1], "")
        ax.set_xlabel(f"effect on {metric_label(metric)} vs baseline, 95 % CI" + (" (negative = less drop)" if unit == "deg" else ""))
        ax.legend(frameon=False, fontsize=8, loc="best")
    axes[0, 0].set_title("Effect of each condition")
    return fig


def plot_runners(subjects: pd.DataFrame, responders: pd.DataFrame, *, baseline: str = schema_default("stats.baseline")):
    """Each runner's mean of the responder metric (``responders["metric"]``, peak drop) at baseline and in each
    condition, one panel per condition, joined by a line coloured by its responder class; around each runner's
    baseline mean a band of +/- its MDC95 (``mdc95_deg``): a line that ends outside its own band changed by more
    than the runner's minimal detectable change.

    ``subjects``: ``results/stats/subjects.csv`` (``subject``, ``condition``, ``metric``, ``mean``,
    ``baseline_mean``); ``responders``: ``results/stats/responders.csv`` (``subject``, ``condition``, ``metric``,
    ``change_deg``, ``mdc95_deg``, ``responder``). The line ends at baseline mean + ``change_deg`` (the change the
    call was made on), or at the condition mean where the change is not assessable. Returns the Figure; one line
    per responder row with a baseline, one band per row with a finite MDC.
    """
    subjects, responders = with_task_labels(subjects), with_task_labels(responders)
    conditions = sorted(set(responders["condition"]) - {baseline})
    fig, axes = plt.subplots(1, max(1, len(conditions)), figsize=(2.6 * max(1, len(conditions)) + 1.2, 4.2),
                             layout="constrained", sharey=True, squeeze=False)
    if not conditions:
        _empty(axes[0, 0], "no runner compared with baseline")
        return fig
    metric = str(responders["metric"].iloc[0])
    table = subjects[subjects["metric"] == metric].set_index(["subject", "condition"])
    seen = set()
    for ax, condition in zip(axes[0], conditions):
        mine = responders[responders["condition"] == condition].sort_values("subject")
        # a crowd's lines and bands fainter, so that where many runners run together reads darker
        crowd = min(1.0, CLEAR_RUNNERS / max(len(mine), 1))
        for row in mine.itertuples():
            base = table["baseline_mean"].get((row.subject, condition), np.nan)
            if not np.isfinite(base):
                base = table["mean"].get((row.subject, baseline), np.nan)
            end = base + row.change_deg if np.isfinite(row.change_deg) else table["mean"].get((row.subject, condition), np.nan)
            klass = row.responder if row.responder in RESPONDER_COLOURS else "not assessable"
            colour = RESPONDER_COLOURS[klass]
            if np.isfinite(base) and np.isfinite(row.mdc95_deg):
                ax.fill_between([0, 1], base - row.mdc95_deg, base + row.mdc95_deg, color=colour, alpha=0.15 * crowd, lw=0)
            if np.isfinite(base):
                ax.plot([0, 1], [base, end], marker="o", color=colour, ms=4, lw=1.2, alpha=max(crowd, 0.15),
                        ls="--" if klass == "not assessable" else "-", label=None if klass in seen else klass)
                seen.add(klass)
            elif np.isfinite(end):
                ax.plot([1], [end], "o", color=colour, ms=4, label=None if klass in seen else klass)
                seen.add(klass)
        counts = mine["responder"].value_counts()
        # the counts wrapped to the panel's width (2.6 in: ~30 characters at 9 pt), not into the next panel's title
        ax.set_title(condition + "\n" + _wrapped_list([f"{counts[k]} {k}" for k in RESPONDER_COLOURS if k in counts], 30),
                     fontsize=9)
        ax.set_xticks([0, 1], [baseline, condition], fontsize=8)
        ax.set_xlim(-0.25, 1.25)
    axes[0, 0].set_ylabel(f"runner's mean {metric_label(metric)}")
    handles = [plt.Line2D([], [], color=RESPONDER_COLOURS[k], marker="o", label=k) for k in RESPONDER_COLOURS if k in seen]
    handles.append(plt.Rectangle((0, 0), 1, 1, color="0.6", alpha=0.3, label="baseline +/- MDC95"))
    fig.legend(handles=handles, loc="outside right center", frameon=False, fontsize=8)
    return fig


def plot_adherence(manipulation: pd.DataFrame, *, baseline: str = schema_default("stats.baseline"),
                   cadence_tolerance_pct: float | None = None):
    """Did the runners do what each condition asked? Left: achieved against target cadence change (% of the
    runner's baseline cadence), one point per runner and condition, the line of identity (and the adherence
    tolerance around it when given); right: the change of arm swing (wrist excursion, % of baseline) per condition.
    Runners whose condition also moved the variable it does not target (``confounded``) are marked with a cross in
    both panels; hollow points did not reach their target (``adherent`` False); each condition has its own colour
    and shape, and conditions that are not interventions (``targets``, ``stats.interventions``) are grey, named so.

    ``manipulation``: ``results/stats/manipulation.csv``. Returns the Figure; per panel one scatter per condition
    and one "confounded" scatter with a point per confounded row.
    """
    table = manipulation[manipulation["condition"] != baseline].copy()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
    if table.empty:
        _empty(left, "no condition besides baseline")
        _empty(right, "no condition besides baseline")
        return fig
    confounded = _truthy(table["confounded"]) if "confounded" in table else np.zeros(len(table), bool)
    missed = (table["adherent"].map(lambda v: str(v).strip().lower() in ("false", "0", "0.0")).to_numpy(bool)
              if "adherent" in table else np.zeros(len(table), bool))
    target = table.get("target_cadence_change_pct", pd.Series(0.0, index=table.index)).fillna(0.0).to_numpy(float)
    achieved = table["achieved_cadence_change_pct"].to_numpy(float)
    conditions = sorted(set(table["condition"]))
    positions = {c: k for k, c in enumerate(conditions)}
    # a small, fixed spread per runner so equal targets do not hide one another (deterministic: same figure each run)
    runners = {s: k for k, s in enumerate(sorted(set(table["subject"])))}
    jitter = ((table["subject"].map(runners).to_numpy(float) / (len(runners) - 1) - 0.5) * 0.3 if len(runners) > 1
              else np.zeros(len(table)))
    swing = table["arm_swing_change_pct"].to_numpy(float) if "arm_swing_change_pct" in table else np.full(len(table), np.nan)
    xpos = table["condition"].map(positions).to_numpy(float) + jitter
    span = np.nanmax(np.abs(np.r_[target, achieved, 1.0]))
    shifted = target + 0.05 * jitter * span  # the spread of the right panel, scaled to the cadence axis
    compared = set(table.loc[table.get("targets", pd.Series("", index=table.index)) == NOT_AN_INTERVENTION, "condition"])
    for k, condition in enumerate(conditions):
        mask = (table["condition"] == condition).to_numpy()
        # each condition its own shape and colour, none of them the confounded cross's vermilion: two conditions
        # of one runner sit on the same spot (equal targets), and an orange point read as a confounded one
        colour, marker = ADHERENCE_COLOURS[k % len(ADHERENCE_COLOURS)], ADHERENCE_MARKERS[k % len(ADHERENCE_MARKERS)]
        label = condition
        if condition in compared:  # a speed, a shoe, a time point: described, never judged (stats.interventions)
            colour, label = "0.55", f"{condition} ({NOT_AN_INTERVENTION})"
        face = np.where(missed[mask], "none", colour)
        for ax, x, y in ((left, shifted, achieved), (right, xpos, swing)):
            ax.scatter(x[mask], y[mask], s=30, marker=marker, facecolors=face, edgecolors=colour, label=label)
    marked = f"confounded ({int(confounded.sum())})"
    left.scatter(shifted[confounded], achieved[confounded], label=marked, **CONFOUNDED_STYLE)
    right.scatter(xpos[confounded], swing[confounded], label=marked, **CONFOUNDED_STYLE)
    lim = np.array([-0.1, 1.1]) * span if np.nanmin(np.r_[target, achieved]) >= 0 else np.array([-1.1, 1.1]) * span
    left.plot(lim, lim, color="0.5", lw=0.8, zorder=0, label="achieved = target")
    if cadence_tolerance_pct:
        left.fill_between(lim, lim - cadence_tolerance_pct, lim + cadence_tolerance_pct, color="0.5", alpha=0.12, lw=0,
                          label=f"target +/- {cadence_tolerance_pct:g} %")
    left.set(xlabel="target cadence change (% of baseline)", ylabel="achieved cadence change (% of baseline)",
             title="Cadence: achieved against target")
    left.legend(frameon=False, fontsize=7)
    right.axhline(0, color="0.5", lw=0.8, zorder=0)
    right.set_xticks(range(len(conditions)), conditions, fontsize=8)
    right.set(ylabel="arm swing change (% of baseline)", title="Arm swing (wrist excursion) change")
    if missed.any():
        right.scatter([], [], s=30, facecolors="none", edgecolors="0.3", label="target not reached")
    right.legend(frameon=False, fontsize=7)
    return fig


def plot_dose_response(dose: pd.DataFrame, subjects: pd.DataFrame, manipulation: pd.DataFrame, *,
                       baseline: str = schema_default("stats.baseline"), runner_slope: str = "slope_deg_per_pct"):
    """Change of the dose-response metric (peak drop) from each runner's baseline against the cadence change it
    achieved: one point per runner and cadence condition (and each runner's baseline at 0, 0), each runner's own
    line through its baseline point with its slope (``runner_slope``: the mixed model's ``slope_deg_per_pct``, or
    the least-squares ``own_slope_deg_per_pct``), and the population slope with its 95 % CI band over the achieved
    range.

    ``dose``: ``results/stats/dose_response.csv``; ``subjects``: ``results/stats/subjects.csv``
    (``change_from_baseline``); ``manipulation``: ``results/stats/manipulation.csv``
    (``achieved_cadence_change_pct``, ``target_cadence_change_pct``). Returns the Figure; one line per runner row
    with a finite slope, one population line and its band.
    """
    fig, ax = plt.subplots(figsize=(7, 4.6), layout="constrained")
    population = dose[dose["level"] == "population"]
    metric = str(population["metric"].iloc[0]) if len(population) else (str(dose["metric"].iloc[0]) if len(dose) else "cpd_peak_deg")
    design = manipulation.copy()
    cadence = design.get("target_cadence_change_pct", pd.Series(0.0, index=design.index)).fillna(0.0) != 0
    design = design[cadence.to_numpy() | (design["condition"] == baseline).to_numpy()]
    changes = subjects.loc[subjects["metric"] == metric, ["subject", "condition", "change_from_baseline"]]
    points = design.merge(changes, on=["subject", "condition"], how="inner")
    runners = dose[dose["level"] == "runner"].sort_values("subject")
    everyone = sorted(set(points["subject"]) | set(runners["subject"]))
    named = len(everyone) <= NAMED_RUNNERS
    if named:  # a colour and a legend entry per runner
        colours, dots, lines = {s: f"C{k}" for k, s in enumerate(everyone)}, {"s": 22}, {"lw": 1, "alpha": 0.8}
    else:  # a crowd: one grey, fainter the more runners, and one legend entry that sums their slopes up
        faint = max(0.1, min(0.6, 20 / len(everyone)))
        colours, dots, lines = dict.fromkeys(everyone, "0.45"), {"s": 8, "alpha": faint}, {"lw": 0.6, "alpha": faint}
    for subject, mine in points.groupby("subject"):
        ax.scatter(mine["achieved_cadence_change_pct"], mine["change_from_baseline"], color=colours[subject], zorder=3,
                   **dots)
    slopes = runners[runner_slope].to_numpy(float)
    finite = slopes[np.isfinite(slopes)]
    crowd = None if named or not len(finite) else (
        f"each runner's own line ({len(finite)} runners): median {np.median(finite):+.3f}, "
        f"quartiles {np.quantile(finite, 0.25):+.3f} to {np.quantile(finite, 0.75):+.3f}")
    for row in runners.itertuples():
        slope = getattr(row, runner_slope)
        if not np.isfinite(slope):
            continue
        x = np.array([min(0.0, row.achieved_min_pct), max(0.0, row.achieved_max_pct)])
        ax.plot(x, slope * x, color=colours[row.subject], label=f"{row.subject}: {slope:+.3f}" if named else crowd, **lines)
        crowd = None  # the crowd's entry once
    if len(population) and _truthy(population["estimable"])[0] and np.isfinite(population["slope_deg_per_pct"].iloc[0]):
        row = population.iloc[0]
        x = np.linspace(min(0.0, row["achieved_min_pct"]), max(0.0, row["achieved_max_pct"]), 50)
        ax.fill_between(x, np.minimum(row["ci_low"] * x, row["ci_high"] * x), np.maximum(row["ci_low"] * x, row["ci_high"] * x),
                        color="black", alpha=0.15, lw=0, label="population 95 % CI")
        ax.plot(x, row["slope_deg_per_pct"] * x, color="black", lw=2.5,
                label=f"population: {row['slope_deg_per_pct']:+.3f} [{row['ci_low']:+.3f}, {row['ci_high']:+.3f}]")
    elif len(population):
        reason = population["reason"].iloc[0]
        ax.text(0.5, 0.95, f"population slope not estimable: {reason}" if isinstance(reason, str) and reason else
                "population slope not estimable", transform=ax.transAxes, ha="center", va="top", fontsize=8)
    ax.axhline(0, color="0.6", lw=0.8, zorder=0)
    ax.axvline(0, color="0.6", lw=0.8, zorder=0)
    unit = _UNITS.get(metric.rsplit("_", 1)[-1], "")
    ax.set(xlabel="achieved cadence change (% of the runner's baseline)",
           ylabel=f"change of {metric_label(metric)} from baseline",
           title=f"Dose-response: slope in {unit} per 1 % cadence")
    if ax.get_legend_handles_labels()[0]:
        legend = ax.legend(frameon=False, fontsize=7, loc="best")
        for handle in legend.legend_handles:  # the crowd's faint grey, shown plainly in the legend
            if isinstance(handle, plt.Line2D):
                handle.set_alpha(1.0)
    return fig


#: kinds of exclusion reason the quality figure gives a bar each; the rest share one bar
QUALITY_KINDS = 8


def exclusion_counts(stances: pd.DataFrame) -> pd.Series:
    """Excluded stances per kind of reason (``hipdrop.stats.exclusions.reason_kinds``: one kind whatever its numbers, such
    as the duration of a fill; a stance with two reasons, joined by "; ", counts under both), most first."""
    return reason_kinds(stances.loc[_truthy(stances["excluded"]), "exclude_reason"])


def plot_quality(stances: pd.DataFrame, quarantine: pd.DataFrame, agreement: pd.DataFrame | None = None):
    """Quality of the run, three panels: stances excluded per reason (counts; kept in the table, left out of the
    statistics), trials quarantined per stage, and for trials with force plates or stored events the median of the
    per-trial median absolute error of the marker events (ms) per detector, reference and event.

    ``stances``: the stance table (``excluded``, ``exclude_reason``); ``quarantine``: ``results/qc/quarantine.csv``
    (``stage``); ``agreement``: ``results/qc/event_agreement_summary.csv`` (``method``, ``reference``, ``event``,
    ``median_abs_error_ms``), empty or None without references. Returns the Figure; a bar per kind of reason (at
    most ``QUALITY_KINDS``, the rarest together), per stage and per detector x reference x event.
    """
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(13, 4.0), layout="constrained")
    counts = exclusion_counts(stances)
    included = int(len(stances) - _truthy(stances["excluded"]).sum())
    if counts.empty:
        _empty(a, f"no stance excluded\n({included} included)")
    else:
        if len(counts) > QUALITY_KINDS:  # past a readable number of bars, the rarest kinds share one
            rest = counts.iloc[QUALITY_KINDS - 1:]
            counts = pd.concat([counts.iloc[:QUALITY_KINDS - 1], pd.Series({f"{len(rest)} other kinds of reason": rest.sum()})])
        bars = a.barh(range(len(counts)), counts.to_numpy(), color="#D55E00")
        a.bar_label(bars, padding=2, fontsize=7)
        a.set_yticks(range(len(counts)), [fill_text(r, 34) for r in counts.index], fontsize=7)
        a.invert_yaxis()
        a.set_xlim(0, counts.max() * 1.15)
        a.set_xlabel("excluded stances")
    a.set_title(f"Stances excluded, by kind of reason\n({included} of {len(stances)} included)", fontsize=9)
    stages = (quarantine["stage"].fillna("unknown").astype(str).value_counts() if len(quarantine) and "stage" in quarantine
              else pd.Series(dtype=int))
    if stages.empty:
        _empty(b, "no trial quarantined")
    else:
        b.bar(range(len(stages)), stages.to_numpy(), color="#CC79A7")
        b.set_xticks(range(len(stages)), stages.index, fontsize=8)
        b.set_ylabel("quarantined trials")
    b.set_title(f"Trials quarantined by stage ({len(quarantine)})", fontsize=9)
    measured = (agreement is not None and "median_abs_error_ms" in agreement
                and np.isfinite(agreement["median_abs_error_ms"].to_numpy(float)).any())
    if not measured:
        _empty(c, "no force plates or stored events:\nevent agreement not measured")
    else:
        summary = (agreement.groupby(["method", "reference", "event"])["median_abs_error_ms"]
                   .agg(["median", "size"]).reset_index())
        groups = list(dict.fromkeys(zip(summary["reference"], summary["event"])))
        methods = list(dict.fromkeys(summary["method"]))
        width = 0.8 / len(methods)
        for k, method in enumerate(methods):
            mine = summary[summary["method"] == method]
            x = [groups.index((r, e)) - 0.4 + width * (k + 0.5) for r, e in zip(mine["reference"], mine["event"])]
            c.bar(x, mine["median"], width=width, label=method, color=f"C{k}")
        c.set_xticks(range(len(groups)), [f"{r}\n{e.replace('_', ' ')}" for r, e in groups], fontsize=8)
        c.set_ylabel("median |marker - reference| (ms)")
        c.legend(frameon=False, fontsize=7, title="detector", title_fontsize=7)
    c.set_title("Event agreement (median over trials)", fontsize=9)
    return fig


def _wrapped_list(items: list[str], width: int) -> str:
    """``items`` joined by commas, a new line before an item that would pass ``width`` characters; never inside
    an item ("1 not assessable" stays whole)."""
    lines = []
    for item in items:
        if lines and len(lines[-1]) + 2 + len(item) <= width:
            lines[-1] += ", " + item
            continue
        if lines:
            lines[-1] += ","
        lines.append(item)
    return "\n".join(lines)


def fill_text(text: str, width: int) -> str:
    """``text`` wrapped at ``width`` characters (axis labels of long reasons)."""
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)
