"""A static trial's anatomical landmarks carried into a runner's dynamic trials (``hipdrop.kernels.landmarks``):
the calibration read from the static file, and a dynamic trial with the landmarks it lacks added as if recorded,
so that cleaning, filtering and the knee FPPA treat them as measured markers (docs/science.md section 8)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from hipdrop.config import validate_config
from hipdrop.errors import TrialError
from hipdrop.io.c3d.reader import read_c3d
from hipdrop.kernels.landmarks import calibrate_landmarks, reconstruct_landmarks
from hipdrop.vocab import MARKER


def static_calibration(path: str | Path, *, config: dict | None = None) -> dict:
    """The landmark calibration of a static standing trial (``calibrate_landmarks``: each side's thigh and shank
    clusters and the knee and ankle markers they carry, median positions over the trial); ``{}`` when it has no
    cluster with a landmark. Raises ``TrialError`` (stage ``static``) for a file that cannot be read."""
    config = validate_config(config)
    try:
        trial = read_c3d(path, vertical_axis=config["vertical_axis"], markersets=tuple(config["markersets"]))
    except TrialError:
        raise
    except Exception as err:
        raise TrialError(path, "static", f"{type(err).__name__}: {err}") from err
    return calibrate_landmarks(trial["markers"])


def with_calibrated_landmarks(trial: xr.Dataset, calibration: dict | None) -> xr.Dataset:
    """``trial`` (``read_c3d``'s) with the calibrated landmarks it lacks (``reconstruct_landmarks``) added to its
    markers as recorded ones; the other per-marker variables read "not flagged" for them. ``attrs``
    ``calibrated_landmarks`` and ``cluster_residual_mm`` say which were added and how rigid their clusters moved
    ("" when none was)."""
    markers = reconstruct_landmarks(trial["markers"], calibration or {})
    new = [str(m) for m in markers[MARKER].values[trial.sizes[MARKER]:]]
    attrs = {"calibrated_landmarks": markers.attrs["calibrated_landmarks"],
             "cluster_residual_mm": markers.attrs["cluster_residual_mm"]}
    if not new:
        return trial.assign_attrs(attrs)
    out = trial.reindex({MARKER: markers[MARKER].values})
    for name, var in trial.data_vars.items():
        if name != "markers" and MARKER in var.dims:
            out[name] = out[name].fillna(np.zeros((), var.dtype)).astype(var.dtype)
    out["markers"] = markers.transpose(*trial["markers"].dims).assign_attrs(trial["markers"].attrs)
    return out.assign_attrs(trial.attrs, **attrs)
