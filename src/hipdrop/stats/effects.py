"""Condition effects two ways, as a study reports them: the stride-level mixed model (``hipdrop.stats.models``)
and the repeated-measures ANOVA on subject means the published papers use (``hipdrop.stats.rm_anova``), with the
design checks' confounded runners counted (and, as a sensitivity analysis, left out).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hipdrop.config import schema_default
from hipdrop.stats.models import COMPONENT_COLUMNS, UNESTIMABLE_SOURCE, fit_effects
from hipdrop.stats.rm_anova import rm_anova_effects, runners_without_baseline
from hipdrop.stats.tasks import TASK, by_task

#: a configured metric the stance table holds only under a condition of the design: what it needs
METRIC_NEEDS = {"cpd_peak_deg_static_ref": "a static standing trial per runner (trial sheet column static)"}


def absent_metric_reason(metric: str, *, column: bool = False) -> str:
    """Why every effect on ``metric`` is not estimable when the stance table has no such column (or, ``column``
    True, has it with no value in any stance: e.g. an arm measure of trials without wrist markers)."""
    needs = METRIC_NEEDS.get(metric)
    what = f"no stance has a value of {metric}" if column else f"the stance table has no {metric} column"
    return what + (f": it needs {needs}" if needs else "")


def both_analyses(
    stances: pd.DataFrame, manipulation: pd.DataFrame, *, baseline: str, metrics: list[str],
    min_subjects: int = schema_default("stats.min_subjects"), alpha: float = schema_default("stats.alpha"),
    exclude_confounded: bool = schema_default("stats.exclude_confounded"),
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Effects of every condition on every metric by both analyses (``fit_effects``, ``rm_anova_effects``), with
    ``min_subjects`` and ``alpha`` as there; ``exclude_confounded`` leaves out the runner-conditions
    ``manipulation`` flags confounded (defaults: config ``stats``).

    Returns
    -------
    effects : the rows of both analyses (column ``analysis``: mixed model or rm-anova) with ``n_confounded``,
        the runners of that condition the design check flagged, and ``confounded_excluded``
    components : the mixed model's variance components per metric and condition (for ``hipdrop.stats.power``)
    notes : one sentence per problem a reader must see: runners without baseline, effects not estimable, models
        that replaced fuller ones
    """
    confounded = manipulation[manipulation["confounded"].astype(bool)][["subject", "condition"]]
    used = stances
    if exclude_confounded and len(confounded):
        pairs = pd.MultiIndex.from_frame(confounded)
        used = stances[~pd.MultiIndex.from_frame(stances[["subject", "condition"]]).isin(pairs)]
    parts, components, notes = [], [], []
    missing = runners_without_baseline(stances, baseline=baseline)
    if missing:
        notes.append(f"runner(s) without {baseline} stances, left out of every paired analysis: {', '.join(missing)}")
    for metric in metrics:
        # a configured metric the table lacks gives not-estimable rows that say why, as a too-small sample does
        absent = metric not in used.columns
        data = used.assign(**{metric: np.nan}) if absent else used
        mixed = fit_effects(data, metric=metric, baseline=baseline, alpha=alpha, min_subjects=min_subjects)
        rm = rm_anova_effects(data, metric=metric, baseline=baseline, min_subjects=min_subjects, alpha=alpha)
        if absent or data[metric].isna().all():
            mixed.table["reason"] = rm["reason"] = absent_metric_reason(metric, column=not absent)
        parts += [mixed.table, rm]
        components.append(with_unestimable(mixed.components, mixed.table))
        notes += [f"{metric} {row.term} ({row.analysis}): not estimable: {row.reason}"
                  for row in pd.concat(parts[-2:]).itertuples() if not row.estimable]
        notes += [f"{metric} {row.term}: {row.model_notes}" for row in mixed.table.itertuples() if row.model_notes]
    effects = pd.concat(parts, ignore_index=True)
    counts = confounded.groupby("condition")["subject"].nunique()
    effects["n_confounded"] = effects["term"].str[len("condition[") : -1].map(counts).fillna(0).astype(int)
    effects["confounded_excluded"] = bool(exclude_confounded)
    for condition, n in counts.items():
        notes.append(f"{condition}: {n} runner(s) changed what the condition does not target (confounded; see "
                     f"stats/manipulation.csv){'; left out of the effects' if exclude_confounded else ''}")
    return effects, pd.concat(components, ignore_index=True) if components else pd.DataFrame(columns=COMPONENT_COLUMNS), notes


def with_unestimable(components: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """The mixed model's variance components with a row for every condition it could not estimate: NaN numbers and
    the reason in ``source``, so that variance_components.csv and the power table say why instead of being empty."""
    missing = table[~table["estimable"].astype(bool)]
    rows = pd.DataFrame({"metric": missing["metric"], "condition": missing["term"].str[len("condition[") : -1],
                         "source": UNESTIMABLE_SOURCE + missing["reason"].astype(str)})
    parts = [part for part in (components, rows) if len(part)]
    return pd.concat(parts, ignore_index=True).reindex(columns=COMPONENT_COLUMNS) if parts else components


def effects_per_task(stances: pd.DataFrame, manipulation: pd.DataFrame, **options) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """``both_analyses`` on each task's windows (``hipdrop.stats.tasks``) with that task's manipulation check: the
    effects and components with a leading ``task`` column, the notes prefixed by their task when there are several."""
    checks = dict(by_task(manipulation))
    tasks = list(by_task(stances))
    effects, components, notes = [], [], []
    for task, rows in tasks:
        # a task whose every stance was excluded has no manipulation rows (per_task drops empty parts): nothing flagged
        table, parts, said = both_analyses(rows, checks.get(task, manipulation.iloc[:0]), **options)
        effects.append(table.assign(**{TASK: task}))
        components.append(parts.assign(**{TASK: task}))
        notes += [f"{task}: {note}" if len(tasks) > 1 else note for note in said]
    effects, components = (pd.concat(t, ignore_index=True) for t in (effects, components))
    return (*(t[[TASK, *t.columns.drop(TASK)]] for t in (effects, components)), notes)
