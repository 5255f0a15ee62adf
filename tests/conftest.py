import os
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

ROOT = Path(__file__).resolve().parents[1]
#: real C3D files from other labs (../shared/data/c3d/README.md); HIPDROP_SHARED_DATA overrides the path
SHARED_C3D = Path(os.environ.get("HIPDROP_SHARED_DATA", ROOT.parent / "shared" / "data" / "c3d"))


def shared_file(relative: str) -> Path:
    path = SHARED_C3D / relative
    if not path.exists():
        pytest.skip(f"shared data not found: {path} (set HIPDROP_SHARED_DATA)")
    return path


def marker_array(points: dict[str, np.ndarray], rate_hz: float = 100.0) -> xr.DataArray:
    """Markers [time, marker, axis] from {name: [time, 3]} arrays."""
    names = list(points)
    data = np.stack([np.asarray(points[n], float) for n in names], axis=1)
    time = np.arange(data.shape[0]) / rate_hz
    return xr.DataArray(data, dims=("time", "marker", "axis"), coords={"time": time, "marker": names, "axis": ["x", "y", "z"]})
