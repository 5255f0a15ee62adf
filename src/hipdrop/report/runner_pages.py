"""One page per runner that a clinician can hand over: what changed in this runner's pelvis under each condition.

The page shows the runner's stance-side obliquity over stance per condition (mean of the included stances, left and
right pooled, with a band of one stance-to-stance SD where the stances are given), the peak drop per condition and
side against the baseline's minimal detectable change (MDC95, ``hipdrop.stats.responders``), the cadence and arm
swing the runner achieved (``hipdrop.stats.design.manipulation_check``) and the responder class per condition.

Inputs are the workflow's tables: ``curves`` (``read_curves``: ``[stance, pct]`` with subject, condition, excluded;
or subject means ``[condition, subject, pct]`` from ``hipdrop.stats.waveforms.subject_mean_curves``), the stance
table, ``stats/responders.csv`` and ``stats/manipulation.csv``.
"""

from __future__ import annotations

import logging
import textwrap
from functools import partial

import numpy as np
import pandas as pd
import xarray as xr

from hipdrop.config import schema_default
from hipdrop.report.arms import page_line as arm_page_line
from hipdrop.report.emg import page_line as emg_page_line
from hipdrop.report.foot import page_line as foot_page_line
from hipdrop.stats.design import NOT_AN_INTERVENTION
from hipdrop.stats.emg import normalise_emg
from hipdrop.stats.exclusions import excluded_by_kind, kinds_sentence, stance_counts
from hipdrop.vocab import PCT, STANCE

#: the metric whose responder class the page reports
PAGE_METRIC = "cpd_peak_deg"


def _runner_curves(subject: str, curves: xr.DataArray | None) -> tuple[xr.DataArray | None, xr.DataArray | None]:
    """The runner's mean curve per condition ``[condition, pct]`` and its stance-to-stance SD (None from means)."""
    if curves is None:
        return None, None
    if STANCE not in curves.dims:  # subject means [condition, subject, pct]
        if subject not in curves["subject"].values:
            return None, None
        mean = curves.sel(subject=subject)
        return mean.where(np.isfinite(mean).any(PCT), drop=True), None
    mine = curves.where((curves["subject"] == subject) & ~curves["excluded"].astype(bool), drop=True) \
        if curves.sizes[STANCE] else curves
    if mine.sizes[STANCE] == 0:
        return None, None
    grouped = mine.groupby("condition")
    return grouped.mean(STANCE), grouped.std(STANCE, ddof=1)


def _order(conditions, baseline: str) -> list[str]:
    conditions = sorted({str(c) for c in conditions})
    return ([baseline] if baseline in conditions else []) + [c for c in conditions if c != baseline]


def _flag(value):
    """A CSV's True/False (bool or text) as a bool, None when missing."""
    if isinstance(value, str):
        return {"true": True, "false": False}.get(value.strip().lower())
    return None if value is None or pd.isna(value) else bool(value)


def _number(value, spec: str) -> str:
    """``value`` formatted, "-" when missing; a value that rounds to zero without its sign ("-0" reads as a loss)."""
    if value is None or pd.isna(value):
        return "-"
    text = format(value, spec)
    return format(0.0, spec) if float(text) == 0 else text


def responder_lines(subject: str, responders: pd.DataFrame) -> list[str]:
    """One sentence per condition: the runner's responder class, change of mean peak drop and its MDC95 (deg)."""
    rows = responders[(responders["subject"].astype(str) == subject)]
    if "metric" in rows:
        rows = rows[rows["metric"] == PAGE_METRIC]
    lines = []
    for row in rows.sort_values("condition").itertuples():
        if np.isfinite(row.change_deg) and np.isfinite(row.mdc95_deg):
            detail = f"change {row.change_deg:+.2f} deg, MDC95 {row.mdc95_deg:.2f} deg"
        else:
            detail = str(row.reason) if isinstance(row.reason, str) and row.reason else "no change measured"
        lines.append(f"{row.condition}: {row.responder} ({detail})")
    return lines


