"""The running event detector calibrated on the trial's own force-plate contacts (docs/science.md section 4, issue 24).

The marker rule of ``hipdrop.kernels.events.running.foot_contacts`` places a strike where the first foot marker comes within
a height of its rest and an off where the last one rises above another. Which heights match the plates' 30 N events
depends on the lab (marker placement, shoe, sampling rate, runner): the per-file medians of the running files of
tests/data/c3d run 0-5 mm at strike and 7-31 mm at off. A trial with plate contacts therefore measures its own: at
each plate contact, the height above rest of the foot's lowest marker at the plate's strike and off (the threshold
that would have placed the marker event exactly there); per foot, the median over its contacts is the threshold
for every contact of that foot, on and off the plates.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import xarray as xr

from hipdrop.kernels.events.agreement import AGREEMENT_COLUMNS
from hipdrop.kernels.events.detect import ConfiguredContacts, configured_contacts, kinematic_events
from hipdrop.kernels.events.running import ARREST_FRAMES, arrest_at, contact_tracks, event_at, foot_contacts, ground_velocity
from hipdrop.vocab import FOOT_OFF, FOOT_STRIKE, SIDES, TIME

EVENTS = (FOOT_STRIKE, FOOT_OFF)
#: a foot's band of thresholds (for ``event_uncertainty``) comes from its own plate contacts only with this many of
#: them: one or two say nothing of the spread, and the cross-lab band (``STRIKE_BAND_MM``, ``OFF_BAND_MM``) stays
MIN_BAND_CONTACTS = 3
#: no threshold below this (mm): a marker within its noise of its rest level is at rest, and a crossing of the rest
#: level itself is where noise decides (dorn_JA1Gait35's landing heights of -1 to 1 mm placed strikes 40 ms late)
MIN_THRESHOLD_MM = 1.0
KEYS = {FOOT_STRIKE: "strike", FOOT_OFF: "off"}


def contact_heights(markers: xr.DataArray, plates: pd.DataFrame, *, rate_hz: float, min_contact_s: float,
                    strike_height_mm: float, off_height_mm: float) -> pd.DataFrame:
    """Per plate event (``force_plate_events`` rows), the height (mm) above its rest (at an off: above its leaving
    base, ``hipdrop.kernels.events.running.leaving_base``) of the foot's lowest marker at the plate's time, in the
    marker contact that holds it (``foot_contacts`` with the configured heights): the threshold that would place
    the marker event there.
    Columns side, event, time_s, contact (the plate contact's number on its side, in time order), height_mm (NaN
    where no marker contact holds it); ``attrs["contacts"]`` the marker contact of each row (None where none)."""
    table, held = _heights_and_contacts(markers, plates, rate_hz=rate_hz, min_contact_s=min_contact_s,
                                        strike_height_mm=strike_height_mm, off_height_mm=off_height_mm)
    table.attrs["contacts"] = held
    return table


def _heights_and_contacts(markers: xr.DataArray, plates: pd.DataFrame, *, rate_hz: float, min_contact_s: float,
                          strike_height_mm: float, off_height_mm: float,
                          found: ConfiguredContacts | None = None) -> tuple[pd.DataFrame, list]:
    """``contact_heights``' table and, apart from it, its marker contacts: in a frame's attrs pandas would deep-copy
    them into every selection and column of it. ``found``: ``configured_contacts`` with the same settings, where
    the caller has them (their ``by_height`` are the contacts this reads)."""
    ground = ground_velocity(markers, rate_hz=rate_hz) if found is None else found.ground
    t0 = float(markers[TIME][0])
    frames = np.arange(markers.sizes[TIME])
    rows, held = [], []
    for side in SIDES:
        mine = plates[plates.side == side].sort_values("time_s", kind="stable")
        if mine.empty:
            continue
        side_contacts = (found.by_height[side] if found is not None else
                         foot_contacts(markers, side, rate_hz=rate_hz, min_contact_s=min_contact_s, ground=ground,
                                       strike_height_mm=strike_height_mm, off_height_mm=off_height_mm))
        contacts = [c for c in side_contacts if c.get("levels")]
        tracks = contact_tracks(markers, contacts, rate_hz)
        starts, ends = np.array([c["start"] for c in contacts], float), np.array([c["end"] for c in contacts], float)
        middles = (starts + ends) / 2
        # each marker's height at every plate event of the side, one np.interp call per marker (the same numbers
        # as a call per event and marker)
        at = (mine.time_s.to_numpy(float) - t0) * rate_hz
        height_at = {p: np.interp(at, frames, track[0]) for p, track in tracks.items()}
        number = -1
        for k, r in enumerate(mine.itertuples()):
            number += r.event == FOOT_STRIKE or number < 0
            frame = at[k]
            holding = np.flatnonzero((starts - 0.1 * rate_hz <= frame) & (frame <= ends + 0.1 * rate_hz))
            # the first of the nearest, as min() picks it
            contact = contacts[holding[np.argmin(np.abs(middles[holding] - frame))]] if len(holding) else None
            # a strike's height above the marker's rest, an off's above its leaving base (``leaving_base``)
            above = [height_at[p][k] - (level if r.event == FOOT_STRIKE else base)
                     for p, (level, _, _, _, base, _) in (contact["levels"].items() if contact else ())]
            # min over the non-NaN heights, as np.nanmin takes it, without its array round trip (a call per plate
            # event); NaN where none is finite
            low = min((a for a in above if not math.isnan(a)), default=np.nan)
            rows.append((side, r.event, r.time_s, number, float(low) if any(map(math.isfinite, above)) else np.nan))
            held.append(contact)
    return pd.DataFrame(rows, columns=["side", "event", "time_s", "contact", "height_mm"]), held


def contact_arrest_frames(markers: xr.DataArray, plates: pd.DataFrame, *, rate_hz: float, min_contact_s: float,
                          strike_height_mm: float, off_height_mm: float) -> pd.DataFrame:
    """Per plate strike, the deceleration time (frames) that puts the arrest strike of the marker contact holding it
    (``foot_contacts`` with ``ARREST_FRAMES``; ``hipdrop.kernels.events.running.arrest_at``) at the plate's time:
    the ``arrest_frames`` that would have placed it there (scanned over 0.2-10 frames; NaN where no
    contact of the foot's markers ends its descent near the plate's strike). Columns side, time_s, frames."""
    ground = ground_velocity(markers, rate_hz=rate_hz)
    t0 = float(markers[TIME][0])
    grid = np.arange(0.2, 10.0, 0.05)  # the frames scanned; the strike moves earlier as they grow
    rows = []
    for side in SIDES:
        contacts = [c for c in foot_contacts(markers, side, rate_hz=rate_hz, min_contact_s=min_contact_s, ground=ground,
                                             strike_height_mm=strike_height_mm, off_height_mm=off_height_mm,
                                             arrest_frames=ARREST_FRAMES) if c.get("arrests")]
        tracks = contact_tracks(markers, contacts, rate_hz)
        for r in plates[(plates.side == side) & (plates.event == FOOT_STRIKE)].itertuples():
            frame = (r.time_s - t0) * rate_hz
            holding = [c for c in contacts if c["start"] - 0.1 * rate_hz <= frame <= c["end"]]
            value = np.nan
            if holding:
                contact = min(holding, key=lambda c: abs(c["start"] - frame))
                at = np.array([arrest_at(tracks, contact, f, rate_hz) for f in grid])
                past = np.flatnonzero(at <= frame)
                if len(past) and past[0] > 0 and at[past[0] - 1] != at[past[0]]:
                    k = past[0]
                    value = grid[k - 1] + 0.05 * (at[k - 1] - frame) / (at[k - 1] - at[k])
            rows.append((side, r.time_s, value))
    return pd.DataFrame(rows, columns=["side", "time_s", "frames"])


def _plain(heights: pd.DataFrame) -> pd.DataFrame:
    """``heights`` without its attrs. pandas deep-copies a frame's attrs into the result of every operation, and
    ``contact_heights``' attrs hold every marker contact: on a 30 s treadmill trial (170 contacts) that copying made
    the calibration take seconds instead of milliseconds."""
    plain = heights.copy(deep=False)
    plain.attrs = {}
    return plain


def thresholds_from_heights(heights: pd.DataFrame) -> dict:
    """Per side: the median height at each event (``strike_mm``, ``off_mm``; at least ``MIN_THRESHOLD_MM``), with
    ``MIN_BAND_CONTACTS`` contacts or more the band of its 10th-90th percentiles (``strike_band_mm``,
    ``off_band_mm``), and the contacts used (``n_strike``, ``n_off``). A foot without a plate
    contact takes the other foot's (same runner, shoes and lab; ``strike_from``/``off_from`` name it); a trial
    without any, nothing (the configured heights of ``kinematic_events``)."""
    sides, events, height = heights.side.to_numpy(str), heights.event.to_numpy(str), heights.height_mm.to_numpy(float)
    out = {}
    for side in SIDES:
        entry = {}
        for event in EVENTS:
            values = height[(sides == side) & (events == event) & ~np.isnan(height)]
            if len(values):
                key = KEYS[event]
                entry.update({f"{key}_mm": max(float(np.median(values)), MIN_THRESHOLD_MM), f"n_{key}": len(values)})
                if len(values) >= MIN_BAND_CONTACTS:
                    entry[f"{key}_band_mm"] = tuple(max(float(v), MIN_THRESHOLD_MM) for v in np.percentile(values, [10, 90]))
        out[side] = entry
    for side, other in (("L", "R"), ("R", "L")):
        for key in KEYS.values():
            if f"{key}_mm" not in out[side] and f"{key}_mm" in out[other]:
                out[side].update({k: v for k, v in out[other].items() if k.startswith(f"{key}_")},
                                 **{f"n_{key}": 0, f"{key}_from": other})
    return out


def calibrated_events(markers: xr.DataArray, plates: pd.DataFrame, *, rate_hz: float, min_contact_s: float,
                      strike_height_mm: float, off_height_mm: float, heading: float = 0.0,
                      found: ConfiguredContacts | None = None) -> pd.DataFrame:
    """The running detector with each foot's thresholds measured on the trial's plate contacts (``plates``:
    ``force_plate_events``); ``strike_height_mm``, ``off_height_mm``: the configured ones (config ``events``), for
    a foot and a contact the plates cannot calibrate. ``attrs["calibration"]``: per side the thresholds, their bands and the contacts
    used; ``attrs["calibration_check"]``: the plate events scored with the contacts hidden (``hidden_contact_errors``).
    ``found``: ``hipdrop.kernels.events.detect.configured_contacts`` with the configured heights, where the caller
    has them (its running/walking choice, ``runs``, read them): each foot's contacts are found once per set of
    thresholds, its rest windows and the ground's velocity once."""
    configured = {"strike_height_mm": strike_height_mm, "off_height_mm": off_height_mm}
    if found is None:
        found = configured_contacts(markers, rate_hz=rate_hz, min_contact_s=min_contact_s, **configured)
    heights, contacts = _heights_and_contacts(markers, plates, rate_hz=rate_hz, min_contact_s=min_contact_s,
                                              found=found, **configured)
    thresholds = thresholds_from_heights(heights)
    table = kinematic_events(markers, rate_hz=rate_hz, min_contact_s=min_contact_s, method="running", heading=heading,
                             thresholds=thresholds, found=found, **configured)
    table.attrs["calibration"] = thresholds
    table.attrs["calibration_check"] = hidden_contact_errors(markers, heights, rate_hz=rate_hz, contacts=contacts)
    return table


