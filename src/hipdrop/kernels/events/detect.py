"""Gait events from markers: the detector a trial's gait calls for (running where it has a flight phase, else
walking; or Zeni's), over the feet's contacts (docs/science.md section 4).

Returns the events table (``hipdrop.vocab.EVENT_COLUMNS``: side, event, frame, time_s, source). Frames index the
point data; times are capture-relative seconds on the trial's clock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from hipdrop.kernels.events.feet import events_frame, has_feet
from hipdrop.kernels.events.running import (ARREST_FRAMES, DEFAULT_BANDS, RestWindows, contact_rows,
                                           foot_contact_variants, foot_contacts, ground_velocity, rest_windows)
from hipdrop.kernels.events.walking import walking_events, zeni_events
from hipdrop.kernels.pelvis import sacrum
from hipdrop.vocab import FOOT_OFF, FOOT_STRIKE, MARKER, SIDES, TIME


def _has_flight_phase(contacts: dict[str, list[dict]], n_frames: int) -> bool:
    """Running: the other foot lands after this one has left (a flight phase); walking: before it leaves (double
    support). Decided by the majority of the contacts whose strike and off were both recorded, so a short
    overground trial with one or two contacts per side decides as well as a long one. ``contacts``:
    ``foot_contacts`` per side. Without such a contact: running when neither foot is down 5 % of the middle of
    the trial."""
    votes = []
    # strikes where the markers came within the strike height, not by the arrest of the descent: a walking heel
    # arrives slowly, so its arrest comes late and would open a flight phase where there is none
    landed = lambda c: c["landed"] if c.get("landed") is not None else c["start"]
    for side, other in (("L", "R"), ("R", "L")):
        strikes = np.array([landed(c) for c in contacts[other]])
        for c in contacts[side]:
            if c["strike"] is not None and c["off"] is not None:
                votes.append(not ((strikes > landed(c)) & (strikes < c["off"])).any())
    if votes:
        return bool(np.mean(votes) > 0.5)
    airborne = np.ones(n_frames, bool)
    for side_contacts in contacts.values():
        for c in side_contacts:
            airborne[int(c["start"]) : int(np.ceil(c["end"])) + 1] = False
    return bool(airborne[n_frames // 10 : -(n_frames // 10) or None].mean() > 0.05)


@dataclass(frozen=True)
class ConfiguredContacts:
    """Each foot's ``foot_contacts`` with the configured heights, found in one pass (``foot_contact_variants``):
    ``by_arrest`` strikes by the arrest of the descent, as ``kinematic_events`` finds them where no plate
    calibrates the strike height (what its ``auto`` choice reads); ``by_height`` strikes by the strike height, what
    a plate calibration measures its heights in (``hipdrop.kernels.events.calibration``). ``ground``
    (``ground_velocity``) and ``windows`` (per side ``rest_windows``) hold for any threshold: the calibrated
    detection that follows on the same markers, with the same ``min_contact_s``, reuses them."""

    ground: np.ndarray
    windows: dict[str, RestWindows | None]
    by_arrest: dict[str, list[dict]]
    by_height: dict[str, list[dict]]


def configured_contacts(markers: xr.DataArray, *, rate_hz: float, min_contact_s: float, strike_height_mm: float,
                        off_height_mm: float) -> ConfiguredContacts:
    """``ConfiguredContacts`` of ``markers`` with these settings (config ``events``)."""
    ground = ground_velocity(markers, rate_hz=rate_hz)
    windows = {side: rest_windows(markers, side, rate_hz=rate_hz, min_contact_s=min_contact_s, ground=ground)
               for side in SIDES}
    found = {side: foot_contact_variants(markers, side, rate_hz=rate_hz, min_contact_s=min_contact_s,
                                         strike_height_mm=strike_height_mm, off_height_mm=off_height_mm,
                                         arrest_frames=(ARREST_FRAMES, None), windows=windows[side])
             for side in SIDES}
    return ConfiguredContacts(ground, windows, by_arrest={side: found[side][0] for side in SIDES},
                              by_height={side: found[side][1] for side in SIDES})


def runs(markers: xr.DataArray, *, rate_hz: float, min_contact_s: float, strike_height_mm: float,
         off_height_mm: float, contacts: ConfiguredContacts | None = None) -> bool:
    """Whether ``kinematic_events`` with ``method="auto"`` and these settings chooses running (both feet have
    markers and the trial a flight phase), without its events: a caller that then detects them with other
    thresholds (a plate calibration) need not sweep the uncertainty of events it discards. ``contacts``:
    ``configured_contacts`` with the same settings where the caller has them (the plate calibration reads them
    too)."""
    if not has_feet(markers):
        return False
    if contacts is None:
        contacts = configured_contacts(markers, rate_hz=rate_hz, min_contact_s=min_contact_s,
                                       strike_height_mm=strike_height_mm, off_height_mm=off_height_mm)
    return _has_flight_phase(contacts.by_arrest, markers.sizes[TIME])


def kinematic_events(
    markers: xr.DataArray, *, rate_hz: float, min_contact_s: float, strike_height_mm: float, off_height_mm: float,
    method: str = "auto", heading: float = 0.0, thresholds: dict | None = None, found: ConfiguredContacts | None = None,
) -> pd.DataFrame:
    """Foot strike and foot off from markers, with the strike type of each stance.

    Parameters
    ----------
    markers : ``[time, marker, axis]`` mm, Z up, with heel (xHEE) and toe or metatarsal (xTOE, xMT1, xMT5) markers
    method : ``"running"`` (``foot_contacts``: the first foot part to land, the last to leave; rear-, mid- and
        fore-foot strikers), ``"walking"`` (contact just before the heel's impact after Zeni's strike;
        ``_walking_offs``), ``"zeni"`` (Zeni 2008 for both), or
        ``"auto"``: running when the trial has a flight phase, else walking
    strike_height_mm, off_height_mm : the running detector's heights above a contact's rest at which a foot has
        landed and has left (mm; config ``events``)
    heading : progression direction (radians about Z), for Zeni
    thresholds : per side, the running detector's ``strike_mm``, ``off_mm``, ``strike_band_mm`` and ``off_band_mm``
        where they differ from the heights above and ``DEFAULT_BANDS`` (a plate calibration:
        ``hipdrop.kernels.events.calibration``). A side given no ``strike_mm`` lands by the arrest of its descent
        (``hipdrop.kernels.events.running.ARREST_FRAMES``, or its ``strike_frames``; band ``strike_band_frames``),
        not by ``strike_height_mm``: the strike height holds only where the trial's plates calibrate it.
    found : ``configured_contacts`` of these markers with this ``min_contact_s``, where the caller has them: their
        ground velocity and rest windows are reused (they hold for any threshold)

    Returns
    -------
    events table with extra ``strike_type`` (rearfoot, midfoot, forefoot, toe: forefoot with no heel contact, or
    unknown) and ``uncertainty_s``
    (running: ``event_uncertainty``; NaN for walking and Zeni) columns; the method used
    (``auto`` resolved) in ``attrs["method"]``, and in ``attrs["problem"]`` why a method cannot give strikes

    Notes
    -----
    Running: ``foot_contacts``, on treadmills and overground alike (no floor height assumed); a contact cut by
    the start or end of the recording gives only the event recorded. The flight phase that makes ``auto`` choose
    running is read from the same contacts.
    """
    if method not in ("auto", "running", "walking", "zeni"):
        raise ValueError(f"method must be auto, running, walking or zeni, not {method!r}")
    if not has_feet(markers):
        return events_frame([], extra=["strike_type", "uncertainty_s"])
    # the contacts serve running and the auto choice: found once per side, with the ground's velocity found once
    configured = {"strike_mm": strike_height_mm, "off_mm": off_height_mm, "strike_frames": ARREST_FRAMES, **DEFAULT_BANDS}
    given = {side: (thresholds or {}).get(side, {}) for side in SIDES}
    thresholds = {side: {**configured, **given[side]} for side in SIDES}
    # the strike height holds where the trial's own plates measured it; elsewhere the arrest of the descent
    arrest = {side: None if "strike_mm" in given[side] else thresholds[side]["strike_frames"] for side in SIDES}
    if method in ("auto", "running"):
        ground = ground_velocity(markers, rate_hz=rate_hz) if found is None else found.ground
        contacts = {side: foot_contacts(markers, side, rate_hz=rate_hz, min_contact_s=min_contact_s, ground=ground,
                                        strike_height_mm=thresholds[side]["strike_mm"],
                                        off_height_mm=thresholds[side]["off_mm"],
                                        edge_heights_mm=(strike_height_mm, off_height_mm), arrest_frames=arrest[side],
                                        windows=None if found is None else found.windows[side])
                    for side in SIDES}
    if method == "auto":
        method = "running" if _has_flight_phase(contacts, markers.sizes[TIME]) else "walking"
    times = markers[TIME].to_numpy()
    names = set(markers[MARKER].values)
    has_sacrum = "SACR" in names or {"LPSI", "RPSI"} <= names
    sac = sacrum(markers).to_numpy() if method in ("walking", "zeni") and has_sacrum else None
    rows = []
    for side in SIDES:
        if method == "running":
            bands = {FOOT_STRIKE: thresholds[side]["strike_band_mm"], FOOT_OFF: thresholds[side]["off_band_mm"]}
            rows += contact_rows(contacts[side], side, times, rate_hz, markers, bands,
                                 band_frames=thresholds[side]["strike_band_frames"] if arrest[side] else None)
        elif method == "walking":
            rows += walking_events(markers, side, rate_hz=rate_hz, heading=heading, min_contact_s=min_contact_s, sac=sac)
        else:
            rows += zeni_events(markers, side, rate_hz=rate_hz, heading=heading, sac=sac)
    # walking and Zeni give no uncertainty (NaN): their rules have no threshold band to sweep
    table = events_frame([r if len(r) == 7 else (*r, np.nan) for r in rows], extra=["strike_type", "uncertainty_s"])
    table.attrs["method"] = method
    if method in ("walking", "zeni") and not all(f"{side}HEE" in markers[MARKER].values for side in SIDES):
        table.attrs["problem"] = f"{method} foot strikes need heel markers (LHEE and RHEE)"
    return table


