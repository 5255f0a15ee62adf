"""What ``hipdrop inspect`` says about one trial: the markers the analysis reads first (pelvis, feet, wrists,
trunk), each with its raw label and canonical name, its gaps, what the clean stage does with them under a config
(spline fill, rigid-body rebuild, left missing), and for the pelvis how many stances each marker's filled or
missing samples exclude; then the other markers.

The treatment is not guessed: ``marker_report`` runs the clean step as the pipeline does (the implausible samples
made missing by ``hipdrop.trial.process.plausible_markers``, then ``hipdrop.kernels.gaps.repair_markers`` with the
pipeline's arguments) on the trial and reads off what it removed, filled, rebuilt and left missing. The stance counts
come from the stance table of ``hipdrop.trial.process.process_trial`` run with the same config. Pure functions: no file
IO, no printing.
"""

from __future__ import annotations

import json
import re
import textwrap

import numpy as np
import pandas as pd
import xarray as xr

from hipdrop.errors import TrialError
from hipdrop.io.markersets import normalise
from hipdrop.kernels.arrays import contiguous_runs
from hipdrop.kernels.compensations import SHOULDER_MARKERS, THORAX_MARKERS, fppa_sources, trunk_source
from hipdrop.kernels.gaps import repair_markers
from hipdrop.kernels.plausibility import IMPLAUSIBLE_KINDS
from hipdrop.trial.process import ANALYSED_MARKERS, implausible_meta, pelvis_landmarks, plausible_markers, wrist_source
from hipdrop.vocab import AXIS, MARKER, PELVIS_MARKERS, SIDES

#: the thorax and shoulder markers of the trunk lean (hipdrop.kernels.compensations)
TRUNK_MARKERS = (*THORAX_MARKERS, *SHOULDER_MARKERS)
MARKER_GROUPS = {
    "pelvis": (*PELVIS_MARKERS, "SACR"),
    "feet": tuple(m for m in ANALYSED_MARKERS if m[1:] in ("HEE", "TOE", "MT1", "MT5", "ANK")),
    "wrists": tuple(m for m in ANALYSED_MARKERS if m[1:] in ("WRA", "WRB", "WRI")),
    "trunk": TRUNK_MARKERS,
    "knees": tuple(m for m in ANALYSED_MARKERS if m[1:] in ("KNE", "KNM", "MED")),
}
#: the words of ``stance_table``'s exclusion reasons that blame the pelvis data, by the kind of sample they blame
PELVIS_REASONS = {"missing": "missing pelvis data", "rebuilt": "pelvis marker rebuilt", "filled": "pelvis data filled"}
#: what a group's absence costs the analysis
ABSENT_MEANS = {"pelvis": " (no pelvis angles: the analysis fails)", "feet": " (events only from the file or force plates)",
                "wrists": " (no arm swing)", "trunk": " (no trunk lean)", "knees": " (no knee FPPA)"}
#: what each group's heading says it is for
GROUP_HEADINGS = {"knees": "knees and medial malleoli"}
#: a group's landmarks in a sentence: "r knee 1 looks like a knee marker"
LANDMARK_WORD = {"pelvis": "pelvis", "feet": "foot", "wrists": "wrist", "trunk": "trunk", "knees": "knee"}
#: labels no marker-set map knows that look like a group's landmarks (normalised as ``markersets.normalise``: a
#: side, a landmark's usual abbreviation, a medial/lateral word, a number): "r knee 1", "LWRIST", "l should"
_LOOKS_LIKE = {
    "pelvis": ("asi", "asis", "psi", "psis", "sacr", "sacrum"),
    "feet": ("hee", "heel", "toe", "mt1", "mt5", "met", "ank", "ankle", "mal", "mall", "malleolus", "cal"),
    "wrists": ("wr", "wra", "wrb", "wri", "wrist"),
    "trunk": ("c7", "clav", "strn", "sternum", "t10", "sho", "should", "shoulder", "acromion"),
    "knees": ("kne", "knee", "knm"),
}
LOOKS_LIKE = {group: re.compile(r"(?:l|r|left|right|lt|rt)?(?:" + "|".join(stems) + r")(?:medial|lateral|med|lat)?\d*")
              for group, stems in _LOOKS_LIKE.items()}
