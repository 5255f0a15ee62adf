"""Gait events from a C3D EVENT group, in every encoding met in ../shared/data/c3d.

Encodings seen: ``Foot Strike``/``Foot Off`` labels with ``Left``/``Right`` contexts (Vicon Nexus); names such as
``LHS``/``RTO`` in CONTEXTS with empty LABELS (c3dio short.c3d); the same in LABELS with empty CONTEXTS
(Qualisys); lower case (c3d.org Vicon_analysis); ``General`` contexts for non-gait events (kept out).
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd

from hipdrop.vocab import FOOT_OFF, FOOT_STRIKE

EVENT_COLUMNS = ["side", "event", "frame", "time_s", "source"]

_STRIKE = re.compile(r"(foot ?strike|heel ?strike|initial ?contact|\bhs\b|\bfs\b|\bic\b|strike|contact)")
_OFF = re.compile(r"(foot ?off|toe ?off|\bto\b|\bfo\b|\boff\b)")
# "LHS", "RTO", "L_FS", "Right-FO": a side letter glued to a short code
_CODE = re.compile(r"^(?P<side>[lr])[ _.-]?(?P<code>hs|fs|ic|to|fo)\d*$")


@lru_cache(maxsize=256)  # a file repeats a handful of (label, context) pairs many times
def _classify(label: str, context: str) -> tuple[str | None, str | None]:
    """(side, event) of one EVENT entry, or (None, None) when it is not a foot event."""
    label_l, context_l = label.strip().lower(), context.strip().lower()
    side = {"left": "L", "right": "R"}.get(context_l.split()[0] if context_l else "")
    for text in (label_l, context_l):
        code = _CODE.match(re.sub(r"\s+", "", text))
        if code:
            kind = FOOT_STRIKE if code["code"] in ("hs", "fs", "ic") else FOOT_OFF
            return side or code["side"].upper(), kind
    text = f"{context_l} {label_l}"
    if side is None:
        side = "L" if re.search(r"\bleft\b", text) else "R" if re.search(r"\bright\b", text) else None
    kind = FOOT_OFF if _OFF.search(text) else FOOT_STRIKE if _STRIKE.search(text) else None
    return (side, kind) if side and kind else (None, None)


def _as_list(group: dict, key: str, n: int) -> list[str]:
    value = list(group.get(key, {}).get("value", []))
    return [str(v) for v in value] + [""] * (n - len(value))


def parse_event_group(parameters: dict, *, rate_hz: float, first_frame: int, n_frames: int) -> tuple[pd.DataFrame, list[str]]:
    """Foot events of the EVENT group as a table sorted by time.

    ``first_frame`` is the 1-based C3D frame number of the first stored frame. Event times are capture-relative
    seconds, so the sample index is ``round(t * rate) - first_frame`` (c3d.org gait-pig-nz starts at frame > 1).
    Events outside the stored frames are dropped with a warning.
    """
    group = parameters.get("EVENT", {})
    times = np.asarray(group.get("TIMES", {}).get("value", np.zeros((2, 0))), dtype=float)
    if times.ndim == 1:  # a single event can arrive flattened
        times = times.reshape(2, -1)
    used = int(np.ravel(group.get("USED", {}).get("value", [times.shape[1]]))[0]) if times.size else 0
    n = min(used, times.shape[1])
    seconds = times[0, :n] * 60.0 + times[1, :n]  # row 0 holds minutes, row 1 seconds (C3D user guide)
    labels, contexts = _as_list(group, "LABELS", n), _as_list(group, "CONTEXTS", n)
    rows, warnings, seen = [], [], set()
    for label, context, t in zip(labels, contexts, seconds):
        side, kind = _classify(label, context)
        if kind is None:
            continue
        frame = int(round(t * rate_hz)) - first_frame
        if not 0 <= frame < n_frames:
            warnings.append(f"event {context} {label} at {t:.3f} s lies outside the stored frames; ignored")
        elif (side, kind, frame) not in seen:  # the same event written twice (e.g. two subjects' copies)
            seen.add((side, kind, frame))
            rows.append((t, side, kind, frame))
    rows.sort(key=lambda r: (r[0], r[1]))
    table = pd.DataFrame({
        "side": [r[1] for r in rows], "event": [r[2] for r in rows],
        "frame": np.array([r[3] for r in rows], dtype=np.int64), "time_s": np.array([r[0] for r in rows], dtype=float),
        "source": ["c3d"] * len(rows),
    })
    return table, warnings
