"""The report's captions in numbers: one short paragraph per figure stating what this run found.

Each function takes the run's tables (as written to ``results/``) and returns plain text, a line per condition,
that is also valid reStructuredText; the figure rules put it before the figure's fixed description
(``workflow/report/*.rst``).
Wording never claims more than the table does: an effect whose 95 % CI crosses zero "changed" the metric by its
estimate with "no clear change", and counts of runners are counts, not inferences.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from hipdrop.io.results import atomic_path
from hipdrop.stats.exclusions import reason_kinds
from hipdrop.stats.responders import responder_counts
from hipdrop.stats.tasks import RUNNING, by_task

#: how the metrics read in prose
METRIC_NAMES = {
    "cpd_peak_deg": "peak drop", "cpd_excursion_deg": "drop excursion",
    "cpd_peak_deg_static_ref": "peak drop (static-referenced)",
}


def metric_name(metric: str) -> str:
    """The reader's name of a stance-table metric ("peak pelvic drop"); an unknown metric keeps its column name."""
    return METRIC_NAMES.get(metric, metric)


def condition_label(condition: str, manipulation: pd.DataFrame | None = None) -> str:
    """The condition's name and, when the manipulation check knows it, what it asked for ("cadence +10 %")."""
    if manipulation is None or manipulation.empty:
        return condition
    rows = manipulation[manipulation["condition"] == condition]
    if rows.empty:
        return condition
    row = rows.iloc[0]
    asked = []
    target = row.get("target_cadence_change_pct", float("nan"))
    if pd.notna(target) and target != 0:
        asked.append(f"cadence {target:+g} %")
    if "arm_swing" in rows and isinstance(row["arm_swing"], str) and row["arm_swing"] != "normal":
        asked.append(f"arm swing {row['arm_swing']}")
    return f"{condition} ({', '.join(asked)})" if asked else condition


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _term_condition(term: str) -> str:
    """``condition[cadence_plus10]`` -> ``cadence_plus10``."""
    return term.split("[", 1)[1].rstrip("]") if "[" in term else term


def effect_sentence(row, *, label: str, metric: str) -> str:
    """One condition's effect in words, with its CI and Holm-adjusted p; direction stated only when the CI
    excludes zero."""
    what = metric_name(metric)
    if not row.estimable:
        return f"{label}: {what} not estimable ({row.reason})."
    ci = f"95 % CI {row.ci_low:+.2f} to {row.ci_high:+.2f}, {_p(row.p_holm)} Holm-adjusted, {row.n_subjects} runners"
    if row.ci_high < 0:
        return f"{label} lowered {what} by {-row.estimate_deg:.2f} deg ({ci})."
    if row.ci_low > 0:
        return f"{label} raised {what} by {row.estimate_deg:.2f} deg ({ci})."
    return f"{label} changed {what} by {row.estimate_deg:+.2f} deg, no clear change ({ci})."


def _runner_directions(responders: pd.DataFrame, condition: str, metric: str) -> str:
    """"in 7 of 8 runners (6 beyond their MDC95)" for the direction of the mean change."""
    rows = responders[(responders["condition"] == condition) & (responders["metric"] == metric)]
    changes = rows["change_deg"].dropna()
    if changes.empty:
        return ""
    lower = int((changes < 0).sum())
    improved = int((rows["responder"] == "improved").sum())
    return (f" Mean {metric_name(metric)} fell in {lower} of {len(changes)} runners ({improved} by more than their "
            "MDC95).")