#: at most this many names in the text line of the other markers (``--json`` lists them all)
OTHER_MARKERS_SHOWN = 40


def raw_labels(names: list[str], marker_map: dict[str, str]) -> dict[str, str]:
    """The label each marker has in the file, from its canonical name and the trial's ``marker_map`` (raw label ->
    canonical name, labels in file order). Unmapped labels keep their own (prefix-free) spelling as their name."""
    queues: dict[str, list[str]] = {}
    for raw, canonical in marker_map.items():
        queues.setdefault(canonical, []).append(raw)
    out = {}
    for name in names:
        queue = queues.get(name.split("#")[0])
        out[name] = queue.pop(0) if queue else name
    return out


def group_use(group: str, names) -> tuple[str, str]:
    """(what a marker group gives the analysis, what it cannot give and why) for a trial's marker names, asked of
    the rules the analysis itself follows (``compensations.trunk_source``, ``fppa_sources``,
    ``pipeline.wrist_source``): inspect never promises a trunk lean the trial does not compute."""
    if group == "trunk":
        how, why = trunk_source(names)
        return (f"trunk lean from the {how}" if how else ""), (f"no trunk lean: {why}" if why else "")
    if group == "wrists":
        how, why = wrist_source(names)
        return (f"arm swing from {how}" if how else ""), (f"no arm swing: {why}" if why else "")
    if group == "knees":
        sources = fppa_sources(names)
        use = "; ".join(f"{s} knee FPPA from the {sources[f'source_{s}']}" for s in SIDES if sources[f"source_{s}"])
        why = "; ".join(f"no {s} knee FPPA: {sources[f'missing_{s}']}" for s in SIDES if sources[f"missing_{s}"])
        return use, why
    return "", ""


def lookalikes(group: str, labels: list[str]) -> list[str]:
    """The ``labels`` (not mapped to a canonical name) that look like landmarks of ``group``."""
    return [label for label in labels if LOOKS_LIKE[group].fullmatch(normalise(label))]


def _s(n: int, word: str = "gap") -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _which(gaps: list[tuple[int, bool]], max_gap: int, max_gap_s: float) -> str:
    """Which gaps these are: longer than the spline limit, at the recording's start or end, or both."""
    long = any(length > max_gap for length, _ in gaps)
    edge = any(length <= max_gap and at_edge for length, at_edge in gaps)
    if long and edge:
        return f"> {max_gap_s:g} s or at the start or end"
    return f"> {max_gap_s:g} s" if long else "at the start or end of the recording"


