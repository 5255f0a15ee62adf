"""Gait events from a C3D EVENT group, in every encoding met in tests/data/c3d.

Encodings seen: ``Foot Strike``/``Foot Off`` labels with ``Left``/``Right`` contexts (Vicon Nexus); names such as
``LHS``/``RTO`` in CONTEXTS with empty LABELS (c3dio short.c3d); the same in LABELS with empty CONTEXTS
(Qualisys); lower case (c3d.org Vicon_analysis); ``General`` contexts for non-gait events (kept out).

Stored events are trusted only when they make sense: times written relative to the first stored frame instead of
the capture start are recognised and shifted (``parse_event_group``), and ``stored_event_problems`` names events
that do not alternate strike, off, strike per side.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd

from hipdrop.vocab import FOOT_OFF, FOOT_STRIKE

#: opening words of the warning ``parse_event_group`` gives when it shifts first-frame-relative event times;
#: the pipeline picks that warning out of a trial's ``qc_warnings`` for its QC record
FIRST_FRAME_RELATIVE = "EVENT:TIMES are relative to the first stored frame"
#: alternation problems listed per side before the rest are only counted (a scrambled file would list hundreds)
MAX_LISTED_PROBLEMS = 5

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


def _frames(seconds: np.ndarray, *, rate_hz: float, first_frame: int) -> np.ndarray:
    """Sample indexes of capture-relative times."""
    return np.rint(np.asarray(seconds, dtype=float) * rate_hz).astype(np.int64) - first_frame


def _first_frame_offset(seconds: list[float], *, rate_hz: float, first_frame: int, n_frames: int) -> float:
    """Seconds to add to event times written relative to the first stored frame; 0.0 unless the file shows it.

    The evidence must be unambiguous: every foot event outside the stored frames as written, every one inside
    once offset. A first frame of 1 gives a zero offset (both readings agree), and a mix of inside and outside
    events is not explained by an offset, whose shift is the same for all of them.
    """
    offset = (first_frame - 1) / rate_hz
    if not seconds or offset <= 0:
        return 0.0
    as_written = _frames(seconds, rate_hz=rate_hz, first_frame=first_frame)
    shifted = _frames(np.asarray(seconds) + offset, rate_hz=rate_hz, first_frame=first_frame)
    inside = lambda frames: (frames >= 0) & (frames < n_frames)
    return offset if not inside(as_written).any() and inside(shifted).all() else 0.0


def parse_event_group(parameters: dict, *, rate_hz: float, first_frame: int, n_frames: int) -> tuple[pd.DataFrame, list[str]]:
    """Foot events of the EVENT group as a table sorted by time.

    Event times are capture-relative seconds, so the sample index is ``round(t * rate) - first_frame`` (c3d.org
    gait-pig-nz starts at frame > 1). Some writers store times relative to the first stored frame instead; the
    file itself shows it when every foot event lies outside the stored frames as written and every one lies
    inside once offset by the first frame's time ``(first_frame - 1) / rate``. Such times are shifted to the
    capture clock, with a warning that starts with ``FIRST_FRAME_RELATIVE``. Otherwise (some events inside,
    others outside; or a first frame of 1, where both readings agree) events outside the stored frames are
    dropped, each with a warning.

    Parameters
    ----------
    parameters : dict
        The C3D parameters by group; only ``EVENT`` (``TIMES`` of shape (2, n) minutes and seconds, ``LABELS``,
        ``CONTEXTS``, ``USED``) is read.
    rate_hz : float
        Point frame rate.
    first_frame : int
        1-based C3D frame number of the first stored frame.
    n_frames : int
        Number of stored frames.

    Returns
    -------
    table : pandas.DataFrame
        Columns ``EVENT_COLUMNS``, one row per foot event inside the stored frames, ``time_s`` capture-relative.
    warnings : list of str
        One sentence per dropped event, or one for shifted times.
    """
    group = parameters.get("EVENT", {})
    times = np.asarray(group.get("TIMES", {}).get("value", np.zeros((2, 0))), dtype=float)
    if times.ndim == 1:  # a single event can arrive flattened
        times = times.reshape(2, -1)
    used = int(np.ravel(group.get("USED", {}).get("value", [times.shape[1]]))[0]) if times.size else 0
    n = min(used, times.shape[1])
    seconds = times[0, :n] * 60.0 + times[1, :n]  # row 0 holds minutes, row 1 seconds (C3D user guide)
    labels, contexts = _as_list(group, "LABELS", n), _as_list(group, "CONTEXTS", n)
    foot = [(label, context, t, *_classify(label, context)) for label, context, t in zip(labels, contexts, seconds)]
    foot = [f for f in foot if f[4] is not None]
    rows, warnings, seen = [], [], set()
    offset = _first_frame_offset([f[2] for f in foot], rate_hz=rate_hz, first_frame=first_frame, n_frames=n_frames)
    if offset:
        warnings.append(
            f"{FIRST_FRAME_RELATIVE}, not the capture start: all {len(foot)} foot events lie outside the stored "
            f"frames as written and inside them once offset by the first frame's time, so they were shifted by "
            f"+{offset:.4f} s (first frame {first_frame} at {rate_hz:g} Hz)"
        )
    for label, context, t, side, kind in foot:
        t = t + offset
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


def stored_event_problems(table: pd.DataFrame) -> list[str]:
    """Reasons why a table of stored foot events cannot be trusted; empty when it makes sense.

    Per side, strikes and offs must alternate in time: two strikes without an off between them, two offs in a
    row, or a strike and an off of the same side at one frame mean events were lost, duplicated or mislabelled
    (a left event written as right, an off written as a strike), and stances cut from them would be wrong.

    Parameters
    ----------
    table : pandas.DataFrame
        Events with columns ``side``, ``event`` (``foot_strike``/``foot_off``), ``frame`` and ``time_s``, as
        ``parse_event_group`` returns them.

    Returns
    -------
    list of str
        One sentence per problem, at most ``MAX_LISTED_PROBLEMS`` per side followed by a count of the rest.
    """
    names = {FOOT_STRIKE: "foot strike", FOOT_OFF: "foot off"}
    problems = []
    sides, frames = table["side"].to_numpy(), table["frame"].to_numpy()
    kinds, times = table["event"].to_numpy(), table["time_s"].to_numpy()
    for side in sorted(set(sides)):
        # plain Python over one side's events (tens to hundreds): pandas' groupby cost more than the check
        ours = np.flatnonzero(sides == side)
        events = [(int(frames[i]), float(times[i]), kinds[i]) for i in ours[np.lexsort((times[ours], frames[ours]))]]
        kinds_at: dict[int, set] = {}
        for frame, _, kind in events:
            kinds_at.setdefault(frame, set()).add(kind)
        both = sorted(frame for frame, at in kinds_at.items() if len(at) > 1)
        found = [f"{side} foot strike and foot off at the same frame {frame}" for frame in both]
        # a same-frame pair has no order in time: it is reported above, and left out of the alternation check
        # so that it does not also count as two strikes or two offs in a row
        ordered = [event for event in events if len(kinds_at[event[0]]) == 1]
        for (frame0, time0, kind0), (frame, time, kind) in zip(ordered, ordered[1:]):
            if kind == kind0:
                other = names[FOOT_OFF if kind == FOOT_STRIKE else FOOT_STRIKE]
                found.append(
                    f"{side} {names[kind]}s at frames {frame0} and {frame} ({time0:.3f} s, {time:.3f} s) "
                    f"without a {other} between them"
                )
        problems += found[:MAX_LISTED_PROBLEMS]
        if len(found) > MAX_LISTED_PROBLEMS:
            problems.append(f"{side}: {len(found) - MAX_LISTED_PROBLEMS} more such problems")
    return problems
