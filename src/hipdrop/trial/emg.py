"""A trial's surface EMG per stance: the muscles of config ``emg`` found among the analog channels the reader keeps
(``hipdrop.io.c3d.reader.other_analogs``), their linear envelopes in mV and the stance statistics of
``hipdrop.kernels.emg`` (docs/science.md section 13). A trial without EMG gets NaN columns and no error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from hipdrop.kernels.emg import emg_columns, emg_envelope, find_emg_channels, mvc_peak, stance_emg


def trial_emg(trial: xr.Dataset, stances: pd.DataFrame, settings: dict) -> tuple[pd.DataFrame, dict]:
    """``emg_columns`` of the configured muscles for each row of ``stances`` (columns ``side``, ``strike_s``,
    ``off_s`` on the trial's clock), and the QC record's ``emg_channels`` (``side muscle=label [unit]``; "" without
    EMG) and ``emg_notes`` (channels left out and why, or why the envelope could not be computed)."""
    muscles = list(settings["muscles"])
    empty = pd.DataFrame(np.nan, index=stances.index, columns=emg_columns(muscles), dtype=float)
    if "analogs" not in trial:
        return empty, {"emg_channels": "", "emg_notes": ""}
    analogs = trial["analogs"]
    found, notes = analog_emg_channels(analogs, settings)
    meta = {"emg_channels": "; ".join(f"{c['side']} {c['muscle']}={c['label']} [{c['unit']}]" for c in found)}
    if not found:
        return empty, meta | {"emg_notes": "; ".join(notes)}
    try:
        envelope = _envelope(analogs, found, settings)
    except ValueError as err:
        return empty, meta | {"emg_notes": "; ".join([*notes, f"no envelope: {err}"])}
    envelopes = {(c["muscle"], c["side"]): envelope[:, k] for k, c in enumerate(found)}
    table = stance_emg(stances, analogs["analog_time"].to_numpy(), envelopes, muscles=muscles,
                       pre_s=settings["pre_activation_s"])
    return table, meta | {"emg_notes": "; ".join(notes)}


def analog_emg_channels(analogs: xr.DataArray, settings: dict) -> tuple[list[dict], list[str]]:
    """``find_emg_channels`` among ``analogs`` (``other_analogs``'s) with config ``emg``'s muscles and sides: the
    channels the analysis, the MVC reference and ``hipdrop inspect`` (``inspection.emg_report``) read."""
    return find_emg_channels([str(c) for c in analogs["analog_channel"].values],
                             [str(u) for u in analogs["analog_unit"].values],
                             muscles=settings["muscles"], sides=settings["sides"])


def _envelope(analogs: xr.DataArray, found: list[dict], settings: dict) -> np.ndarray:
    """The envelopes (mV) of the ``found`` channels, ``[sample, channel]``; ``ValueError`` from ``emg_envelope``."""
    raw = analogs.to_numpy()[:, [c["index"] for c in found]] * np.array([c["to_mv"] for c in found])
    return emg_envelope(raw, rate_hz=float(analogs.attrs["rate_hz"]), band_hz=tuple(settings["band_hz"]),
                        envelope_hz=settings["envelope_hz"], order=settings["order"])


def mvc_reference(path, settings: dict) -> tuple[dict[tuple[str, str], float], dict]:
    """The amplitude (mV) of each configured muscle and side in a maximal voluntary contraction's C3D file (the
    sheet's ``mvc`` column): the same envelope as the running trials' (``emg_envelope`` with ``settings``), its
    highest ``settings["mvc_window_s"]`` moving mean (``mvc_peak``). Only the analog channels are read, so a file
    without markers will do. Returns ``{(muscle, side): mV}`` (muscles and sides without a channel absent) and the
    record's ``mvc_channels`` and ``mvc_notes``. Raises ``TrialError`` (stage ``mvc``) for a file that cannot be
    read or holds no EMG channel of the configured muscles."""
    from pathlib import Path

    from hipdrop.errors import TrialError
    from hipdrop.io.c3d.format import decode
    from hipdrop.io.c3d.reader import other_analogs

    path = Path(path)
    try:
        analogs = other_analogs(decode(path.read_bytes(), path))
    except TrialError as err:
        raise TrialError(path, "mvc", err.reason) from err
    except OSError as err:
        raise TrialError(path, "mvc", f"cannot open the file ({err.strerror})") from None
    if analogs is None:
        raise TrialError(path, "mvc", "no analog channels: no EMG for a maximal voluntary contraction")
    found, notes = analog_emg_channels(analogs, settings)
    if not found:
        raise TrialError(path, "mvc", "no EMG channel of the configured muscles (config emg.muscles)"
                         + (f": {'; '.join(notes)}" if notes else ""))
    try:
        envelope = _envelope(analogs, found, settings)
    except ValueError as err:
        raise TrialError(path, "mvc", f"no envelope: {err}") from None
    peaks = np.atleast_1d(mvc_peak(envelope, rate_hz=float(analogs.attrs["rate_hz"]), window_s=settings["mvc_window_s"]))
    reference = {(c["muscle"], c["side"]): float(p) for c, p in zip(found, peaks) if np.isfinite(p) and p > 0}
    meta = {"mvc_channels": "; ".join(f"{c['side']} {c['muscle']}={c['label']} {p:.4g} mV"
                                      for c, p in zip(found, peaks)), "mvc_notes": "; ".join(notes)}
    return reference, meta