def _treatment(kinds: dict[str, list[tuple[int, bool]]], *, max_gap: int, max_gap_s: float, kept: bool, name: str,
               rigid_possible: bool, left_s: float, whole: bool, max_filled: int | None = None,
               implausible: dict[str, int] | None = None) -> str:
    """What the clean stage does with a marker's gaps (``kinds``: (length, at an edge) of each gap by what became
    of it). ``max_filled``: for a marker the pelvis is built from, the longest spline fill (frames) a stance may
    hold; longer fills are counted."""
    removed = ""
    if implausible:
        removed = (f"{_s(sum(implausible.values()), 'implausible sample')} removed "
                   f"({', '.join(f'{kind} {n}' for kind, n in implausible.items())}); ")
    if whole:
        return removed + ("no plausible sample" if implausible else "no sample recorded") + ": left missing"
    if not any(kinds.values()):
        return "complete"
    parts = [removed.rstrip("; ")] if removed else []
    if kinds["spline"]:
        text = f"{_s(len(kinds['spline']))} <= {max_gap_s:g} s filled by cubic spline"
        too_long = sum(length > max_filled for length, _ in kinds["spline"]) if max_filled is not None else 0
        if too_long:
            text += f" ({too_long} longer than stances.max_filled_s)"
        parts.append(text)
    if kinds["rebuilt"]:
        parts.append(f"{_s(len(kinds['rebuilt']))} {_which(kinds['rebuilt'], max_gap, max_gap_s)}: "
                     "rebuilt as a rigid body from the other pelvis markers")
    if kinds["partly"]:
        parts.append(f"{_s(len(kinds['partly']))} {_which(kinds['partly'], max_gap, max_gap_s)}: rebuilt as a rigid "
                     f"body only where the other three pelvis markers are visible, {left_s:.3f} s left missing")
    if kinds["missing"]:
        if not kept:
            parts.append(f"{_s(len(kinds['missing']))} left missing (the analysis does not gap-fill this marker)")
        else:
            which = _which(kinds["missing"], max_gap, max_gap_s)
            why = ""
            if max_gap_s == 0:
                why = " (clean.max_gap_s = 0: nothing is filled)"
            elif name in PELVIS_MARKERS:
                why = (" (the other pelvis markers are not all visible then)" if rigid_possible else
                       " (no rigid-body rebuild without all four of LASI, RASI, LPSI, RPSI)")
            elif which.startswith("at the start"):
                why = " (a spline does not extrapolate)"
            parts.append(f"{_s(len(kinds['missing']))} {which} left missing{why}")
    return "; ".join(parts)


def _pelvis_exclusions(stances: pd.DataFrame, needed: list[str], spline: dict, rebuilt: dict, left: dict,
                       max_filled: int) -> tuple[dict[str, list[str]], list[str]]:
    """Stances excluded for pelvis data, attributed to the markers whose spline fills (in a run longer than
    ``max_filled`` frames, counted whole as ``stance_table`` counts it), rigid-body rebuilds or missing samples
    touch the stance; a stance may be attributed to several markers. Returns {marker: [stance labels]} and the
    pelvis-excluded stances no marker explains."""
    blamed = {m: [] for m in needed}
    unexplained = []
    n = len(next(iter(spline.values()))) if spline else 0
    union = np.any([spline[m] for m in needed], axis=0) if needed else np.zeros(n, bool)
    long_runs = [(s, e) for s, e in contiguous_runs(union) if e - s > max_filled]
    for row in stances.itertuples(index=False):
        reason = str(row.exclude_reason)
        if not row.excluded or "pelvis" not in reason or row.off_frame < 0:
            continue
        a, b = int(row.strike_frame), int(row.off_frame)
        who = set()
        for m in needed:
            if PELVIS_REASONS["missing"] in reason and left[m][a : b + 1].any():
                who.add(m)
            if PELVIS_REASONS["rebuilt"] in reason and rebuilt[m][a : b + 1].any():
                who.add(m)
            if PELVIS_REASONS["filled"] in reason and any(s <= b and e > a and spline[m][s:e].any() for s, e in long_runs):
                who.add(m)
        label = f"{row.side}{row.stance_index}"
        for m in who:
            blamed[m].append(label)
        if not who:
            unexplained.append(label)
    return blamed, unexplained


