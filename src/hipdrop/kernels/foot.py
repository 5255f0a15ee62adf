"""The foot in running stance: foot progression angle, foot-strike angle and rearfoot eversion, per stance
(docs/science.md section 12).

The Plug-in Gait foot is a line from the heel marker (HEE) to the toe marker (TOE, on the second metatarsal head);
where a lab has no toe marker the mid-point of the first and fifth metatarsal heads (MT1, MT5) stands for it (RBDS,
flash_maxSprint). Both angles come from that line alone:

- **foot progression angle** (FPA): the line's horizontal direction against the direction of travel (the pelvis's
  mean facing direction over the trial, ``hipdrop.kernels.compensations.facing_heading``), positive when the toe
  points out (to the left for the left foot, to the right for the right one), averaged over midstance
  (``MIDSTANCE_PCT``);
- **foot pitch**: the line's elevation above the horizontal, positive toe up. The **foot-strike angle** is the pitch
  at foot strike less the pitch with the foot flat on the ground in the same stance, so that the markers' different
  heights above the sole (heel and toe markers sit 20-35 mm up, unequally, on different shoes) drop out: positive =
  toe up at strike (rearfoot strike), negative = toe down (forefoot strike). Altman & Davis 2012 (Gait Posture
  35:298) defined it the same way against a standing trial and classed above +8 deg rearfoot, below -1.6 deg
  forefoot and between midfoot; the stance's own flat foot replaces the standing trial, which a running trial does
  not always have. The foot is flat where heel and toe are both nearest their lowest in the stance: where the
  higher of the two above its own low is within ``flat_mm`` (config ``events.strike_height_mm``, the running event
  detector's "landed", ``hipdrop.kernels.events.running``) of its least over the stance; the flat pitch is the median over those frames
  (the toe marker sinks further as the foot rolls over the toes late in stance, so "both at their lows" may never
  happen at once: opensim_jogging). Neither the foot's stillest moment
  (a rearfoot striker's toe is still at its apex just after the heel lands: opensim_jogging) nor a fixed share of
  stance (the heel rises from 30 % of stance in the overground sprints) is flat. A heel that never comes down in
  a stance (a sprinter on the toes) still has a lowest point: there the reference is the flattest the foot got, and
  the angle understates a forefoot strike.
- **rearfoot eversion** needs a calcaneus segment against the shank (a multi-segment foot model such as the Oxford
  Foot Model, Carson et al. 2001, J Biomech 34:1299); the Plug-in Gait foot has none, so it is NaN with the reason
  (``rearfoot_problem``). Where the heel carries a marker above the heel marker on the back of the heel (xHET, the
  Running Injury Clinic set's Heel.Top over Heel.Bottom: RBDS) and the shank a cluster of two lateral and two
  medial markers, top and bottom (xSTL, xSTM, xSBL, xSBM: RBDS's Shank.Top/Bottom.Lateral/Medial), the rearfoot
  angle is the classic two-line one (the calcaneus's posterior line against the lower leg's, Clarke et al. 1983,
  Med Sci Sports Exerc 15:376) in the frontal plane of the foot progression and strike angles: each line's angle
  from the vertical, positive when its lower end lies lateral, calcaneus less shank, positive in eversion. Marker
  placement offsets it by a constant, so a stance reports its eversion excursion, the peak over the stance less
  the value at foot strike (the eversion the stance adds, as a runner pronates after contact).

Arrays: markers ``[time, marker, axis]`` mm in a right-handed Z-up lab; angles out over ``[time, side]`` in degrees.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from hipdrop.kernels.compensations import SIDE_COORDS, SIDE_SIGN, facing_heading, pelvis_problem, per_side
from hipdrop.vocab import ANGLE_UNIT, AXIS, MARKER, SIDE, SIDES, TIME

#: midstance (% of stance), over which the foot progression angle is averaged: after the landing part's impact and
#: before the heel rises. **Measured** on the running files of the corpus, the heel marker rests from 15-25 % of
#: stance (RBDS001runT35, 3.5 m/s) and rises again from 30-35 % in the short stances of the overground sprints
#: (dorn_JA1Gait35, flash_maxSprint: 0.12-0.16 s), 55-65 % at treadmill speeds
MIDSTANCE_PCT = (25.0, 50.0)
#: the markers of the rearfoot angle beside the heel marker xHEE: the top of the posterior heel and the shank
#: cluster's top and bottom pairs (see the module docstring)
REARFOOT_MARKERS = tuple(f"{s}{m}" for s in SIDES for m in ("HET", "STL", "STM", "SBL", "SBM"))
#: the per-stance columns ``stance_foot`` adds to the stance table
FOOT_COLUMNS = ["foot_progression_deg", "foot_strike_angle_deg", "rearfoot_eversion_deg", "first_contact", "foot_notes"]
#: the foot part the running event detector saw land first, from its landing-order strike type
#: (``hipdrop.kernels.events.running``: a part landing ``STRIKE_TYPE_MARGIN_S`` before the other leads; closer is
#: both at once, a flat landing; "toe": the forefoot, and the heel never touched down in the stance)
FIRST_CONTACT = {"rearfoot": "heel", "midfoot": "flat", "forefoot": "forefoot", "toe": "forefoot, no heel"}
#: the foot's metrics a runner's condition is summarised and compared by (stats.subjects, config stats.metrics)
FOOT_METRICS = ("foot_progression_deg", "foot_strike_angle_deg")
#: Altman & Davis 2012's classification of the foot-strike angle (deg): above the first rearfoot, below the second
#: forefoot, between midfoot
STRIKE_ANGLE_CLASSES = (8.0, -1.6)
#: marker pairs a foot line is built from, in order of preference: (heel, toe) or (heel, (MT1, MT5))
TOE_SETS = (("TOE",), ("MT1", "MT5"))


def foot_markers(names, side: str) -> tuple[str, tuple[str, ...]] | None:
    """(heel marker, toe markers whose mean is the toe) of a side from the marker names; None without them."""
    names = set(names)
    if f"{side}HEE" not in names:
        return None
    for toe in TOE_SETS:
        if {f"{side}{m}" for m in toe} <= names:
            return f"{side}HEE", tuple(f"{side}{m}" for m in toe)
    return None


def foot_sources(names) -> dict:
    """``source_<side>`` (how the foot line is built) and ``missing_<side>`` (why it cannot be) per side."""
    out = {}
    for s in SIDES:
        used = foot_markers(names, s)
        out[f"source_{s}"] = "" if used is None else f"{used[0]} to {' and '.join(used[1]) if len(used[1]) == 1 else 'mid(' + ', '.join(used[1]) + ')'}"
        out[f"missing_{s}"] = "" if used else f"no foot line (needs {s}HEE and {s}TOE, or {s}HEE, {s}MT1 and {s}MT5)"
    return out


def rearfoot_problem(names, side: str = "L") -> str:
    """Why rearfoot eversion of ``side`` is not measured from these markers ("" when it is)."""
    needed = [f"{side}{m}" for m in ("HEE", "HET", "STL", "STM", "SBL", "SBM")]
    if set(needed) <= set(names):
        return ""
    return ("no calcaneus segment: rearfoot eversion needs a multi-segment foot model's heel markers against the "
            f"shank ({', '.join(needed)}: heel bottom and top, the shank cluster's top and bottom pairs, as in the "
            "Running Injury Clinic set); the Plug-in Gait foot is a heel-to-toe line")


def _rearfoot_np(xyz: np.ndarray, heading, *, names: list[str], blank=()) -> np.ndarray:
    """Rearfoot angle ``[time, side]`` degrees (+ eversion) from ``xyz[time, marker, axis]``; NaN on a side
    without its markers and on the sides in ``blank``."""
    heading = np.asarray(heading, float)
    left = np.stack([-np.sin(heading), np.cos(heading), np.zeros_like(heading)], -1)
    out = np.full(xyz.shape[:-2] + (len(SIDES),), np.nan)
    for k, s in enumerate(SIDES):
        if rearfoot_problem(names, s) or s in blank:
            continue
        p = lambda m: xyz[..., names.index(f"{s}{m}"), :]
        lateral = left * SIDE_SIGN[k]
        tilt = lambda top, bottom: np.arctan2(((bottom - top) * lateral[..., None, :]).sum(-1), top[..., 2] - bottom[..., 2])
        calcaneus = tilt(p("HET"), p("HEE"))
        shank = tilt((p("STL") + p("STM")) / 2, (p("SBL") + p("SBM")) / 2)
        out[..., k] = np.degrees(np.arctan2(np.sin(calcaneus - shank), np.cos(calcaneus - shank)))
    return out


def rearfoot_angles(markers: xr.DataArray, *, heading: xr.DataArray | float | None = None) -> xr.DataArray:
    """Rearfoot angle per side over time (degrees, positive in eversion; see the module docstring), ``[time,
    side]``; NaN on a side without the markers, ``attrs["missing_<side>"]`` saying why. ``heading``: the direction
    of travel (radians about Z), default the pelvis's mean facing direction."""
    names = [str(m) for m in markers[MARKER].values]
    missing = {s: rearfoot_problem(names, s) for s in SIDES}
    if heading is None and not all(missing.values()):
        problem = pelvis_problem(markers)
        missing = {s: missing[s] or (f"no frontal plane: {problem}" if problem else "") for s in SIDES}
        heading = 0.0 if problem else facing_heading(markers)
    # the sides without a rearfoot angle left NaN by the kernel: xarray's where over the result cost 0.4 cpu-ms
    angle = per_side(xr.apply_ufunc(
        _rearfoot_np, markers.transpose(TIME, MARKER, AXIS), 0.0 if heading is None else heading,
        kwargs={"names": names, "blank": [s for s in SIDES if missing[s]]}, input_core_dims=[[TIME, MARKER, AXIS], []],
        output_core_dims=[[TIME, SIDE]], dask="parallelized", output_dtypes=[float],
        dask_gufunc_kwargs={"allow_rechunk": True, "output_sizes": {SIDE: len(SIDES)}},
    ))
    return angle.rename("rearfoot_angle").assign_attrs(units=ANGLE_UNIT, sign="positive in eversion",
                                                       **{f"missing_{s}": missing[s] for s in SIDES})


