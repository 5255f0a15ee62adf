"""EMG envelopes normalised to each runner's baseline (docs/science.md section 13), for subjects.csv and the effects.

The stance table holds each muscle's envelope statistics in mV (``emg_<muscle>_mean``, ``_peak``, ``_pre_mean``,
``_pre_peak``; ``hipdrop.kernels.emg``). Amplitudes in mV differ between electrodes, skin and days far more than
between conditions, so they are compared as a share of a reference: here the runner's own mean stance envelope in
the baseline condition, per muscle and side (the "mean dynamic" normalisation; Burden 2010, J Electromyogr Kinesiol
20:1023). Every statistic of a muscle and side is divided by that one reference, so the baseline's ``_mean_pct``
averages 100 and the others are in the same unit (% of the baseline's mean stance activation).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from hipdrop.kernels.emg import EMG_STATS

_RAW = re.compile(rf"^emg_(?P<muscle>.+?)_(?P<stat>{'|'.join(sorted(EMG_STATS, key=len, reverse=True))})$")
#: the suffix of a normalised column
PCT = "_pct"
#: a muscle's MVC amplitude beside each stance (mV), and the column naming each row's reference: mvc or baseline
MVC = "_mvc_mv"
NORM = "_norm"


def raw_emg_columns(columns) -> dict[str, tuple[str, str]]:
    """The stance table's EMG columns in mV: column -> (muscle, statistic)."""
    found = {}
    for column in columns:
        match = _RAW.match(str(column))
        if match:
            found[str(column)] = (match["muscle"], match["stat"])
    return found


def normalise_emg(stances: pd.DataFrame, *, baseline: str, mvc: bool = True) -> pd.DataFrame:
    """``stances`` with ``<column>_pct`` beside each EMG column: 100 x value / the runner's reference for that muscle
    and side, the mean of ``emg_<muscle>_mean`` over the runner's included (not excluded) ``baseline`` stances of
    that side with a value, or where the row has one, its runner's MVC amplitude ``emg_<muscle>_mvc_mv`` (% MVC).
    ``emg_<muscle>_norm`` says which: ``mvc``, ``baseline``, or "" where the runner has neither (NaN values). Rows
    keep their order; a table without EMG columns comes back unchanged. ``mvc`` False: every runner to their
    baseline mean, MVCs or not (for effects that must not pool % MVC with % of baseline)."""
    columns = raw_emg_columns(stances.columns)
    if not columns or stances.empty:
        return stances
    out = stances.copy()
    keys = ["subject", "side"]
    reference_rows = out[(out["condition"] == baseline) & ~out["excluded"].astype(bool)]
    for muscle in dict.fromkeys(m for m, _ in columns.values()):
        mean_column = f"emg_{muscle}_mean"
        if mean_column not in out:
            continue
        values = pd.to_numeric(reference_rows[mean_column], errors="coerce")
        reference = values[np.isfinite(values) & (values > 0)].groupby([reference_rows[k] for k in keys]).mean()
        per_row = out[keys].join(reference.rename("reference"), on=keys)["reference"].astype(float)
        # a runner's MVC of this muscle on the stance's side (sheet column mvc; hipdrop.cohort.batches.with_mvc)
        # replaces the baseline mean: % MVC; the norm column says which reference each row's values have
        amplitude = pd.to_numeric(out.get(f"emg_{muscle}{MVC}", pd.Series(np.nan, index=out.index)), errors="coerce")
        use_mvc = np.isfinite(amplitude) & (amplitude > 0) & mvc
        per_row = per_row.where(~use_mvc, amplitude)
        out[f"emg_{muscle}{NORM}"] = np.where(use_mvc, "mvc", np.where(np.isfinite(per_row), "baseline", ""))
        for column, (m, _) in columns.items():
            if m == muscle:
                out[column + PCT] = 100.0 * pd.to_numeric(out[column], errors="coerce") / per_row
    return out


def normalised_for_statistics(stances: pd.DataFrame, *, baseline: str) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """``stances`` normalised for reporting (``normalise_emg``: % MVC where the runner has one, else % of their
    baseline mean), the same for the effects (every runner to their baseline mean when only some runners have an MVC,
    so that no effect averages changes in two units; the reporting table otherwise), and the EMG metrics."""
    reported = normalise_emg(stances, baseline=baseline)
    for_effects = normalise_emg(stances, baseline=baseline, mvc=False) if mixed_normalisation(reported) else reported
    return reported, for_effects, emg_metrics(reported)


def emg_metrics(stances: pd.DataFrame) -> list[str]:
    """The normalised EMG columns of ``stances`` (``normalise_emg``'s) that hold at least one finite value: the
    metrics subjects.csv and the effects add for a study with EMG, none for one without."""
    return [c for c in stances.columns if c.endswith(PCT) and c[: -len(PCT)] in raw_emg_columns([c[: -len(PCT)]])
            and np.isfinite(pd.to_numeric(stances[c], errors="coerce")).any()]


def normalisation_column(table: pd.DataFrame, stances: pd.DataFrame) -> pd.DataFrame:
    """``table`` (subjects.csv's: ``subject``, ``metric`` per row) with ``emg_normalisation`` beside each EMG
    metric's rows: ``mvc`` (% of the runner's MVC), ``baseline`` (% of the runner's baseline mean stance envelope),
    or both joined by ``+`` where the runner's two sides differ (an MVC file with one side's channel); "" on the
    other metrics' rows. ``stances`` is ``normalise_emg``'s. A table without EMG metrics comes back unchanged."""
    norms = [c for c in stances.columns if str(c).startswith("emg_") and str(c).endswith(NORM)]
    emg_rows = table["metric"].astype(str).str.endswith(PCT) if "metric" in table else pd.Series(False, index=table.index)
    if not norms or not emg_rows.any():
        return table
    known = {}
    for column in norms:
        muscle = column[len("emg_"): -len(NORM)]
        for subject, values in stances.groupby("subject")[column]:
            known[(str(subject), muscle)] = "+".join(sorted({v for v in values if v}))
    muscle_of = {m: raw_emg_columns([m[: -len(PCT)]]).get(m[: -len(PCT)], ("", ""))[0]
                 for m in table.loc[emg_rows, "metric"].astype(str).unique()}
    return table.assign(emg_normalisation=[
        known.get((str(s), muscle_of.get(str(m), "")), "") if is_emg else ""
        for s, m, is_emg in zip(table["subject"], table["metric"], emg_rows)])


def mixed_normalisation(stances: pd.DataFrame) -> list[str]:
    """The muscles whose runners are not all normalised alike (some to an MVC, some to their baseline), in
    ``normalise_emg``'s table: their effects pool two units, which the effects' log says."""
    out = []
    for column in (c for c in stances.columns if str(c).startswith("emg_") and str(c).endswith(NORM)):
        kinds = set(stances.loc[stances[column] != "", column])
        if len(kinds) > 1:
            out.append(column[len("emg_"): -len(NORM)])
    return out