def runner_page(subject: str, curves: xr.DataArray | None, stances: pd.DataFrame, responders: pd.DataFrame,
                manipulation: pd.DataFrame, *, baseline: str = schema_default("stats.baseline"),
                min_stances: int = schema_default("stats.min_stances"), page=None,
                notes: list[str] | None = None):
    """A one-page figure (A4 portrait) for one runner.

    Parameters
    ----------
    subject : str
        The runner.
    curves : xarray.DataArray or None
        Stance curves ``[stance, pct]`` (deg) with subject, condition, excluded per stance, or subject means
        ``[condition, subject, pct]``.
    stances : pandas.DataFrame
        The stance table (``subject``, ``condition``, ``side``, ``excluded``, ``cpd_peak_deg``; with
        ``exclude_reason`` the page names the commonest reasons of the runner's exclusions).
    responders : pandas.DataFrame
        ``stats/responders.csv`` rows (``subject``, ``condition``, ``metric``, ``change_deg``, ``mdc95_deg``,
        ``responder``, ``reason``).
    manipulation : pandas.DataFrame
        ``stats/manipulation.csv`` rows (``subject``, ``condition``, ``cadence_spm``, ``target_cadence_change_pct``,
        ``achieved_cadence_change_pct``, ``arm_swing_mm``, ``arm_swing_change_pct``, ``adherent``).
    baseline : str, default config ``stats.baseline``
        The condition changes are measured from.
    min_stances : int, default config ``stats.min_stances``
        Fewest included stances behind a trustworthy condition mean: fewer are
        starred in the table.
    page : matplotlib.figure.Figure, optional
        A figure this function returned for another runner, drawn over instead of a new one: the same page, about
        a sixth cheaper (``write_runner_pages`` draws each worker's pages on one figure).
    notes : list of str, optional
        Sentences printed in small type under the responder classes: the runner's control against fatigue
        (``hipdrop.stats.control.page_lines``) and baseline peak drop against the reference
        (``hipdrop.stats.reference.page_line``).

    Returns
    -------
    matplotlib.figure.Figure
        Curves (deg over % stance; one line per condition, labelled with its name), peak drop per condition and
        side (deg) with the baseline mean +/- MDC95, and a table of cadence, arm swing, the stances included and
        excluded, and responder class, with the commonest reasons of the exclusions.
    """
    subject = str(subject)
    fig = _blank_page() if page is None else _wiped(page)
    fig.suptitle(f"Runner {subject}: pelvic drop in running", fontsize=14, fontweight="bold", y=0.985)

    # 1. obliquity curves
    ax = fig.axes[0]
    mean, sd = _runner_curves(subject, curves)
    colours = {}
    if mean is None or mean.sizes.get("condition", 0) == 0:
        ax.text(0.5, 0.5, "no included stances", ha="center", va="center", transform=ax.transAxes)
    else:
        for condition in _order(mean["condition"].values, baseline):
            m = mean.sel(condition=condition)
            line, = ax.plot(m[PCT], m, label=condition, lw=1.8 if condition == baseline else 1.3)
            colours[condition] = line.get_color()
            if sd is not None:
                s = sd.sel(condition=condition)
                ax.fill_between(m[PCT], m - s, m + s, color=line.get_color(), alpha=0.12, lw=0)
        ax.legend(frameon=False, fontsize=8)
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set(xlabel="stance (%)  0 = foot strike, 100 = foot off", ylabel="obliquity (deg)\n+ = opposite hip dropped")
    _title(ax, "Pelvic obliquity over stance (mean of included stances"
           + (", band: +/- 1 SD stride to stride)" if sd is not None else ")"))

    # 2. peak drop per condition and side, with the MDC around baseline
    ax = fig.axes[1]
    everyone = stances[stances["subject"].astype(str) == subject]  # the runner's stances, excluded ones too
    mine = everyone[~everyone["excluded"].astype(bool)]
    resp = responders[(responders["subject"].astype(str) == subject)]
    if "metric" in resp:
        resp = resp[resp["metric"] == PAGE_METRIC]
    resp = resp.set_index("condition")
    conditions = _order(mine["condition"].unique(), baseline)
    if conditions:
        by = mine.groupby(["condition", "side"])[PAGE_METRIC].agg(["mean", "std", "size"])
        base = mine[mine["condition"] == baseline]
        base_mean = float(base.groupby("side")[PAGE_METRIC].mean().mean()) if len(base) else np.nan
        for x, condition in enumerate(conditions):
            mdc = float(resp.loc[condition, "mdc95_deg"]) if condition in resp.index else np.nan
            if np.isfinite(base_mean) and np.isfinite(mdc):
                ax.fill_between([x - 0.35, x + 0.35], base_mean - mdc, base_mean + mdc, color="0.85", lw=0,
                                label="baseline +/- MDC95" if x == 1 or len(conditions) == 1 else None)
            for dx, side, marker in ((-0.12, "L", "o"), (0.12, "R", "s")):
                if (condition, side) in by.index:
                    row = by.loc[(condition, side)]
                    ax.errorbar(x + dx, row["mean"], yerr=row["std"] if row["size"] > 1 else None, fmt=marker,
                                color=colours.get(condition, "k"), capsize=3,
                                label=f"{'left' if side == 'L' else 'right'} stance" if x == 0 else None,
                                mfc="white" if side == "R" else None)
            # the mean of the side means: the quantity the band and the responder class judge (a runner's two sides
            # can lie degrees apart, both far from a band drawn around their mean)
            if condition in by.index.get_level_values("condition"):
                ax.plot(x, by.loc[condition, "mean"].mean(), "D", color="k", ms=5,
                        label="mean of the sides" if x == 0 else None)
        if np.isfinite(base_mean):
            ax.axhline(base_mean, color="0.4", lw=0.8, ls="--")
        ax.set_xticks(range(len(conditions)), conditions, fontsize=8)
        ax.legend(frameon=False, fontsize=8)
    else:
        ax.text(0.5, 0.5, "no included stances", ha="center", va="center", transform=ax.transAxes)
    ax.set(ylabel="peak drop (deg)")
    _title(ax, "Peak pelvic drop per condition and side (mean +/- SD)\ngrey: the baseline's mean of the sides +/- MDC95; "
               "a change inside it is measurement noise")

    # 3. what the runner did, and the verdict
    ax = fig.axes[2]
    ax.axis("off")
    man = manipulation[manipulation["subject"].astype(str) == subject].set_index("condition")
    counts = stance_counts(everyone).set_index("condition") if len(everyone) else pd.DataFrame()
    rows, any_few = [], False
    for condition in _order(set(man.index) | set(resp.index) | set(counts.index), baseline):
        m = man.loc[condition] if condition in man.index else pd.Series(dtype=object)
        r = resp.loc[condition] if condition in resp.index else pd.Series(dtype=object)
        fmt = _number
        target = m.get("target_cadence_change_pct", np.nan)
        n = counts.loc[condition] if condition in counts.index else pd.Series({"n_included": 0, "n_excluded": 0})
        few = "*" if n["n_included"] < min_stances else ""
        any_few = any_few or bool(few)
        judged = m.get("targets") != NOT_AN_INTERVENTION
        rows.append([
            condition,
            fmt(m.get("cadence_spm", np.nan), ".0f"),
            f"{fmt(m.get('achieved_cadence_change_pct', np.nan), '+.1f')} ({fmt(target, '+.0f')})",
            fmt(m.get("arm_swing_mm", np.nan), ".0f"),
            fmt(m.get("arm_swing_change_pct", np.nan), "+.0f"),
            f"{n['n_included']}{few} / {n['n_excluded']}",
            "" if condition == baseline else {True: "yes", False: "no"}.get(_flag(m.get("adherent")), "-") if judged
            else "not judged",
            fmt(r.get("change_deg", np.nan), "+.2f"),
            fmt(r.get("mdc95_deg", np.nan), ".2f"),
            "" if condition == baseline else str(r.get("responder", "-")),
        ])
    below = 1.0  # the responder text goes under the table (axes fraction)
    if rows:
        below = _text_table(ax, ["condition", "cadence\n(steps/min)", "cadence change\n% (target)", "arm swing\n(mm)",
                         "arm swing\nchange %", "stances\nincl. / excl.", "adherent", "peak drop\nchange (deg)",
                         "MDC95\n(deg)", "responder"],
                    rows, widths=[0.13, 0.08, 0.12, 0.08, 0.08, 0.09, 0.08, 0.10, 0.07, 0.12])
    lines = responder_lines(subject, responders)
    ax.text(0.0, below - 0.04, _stances_sentence(everyone, min_stances=min_stances, starred=any_few), transform=ax.transAxes, va="top",
            fontsize=8)
    arms = arm_page_line(man, _order(set(man.index), baseline))
    # the foot's progression and strike angles (hipdrop.kernels.foot) under the arm measures, in their 6 pt (0.038
    # of this axes' height a line); the responder lines and notes move down as far as it needs
    foot = textwrap.fill(foot_page_line(mine, _order(mine["condition"].unique(), baseline)), 150)
    # the runner's EMG as % of its baseline (hipdrop.report.emg), in the same 6 pt block; "" without EMG
    foot = "\n".join(t for t in (foot, textwrap.fill(emg_page_line(subject, everyone, baseline=baseline), 150)) if t)
    arm_lines = textwrap.fill(arms, 150).count("\n") + 1 if arms else 0
    shift = max(0.0, 0.075 + 0.038 * (arm_lines + foot.count("\n") + 1) + 0.01 - 0.16) if foot else 0.0
    if foot:
        ax.text(0.0, below - 0.075 - 0.038 * arm_lines, foot, transform=ax.transAxes, va="top", fontsize=6)
    if arms:  # crossover, elbow angle, thorax-pelvis rotation (hipdrop.kernels.arms), over the responder classes
        ax.text(0.0, below - 0.075, textwrap.fill(arms, 150), transform=ax.transAxes, va="top", fontsize=6)
    ax.text(0.0, below - 0.16 - shift, "Responder class (change of mean peak drop against the runner's own MDC95):\n"
            + ("\n".join(lines) if lines else "not assessed"), transform=ax.transAxes, va="top", fontsize=9)
    if notes:  # under the responder lines (9 pt, 1.2 line spacing: 0.056 of this axes' height each), in the 6 pt
        # of the arm and foot lines: a page's bottom has room for about six of them
        ax.text(0.0, below - 0.16 - shift - 0.056 * (len(lines or [""]) + 1) - 0.01,
                "\n".join(textwrap.fill(note, 150, subsequent_indent="    ") for note in notes),
                transform=ax.transAxes, va="top", fontsize=6)
    _title(ax, "Cadence and arm swing achieved, and the response")
    return fig


