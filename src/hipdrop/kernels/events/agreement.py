"""Marker events against reference events (force plates, the file's stored events): each reference event beside the
nearest marker event of the same side, the error in ms (the quality figure and qc/event_agreement.csv)."""

from __future__ import annotations

import numpy as np
import pandas as pd

AGREEMENT_COLUMNS = ["method", "reference", "side", "event", "reference_s", "kinematic_s", "error_ms", "strike_type"]


def event_agreement(
    reference: pd.DataFrame, kinematic: pd.DataFrame, *, method: str, reference_name: str = "force", tolerance_s: float = 0.15
) -> pd.DataFrame:
    """Each reference event (force plates, or the events the file stores) with the nearest marker-based event of
    the same side and kind within ``tolerance_s``: kinematic minus reference time in ms (NaN when none is that
    close). ``method`` names the marker-based detector, ``reference_name`` the reference."""
    rows = []
    sides, events, times = (kinematic[c].to_numpy() for c in ("side", "event", "time_s"))
    kinds = kinematic["strike_type"].to_numpy() if "strike_type" in kinematic else np.full(len(kinematic), "unknown")
    ref_sides, ref_events, ref_times = (reference[c].to_numpy() for c in ("side", "event", "time_s"))
    for side, event in sorted(set(zip(ref_sides, ref_events))):  # the order pandas' groupby gave
        mine = (sides == side) & (events == event)
        candidates, candidate_kinds = times[mine], kinds[mine]
        for t in ref_times[(ref_sides == side) & (ref_events == event)]:
            k = int(np.argmin(np.abs(candidates - t))) if len(candidates) else -1
            close = k >= 0 and abs(candidates[k] - t) <= tolerance_s
            rows.append((method, reference_name, side, event, t, candidates[k] if close else np.nan,
                         1000.0 * (candidates[k] - t) if close else np.nan, candidate_kinds[k] if close else ""))
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)
