from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from tests.corpus import MANIFEST, REPOSITORY_C3D, ROOT, SHARED_C3D, corpus_path, missing_reason  # noqa: F401 - imported from here


def shared_file(relative: str) -> Path:
    """A file of the corpus of real C3D files (tests/data/c3d/README.md): the repository's copy, else the one in
    ../shared/data/c3d or HIPDROP_SHARED_DATA; a test that needs a file found in neither skips, naming it."""
    path = corpus_path(relative)
    if path is None:
        pytest.skip(missing_reason(relative))
    return path


def corpus_rows(folder: str = "") -> list[dict]:
    """The manifest rows of `folder` (e.g. ``"pig"``; all rows by default), present in this checkout or not: tests
    parametrise on these, never on a glob of a folder that may be missing."""
    return [row for row in MANIFEST if row["file"].startswith(f"{folder}/" if folder else "")]


def marker_array(points: dict[str, np.ndarray], rate_hz: float = 100.0) -> xr.DataArray:
    """Markers [time, marker, axis] from {name: [time, 3]} arrays."""
    names = list(points)
    data = np.stack([np.asarray(points[n], float) for n in names], axis=1)
    time = np.arange(data.shape[0]) / rate_hz
    return xr.DataArray(data, dims=("time", "marker", "axis"), coords={"time": time, "marker": names, "axis": ["x", "y", "z"]})