def _foot_np(xyz: np.ndarray, heading, *, names: list[str], blank=()) -> tuple[np.ndarray, ...]:
    """(progression, pitch, heel height, toe height) ``[time, side]`` from ``xyz[time, marker, axis]``: degrees,
    degrees, mm, mm (NaN without markers, and on the sides in ``blank``: no direction of travel)."""
    heading = np.asarray(heading, float)
    forward = np.stack([np.cos(heading), np.sin(heading)], -1)
    left = np.stack([-np.sin(heading), np.cos(heading)], -1)
    progression = np.full(xyz.shape[:-2] + (len(SIDES),), np.nan)
    pitch, heel_z, toe_z = progression.copy(), progression.copy(), progression.copy()
    for k, s in enumerate(SIDES):
        used = foot_markers(names, s)
        if used is None or s in blank:
            continue
        heel = xyz[..., names.index(used[0]), :]
        toe = sum(xyz[..., names.index(m), :] for m in used[1]) / len(used[1])
        line = toe - heel
        toward_left = np.arctan2((line[..., :2] * left[..., None, :]).sum(-1), (line[..., :2] * forward[..., None, :]).sum(-1))
        progression[..., k] = np.degrees(toward_left) * SIDE_SIGN[k]
        pitch[..., k] = np.degrees(np.arctan2(line[..., 2], np.hypot(line[..., 0], line[..., 1])))
        heel_z[..., k], toe_z[..., k] = heel[..., 2], toe[..., 2]
    return progression, pitch, heel_z, toe_z


