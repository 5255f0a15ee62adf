"""Statistics per task: a cohort may mix running with single-leg squats, balance or landings, and a condition
(baseline, a cadence change, a strengthening programme) means something only within its task. Every analysis runs
on one task's windows at a time and its rows carry a leading ``task`` column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pandas as pd

from hipdrop.vocab import RUNNING

TASK = "task"


def by_task(table: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
    """``(task, rows)`` for each task in ``table``, running first; a table without a ``task`` column (written
    before tasks existed) is all running."""
    if TASK not in table:
        yield RUNNING, table
        return
    tasks = sorted(table[TASK].dropna().unique(), key=lambda t: (t != RUNNING, t))
    for task in tasks:
        yield task, table[table[TASK] == task]


def per_task(table: pd.DataFrame, analyse: Callable[[pd.DataFrame], pd.DataFrame], *,
             only: Callable[[str], bool] = lambda task: True) -> pd.DataFrame:
    """``analyse`` on each task's rows (the tasks ``only`` accepts), concatenated with the task as first column."""
    parts = [analyse(rows).assign(**{TASK: task}) for task, rows in by_task(table) if only(task)]
    parts = [p for p in parts if len(p)] or parts[:1]
    if not parts:
        return pd.DataFrame(columns=[TASK])
    out = pd.concat(parts, ignore_index=True)
    return out[[TASK, *(c for c in out.columns if c != TASK)]]


def running_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The running task's rows (all rows of a table without tasks); none when the run has no running."""
    return table if TASK not in table else table[table[TASK] == RUNNING]


def is_running(task: str) -> bool:
    """Cadence and arm swing (adherence, confounds, dose-response) are running's modifications."""
    return task == RUNNING


def with_task_labels(table: pd.DataFrame, *, column: str = "condition") -> pd.DataFrame:
    """``table`` with ``column`` read "task: value" when it holds several tasks (one figure for all of them), else
    unchanged."""
    if TASK not in table or table[TASK].nunique() < 2:
        return table
    return table.assign(**{column: table[TASK].astype(str) + ": " + table[column].astype(str)})
