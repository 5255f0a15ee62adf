"""A trial's surface EMG per stance: the muscles of config ``emg`` found among the analog channels the reader keeps
(``hipdrop.io.c3d.reader.other_analogs``), their linear envelopes in mV and the stance statistics of
``hipdrop.kernels.emg`` (docs/science.md section 13). A trial without EMG gets NaN columns and no error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from hipdrop.kernels.emg import emg_columns, emg_envelope, find_emg_channels, stance_emg


def trial_emg(trial: xr.Dataset, stances: pd.DataFrame, settings: dict) -> tuple[pd.DataFrame, dict]:
    """``emg_columns`` of the configured muscles for each row of ``stances`` (columns ``side``, ``strike_s``,
    ``off_s`` on the trial's clock), and the QC record's ``emg_channels`` (``side muscle=label [unit]``; "" without
    EMG) and ``emg_notes`` (channels left out and why, or why the envelope could not be computed)."""
    muscles = list(settings["muscles"])
    empty = pd.DataFrame(np.nan, index=stances.index, columns=emg_columns(muscles), dtype=float)
    if "analogs" not in trial:
        return empty, {"emg_channels": "", "emg_notes": ""}
    analogs = trial["analogs"]
    found, notes = find_emg_channels([str(c) for c in analogs["analog_channel"].values],
                                     [str(u) for u in analogs["analog_unit"].values],
                                     muscles=settings["muscles"], sides=settings["sides"])
    meta = {"emg_channels": "; ".join(f"{c['side']} {c['muscle']}={c['label']} [{c['unit']}]" for c in found)}
    if not found:
        return empty, meta | {"emg_notes": "; ".join(notes)}
    raw = analogs.to_numpy()[:, [c["index"] for c in found]] * np.array([c["to_mv"] for c in found])
    try:
        envelope = emg_envelope(raw, rate_hz=float(analogs.attrs["rate_hz"]), band_hz=tuple(settings["band_hz"]),
                                envelope_hz=settings["envelope_hz"], order=settings["order"])
    except ValueError as err:
        return empty, meta | {"emg_notes": "; ".join([*notes, f"no envelope: {err}"])}
    envelopes = {(c["muscle"], c["side"]): envelope[:, k] for k, c in enumerate(found)}
    table = stance_emg(stances, analogs["analog_time"].to_numpy(), envelopes, muscles=muscles,
                       pre_s=settings["pre_activation_s"])
    return table, meta | {"emg_notes": "; ".join(notes)}
