"""The EMG's place in the report: its methods paragraph and its line on a runner's page, both only for a run whose
stance table holds EMG (docs/science.md section 13); a run without EMG reads as it did before."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hipdrop.stats.emg import MVC, NORM, PCT, normalise_emg, raw_emg_columns


def emg_mean_columns(parquet_path) -> list[str]:
    """The ``emg_<muscle>_mean`` columns a stance table file holds (read from its schema, no rows read), and its
    runners' MVC amplitudes ``emg_<muscle>_mvc_mv`` where the sheet named MVC files."""
    import pyarrow.parquet as pq

    names = pq.read_schema(parquet_path).names
    return ([c for c, (_, stat) in raw_emg_columns(names).items() if stat == "mean"]
            + [c for c in names if c.startswith("emg_") and c.endswith(MVC)])


def _muscles_with_values(stances: pd.DataFrame | None) -> dict[str, tuple[int, int]]:
    """muscle -> (stances with a stance-mean envelope, runners with one)."""
    if stances is None:
        return {}
    found = {}
    for column, (muscle, stat) in raw_emg_columns(stances.columns).items():
        values = pd.to_numeric(stances[column], errors="coerce")
        has = np.isfinite(values)
        if stat == "mean" and has.any():
            found[muscle] = (int(has.sum()), int(stances.loc[has, "subject"].nunique()))
    return found


def methods_parts(config: dict, stances: pd.DataFrame | None) -> list[str]:
    """The methods' EMG paragraph and a blank line, or nothing when no stance has EMG."""
    found = _muscles_with_values(stances)
    if not found:
        return []
    emg, baseline = config["emg"], config["stats"]["baseline"]
    counts = "; ".join(f"{m}: {n} stances of {r} runner{'s' if r != 1 else ''}" for m, (n, r) in found.items())
    analysed = (" Effects of each condition on the normalised measures were estimated by the same two analyses as "
                "for pelvic drop (estimates in percentage points of the baseline mean)." if emg["analysed"] else "")
    text = (
        "**Surface EMG.** Analog channels were matched to muscles by their labels (config emg.muscles), the side "
        "read from an L/R prefix or suffix or given by config emg.sides. Each channel was processed by the standard "
        "chain (SENIAM: Hermens 2000; ISEK: Merletti 1999): offset "
        f"removed, zero-lag Butterworth band-pass {emg['band_hz'][0]:g}-{emg['band_hz'][1]:g} Hz (order "
        f"{emg['order']} per pass, the upper edge kept below 0.9 x Nyquist), full-wave rectified, zero-lag "
        f"Butterworth low-pass at {emg['envelope_hz']:g} Hz (the linear envelope). Per stance of a side, that "
        "side's envelope was averaged and its peak taken over the stance and over the "
        f"{1000 * emg['pre_activation_s']:g} ms before foot strike (pre-activation). Each was normalised to the "
        f"runner's mean stance envelope of that muscle and side in `{baseline}` (Burden 2010).{_mvc_sentence(stances, emg)}"
        f"{analysed} With EMG: {counts}."
    )
    return [text, ""]


def _mvc_sentence(stances: pd.DataFrame, emg: dict) -> str:
    """The methods' sentence on the runners normalised to an MVC trial (sheet column mvc), "" with none."""
    columns = [c for c in stances.columns if str(c).startswith("emg_") and str(c).endswith(MVC)]
    has = np.isfinite(stances[columns].apply(pd.to_numeric, errors="coerce")).any(axis=1) if columns else None
    if has is None or not has.any():
        return ""
    n = int(stances.loc[has, "subject"].nunique())
    return (f" For the {n} runner{'s' if n != 1 else ''} whose trial sheet named a maximal voluntary contraction "
            "(MVC) trial, the reference was instead that trial's amplitude, the highest mean of the same envelope "
            f"over {1000 * emg['mvc_window_s']:g} ms, for each muscle and side it held (% MVC).")


#: the works the EMG paragraph cites, listed with the methods' references when it is there
REFERENCES = [
    "Burden A (2010). How should we normalize electromyograms obtained from healthy participants? What we have "
    "learned from over 25 years of research. J Electromyogr Kinesiol 20:1023-1035.",
    "Hermens HJ, Freriks B, Disselhorst-Klug C, Rau G (2000). Development of recommendations for SEMG sensors and "
    "sensor placement procedures. J Electromyogr Kinesiol 10:361-374.",
    "Merletti R, Di Torino P (1999). Standards for reporting EMG data. J Electromyogr Kinesiol 9(1):III-IV.",
]


def with_references(listed: list[str], stances: pd.DataFrame | None) -> list[str]:
    """``listed`` with the EMG paragraph's references in alphabetical place when the run has EMG (``methods_parts``
    writes the paragraph), else ``listed`` as it is."""
    return sorted([*listed, *REFERENCES]) if _muscles_with_values(stances) else listed


def page_line(subject: str, stances: pd.DataFrame, *, baseline: str) -> str:
    """The runner's EMG in one sentence for the runner page: per muscle and condition the mean stance envelope and
    pre-activation in % of the baseline mean (``hipdrop.stats.emg.normalise_emg``); "" without EMG. ``stances``
    normalised already (its ``<column>_pct`` beside each EMG column, as ``write_runner_pages`` passes the cohort's,
    normalised once) are used as they are."""
    mine = stances[stances["subject"].astype(str) == str(subject)]
    columns = raw_emg_columns(mine.columns)
    if not columns or mine.empty:
        return ""
    if not all(f"{column}{PCT}" in mine for column in columns):
        mine = normalise_emg(mine, baseline=baseline)
    mine = mine[~mine["excluded"].astype(bool)]
    parts, any_mvc = [], False
    for muscle in dict.fromkeys(m for m, _ in raw_emg_columns(mine.columns).values()):
        stance, pre = f"emg_{muscle}_mean{PCT}", f"emg_{muscle}_pre_mean{PCT}"
        if stance not in mine or not np.isfinite(mine[stance]).any():
            continue
        means = mine.groupby("condition")[[stance, pre]].mean()
        conditions = [baseline] * (baseline in means.index) + [c for c in means.index if c != baseline]
        # a runner with an MVC file (sheet column mvc) has that muscle in % MVC: the line says so per muscle
        in_mvc = (mine.get(f"emg_{muscle}{NORM}", pd.Series("", index=mine.index)) == "mvc").any()
        any_mvc |= bool(in_mvc)
        parts.append(f"{muscle}{' (% MVC)' if in_mvc else ''} " + ", ".join(
            f"{c} {means.loc[c, stance]:.0f} (pre {means.loc[c, pre]:.0f})" for c in conditions))
    if not parts:
        return ""
    return ("EMG, mean envelope over stance (and over the pre-activation window) in % of the baseline's stance "
            f"mean{', or of the MVC where marked' if any_mvc else ''}: " + "; ".join(parts))