def marker_report(trial: xr.Dataset, config: dict, stances: pd.DataFrame | None = None) -> dict:
    """Per-marker facts of a trial under a validated ``config``.

    Returns ``analysed`` (one record per marker of ``MARKER_GROUPS`` in the file, in group order: ``group``,
    ``name``, ``raw``, ``missing_fraction`` (stored gaps and implausible samples), ``implausible_samples``
    ({kind: samples made missing}), ``gaps``, ``longest_gap_s``, ``spline_filled_gaps``, ``rebuilt_gaps``
    (wholly or in part), ``left_missing_gaps`` (wholly or in part), ``rebuilt_s``, ``left_missing_s``,
    ``treatment``; pelvis markers also ``builds_pelvis`` and, given ``stances``, ``stances_excluded`` and
    ``excluded_stances``), ``other`` (``name``, ``raw``, ``missing_fraction``), ``pelvis_markers`` (those the
    pelvis is built from), ``absent_groups``, ``groups`` (per group ``use`` and ``not_used``, from ``group_use``,
    and ``lookalikes``: unmapped labels that look like its landmarks), ``unattributed_stances`` and
    ``implausible_samples`` ({kind: samples} over the analysed markers). Gaps count the implausible samples too: the clean stage sees them so.
    """
    checked = plausible_markers(trial, config["plausibility"])
    codes = checked["implausible"]
    markers = checked["markers"]
    names = [str(n) for n in markers[MARKER].values]
    raw = raw_labels(names, json.loads(trial.attrs.get("marker_map", "{}")))
    rate = float(trial.attrs["rate_hz"])
    max_gap_s = float(config["clean"]["max_gap_s"])
    max_gap = int(np.floor(max_gap_s * rate + 1e-9))  # frames, as fill_short_gaps counts them
    max_filled = int(np.floor(float(config["stances"]["max_filled_s"]) * rate + 1e-9))
    used = [m for m in names if m in ANALYSED_MARKERS]
    missing = markers.isnull().any(AXIS).transpose(..., MARKER).to_numpy()  # [time, marker]
    column = {m: missing[:, i] for i, m in enumerate(names)}
    n_frames = missing.shape[0]
    spline, rebuilt, left = {}, {}, {}
    if used:
        repaired = repair_markers(markers, keep=used, rate_hz=rate, max_gap_s=max_gap_s)
        still = repaired["markers"].isnull().any(AXIS)
        for m in used:
            rebuilt[m] = repaired["rebuilt"].sel({MARKER: m}).to_numpy().astype(bool)
            spline[m] = repaired["filled"].sel({MARKER: m}).to_numpy().astype(bool) & ~rebuilt[m]
            left[m] = still.sel({MARKER: m}).to_numpy().astype(bool)
    try:
        needed = pelvis_landmarks(markers, trial.attrs.get("source_path", ""))
    except TrialError:
        needed = []
    rigid_possible = set(PELVIS_MARKERS) <= set(names) and max_gap_s > 0
    blamed, unexplained = ({}, [])
    if stances is not None and needed:
        blamed, unexplained = _pelvis_exclusions(stances, needed, spline, rebuilt, left, max_filled)

    analysed, absent = [], []
    for group, members in MARKER_GROUPS.items():
        present = [m for m in members if m in names]
        if not present:
            absent.append(group)
        for m in present:
            gaps = column[m]
            kept = m in used
            nothing = np.zeros(n_frames, bool)
            m_rebuilt, m_left = rebuilt.get(m, nothing), left.get(m, gaps)
            kinds = {"spline": [], "rebuilt": [], "partly": [], "missing": []}
            runs = contiguous_runs(gaps)
            for s, e in runs:
                n_rebuilt, n_left = int(m_rebuilt[s:e].sum()), int(m_left[s:e].sum())
                kind = ("spline" if n_rebuilt == 0 and n_left == 0 else "rebuilt" if n_left == 0
                        else "partly" if n_rebuilt else "missing")
                kinds[kind].append((int(e - s), bool(s == 0 or e == n_frames)))
            left_s = float(m_left.sum()) / rate
            marker_codes = codes.sel({MARKER: m}).to_numpy() if m in codes[MARKER].values else np.zeros(n_frames, int)
            removed = {kind: int((marker_codes == i + 1).sum()) for i, kind in enumerate(IMPLAUSIBLE_KINDS)}
            removed = {kind: n for kind, n in removed.items() if n}
            record = {
                "group": group, "name": m, "raw": raw[m],
                "missing_fraction": round(float(gaps.mean()), 5) if n_frames else 0.0,
                "implausible_samples": removed,
                "gaps": int(len(runs)),
                "longest_gap_s": round(float((runs[:, 1] - runs[:, 0]).max()) / rate, 3) if len(runs) else 0.0,
                "spline_filled_gaps": len(kinds["spline"]),
                "rebuilt_gaps": len(kinds["rebuilt"]) + len(kinds["partly"]),
                "left_missing_gaps": len(kinds["missing"]) + len(kinds["partly"]),
                "rebuilt_s": round(float(m_rebuilt.sum()) / rate, 3),
                "left_missing_s": round(left_s, 3),
                "treatment": _treatment(kinds, max_gap=max_gap, max_gap_s=max_gap_s, kept=kept, name=m,
                                        rigid_possible=rigid_possible, left_s=left_s,
                                        whole=bool(n_frames and gaps.all()),
                                        max_filled=max_filled if m in needed else None, implausible=removed),
            }
            # stances this marker's fills, rebuilds or missing samples exclude: pelvis markers the pelvis is built
            # from, when the trial could be analysed (None otherwise)
            record["builds_pelvis"] = m in needed
            counted = stances is not None and m in needed
            record["excluded_stances"] = blamed.get(m, []) if counted else []
            record["stances_excluded"] = len(record["excluded_stances"]) if counted else None
            analysed.append(record)
    counts = implausible_meta(checked)
    shown = {r["name"] for r in analysed}
    other = [{"name": m, "raw": raw[m], "missing_fraction": round(float(column[m].mean()), 5) if n_frames else 0.0}
             for m in names if m not in shown]
    # what each group gives the analysis, and the labels no map names that look like its landmarks
    unmapped = [r["raw"] for r in other if r["raw"] == r["name"] and "#" not in r["name"]]
    groups = {group: dict(zip(("use", "not_used"), group_use(group, names)), lookalikes=lookalikes(group, unmapped))
              for group in MARKER_GROUPS}
    return {"analysed": analysed, "other": other, "pelvis_markers": needed, "absent_groups": absent, "groups": groups,
            "unattributed_stances": unexplained,
            "implausible_samples": {kind: counts[f"implausible_{kind}"] for kind in IMPLAUSIBLE_KINDS}}


