"""Single-leg landing: from the landing foot's initial contact for a set time is a window
(``hipdrop.kernels.windows``)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from hipdrop.kernels.windows.support import candidate_window, record_dropped, support_runs
from hipdrop.vocab import OTHER_SIDE, SIDES, TIME


def landing_windows(
    support: xr.DataArray, contacts: dict[str, list[dict]], *, rate_hz: float, window_s: float, min_window_s: float,
    min_contact_s: float, dropped: list[dict] | None = None,
) -> list[dict]:
    """One window per landing on one foot: from the landing foot's initial contact to ``window_s`` after it, or
    until single-leg support ends (the other foot touches down, or the landing foot leaves) if that comes first.

    Notes
    -----
    A landing is a contact whose start the recording holds, at which the other foot is lifted clear
    (``single_leg_support``) and has not been standing: in no contact that began ``min_contact_s`` or more before
    it. The body comes from flight. (A foot let down beside a box while the other still stands on it is lower than
    the standing foot and may hold still there, as in lasem_FAILT01_SLDJ04 just before the drop: the standing
    foot's contact tells the two apart. A free foot that stops in the air with the body at the impact begins its
    own "rest" with the landing, and does not.) It is excluded, with the reason, when single-leg support lasts less than
    ``min_window_s`` after contact (a two-footed landing), or when the recording ends before ``window_s``.
    Contacts on one foot that are no landing (the other foot had been standing: a step) are appended to
    ``dropped`` (where given), with why; contacts made with both feet down are not candidates.
    """
    n = support.sizes[TIME]
    windows = []
    for side in SIDES:
        runs = support_runs(support, side)
        for c in contacts[side]:
            contact = float(c["start"])
            first = int(np.ceil(contact - 1e-9))
            run = runs[(runs[:, 0] <= first) & (runs[:, 1] > first)] if len(runs) else runs
            standing = [o for o in contacts[OTHER_SIDE[side]]
                        if o["start"] <= contact - min_contact_s * rate_hz and o["end"] >= contact]
            if not c["start_seen"] or not len(run) or standing:
                # no contact seen to begin, with the other foot lifted and not standing: no landing
                if c["start_seen"] and len(run):  # on one foot, but the other had been standing: a step
                    record_dropped(dropped, side, contact, c["end"], "a contact on one foot, the other foot in contact "
                                   f"since {(contact - standing[0]['start']) / rate_hz:.2f} s before it: a step, not a "
                                   "landing from flight")
                continue
            last = run[0, 1] - 1  # the last frame of single-leg support
            end = min(contact + window_s * rate_hz, float(last))
            reasons = []
            if (end - contact) / rate_hz < min_window_s:
                reasons.append(f"single-leg support ends {(last + 1 - contact) / rate_hz:.2f} s after initial contact "
                               f"(< {min_window_s:g} s): the other foot came down, or the landing foot left")
            if last == n - 1 and contact + window_s * rate_hz > last:
                reasons.append(f"the recording ends {(n - 1 - contact) / rate_hz:.2f} s after initial contact")
            windows.append(candidate_window(side, contact, end, c["source"], reasons))
    return sorted(windows, key=lambda w: w["start"])