def effects_caption(effects: pd.DataFrame, responders: pd.DataFrame, manipulation: pd.DataFrame | None = None, *,
                    metric: str = "cpd_peak_deg") -> str:
    """Every condition's effect on ``metric`` by the mixed model (the primary analysis), with the
    repeated-measures estimate beside it and how many runners' own means fell; per task when the run has several."""
    rows = effects[effects["metric"] == metric]
    if rows.empty:
        return f"No effect on {metric_name(metric)} was estimated in this run."
    tasks = dict(by_task(rows))
    checks = dict(by_task(manipulation)) if manipulation is not None else {}
    changes = dict(by_task(responders))
    sentences = []
    for task, task_rows in tasks.items():
        for term, both in task_rows.groupby("term", sort=True):
            condition = _term_condition(term)
            label = condition_label(condition, checks.get(task))
            if len(tasks) > 1:
                label = f"{task}: {label}"
            primary = both[both["analysis"] == "mixed model"]
            row = next((primary if not primary.empty else both).itertuples())
            sentence = effect_sentence(row, label=label, metric=metric)
            for other in both[both["analysis"] != row.analysis].itertuples():
                if other.estimable:
                    sentence += (f" The {_ANALYSES.get(other.analysis, other.analysis)} gives "
                                 f"{other.estimate_deg:+.2f} deg (95 % CI {other.ci_low:+.2f} to {other.ci_high:+.2f}).")
            sentences.append(sentence + _runner_directions(changes.get(task, responders.iloc[0:0]), condition, metric))
    return "\n".join(sentences)


_ANALYSES = {"rm-anova": "repeated-measures analysis of runner means"}


def adherence_caption(manipulation: pd.DataFrame, *, baseline: str) -> str:
    """What each condition asked for, what runners achieved (median and range), how many were adherent, how many
    confounded."""
    sentences = []
    manipulation = dict(by_task(manipulation)).get(RUNNING, manipulation.iloc[0:0])  # cadence and arm swing: running's
    for condition, rows in manipulation[manipulation["condition"] != baseline].groupby("condition", sort=True):
        label = condition_label(condition, manipulation)
        achieved = rows["achieved_cadence_change_pct"].dropna()
        adherent = rows["adherent"].dropna().astype(bool)
        confounded = int(rows["confounded"].fillna(False).astype(bool).sum())
        sentence = (f"{label}: cadence changed by a median {achieved.median():+.1f} % (range {achieved.min():+.1f} "
                    f"to {achieved.max():+.1f} %)" if len(achieved) else f"{label}: no achieved cadence")
        swing = rows["arm_swing_change_pct"].dropna() if "arm_swing_change_pct" in rows else pd.Series(dtype=float)
        if len(swing):
            sentence += f", arm swing by a median {swing.median():+.0f} %"
        sentence += f"; {int(adherent.sum())} of {len(adherent)} runners adherent, {confounded} confounded."
        sentences.append(sentence)
    return "\n".join(sentences) or "No condition besides the baseline in this run."


def runners_caption(responders: pd.DataFrame, *, metric: str = "cpd_peak_deg") -> str:
    """Responder classes per condition (change against each runner's MDC95), per task when there are several."""
    tasks = dict(by_task(responders[responders["metric"] == metric])) if not responders.empty else {}
    lines = []
    for task, rows in tasks.items():
        prefix = f"{task}: " if len(tasks) > 1 else ""
        lines += [f"{prefix}{row.condition}: {row.improved} improved, {row.unchanged} unchanged, {row.worsened} worsened"
                  + (f", {row.not_assessable} not assessable" if row.not_assessable else "")
                  + f" (change in {metric_name(metric)} against each runner's MDC95)"
                  for row in responder_counts(rows.drop(columns="task", errors="ignore")).itertuples()]
    return "\n".join(lines) or f"No runner could be classified on {metric_name(metric)}."


def dose_response_caption(dose_response: pd.DataFrame) -> str:
    """The population slope of the metric on achieved cadence change, also per 10 %, over the range achieved."""
    sentences = []
    for row in dose_response[dose_response["level"] == "population"].itertuples():
        what = metric_name(row.metric)
        if not row.estimable:
            sentences.append(f"Dose-response of {what}: not estimable ({row.reason}).")
            continue
        sentences.append(
            f"Each 1 % of cadence achieved changed {what} by {row.slope_deg_per_pct:+.3f} deg (95 % CI "
            f"{row.ci_low:+.3f} to {row.ci_high:+.3f}, {_p(row.p)}), {10 * row.slope_deg_per_pct:+.2f} deg per 10 %, "
            f"over achieved changes of {row.achieved_min_pct:+.1f} to {row.achieved_max_pct:+.1f} % in "
            f"{row.n_subjects} runners.")
    return "\n".join(sentences) or "No dose-response was fitted in this run."