def _stances_sentence(stances: pd.DataFrame, *, min_stances: int, starred: bool) -> str:
    """The runner's stances in one or two lines: included of all, the commonest kinds of exclusion, and, when the
    table ``starred`` a mean, what the star means."""
    if stances.empty:
        return "Stances: none"
    excluded = int(stances["excluded"].astype(bool).sum())
    text = f"Stances: {len(stances) - excluded} of {len(stances)} included"
    if excluded and "exclude_reason" in stances:
        text += f"; excluded: {kinds_sentence(excluded_by_kind(stances), first=2)}"
    # 110 characters of 8 pt fill the page's width; the star's meaning only where the table has one
    return textwrap.fill(text, 110) + (f"\n* a mean from fewer than {min_stances} included stances: uncertain "
                                       "(config stats.min_stances)" if starred else "")


def _blank_page():
    """The page's figure and its three axes, empty."""
    import matplotlib.pyplot as plt

    # a fixed layout (inches on an A4 page), not matplotlib's constrained one: every page has the same parts, so
    # solving the layout again for each page would redo the same work (benchmarks/runner_pages.py compares both)
    fig = plt.figure(figsize=(8.27, 11.69))
    grid = fig.add_gridspec(3, 1, height_ratios=[1.1, 1.0, 0.9], left=0.11, right=0.97, top=0.94, bottom=0.02,
                            hspace=0.3)
    for row in range(3):
        fig.add_subplot(grid[row])
    return fig


