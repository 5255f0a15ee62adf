""""Is this hip drop?": each runner's baseline peak drop against a reference the lab chooses.

The reference is either a group of runners in the trial sheet (column ``group``, the value named by config
``stats.reference.group``, default ``reference``: e.g. the lab's uninjured runners) or a table of mean and SD by
running speed in the config (``stats.reference.table``, e.g. from a published cohort). The sheet's group is used
when it has runners; otherwise the table. A runner's baseline peak drop is the mean of its included baseline
stances (both sides, as ``mean`` in stats/subjects.csv); against the reference

    z = (x - reference mean) / reference SD,

flagged when z exceeds ``stats.reference.z_threshold`` (default 2: above about 97.7 % of a normal reference). A
runner of the reference group is compared with the group without itself (leave-one-out), so that it never pulls
the reference towards its own value. With a sheet group, the share of the reference population expected below x is
also given by Crawford & Howell's (1998) t for a case against a small control sample,
t = (x - mean) / (SD sqrt((n + 1) / n)) on n - 1 df, which widens z's tails for the uncertainty of a small group's
mean and SD. No reference given: every column NaN, the source says so, and nothing fails.

Hip drop is often one-sided, and a runner whose pelvis tilts to one side through the run drops more in one side's
stances and less in the other's: the two sides' means can lie degrees apart around an ordinary mean. So the same
comparison is made per stance side (``_L``, ``_R`` columns: the peak drop in left stance, when the right,
contralateral, hip drops, and in right stance): a side's mean of the included baseline stances of that side against
the reference group's means of the same side (their own n runners, leave-one-out as above), or against the config
table's row (whose mean and SD are given for a runner's peak drop: applied to a side's mean as they are, which is
lenient where the table's SD is of both sides' mean, since a side's mean varies more between runners).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as st

from hipdrop.config import schema_default, section_with_defaults

#: the stance table's columns from the trial sheet that the reference reads
GROUP_COLUMN, SPEED_COLUMN = "group", "speed_m_s"
METRIC = "cpd_peak_deg"
#: the stance sides compared on their own, and their names for a reader (the side is the stance leg's; the hip
#: that drops is the other one)
SIDES = {"L": "left stance", "R": "right stance"}
_COMPARED = ["reference_mean_deg", "reference_sd_deg", "reference_n", "reference_z", "reference_percentile",
             "reference_flag", "reference_source"]


def side_column(column: str, side: str) -> str:
    """The per-side name of a reference column: ``reference_z`` -> ``reference_z_L``, ``baseline_peak_deg`` ->
    ``baseline_peak_L_deg``."""
    return column[:-4] + f"_{side}_deg" if column.endswith("_deg") else f"{column}_{side}"


REFERENCE_COLUMNS = [
    "subject", "baseline_peak_deg", *_COMPARED,
    *(side_column(c, s) for s in SIDES for c in ("baseline_peak_deg", *_COMPARED)),
]
#: the columns ``subject_columns`` adds to stats/subjects.csv (on the runner's baseline peak-drop row)
SUBJECT_REFERENCE_COLUMNS = ["reference_z", "reference_flag", "reference_source",
                             *(side_column(c, s) for s in SIDES for c in ("reference_z", "reference_flag"))]
NONE_GIVEN = "no reference given"


def reference_settings(stats: dict | None = None) -> dict:
    """Config ``stats.reference`` with the schema's defaults for every key it does not give (the key has no
    default itself, so that configs without it keep their hash)."""
    return section_with_defaults({"stats": stats}, "stats.reference")


def baseline_means(stances: pd.DataFrame, *, baseline: str, metric: str = METRIC) -> pd.DataFrame:
    """Per runner: the mean ``metric`` of its included baseline stances (``x``) and of each side's (``x_L``,
    ``x_R``; NaN without a ``side`` column), whether it is in a sheet group (``group``, "" when none) and its
    baseline speed (median of its baseline stances' ``speed_m_s``, NaN when the sheet gives none)."""
    rows = stances[~stances["excluded"].astype(bool) & (stances["condition"] == baseline)]
    values = pd.to_numeric(rows[metric], errors="coerce") if metric in rows else pd.Series(np.nan, index=rows.index)
    rows = rows.assign(_v=values)
    out = pd.DataFrame({"subject": sorted(stances["subject"].astype(str).unique())}).set_index("subject")
    out["x"] = rows.groupby(rows["subject"].astype(str))["_v"].mean()
    for side in SIDES:
        mine = rows[rows["side"].astype(str) == side] if "side" in rows else rows.iloc[0:0]
        out[f"x_{side}"] = mine.groupby(mine["subject"].astype(str))["_v"].mean()
    groups = (stances[GROUP_COLUMN].fillna("").astype(str) if GROUP_COLUMN in stances
              else pd.Series("", index=stances.index))
    out["group"] = groups.groupby(stances["subject"].astype(str)).agg(lambda g: next((v for v in g if v), ""))
    speed = (pd.to_numeric(rows[SPEED_COLUMN], errors="coerce") if SPEED_COLUMN in rows
             else pd.Series(np.nan, index=rows.index))
    out["speed_m_s"] = speed.groupby(rows["subject"].astype(str)).median()
    return out.reset_index()


def reference_table(stances: pd.DataFrame, *, baseline: str, group: str = schema_default("stats.reference.group"),
                    table: list[dict] | None = schema_default("stats.reference.table"),
                    z_threshold: float = schema_default("stats.reference.z_threshold"),
                    min_runners: int = schema_default("stats.reference.min_runners")) -> pd.DataFrame:
    """Each runner's baseline peak drop against the lab's reference.

    Parameters
    ----------
    stances : the stance table (``subject``, ``condition``, ``excluded``, ``cpd_peak_deg``; ``group`` and
        ``speed_m_s`` where the sheet gives them)
    baseline : the baseline condition (config ``stats.baseline``)
    group : the sheet's ``group`` value that marks reference runners (config ``stats.reference.group``)
    table : rows ``{speed_min_m_s, speed_max_m_s, mean_deg, sd_deg, source}`` (config ``stats.reference.table``);
        a runner's baseline speed falls in [speed_min_m_s, speed_max_m_s)
    z_threshold : a runner is flagged when z is above it (config ``stats.reference.z_threshold``)
    min_runners : fewest reference runners with a baseline (after leaving one out) behind a sheet reference
        (config ``stats.reference.min_runners``)

    Returns
    -------
    pandas.DataFrame, one row per runner (``REFERENCE_COLUMNS``): ``baseline_peak_deg``, the reference's
    ``reference_mean_deg``, ``reference_sd_deg`` and ``reference_n`` (runners; NaN for a config table),
    ``reference_z``, ``reference_percentile`` (the % of the reference population expected below the runner:
    Crawford-Howell t for a sheet group, the normal for a config table), ``reference_flag`` (True above
    ``z_threshold``, None without a z) and ``reference_source`` (e.g. ``sheet group 'reference', n=12``,
    ``sheet group 'reference', n=11, leave-one-out``, ``config table, 3.0-3.5 m/s``, or why there is no z); then
    the same per stance side (``side_column``: ``baseline_peak_L_deg``, ``reference_z_L``, ``reference_flag_L``,
    ``reference_source_L``, ... and ``_R``): the side's mean of included baseline stances against the reference
    group's means of that side, or the config table's row.
    """
    means = baseline_means(stances, baseline=baseline)
    in_group = means["group"] == group
    use_group = bool(in_group.any())
    rows = []
    for r in means.itertuples():
        out = {"subject": r.subject}
        for side in ("", *SIDES):  # the runner's mean, then each stance side's
            value = f"x_{side}" if side else "x"
            named = (lambda c: side_column(c, side)) if side else (lambda c: c)
            compared = _compare(means, r, value, use_group=use_group, in_group=in_group, group=group, table=table,
                                z_threshold=z_threshold, min_runners=min_runners, baseline=baseline)
            out[named("baseline_peak_deg")] = getattr(r, value)
            out |= {named(c): v for c, v in compared.items()}
        rows.append(out)
    return pd.DataFrame(rows, columns=REFERENCE_COLUMNS)


def _compare(means: pd.DataFrame, r, value: str, *, use_group: bool, in_group: pd.Series, group: str,
             table: list[dict] | None, z_threshold: float, min_runners: int, baseline: str) -> dict:
    """Runner ``r``'s ``value`` (a column of ``baseline_means``: ``x``, ``x_L`` or ``x_R``) against the sheet
    group's values of the same column (itself left out) or the config table's row for its speed: the
    ``_COMPARED`` columns."""
    x = getattr(r, value)
    out = {"reference_mean_deg": np.nan, "reference_sd_deg": np.nan, "reference_n": np.nan, "reference_z": np.nan,
           "reference_percentile": np.nan, "reference_flag": None}
    if use_group:
        others = means[in_group & (means["subject"] != r.subject) & np.isfinite(means[value])][value]
        name = f"sheet group '{group}', n={len(others)}" + (", leave-one-out" if r.group == group else "")
        if len(others) < min_runners:
            out["reference_source"] = (f"{name}: fewer than {min_runners} reference runners with a baseline "
                                       "(config stats.reference.min_runners)")
        else:
            m, s, n = float(others.mean()), float(others.std(ddof=1)), len(others)
            out.update(reference_mean_deg=m, reference_sd_deg=s, reference_n=n, reference_source=name)
            if np.isfinite(x) and s > 0:
                t = (x - m) / (s * np.sqrt((n + 1) / n))
                out["reference_percentile"] = 100 * float(st.t.cdf(t, n - 1))
    elif table:
        band = [row for row in table if np.isfinite(r.speed_m_s)
                and row["speed_min_m_s"] <= r.speed_m_s < row["speed_max_m_s"]]
        if not np.isfinite(r.speed_m_s):
            out["reference_source"] = ("config table: the runner's baseline speed is not in the sheet "
                                       "(column speed_m_s)")
        elif not band:
            out["reference_source"] = f"config table: no row for {r.speed_m_s:g} m/s"
        else:
            row = band[0]
            label = f"config table, {row['speed_min_m_s']:g}-{row['speed_max_m_s']:g} m/s"
            out.update(reference_mean_deg=float(row["mean_deg"]), reference_sd_deg=float(row["sd_deg"]),
                       reference_source=label + (f" ({row['source']})" if row.get("source") else ""))
            if np.isfinite(x):
                out["reference_percentile"] = 100 * float(st.norm.cdf((x - row["mean_deg"]) / row["sd_deg"]))
    else:
        out["reference_source"] = NONE_GIVEN
    if not np.isfinite(x) and np.isfinite(out["reference_mean_deg"]):
        side = value.partition("_")[2]
        out["reference_source"] += (f"; no included {baseline} stance" + (f" of side {side}" if side else "")
                                    + " with a peak drop")
    if np.isfinite(x) and np.isfinite(out["reference_sd_deg"]) and out["reference_sd_deg"] > 0:
        out["reference_z"] = (x - out["reference_mean_deg"]) / out["reference_sd_deg"]
        out["reference_flag"] = bool(out["reference_z"] > z_threshold)
    return out


def subject_columns(subjects: pd.DataFrame, reference: pd.DataFrame, *, baseline: str) -> pd.DataFrame:
    """``subjects`` (stats/subjects.csv) with ``SUBJECT_REFERENCE_COLUMNS`` on each runner's baseline
    ``cpd_peak_deg`` row (the running task's, where there are tasks); NaN elsewhere."""
    out = subjects.copy()
    for column in SUBJECT_REFERENCE_COLUMNS:
        out[column] = pd.Series(np.nan, index=out.index, dtype=object if column != "reference_z" else float)
    on = (out["condition"] == baseline) & (out["metric"] == METRIC)
    if "task" in out:
        from hipdrop.vocab import RUNNING

        on &= out["task"] == RUNNING
    by_subject = reference.set_index(reference["subject"].astype(str))
    for column in SUBJECT_REFERENCE_COLUMNS:
        out.loc[on, column] = out.loc[on, "subject"].astype(str).map(by_subject[column]).to_numpy()
    return out


def summary_lines(reference: pd.DataFrame, *, z_threshold: float) -> list[str]:
    """The summary's lines on the reference: its source, the runners flagged above ``z_threshold`` on their mean,
    and those flagged on one stance side only (their mean within it), or that none was given."""
    if reference.empty or (reference["reference_source"] == NONE_GIVEN).all():
        return ["reference for peak drop: none given (sheet column group, config stats.reference), so no runner's "
                "baseline was compared with one"]
    z = pd.to_numeric(reference["reference_z"], errors="coerce")
    compared = reference[np.isfinite(z)]
    sources = sorted({_kind(s) for s in compared["reference_source"]})
    flagged = compared[compared["reference_flag"].map(_true)].sort_values("reference_z", ascending=False)
    names = ", ".join(f"{r.subject} (z {r.reference_z:+.1f})" for r in flagged.itertuples())
    line = (f"reference for peak drop ({'; '.join(sources) or 'none usable'}; a reference group's own runners "
            f"compared leave-one-out): {len(compared)} of {len(reference)} runners compared, {len(flagged)} above "
            f"z {z_threshold:g}" + (f": {names}" if names else ""))
    lines = [line]
    sided = _side_flags(reference[~reference["subject"].isin(flagged["subject"])])
    if sided:
        lines.append(f"reference per stance side (each side's baseline mean against the reference's same side): "
                     f"{len(sided)} more runner(s) above z {z_threshold:g} on one side, their mean within it: "
                     + ", ".join(sided))
    missing = reference[~np.isfinite(z)]
    if len(missing):
        lines.append("reference not compared: " + "; ".join(f"{r.subject} ({r.reference_source})"
                                                            for r in missing.itertuples()))
    return lines


def _true(value) -> bool:
    """A flag column's value (bool, None, NaN, or "True"/"False" as read back from a CSV) as a bool."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value) if value is not None and not pd.isna(value) else False


def _side_flags(reference: pd.DataFrame) -> list[str]:
    """``S04 right stance (z +2.8)`` for each runner and side flagged (``reference_flag_<side>``)."""
    out = []
    for r in reference.to_dict("records"):
        for side, name in SIDES.items():
            column = side_column("reference_flag", side)
            if column in r and _true(r[column]):
                out.append(f"{r['subject']} {name} (z {r[side_column('reference_z', side)]:+.1f})")
    return out


def _kind(source) -> str:
    """A ``reference_source`` without its runner-specific part: ``sheet group 'reference'`` from ``sheet group
    'reference', n=11, leave-one-out: ...``, ``config table, 3-3.5 m/s (norms)`` as it is."""
    return str(source).split(": ")[0].replace(", leave-one-out", "").rsplit(", n=", 1)[0]


def page_line(subject: str, reference: pd.DataFrame) -> str:
    """The runner page's sentence on the runner's baseline peak drop against the reference, with each stance
    side's z where it was compared."""
    rows = reference[reference["subject"].astype(str) == str(subject)]
    if rows.empty:
        return "Baseline peak drop against a reference: not assessed"
    r = rows.iloc[0]
    if not np.isfinite(r["reference_z"]):
        return f"Baseline peak drop against a reference: not compared ({r['reference_source']})"
    verdict = "ABOVE the reference's threshold" if _true(r["reference_flag"]) else "within the reference's range"
    sides = []
    for side, name in SIDES.items():
        z = r.get(side_column("reference_z", side), np.nan)
        if z is not None and np.isfinite(z):
            above = " ABOVE" if _true(r.get(side_column("reference_flag", side))) else ""
            sides.append(f"{name} {r[side_column('baseline_peak_deg', side)]:.1f} deg, z {z:+.2f}{above}")
    return (f"Baseline peak drop {r['baseline_peak_deg']:.1f} deg against the reference ({r['reference_source']}: "
            f"{r['reference_mean_deg']:.1f} +/- {r['reference_sd_deg']:.1f} deg): z {r['reference_z']:+.2f}, {verdict}"
            + (f"; per stance side against the reference's same side: {'; '.join(sides)}" if sides else ""))


def methods_text(stats: dict, reference: pd.DataFrame | None) -> str:
    """The methods' sentences on the reference comparison (config ``stats``; ``reference``: stats/reference.csv,
    whose sources say which reference was used)."""
    settings = reference_settings(stats)
    if reference is None or reference.empty or (reference["reference_source"] == NONE_GIVEN).all():
        return ("**Reference.** No reference for peak drop was given (sheet group "
                f"'{settings['group']}' or config stats.reference.table), so no runner's baseline was compared.")
    sources = sorted({_kind(s) for s in reference["reference_source"]} - {_kind(NONE_GIVEN)})
    return (
        f"**Reference.** Each runner's baseline peak drop (mean of its included baseline stances) was compared "
        f"with a reference ({'; '.join(sources)}) as z = (x - mean) / SD and flagged above z "
        f"{settings['z_threshold']:g}; runners of a reference group were compared with the group without "
        "themselves (leave-one-out), and the share of the reference expected below a runner was taken from "
        "Crawford & Howell's (1998) t for a single case against a small sample. Because hip drop is often "
        "one-sided, each stance side's baseline mean was compared in the same way with the reference's means of "
        "that side (or the table's row) and flagged on its own.")