def waveforms_caption(clusters: pd.DataFrame) -> str:
    """Per condition: the supra-threshold clusters of SPM{t} (extent in % of stance, p) or none."""
    sentences = []
    tasks = dict(by_task(clusters))
    for task, condition, rows in ((t, c, r) for t, part in tasks.items() for c, r in part.groupby("condition", sort=True)):
        condition = f"{task}: {condition}" if len(tasks) > 1 else condition
        first = rows.iloc[0]
        if not bool(first["estimable"]):
            sentences.append(f"{condition}: no SPM ({first['reason']}).")
            continue
        found = rows[rows["cluster"] > 0] if "cluster" in rows else rows.iloc[0:0]
        runners = f"{int(first['n_subjects'])} runners"
        dropped = first.get("subjects_dropped")
        if isinstance(dropped, str) and dropped:
            runners += f"; left out: {dropped}"
        if found.empty:
            sentences.append(f"{condition}: no supra-threshold cluster (t* = {first['threshold_t']:.2f}, {runners}).")
            continue
        spans = " and ".join(f"{c.start_pct:.0f}-{c.end_pct:.0f} % of stance ({c.direction}, peak t {c.peak_t:+.1f}, "
                             f"{_p(c.p)})" for c in found.itertuples())
        sentences.append(f"{condition} differs from baseline over {spans}; t* = {first['threshold_t']:.2f}, {runners}.")
    return "\n".join(sentences) or "No waveform comparison in this run."


def quality_caption(stances: pd.DataFrame, quarantine: pd.DataFrame, agreement: pd.DataFrame) -> str:
    """Stances kept and excluded (by the commonest kinds of reason), quarantined trials, and the event agreement."""
    n, excluded = len(stances), int(stances["excluded"].sum()) if len(stances) else 0
    text = f"{n - excluded} of {n} stances analysed, {excluded} excluded"
    if excluded:
        reasons = reason_kinds(stances.loc[stances["excluded"].astype(bool), "exclude_reason"])
        text += " (" + ", ".join(f"{k}: {v}" for k, v in reasons.head(3).items()) + ")"
    text += f"; {len(quarantine)} trial{'s' if len(quarantine) != 1 else ''} quarantined"
    if len(quarantine):
        stages = quarantine["stage"].value_counts()
        text += " (" + ", ".join(f"{k}: {v}" for k, v in stages.items()) + ")"
    text += "."
    if len(agreement) and "median_abs_error_ms" in agreement:
        # the configured detector; Zeni's, computed beside it for comparison, is in the figure and the CSV
        own = agreement[agreement["method"] != "zeni"] if (agreement["method"] != "zeni").any() else agreement
        for (reference, event), rows in own.groupby(["reference", "event"], sort=True):
            matched, expected = int(rows["n_matched"].sum()), int(rows["n_reference"].sum())
            errors = rows["median_abs_error_ms"].dropna()
            if len(errors) and not math.isnan(errors.median()):
                text += (f"\nMarker {event.replace('_', ' ')}s ({rows['method'].iloc[0]} detector) against "
                         f"{_REFERENCES.get(reference, reference)}: "
                         f"{matched} of {expected} matched, median absolute error {errors.median():.1f} ms over "
                         f"{rows[['subject', 'condition', 'trial']].drop_duplicates().shape[0]} trials.")
    return text


_REFERENCES = {"force": "force plates", "c3d": "the events stored in the files"}


def write_caption(path: str | Path, numbers: str, description: str | Path) -> None:
    """Write a report caption: the run's numbers first (a bullet per line of ``numbers``: per condition), then the
    figure's fixed description (an .rst file)."""
    bullets = "\n".join(f"- {line}" for line in numbers.strip().splitlines())
    text = f"**This run:**\n\n{bullets}\n\n{Path(description).read_text().strip()}\n"
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text)