def _wiped(fig):
    """``fig`` (a page) with its runner's data taken away and its axes' limits, colours and x ticks as
    ``_blank_page`` leaves them, their tick objects kept: building the axes and, on the first draw, their ticks
    anew would be paid again by every page (benchmarks/runner_pages.py: a new figure a page against one)."""
    from matplotlib import rcParams
    from matplotlib.ticker import AutoLocator, ScalarFormatter
    from matplotlib.transforms import Bbox

    for ax in fig.axes:
        for container in list(ax.containers):
            container.remove()
        for artist in [*ax.lines, *ax.collections, *ax.patches, *ax.texts]:
            artist.remove()
        if ax.legend_ is not None:
            ax.legend_.remove()
        ax.set_prop_cycle(None)  # colours from the first again
        ax.dataLim.set_points(Bbox.null().get_points())
        ax.ignore_existing_data_limits = True
        ax.set(xlim=(0, 1), ylim=(0, 1))  # a new axes' view, autoscaled again from the next runner's data
        ax.set_autoscale_on(True)
        ax.xaxis.set_major_locator(AutoLocator())  # the peak panel's condition names gone
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.tick_params(axis="x", labelsize=rcParams["xtick.labelsize"])  # new ticks copy the names' 8 pt
    return fig


def _title(ax, text: str) -> None:
    """An axes' title at its top edge: set there, matplotlib does not measure every tick label on each draw to
    lift it clear of labels at the top, which no axes of the page has."""
    ax.set_title(text, fontsize=10, y=1.0)