def stance_summary(stances: pd.DataFrame) -> dict:
    """Stance counts of one trial: all, included, excluded for pelvis data, excluded for other reasons only, and
    the commonest of those other reasons ("" when none)."""
    excluded = stances["excluded"].astype(bool)
    pelvis = excluded & stances["exclude_reason"].astype(str).str.contains("pelvis")
    return {"stances": int(len(stances)), "included": int((~excluded).sum()),
            "excluded_pelvis_data": int(pelvis.sum()), "excluded_other": int((excluded & ~pelvis).sum()),
            "other_reason": commonest_reason(stances[excluded & ~pelvis])}


def commonest_reason(stances: pd.DataFrame) -> str:
    """The exclusion reason most of ``stances`` carry ("" for none): why a trial lost its stances, in a line."""
    reasons = stances["exclude_reason"].dropna().astype(str)
    reasons = reasons[reasons != ""]
    return str(reasons.value_counts().index[0]) if len(reasons) else ""


def _pct(fraction: float) -> str:
    pct = 100.0 * fraction
    return "0 %" if pct == 0 else f"{pct:.2f} %" if pct < 1 else f"{pct:.1f} %"


def _label(record: dict) -> str:
    return record["name"] if record["raw"] == record["name"] else f"{record['raw']} -> {record['name']}"


def emg_report(trial, config: dict) -> dict:
    """The file's EMG channels as the analysis finds them (``hipdrop.kernels.emg.find_emg_channels`` with config
    ``emg``): per channel its label, muscle, side, analog rate (Hz) and unit; the notes on labels left out (no
    side, a second channel of a muscle and side, an unknown unit); and how many other analog channels (not a force
    plate's) there are. Empty lists without analog channels."""
    from hipdrop.trial.emg import analog_emg_channels

    if "analogs" not in trial:
        return {"channels": [], "notes": [], "other_analogs": 0}
    analogs = trial["analogs"]
    found, notes = analog_emg_channels(analogs, config["emg"])
    rate = float(analogs.attrs["rate_hz"])
    return {"channels": [{"label": c["label"], "muscle": c["muscle"], "side": c["side"], "rate_hz": rate,
                          "unit": c["unit"]} for c in found],
            "notes": notes, "other_analogs": analogs.sizes["analog_channel"] - len(found)}


