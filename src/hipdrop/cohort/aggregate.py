"""The cohort's tables from its batches' tables: stance tables, curves and event agreement joined in the sheet's order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from hipdrop.cohort.summary import summary_line
from hipdrop.io.results import ID_COLUMNS, join_csv_files, join_curve_files, join_parquet_files
from hipdrop.kernels.stances import CURVES_NAME
from hipdrop.kernels.windows.table import WINDOW_COLUMNS
from hipdrop.vocab import STANCE

#: the sheet's design columns, carried into every stance row of their trial
DESIGN_COLUMNS = ["target_cadence_change_pct", "arm_swing", "arm_swing_target", "time_into_run_min", "group", "speed_m_s"]


def order_columns(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with the identifying columns (``ID_COLUMNS``) it has first, the rest in their order."""
    first = [c for c in ID_COLUMNS if c in table.columns]
    return table[first + [c for c in table.columns if c not in first]]


def empty_stances() -> pd.DataFrame:
    """A stance table with no rows and the identifying, window and design columns, for a cohort with no stance."""
    return pd.DataFrame(columns=ID_COLUMNS + WINDOW_COLUMNS + DESIGN_COLUMNS)


def concat_curves(parts: list[xr.DataArray]) -> xr.DataArray | None:
    """The trials' time-normalised curves joined along the stance dimension, renumbered 0..n-1; None if none has one."""
    parts = [p for p in parts if p is not None and p.sizes[STANCE]]
    if not parts:
        return None
    joined = xr.concat(parts, dim=STANCE)
    return joined.assign_coords({STANCE: np.arange(joined.sizes[STANCE])})


def aggregate_batches(inputs: dict[str, list[str]], outputs: dict[str, str], *, curve_points: int) -> tuple[str, int]:
    """The cohort's files from the batches' (the keys of the ``aggregate_stances`` rule's input and output), one
    batch in memory at a time. Returns the run's one-line summary and the number of quarantined trials."""
    join_parquet_files(inputs["stances"], outputs["parquet"], outputs["csv"])
    join_curve_files(inputs["curves"], outputs["curves"], empty=empty_curves(curve_points))
    join_csv_files(inputs["agreement"], outputs["agreement"], derived={outputs["agreement_summary"]: agreement_summary})
    n_quarantined = join_csv_files(inputs["quarantine"], outputs["quarantine"])
    # one row per trial (~0.3 kB), read whole for the summary line
    join_csv_files(inputs["trials"], outputs["trials"])
    trials = pd.read_csv(outputs["trials"], usecols=["status"])
    return summary_line(trials, outputs["quarantine"]), n_quarantined


def empty_curves(points: int) -> xr.DataArray:
    """A curves array with no stances (a subject whose every trial was quarantined)."""
    return xr.DataArray(np.empty((0, points)), dims=(STANCE, "pct"), coords={STANCE: [], "pct": np.linspace(0, 100, points)},
                        name=CURVES_NAME)


def agreement_summary(agreement: pd.DataFrame) -> pd.DataFrame:
    """Per trial, method, reference (force plates or the file's stored events) and event kind: reference events,
    how many a marker event matched, and the median and median absolute error (ms) of the matched ones."""
    keys = [*ID_COLUMNS, "method", "reference", "event"]
    if agreement.empty:
        return pd.DataFrame(columns=[*keys, "n_reference", "n_matched", "median_error_ms", "median_abs_error_ms"])
    grouped = agreement.assign(abs_error_ms=agreement["error_ms"].abs()).groupby(keys, as_index=False)
    return grouped.agg(n_reference=("reference_s", "size"), n_matched=("error_ms", "count"),
                       median_error_ms=("error_ms", "median"), median_abs_error_ms=("abs_error_ms", "median"))