def hidden_contact_errors(markers: xr.DataArray, heights: pd.DataFrame, *, rate_hz: float,
                          contacts: list | None = None) -> pd.DataFrame:
    """Every other plate contact hidden: per foot, the contacts of even number calibrate those of odd number and
    the reverse, so each plate event is scored by thresholds that never saw its contact. Rows as
    ``event_agreement``'s (method ``plate-calibrated``, reference ``force``), with ``threshold_mm`` and
    ``calibration_contacts``; a foot with fewer than 2 plate contacts gives no rows (nothing to calibrate on).
    ``contacts``: the marker contact of each row of ``heights``, where not in its ``attrs["contacts"]``."""
    t0 = float(markers[TIME][0])
    contacts = heights.attrs["contacts"] if contacts is None else contacts
    heights = _plain(heights)
    tracks = contact_tracks(markers, contacts, rate_hz)
    # numpy columns: a pandas selection per plate event costs more than the events themselves
    side, event = heights.side.to_numpy(str), heights.event.to_numpy(str)
    parity, height = heights.contact.to_numpy() % 2, heights.height_mm.to_numpy(float)
    trained = {}  # (side, event, parity) -> (threshold, training contacts) or None: the same for every such row
    rows = []
    for k, r in enumerate(heights.itertuples()):
        key = (r.side, r.event, r.contact % 2)
        if key not in trained:
            train = height[(side == r.side) & (event == r.event) & (parity != key[2]) & ~np.isnan(height)]
            trained[key] = (max(float(np.median(train)), MIN_THRESHOLD_MM), len(train)) if len(train) else None
        contact = contacts[k]
        if trained[key] is None or contact is None:
            continue
        threshold, n_train = trained[key]
        frame = event_at(tracks, contact, r.event, threshold)
        error = 1000 * (t0 + frame / rate_hz - r.time_s) if np.isfinite(frame) else np.nan
        rows.append(("plate-calibrated", "force", r.side, r.event, r.time_s, r.time_s + error / 1000,
                     error if abs(error) <= 150 else np.nan, contact["strike_type"], threshold, n_train))
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS + ["threshold_mm", "calibration_contacts"])


