"""Gait events against force plates, leave-one-file-out, on every file of the corpus with force plates (issue 24).

    python benchmarks/events.py [--files running/opensim_jogging.c3d ...] [--csv OUT.csv]

For each file of tests/data/c3d (or ../shared/data/c3d) whose plates give contacts at 30 N (``--events force``:
``hipdrop.kernels.events.force.force_plate_events`` with the config's defaults), every plate event is matched to the
nearest marker event of its side and kind within 150 ms, for the configured detector (``events.kinematic_method``,
auto) and for Zeni. Per file and detector: plate contacts, found / missing / spurious, median |error| and bias
(ms) of strikes and offs, the worst single error.

Leave-one-file-out: the running detector's constants come from the other running files, never the scored one. The
strike's deceleration time (``ARREST_FRAMES``) is the middle of the other files' medians at the plates' strikes
(``hipdrop.kernels.events.calibration.contact_arrest_frames``); the off's leaving height (mm above the marker's
leaving base) is the one whose worst median error over the other files is least in ms (``off_bias_curve``), and its
uncertainty band the range of their median heights at the plates' offs (``contact_heights``). ``KEPT_ASIDE`` files
take part in no derivation: they are scored with the constants pooled from the others and reported apart.

Then the plate-calibration check (every other plate contact of a foot hidden and scored with thresholds calibrated
on the rest, ``hidden_contact_errors``) on each running file with at least two plate contacts per side, and what the
leave-one-file-out errors cost: stances cut at the plates' events against stances cut at the plates' events moved
by each contact's measured error (peak drop, excursion, time of peak). Not part of the test run (about 10 s).

Without ``hipdrop.kernels.events.calibration`` (an older checkout on PYTHONPATH) it scores the detector as it is.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import hipdrop.trial.process as pipeline  # noqa: E402
from hipdrop.kernels.events.agreement import event_agreement  # noqa: E402
from hipdrop.kernels.events.detect import kinematic_events  # noqa: E402
from hipdrop.trial.tasks import trial_force_events  # noqa: E402
from tests.corpus import MANIFEST, corpus_path  # noqa: E402

try:
    from hipdrop.kernels.events.calibration import EVENTS, KEYS, contact_heights, hidden_contact_errors
except ImportError:  # the detector before issue 24
    contact_heights = None
try:
    from hipdrop.kernels.events.calibration import contact_arrest_frames
except ImportError:  # the detector before the arrest strike
    contact_arrest_frames = None
from hipdrop.kernels.events.running import contact_tracks, event_at  # noqa: E402

#: running files that take part in no derivation: scored with thresholds pooled from the other running files only
KEPT_ASIDE = ("running/flash_maxSprint.c3d",)
TOLERANCE_S = 0.15


def prepare(relative: str) -> dict | None:
    """The markers the event detectors see, the heading, the plates' events and the stance-table inputs of one
    file, taken from ``process_trial`` itself (its ``detect_events`` and ``stance_table`` calls), force source."""
    captured = {}
    detect, stances = pipeline.detect_events, pipeline.stance_table

    def grab_events(trial, markers, config, *, heading):
        captured.update(trial=trial, markers=markers, heading=heading, ev=config["events"])
        return detect(trial, markers, config, heading=heading)

    def grab_stances(obliquity, events, **kwargs):
        captured.update(obliquity=obliquity, stance_kwargs=kwargs)
        return stances(obliquity, events, **kwargs)

    pipeline.detect_events, pipeline.stance_table = grab_events, grab_stances
    try:
        pipeline.process_trial(corpus_path(relative), config={"events": {"sources": ["force"]}}, keep_pelvis=False)
    finally:
        pipeline.detect_events, pipeline.stance_table = detect, stances
    if "trial" not in captured or "forces" not in captured["trial"]:
        return None
    captured["plates"] = trial_force_events(captured["trial"], captured["markers"], captured["ev"])
    return captured if len(captured["plates"]) else None


def spurious(reference: pd.DataFrame, detected: pd.DataFrame, tolerance_s: float = 0.06) -> int:
    """Marker events within the span the plates cover (each plate contact +/- 60 ms) with no plate event of that
    side and kind within 60 ms. A treadmill plate covers the whole trial; a runway plate one contact."""
    count = 0
    for row in detected.itertuples():
        near = reference[np.abs(reference.time_s - row.time_s) <= 0.3]
        if near.empty:
            continue  # off the plates: nothing to score it against
        mine = near[(near.side == row.side) & (near.event == row.event)]
        count += not (np.abs(mine.time_s - row.time_s) <= tolerance_s).any()
    return count


def score(name: str, plates: pd.DataFrame, detected: pd.DataFrame, method: str) -> dict:
    agreement = event_agreement(plates, detected, method=method, tolerance_s=TOLERANCE_S)
    row = {"file": name, "method": method, "contacts": int((plates.event == "foot_strike").sum()),
           "events": len(agreement), "missing": int(agreement.error_ms.isna().sum()),
           "spurious": spurious(plates, detected)}
    for event, short in (("foot_strike", "strike"), ("foot_off", "off")):
        errors = agreement[agreement.event == event].error_ms.dropna()
        row[f"{short}_med_abs"] = errors.abs().median() if len(errors) else np.nan
        row[f"{short}_bias"] = errors.median() if len(errors) else np.nan
    row["worst"] = agreement.error_ms.abs().max()
    row["found"] = row["events"] - row["missing"]
    return row, agreement


#: the leaving heights (mm) ``off_bias_curve`` scores: 1 mm (``MIN_THRESHOLD_MM``) to 40 mm, past every file's median
#: (flash_maxSprint's 30.8 the highest)
OFF_GRID_MM = np.round(np.arange(1.0, 40.0 + 1e-9, 0.1), 1)


def off_bias_curve(data: dict, heights: pd.DataFrame) -> np.ndarray:
    """The median error (ms, marker minus plate) of the plate-free off over one file's plate offs, at each leaving
    height of ``OFF_GRID_MM`` (``event_at`` on the marker contact ``contact_heights`` found holding each off)."""
    contacts = heights.attrs["contacts"]
    offs = [(k, r.time_s) for k, r in enumerate(heights.itertuples()) if r.event == "foot_off" and contacts[k]]
    if not offs:
        return np.full(len(OFF_GRID_MM), np.nan)
    rate, t0 = data["trial"].attrs["rate_hz"], float(data["markers"].time[0])
    tracks = contact_tracks(data["markers"], [contacts[k] for k, _ in offs], rate)
    frames = np.array([[event_at(tracks, contacts[k], "foot_off", h) for h in OFF_GRID_MM] for k, _ in offs])
    errors = 1000 * (t0 + frames / rate - np.array([t for _, t in offs])[:, None])
    return np.nanmedian(errors, axis=0)


def pooled(heights: dict[str, pd.DataFrame], files: list[str], arrests: dict[str, pd.DataFrame] | None = None,
           off_curves: dict[str, np.ndarray] | None = None) -> dict | None:
    """Thresholds from ``files``: per event, each file's median height at the plates' events (at least
    ``MIN_THRESHOLD_MM``; each lab counts once); band: the range of those, threshold: its middle. With
    ``off_curves`` (``off_bias_curve`` per file) the off's threshold is instead the height whose worst median
    error over the files is least in time, not in mm: a toe rising at 3 m/s crosses 5 mm in under 2 ms, one
    rising at 0.5 m/s in 10 ms, so the middle height errs in time mostly on the slow riser (issue 24).
    With ``arrests`` (``contact_arrest_frames`` per file) the strike is the arrest of the descent with the middle
    of the files' median frames (band their range), not a height."""
    from hipdrop.kernels.events.calibration import MIN_THRESHOLD_MM

    if not files:
        return None
    entry = {}
    for event in EVENTS:
        medians = [max(float(heights[f][heights[f].event == event].height_mm.median()), MIN_THRESHOLD_MM) for f in files]
        key = KEYS[event]
        entry[f"{key}_mm"] = (min(medians) + max(medians)) / 2
        entry[f"{key}_band_mm"] = (min(medians), max(medians))
    if off_curves:
        worst = np.nanmax(np.abs([off_curves[f] for f in files]), axis=0)
        entry["off_mm"] = float(OFF_GRID_MM[np.nanargmin(worst)])
    if arrests:
        medians = [float(arrests[f].frames.median()) for f in files]
        del entry["strike_mm"], entry["strike_band_mm"]
        entry["strike_frames"] = (min(medians) + max(medians)) / 2
        entry["strike_band_frames"] = (min(medians), max(medians))
    return {"L": entry, "R": entry}