def foot_angles(markers: xr.DataArray, *, heading: xr.DataArray | float | None = None) -> xr.Dataset:
    """Foot progression angle and foot pitch per side over time, and where the foot is flat.

    Parameters
    ----------
    markers : ``[time, marker, axis]`` mm with xHEE and xTOE (or xMT1 and xMT5), ``time`` in s; the pelvis landmarks
        unless ``heading`` is given
    heading : the direction of travel (radians about Z); default the pelvis's mean facing direction
        (``facing_heading``), which on a treadmill or a runway is the direction of running

    Returns
    -------
    Dataset of ``foot_progression`` (deg, + toe out), ``foot_pitch`` (deg, + toe up), ``heel_height`` and
    ``toe_height`` (mm, the heel point and toe point of the line) over ``[time, side]``; NaN on a side without a foot line,
    attrs ``source_<side>`` and ``missing_<side>`` say which markers or why not, ``rearfoot_missing`` why there is no
    rearfoot eversion.
    """
    names = [str(m) for m in markers[MARKER].values]
    sources = foot_sources(names)
    if heading is None:
        problem = pelvis_problem(markers)
        if problem:
            sources = {**{f"source_{s}": "" for s in SIDES},
                       **{f"missing_{s}": f"no direction of travel: {problem}" for s in SIDES}}
            heading = 0.0
        else:
            heading = facing_heading(markers)
    # the sides without a foot line left NaN by the kernel, not by xarray's where over the result (0.4 cpu-ms)
    progression, pitch, heel_z, toe_z = xr.apply_ufunc(
        _foot_np, markers.transpose(TIME, MARKER, AXIS), heading,
        kwargs={"names": names, "blank": [s for s in SIDES if sources[f"missing_{s}"]]},
        input_core_dims=[[TIME, MARKER, AXIS], []], output_core_dims=[[TIME, SIDE]] * 4,
        dask="parallelized", output_dtypes=[float] * 4,
        dask_gufunc_kwargs={"allow_rechunk": True, "output_sizes": {SIDE: len(SIDES)}},
    )
    # from variables over the four results' one set of coordinates (and the side's): a Dataset of DataArrays aligns
    # them, and that with a side coordinate assigned after cost 0.7 of foot_angles' 1.5 cpu-ms on a 30 s trial
    kept = progression.attrs  # apply_ufunc's, the markers': each variable's attrs as assign_attrs would update them
    out = xr.Dataset({
        "foot_progression": (progression.dims, progression.data, kept | {"units": ANGLE_UNIT, "sign": "positive toe out"}),
        "foot_pitch": (pitch.dims, pitch.data, kept | {"units": ANGLE_UNIT, "sign": "positive toe up"}),
        "heel_height": (heel_z.dims, heel_z.data, kept | {"units": "mm"}),
        "toe_height": (toe_z.dims, toe_z.data, kept | {"units": "mm"}),
    }, coords=progression.coords.merge(SIDE_COORDS).coords)
    out.attrs.update(sources, rearfoot_missing=rearfoot_problem(names))
    return out