def calibration_text(calibration: dict, check: pd.DataFrame | None) -> str:
    """A plate calibration (``calibrated_events``' attrs) in one line for the trial's QC record: per foot each
    threshold with the contacts it came from (or the foot it was taken from), then the hidden-contact check's
    median |error| per event (the residual error a contact off the plates can expect)."""
    parts = []
    for side, entry in calibration.items():
        bits = [f"{key} {entry[f'{key}_mm']:.1f} mm " + (f"(from {entry[f'{key}_from']})" if f"{key}_from" in entry
                                                          else f"({entry[f'n_{key}']} contacts)")
                for key in KEYS.values() if f"{key}_mm" in entry]
        parts.append(f"{side} " + ", ".join(bits) if bits else f"{side} defaults")
    if check is not None and len(check):
        # numpy columns: pandas' median is np.nanmedian of the non-NaN values, here np.median of them, without a
        # frame selection per event
        events, errors = check.event.to_numpy(str), np.abs(check.error_ms.to_numpy(float))
        medians = {e: errors[(events == e) & ~np.isnan(errors)] for e in EVENTS}
        parts.append("hidden-contact check " + ", ".join(
            f"{KEYS[e]} {np.median(medians[e]) if len(medians[e]) else np.nan:.1f} ms (n {int((events == e).sum())})"
            for e in EVENTS if (events == e).any()))
    return "; ".join(parts)
