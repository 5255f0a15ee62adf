"""The EMG's place in the report: its methods paragraph and its line on a runner's page, both only for a run whose
stance table holds EMG (docs/science.md section 13); a run without EMG reads as it did before."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hipdrop.stats.emg import PCT, normalise_emg, raw_emg_columns


def emg_mean_columns(parquet_path) -> list[str]:
    """The ``emg_<muscle>_mean`` columns a stance table file holds (read from its schema, no rows read)."""
    import pyarrow.parquet as pq

    names = pq.read_schema(parquet_path).names
    return [c for c, (_, stat) in raw_emg_columns(names).items() if stat == "mean"]


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
        f"runner's mean stance envelope of that muscle and side in `{baseline}` (Burden 2010).{analysed} "
        f"With EMG: {counts}."
    )
    return [text, ""]


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
    pre-activation in % of the baseline mean (``hipdrop.stats.emg.normalise_emg``); "" without EMG."""
    mine = stances[stances["subject"].astype(str) == str(subject)]
    if not raw_emg_columns(mine.columns) or mine.empty:
        return ""
    mine = normalise_emg(mine, baseline=baseline)
    mine = mine[~mine["excluded"].astype(bool)]
    parts = []
    for muscle in dict.fromkeys(m for m, _ in raw_emg_columns(mine.columns).values()):
        stance, pre = f"emg_{muscle}_mean{PCT}", f"emg_{muscle}_pre_mean{PCT}"
        if stance not in mine or not np.isfinite(mine[stance]).any():
            continue
        means = mine.groupby("condition")[[stance, pre]].mean()
        conditions = [baseline] * (baseline in means.index) + [c for c in means.index if c != baseline]
        parts.append(f"{muscle} " + ", ".join(
            f"{c} {means.loc[c, stance]:.0f} (pre {means.loc[c, pre]:.0f})" for c in conditions))
    if not parts:
        return ""
    return ("EMG, mean envelope over stance (and over the pre-activation window) in % of the baseline's stance "
            "mean: " + "; ".join(parts))