def _window(values: np.ndarray, strike: int, off: int, pct: tuple[float, float]) -> np.ndarray:
    first = strike + int(np.ceil(pct[0] / 100 * (off - strike) - 1e-9))
    last = strike + int(np.floor(pct[1] / 100 * (off - strike) + 1e-9))
    return values[max(first, 0) : last + 1]


def _median(values: np.ndarray) -> float:
    """``np.median`` of a non-empty 1-D array without NaN, to the bit (the middle value, or the mean of the two
    middle ones as ``np.mean`` takes it: their sum halved) without numpy's checks, a third of the stance loop."""
    ordered = np.sort(values)
    half = len(ordered) // 2
    return ordered[half] if len(ordered) % 2 else (ordered[half - 1] + ordered[half]) / 2


def stance_foot(stances: pd.DataFrame, angles: xr.Dataset, *, flat_mm: float, rearfoot: xr.DataArray | None = None,
                midstance_pct: tuple[float, float] = MIDSTANCE_PCT) -> pd.DataFrame:
    """``FOOT_COLUMNS`` for the rows of a running stance table (``hipdrop.kernels.stances.stance_table``).

    ``foot_progression_deg``: mean foot progression angle over ``midstance_pct`` of the stance;
    ``foot_strike_angle_deg``: foot pitch at the strike frame less its median over the stance's flat-foot frames
    (where the higher of heel and toe above its own low in the stance is within ``flat_mm`` of its least);
    ``rearfoot_eversion_deg``: the eversion excursion, the peak of ``rearfoot`` (``rearfoot_angles``) over the
    stance less its value at strike, NaN without it (see ``rearfoot_problem``); ``first_contact``: the part of the
    foot the event detector saw land first (``FIRST_CONTACT`` of the stance's ``strike_type`` as the detector gave
    it; "" where it could not tell); ``foot_notes``: why any of them is NaN. A stance without a foot off or with a missing sample in the frames used gets NaN with the reason.
    """
    # by position over numpy columns: xarray's .sel and pandas' itertuples cost more than the measures
    at = {s: k for k, s in enumerate(angles[SIDE].to_numpy().tolist())}
    columns = {v: angles[v].transpose(TIME, SIDE).to_numpy() for v in ("foot_progression", "foot_pitch", "heel_height",
                                                                       "toe_height")}
    series = {s: tuple(columns[v][:, at[s]] for v in columns) + (angles.attrs.get(f"missing_{s}", ""),) for s in SIDES}
    if rearfoot is not None:
        rear_at = {s: k for k, s in enumerate(rearfoot[SIDE].to_numpy().tolist())}
        rear_values = rearfoot.transpose(TIME, SIDE).to_numpy()
    rear = {s: (None, angles.attrs.get("rearfoot_missing", "not computed")) if rearfoot is None else
            (rear_values[:, rear_at[s]], rearfoot.attrs.get(f"missing_{s}", "")) for s in SIDES}
    strike_types = (stances["strike_type"].tolist() if "strike_type" in stances else [""] * len(stances))
    rows = []
    for side, strike, off, strike_type in zip(stances["side"].tolist(), stances["strike_frame"].tolist(),
                                               stances["off_frame"].tolist(), strike_types):
        progression, pitch, heel_z, toe_z, missing = series[side]
        row = dict.fromkeys(FOOT_COLUMNS[:3], np.nan)
        row["first_contact"] = FIRST_CONTACT.get(strike_type, "")
        notes = []
        if missing:
            notes.append(missing)
        elif off < 0:
            notes.append("no foot off")
        else:
            strike, off = int(strike), int(off)
            mid_fpa = _window(progression, strike, off, midstance_pct)
            if len(mid_fpa) and np.isfinite(mid_fpa).all():
                row["foot_progression_deg"] = float(mid_fpa.mean())
            else:
                notes.append("foot progression: foot markers missing in midstance")
            if strike_type == "toe":
                notes.append("foot-strike angle: the heel never touched down, against the flattest the foot got")
            stance_pitch, heel, toe = (v[strike : off + 1] for v in (pitch, heel_z, toe_z))
            if not np.isfinite(stance_pitch).all():
                notes.append("foot-strike angle: foot markers missing in the stance")
            else:
                above = np.maximum(heel - heel.min(), toe - toe.min())  # the higher of the two above its low
                flat = above <= above.min() + flat_mm
                row["foot_strike_angle_deg"] = float(stance_pitch[0] - _median(stance_pitch[flat]))
        values, why = rear[side]
        if why:
            notes.append(f"rearfoot eversion: {why}")
        elif off >= 0:
            window = values[int(strike) : int(off) + 1]
            if len(window) and np.isfinite(window).all():
                row["rearfoot_eversion_deg"] = float(window.max() - window[0])
            else:
                notes.append("rearfoot eversion: heel or shank markers missing in the stance")
        row["foot_notes"] = "; ".join(notes)
        rows.append(row)
    return pd.DataFrame(rows, columns=FOOT_COLUMNS, index=stances.index)