def _text_table(ax, header: list[str], rows: list[list[str]], *, widths: list[float], fontsize: float = 7.0,
                linespacing: float = 2.0) -> float:
    """``rows`` under ``header`` at the top of ``ax`` (axes fractions ``widths`` per column), ruled above, under
    the header and below; returns the bottom rule's height (axes fraction). Each column is one text of all its
    rows: matplotlib's Table draws and measures every cell as its own text and box, and text drawing is a large share
    of a page's cost (benchmarks/runner_pages.py profiles it)."""
    axes_height = ax.get_position().height * ax.figure.get_figheight()  # inches
    line = fontsize / 72 * linespacing / axes_height  # one row, in axes fractions
    top, first = 1.0, (1.0 - sum(widths)) / 2
    header_bottom = top - 2.2 * fontsize / 72 * 1.2 / axes_height  # two header lines and a little air
    bottom = header_bottom - line * len(rows) - 0.2 * line
    for title, width, cells, left in zip(header, widths, zip(*rows), first + np.cumsum([0, *widths[:-1]])):
        centre = left + width / 2
        ax.text(centre, (top + header_bottom) / 2, title, ha="center", va="center", fontsize=fontsize, linespacing=1.2,
                transform=ax.transAxes)
        # an empty cell as a space: an empty first line is laid out shorter and would lift the column by a pixel
        ax.text(centre, header_bottom - 0.1 * line, "\n".join(c or " " for c in cells), ha="center", va="top", fontsize=fontsize,
                linespacing=linespacing, transform=ax.transAxes)
    ax.hlines([top, header_bottom, bottom], first, first + sum(widths), colors="k", linewidths=[1.0, 0.6, 1.0])
    ax.set(xlim=(0, 1), ylim=(0, 1))  # the rules' data coordinates are the axes' fractions
    return bottom


def write_runner_pages(pages: dict[str, str], curves: xr.DataArray | None, stances: pd.DataFrame,
                       responders: pd.DataFrame, manipulation: pd.DataFrame, *,
                       baseline: str = schema_default("stats.baseline"), min_stances: int = schema_default("stats.min_stances"),
                       workers: int = 1, dpi: int, notes: dict[str, list[str]] | None = None) -> None:
    """``runner_page`` of every runner of ``pages`` (``{subject: png path}``) written to its path (atomically) at
    ``dpi`` dots per inch (config ``report.runner_page_dpi``), on ``workers`` processes forked from this one:
    drawing is a page's cost, and the forked workers share the tables already in memory. Each worker draws its
    pages over one figure (``runner_page``'s ``page``). A page that cannot be drawn raises."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    subjects = list(pages)
    # the EMG in % of each runner's baseline (or MVC) for every page at once: a runner's reference is its own rows'
    # (hipdrop.stats.emg.normalise_emg), so the cohort normalised once gives each page what its own rows would
    stances = normalise_emg(stances, baseline=baseline)
    # each runner's rows picked out once, not by every page from the whole stance table: that selection's cost
    # grows with the cohort, for each of the cohort's pages
    by_subject = [_rows_by_subject(table) for table in (stances, responders, manipulation)]
    draw = partial(_write_pages, pages=pages, curves=curves, by_subject=by_subject, baseline=baseline,
                   min_stances=min_stances, dpi=dpi, notes=notes or {})
    if workers <= 1 or len(subjects) < 2:
        draw(subjects)
        return
    shares = [subjects[k::workers] for k in range(min(workers, len(subjects)))]
    with ProcessPoolExecutor(len(shares), mp_context=multiprocessing.get_context("fork")) as pool:
        list(pool.map(draw, shares))


def _rows_by_subject(table: pd.DataFrame) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """``table``'s rows per runner, and its rows of none (for a runner it lacks)."""
    return {str(s): rows for s, rows in table.groupby(table["subject"].astype(str), sort=False)}, table.iloc[0:0]


def _write_pages(subjects: list[str], *, pages: dict, curves: xr.DataArray | None, by_subject: list, baseline: str,
                 min_stances: int, dpi: int, notes: dict | None = None) -> None:
    import matplotlib.pyplot as plt

    from hipdrop.report.figures import save_png

    figure = None
    for subject in subjects:
        figure = runner_page(subject, curves, *(rows.get(subject, none) for rows, none in by_subject), baseline=baseline,
                             min_stances=min_stances, page=figure, notes=(notes or {}).get(subject))
        # zlib level 3, not Pillow's 6: a third less encoding time for a file 1 % larger (185 kB)
        save_png(figure, pages[subject], dpi=dpi, pil_kwargs={"compress_level": 3})
        logging.getLogger(__name__).info("wrote %s", pages[subject])
    if figure is not None:
        plt.close(figure)