def stance_costs(data: dict, agreement: pd.DataFrame) -> dict:
    """Peak drop, excursion and time of peak of the stances the plates cut, against the same stances with every
    plate event moved by its measured error (unmatched events stay): median and largest |change|."""
    from hipdrop.kernels.stances import stance_table

    plates = data["plates"]
    if "stance_kwargs" not in data:
        return {}  # the plates give no strike and off on both sides: the pipeline cut no stances from them
    moved = plates.copy()
    errors = agreement.set_index(["side", "event", "reference_s"]).error_ms
    shift = [errors.get((r.side, r.event, r.time_s), np.nan) for r in plates.itertuples()]
    moved["time_s"] = plates.time_s + np.nan_to_num(np.array(shift, float)) / 1000
    rate = data["trial"].attrs["rate_hz"]
    moved["frame"] = np.round((moved.time_s - float(data["markers"].time[0])) * rate).astype("int64")
    kwargs = dict(data["stance_kwargs"])
    tables = [stance_table(data["obliquity"], events, **kwargs)[0] for events in (plates, moved)]
    a, b = (t.reset_index(drop=True) for t in tables)
    if len(a) != len(b) or not len(a):
        return {}
    out = {}
    for column, label in (("cpd_peak_deg", "peak_deg"), ("cpd_excursion_deg", "excursion_deg"), ("cpd_peak_pct", "peak_pct")):
        change = (b[column] - a[column]).abs().dropna()
        out[f"d_{label}_med"], out[f"d_{label}_max"] = (change.median(), change.max()) if len(change) else (np.nan, np.nan)
    out["stances"] = len(a)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", nargs="*", help="corpus-relative files (default: every file with force plates)")
    parser.add_argument("--csv", help="write the per-file table here")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    names = args.files or [r["file"] for r in MANIFEST if r["force_plates"] not in ("", "0") and corpus_path(r["file"])]
    data = {}
    for name in names:
        try:
            found = prepare(name)
        except Exception as err:  # an unreadable file: say so and go on
            print(f"{name}: not scored ({type(err).__name__}: {err})")
            continue
        if found is None:
            print(f"{name}: no plate contact at 30 N (or no pelvis/feet to analyse): not scored")
            continue
        data[name] = found
    rate = {n: d["trial"].attrs["rate_hz"] for n, d in data.items()}
    # which detector the configured (auto) method runs on each file, with the cross-file defaults
    def settings(n: str) -> dict:
        """The detector keywords of file ``n``: its rate and the configured contact length and heights."""
        ev = data[n]["ev"]
        return {"rate_hz": rate[n], "min_contact_s": ev["min_contact_s"], "strike_height_mm": ev["strike_height_mm"],
                "off_height_mm": ev["off_height_mm"]}

    kinds = {n: kinematic_events(d["markers"], heading=d["heading"], **settings(n)).attrs.get("method")
             for n, d in data.items()}
    # the pool the thresholds come from: the running trials of the corpus (folder running/), not every file the
    # auto method reads as running (a BTS demo, drop jumps)
    running = [n for n in data if kinds[n] == "running" and n.startswith("running/")]
    heights = {}
    if contact_heights is not None:
        heights = {n: contact_heights(data[n]["markers"], data[n]["plates"], **settings(n)) for n in running}
        print("Per-file median height of the lowest foot marker at the plates' events (mm; strike: above its rest, "
              "off: above its leaving base):")
        for n, h in heights.items():
            print(f"  {n:45s} strike {h[h.event == 'foot_strike'].height_mm.median():5.1f}  "
                  f"off {h[h.event == 'foot_off'].height_mm.median():5.1f}  ({(h.event == 'foot_strike').sum()} contacts)")
        arrests = {}
        if contact_arrest_frames is not None:
            arrests = {n: contact_arrest_frames(data[n]["markers"], data[n]["plates"], **settings(n)) for n in running}
            print("Per-file deceleration time at the plates' strikes (frames that put the arrest strike there):")
            for n, a in arrests.items():
                print(f"  {n:45s} median {a.frames.median():4.2f} frames ({1000 * a.frames.median() / rate[n]:4.1f} ms at "
                      f"{rate[n]:g} Hz), 10-90 % {a.frames.quantile(0.1):4.2f}-{a.frames.quantile(0.9):4.2f}, "
                      f"{a.frames.notna().sum()} of {len(a)} strikes")
        curves = {n: off_bias_curve(data[n], heights[n]) for n in running}
        derived = [n for n in running if n not in KEPT_ASIDE]
        print(f"Thresholds from every running file but those kept aside ({', '.join(derived)}): "
              f"{pooled(heights, derived, arrests, curves)['L']}")
    rows, costs = [], []
    for name, d in data.items():
        thresholds = None
        if heights and kinds[name] == "running":  # every file the configured detector reads as running
            thresholds = pooled(heights, [n for n in running if n != name and n not in KEPT_ASIDE], arrests, curves)
        common = dict(heading=d["heading"], **settings(name))
        configured = (kinematic_events(d["markers"], thresholds=thresholds, **common) if thresholds
                      else kinematic_events(d["markers"], **common))
        row, agreement = score(name, d["plates"], configured, configured.attrs.get("method", "?"))
        zeni, _ = score(name, d["plates"], kinematic_events(d["markers"], method="zeni", **common), "zeni")
        rows.append({**row, **{f"zeni_{k}": zeni[k] for k in ("missing", "strike_med_abs", "strike_bias", "off_med_abs", "off_bias")},
                     "kept_aside": name in KEPT_ASIDE, "rate_hz": rate[name]})
        costs.append({"file": name, **stance_costs(d, agreement)})
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 40)
    shown = ["file", "method", "rate_hz", "contacts", "found", "missing", "spurious", "strike_med_abs", "strike_bias",
             "off_med_abs", "off_bias", "worst", "zeni_missing", "zeni_strike_med_abs", "zeni_strike_bias",
             "zeni_off_med_abs", "zeni_off_bias"]
    print("\nLeave-one-file-out against the plates (30 N), ms: configured detector, Zeni beside")
    print(table[~table.kept_aside][shown].round(1).to_string(index=False))
    if table.kept_aside.any():
        print("\nKept aside (in no derivation), ms")
        print(table[table.kept_aside][shown].round(1).to_string(index=False))
    if heights:
        print("\nPlate calibration: every other plate contact of a foot hidden, scored with the foot's others (ms)")
        for n in running:
            h = heights[n]
            per_side = h[h.event == "foot_strike"].groupby("side").size()
            check = hidden_contact_errors(data[n]["markers"], h, rate_hz=rate[n])
            enough = len(per_side) == 2 and per_side.min() >= 2
            figures = "  ".join(f"{short} median {check[check.event == e].error_ms.abs().median():.1f} max "
                                f"{check[check.event == e].error_ms.abs().max():.1f} (n {len(check[check.event == e])}, "
                                f"missing {check[check.event == e].error_ms.isna().sum()})"
                                for e, short in (("foot_strike", "strike"), ("foot_off", "off"))) if len(check) else "-"
            print(f"  {n:45s} contacts per side {dict(per_side)}{'' if enough else ' (fewer than 2 a side)'}: {figures}")
    print("\nWhat the leave-one-file-out errors cost: stances at the plates' events vs the events moved by their errors")
    print(pd.DataFrame(costs).round(2).to_string(index=False))
    if args.csv:
        table.merge(pd.DataFrame(costs), on="file").to_csv(args.csv, index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