def strike_patterns(stances: pd.DataFrame) -> np.ndarray:
    """Each stance's strike pattern: Altman & Davis's class of its ``foot_strike_angle_deg`` where the angle exists,
    the landing order's ``strike_type`` elsewhere (a stance without a foot off or a foot line).

    Why the angle decides: the landing order is which marker reaches the ground first, and a foot that lands on its
    outer edge (inverted) puts the fifth metatarsal head down first however flat it is in the sagittal plane. On
    RBDS001runT35 the MT5 marker lands 20-30 ms before the heel and MT1 up to 100 ms after it, while the heel-to-
    forefoot line is only 2-4 deg toe up against the flat foot: a lateral midfoot landing, which the landing order
    alone called forefoot. A stance whose heel never touched down (the detector's "toe") is a forefoot strike
    whatever the angle: its flat reference is only the flattest the foot got, and an inverted foot's heel-to-toe
    line can point up while the outer forefoot carries the landing (dorn_JA1Gait35's second right stance: +9.1 deg,
    the fifth metatarsal head down while the first is 50 mm up). Altman & Davis's angle is the field's kinematic
    classification (Altman & Davis 2012, Gait Posture 35:298), whose classes follow the strike index, where along
    the foot the centre of pressure lies at first contact (Cavanagh & Lafortune 1980, J Biomech 13:397): a near-flat
    foot landing on its outer edge puts it in the middle third, midfoot. ``first_contact`` keeps what the markers
    saw first.
    """
    angles = stances["foot_strike_angle_deg"].to_numpy(float)
    by_order = stances["strike_type"].to_numpy(object)
    return np.array(["forefoot" if kind == "toe" else strike_class(a) if np.isfinite(a) else kind
                     for a, kind in zip(angles, by_order)], dtype=object)


def strike_class(angle_deg: float) -> str:
    """Altman & Davis 2012's strike pattern of a foot-strike angle: rearfoot, midfoot or forefoot ("" for NaN)."""
    if not np.isfinite(angle_deg):
        return ""
    rear, fore = STRIKE_ANGLE_CLASSES
    return "rearfoot" if angle_deg > rear else "forefoot" if angle_deg < fore else "midfoot"
