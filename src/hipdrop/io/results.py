"""Result files: written whole or not at all (a temporary file renamed into place), read back for notebooks."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import xarray as xr

QUARANTINE_COLUMNS = ["path", "stage", "reason"]
#: identifying columns placed first in the stance table (architecture.md section 4)
ID_COLUMNS = ["subject", "condition", "trial"]


@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; results are meant to be shared
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_table(table: pd.DataFrame, path: str | Path) -> None:
    """CSV or Parquet by suffix, atomically."""
    with atomic_path(path) as tmp:
        if Path(path).suffix == ".parquet":
            table.to_parquet(tmp, index=False)
        else:
            table.to_csv(tmp, index=False, float_format="%.6g")


def write_netcdf(data: xr.Dataset | xr.DataArray, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        data.to_netcdf(tmp, engine="h5netcdf")


def read_stances(results: str | Path = "results") -> pd.DataFrame:
    """The cohort's stance table (``results/stances.parquet``)."""
    return pd.read_parquet(Path(results) / "stances.parquet")


def read_curves(results: str | Path = "results") -> xr.DataArray:
    """Stance-normalised obliquity curves ``[stance, pct]`` with subject, condition, trial, side per stance."""
    return xr.open_dataarray(Path(results) / "curves.nc", engine="h5netcdf").load()