def format_text(report: dict, width: int = 118) -> list[str]:
    """The lines ``hipdrop inspect`` prints for a readable file (``report`` as ``hipdrop inspect --json`` gives it)."""
    cfg, analysis = report["config"], report["analysis"]
    lines = [
        report["file"],
        f"  {report['frames']} frames at {report['rate_hz']:g} Hz ({report['duration_s']} s), first frame "
        f"{report['first_frame']}, units {report['units']}, vertical axis {report['vertical_axis']}",
    ]
    ev = ", ".join(f"{r['side']} {r['event']} x{r['n']}" for r in report["events"])
    lines.append(f"  events stored in the file: {ev or 'none'}; force plates: {report['force_plates']}")
    n_used = len(report["analysed_markers"])
    lines.append(f"  {report['markers']} markers: {n_used} of them read by the analysis (below), "
                 f"{len(report['other_markers'])} others")
    where = f"config {cfg['file']}" if cfg["file"] else "default config"
    if analysis["ok"]:
        windows = "stances" if analysis.get("task", "running") == "running" else f"{analysis['task']} windows"
        text = f"  analysis ({where}): {analysis['stances']} {windows}, {analysis['included']} included"
        if analysis["excluded_pelvis_data"]:
            text += f", {analysis['excluded_pelvis_data']} excluded for filled or missing pelvis data (by marker: below)"
        if analysis["excluded_other"]:
            text += f", {analysis['excluded_other']} excluded for other reasons (most often: {analysis['other_reason']})"
        lines.append(text + f"; events from {analysis['event_source'] or 'none'}")
        for w in analysis.get("windows", []):
            state = f"excluded: {w['exclude_reason']}" if w["excluded"] else f"peak drop {w['cpd_peak_deg']:.2f} deg"
            lines.append(f"    {w['side']} {w['start_s']:.3f}-{w['end_s']:.3f} s, {state}")
        if analysis.get("no_windows"):
            lines.append(f"    no window: {analysis['no_windows']}")
        dropped = analysis.get("dropped_windows", [])
        if dropped:
            lines.append(f"  {len(dropped)} candidate window(s) dropped, not counted above:")
        for d in dropped:
            lines.append(f"    {d['side'] or 'both feet'} {d['start_s']:.3f}-{d['end_s']:.3f} s, dropped: {d['reason']}")
    else:
        lines.append(f"  analysis ({where}) fails at the {analysis['stage']} stage: {analysis['problem']}")
    implausible = report.get("implausible_samples", {})
    if any(implausible.values()):
        lines.append(f"  implausible samples made missing (as gaps, then filled or not by the rules below): "
                     f"{sum(implausible.values())} ({', '.join(f'{kind} {n}' for kind, n in implausible.items() if n)})")
    for w in report["warnings"]:
        lines.append(f"  warning: {w}")
    if analysis.get("event_warnings"):
        lines.append(f"  stored events not trusted: {analysis['event_warnings']}")
    if analysis.get("clean_warnings"):
        lines.append(f"  warning: {analysis['clean_warnings']}")

    records = report["analysed_markers"]
    labels = [_label(r) for r in records]
    lw = max([len(s) for s in labels] + [22])
    head = f"  {'markers the analysis uses':<{lw + 2}}  {'missing':>7}  {'gaps':>4}  {'longest':>7}  "
    lines += ["", head + f"clean stage (clean.max_gap_s = {cfg['clean_max_gap_s']:g} s)"]
    indent = " " * len(head)
    groups = report.get("marker_groups", {})
    for group in MARKER_GROUPS:
        mine = [(lab, r) for lab, r in zip(labels, records) if r["group"] == group]
        facts = groups.get(group, {})
        # unrecognised is not absent: labels no map names that look like the group's landmarks
        like = textwrap.wrap(f"{', '.join(facts['lookalikes'])} look like {LANDMARK_WORD[group]} markers but no "
                             "marker-set map names them (add them to one: config key markersets)", width=width,
                             initial_indent="    ", subsequent_indent="      ",
                             break_on_hyphens=False) if facts.get("lookalikes") else []
        if not mine:
            lines.append(f"  {group}: none {'mapped' if like else 'in the file'}{ABSENT_MEANS.get(group, '')}")
            lines += like
            continue
        if group == "pelvis":
            lines += textwrap.wrap(
                "pelvis: a stance is excluded where a pelvis marker it is built from is missing, rebuilt as a rigid "
                f"body, or spline-filled for more than stances.max_filled_s = {cfg['stances_max_filled_s']:g} s",
                width=width, initial_indent="  ", subsequent_indent="    ", break_on_hyphens=False)
        else:  # what the group gives and what it cannot, as the analysis decides it
            said = "; ".join(x for x in (facts.get("use"), facts.get("not_used")) if x)
            lines += textwrap.wrap(f"{GROUP_HEADINGS.get(group, group)}{f' ({said})' if said else ''}", width=width,
                                   initial_indent="  ", subsequent_indent="    ", break_on_hyphens=False)
        lines += like
        for lab, r in mine:
            text = r["treatment"]
            if group == "pelvis":
                if not r["builds_pelvis"]:
                    text += "; not used for the pelvis"
                elif r["stances_excluded"] is not None:
                    k = r["stances_excluded"]
                    text += f"; excludes {_s(k, 'stance') if k else 'no stance'}"
            longest = f"{r['longest_gap_s']:.3f} s" if r["gaps"] else "-"
            row = f"    {lab:<{lw}}  {_pct(r['missing_fraction']):>7}  {r['gaps']:>4}  {longest:>7}  "
            wrapped = textwrap.wrap(text, width=max(width - len(row), 40), break_on_hyphens=False) or [""]
            lines.append(row + wrapped[0])
            lines += [indent + more for more in wrapped[1:]]
    if analysis["ok"] and report.get("unattributed_stances"):
        lines.append(f"  (stances excluded for pelvis data that no single marker explains: "
                     f"{', '.join(report['unattributed_stances'])})")

    other = report["other_markers"]
    if other:
        gappy = sorted((r for r in other if r["missing_fraction"] > 0), key=lambda r: -r["missing_fraction"])
        complete = [r for r in other if r["missing_fraction"] == 0]
        items = [f"{_label(r)} {_pct(r['missing_fraction'])}" for r in gappy] + [_label(r) for r in complete]
        more = len(items) - OTHER_MARKERS_SHOWN
        items = items[:OTHER_MARKERS_SHOWN] + ([f"... {more} more (--json lists all)"] if more > 0 else [])
        summary = (f"{len(gappy)} with gaps (missing share), {len(complete)} complete" if gappy
                   else f"all {len(complete)} complete")
        lines += ["", *_joined(f"  other markers (not used by the analysis): {summary}: ", items, width)]
    emg = report.get("emg")
    if emg is not None:  # beside the markers: the analog channels the EMG analysis reads (config emg.muscles)
        channels = [f"{c['side']} {c['muscle']} = {c['label']!r} ({c['rate_hz']:g} Hz, {c['unit'] or 'no unit'})"
                    for c in emg["channels"]]
        head = (f"  EMG channels (config emg.muscles): {len(channels)}; other analog channels (not a force plate's): "
                f"{emg['other_analogs']}" + (": " if channels else ""))
        lines += ["", *(_joined(head, channels, width) if channels else [head])]
        lines += [f"    {note}" for note in emg["notes"]]
    return lines


def _joined(first: str, items: list[str], width: int, indent: str = "    ") -> list[str]:
    """``items`` joined by commas into lines of at most ``width`` characters, never breaking inside an item."""
    lines, line = [], first
    for k, item in enumerate(items):
        piece = item + ("," if k < len(items) - 1 else "")
        if len(line) + len(piece) > width and line.strip():
            lines.append(line.rstrip())
            line = indent
        line += piece + " "
    return lines + [line.rstrip()]
