"""Single-leg balance: each continuous hold on one leg is a window (``hipdrop.kernels.windows``)."""

from __future__ import annotations

import xarray as xr

from hipdrop.kernels.windows.support import candidate_window, contact_source, record_dropped, support_runs
from hipdrop.vocab import SIDES, TIME


def balance_windows(
    support: xr.DataArray, contacts: dict[str, list[dict]], *, rate_hz: float, min_hold_s: float,
    dropped: list[dict] | None = None,
) -> list[dict]:
    """Every continuous single-leg hold of at least ``min_hold_s``: one window from its first to its last frame.

    A hold the recording cuts (it starts in the first frame or ends in the last) is kept, excluded: its duration
    and its metrics cover only part of it. Shorter holds are not windows at all: they are steps, not holds; each
    is appended to ``dropped`` (where given) with its side, first and last frame and the reason.
    """
    n = support.sizes[TIME]
    windows = []
    for side in SIDES:
        for a, b in support_runs(support, side):
            if (b - a) / rate_hz < min_hold_s:
                record_dropped(dropped, side, a, b - 1,
                               f"a hold of {(b - a) / rate_hz:.2f} s, shorter than min_hold_s {min_hold_s:g} s")
                continue
            reasons = []
            if a == 0:
                reasons.append("the hold is cut by the start of the recording")
            if b == n:
                reasons.append("the hold is cut by the end of the recording")
            windows.append(candidate_window(side, a, b - 1, contact_source(contacts[side], a), reasons))
    return sorted(windows, key=lambda w: w["start"])
