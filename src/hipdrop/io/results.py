"""Result files: written whole or not at all (a temporary file renamed into place), read back for notebooks."""

from __future__ import annotations

import os
import tempfile
from contextlib import ExitStack, contextmanager
from pathlib import Path

import h5netcdf
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import xarray as xr

from hipdrop.vocab import PCT, RUNNING, STANCE

QUARANTINE_COLUMNS = ["path", "stage", "reason"]
#: identifying columns placed first in the stance table (docs/architecture.md section 4)
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
    """Write ``data`` to ``path`` as netCDF-4 (h5netcdf), atomically: a reader never sees half a file."""
    with atomic_path(path) as tmp:
        data.to_netcdf(tmp, engine="h5netcdf")


# Joining the batches' files into the cohort's. Each reads one batch at a time, so the aggregation job's memory
# holds one batch, not the cohort (docs/architecture.md section 5: no job's peak memory grows with the number of trials).

#: stances per HDF5 chunk of the cohort's curves file (101 float64 each: ~0.8 MB per chunk)
CURVE_CHUNK_STANCES = 1024


def join_curve_files(paths: list[str | Path], out: str | Path, *, empty: xr.DataArray) -> int:
    """Concatenate curves files (written by ``write_netcdf``) along ``stance`` into ``out``, renumbering the
    stances 0..n-1; returns n. Copies the stored (already encoded) variables, so the result reads back exactly as
    ``xr.concat`` of the parts would; parts without stances are skipped, and ``empty`` is written when no part has
    any. All parts must share one layout."""
    n = 0
    with atomic_path(out) as tmp:
        with h5netcdf.File(tmp, "w") as dst:
            for path in paths:
                with h5netcdf.File(path, "r") as src:
                    m = src.dimensions[STANCE].size
                    if m == 0:
                        continue
                    if not dst.variables:
                        _copy_layout(src, dst)
                    dst.resize_dimension(STANCE, n + m)
                    for name, var in src.variables.items():
                        if STANCE in var.dimensions:
                            if var.dimensions[0] != STANCE:
                                raise ValueError(f"{path}: {name} does not lead with the {STANCE} dimension")
                            dst.variables[name][n : n + m] = np.arange(n, n + m) if name == STANCE else var[...]
                    n += m
        if n == 0:
            empty.to_netcdf(tmp, engine="h5netcdf")
    return n


def _copy_layout(src: h5netcdf.File, dst: h5netcdf.File) -> None:
    """Dimensions (``stance`` unlimited), variables and attributes of ``src``; the data of variables without
    ``stance``."""
    dst.attrs.update(dict(src.attrs))
    for name, dim in src.dimensions.items():
        dst.dimensions[name] = None if name == STANCE else dim.size
    for name, var in src.variables.items():
        attrs = dict(var.attrs)
        fill = attrs.pop("_FillValue", None)
        chunks = (CURVE_CHUNK_STANCES, *var.shape[1:]) if STANCE in var.dimensions else None
        new = dst.create_variable(name, var.dimensions, dtype=var.dtype, fillvalue=fill, chunks=chunks)
        new.attrs.update(attrs)
        if STANCE not in var.dimensions:
            new[...] = var[...]


def join_parquet_files(paths: list[str | Path], parquet_out: str | Path, csv_out: str | Path | None = None) -> int:
    """Concatenate Parquet tables one part at a time into ``parquet_out`` (and the same rows as CSV); the columns
    are the union of the parts' (a part without a column gets nulls there), types promoted across parts. Returns
    the number of rows."""
    schema = pa.unify_schemas([pq.read_schema(p).remove_metadata() for p in paths], promote_options="permissive")
    rows = 0
    with ExitStack() as stack:
        parquet_tmp = stack.enter_context(atomic_path(parquet_out))
        csv_tmp = stack.enter_context(atomic_path(csv_out)) if csv_out else None
        writer = stack.enter_context(pq.ParquetWriter(parquet_tmp, schema))
        for k, path in enumerate(paths):
            part = pq.read_table(path)
            part = pa.table([part[f.name].cast(f.type) if f.name in part.column_names else pa.nulls(len(part), f.type)
                             for f in schema], schema=schema)
            writer.write_table(part)
            if csv_tmp:
                part.to_pandas().to_csv(csv_tmp, mode="a" if k else "w", header=not k, index=False, float_format="%.6g")
            rows += len(part)
    return rows


def join_csv_files(paths: list[str | Path], out: str | Path, *, derived: dict | None = None) -> int:
    """Concatenate CSV tables one at a time into ``out`` under the union of their columns (in order of first
    appearance). ``derived`` maps further output paths to functions of one part's DataFrame (returning fixed
    columns), written from the same read of each part. Returns the number of rows written to ``out``."""
    columns = list(dict.fromkeys(c for p in paths for c in pd.read_csv(p, nrows=0).columns))
    derived = derived or {}
    rows = 0
    with ExitStack() as stack:
        targets = [(stack.enter_context(atomic_path(out)), None)]
        targets += [(stack.enter_context(atomic_path(path)), function) for path, function in derived.items()]
        for k, path in enumerate(paths):
            part = pd.read_csv(path, dtype={c: str for c in ID_COLUMNS}).reindex(columns=columns)
            rows += len(part)
            for tmp, function in targets:
                written = part if function is None else function(part)
                written.to_csv(tmp, mode="a" if k else "w", header=not k, index=False, float_format="%.6g")
    return rows


def read_stances(results: str | Path = "results") -> pd.DataFrame:
    """The cohort's stance table (``results/stances.parquet``)."""
    return pd.read_parquet(Path(results) / "stances.parquet")


def read_curves(results: str | Path = "results") -> xr.DataArray:
    """Stance-normalised obliquity curves ``[stance, pct]`` with subject, condition, trial, side per stance."""
    return xr.open_dataarray(Path(results) / "curves.nc", engine="h5netcdf").load()


def curve_tasks(path: str | Path) -> list[str]:
    """The tasks of the windows in a curves file, running first; a file without a ``task`` coordinate (running
    only, or written before tasks existed) is running."""
    with h5netcdf.File(path, "r") as src:
        if "task" not in src.variables or src.dimensions[STANCE].size == 0:
            return [RUNNING]
        values = src.variables["task"][...]
    tasks = set(np.char.decode(values.astype(bytes), "utf-8") if values.dtype == object else values.astype(str))
    return sorted(tasks, key=lambda t: (t != RUNNING, t))


def iter_curves(path: str | Path, *, task: str | None = None, stances_per_block: int = 8 * CURVE_CHUNK_STANCES):
    """The curves file in blocks of stances, as DataArrays (``stats.waveforms.subject_mean_curves`` takes them);
    with ``task``, only that task's windows (a file without tasks is all running). Read with h5netcdf, not xarray:
    ``xr.open_dataarray`` reads every stance's string coordinates when it opens the file (167 MB for 556k stances,
    measured), which is what blocks are for avoiding."""
    for block in _curve_blocks(path, stances_per_block):
        if task is None or ("task" not in block.coords and task == RUNNING):
            yield block
        elif "task" in block.coords:
            yield block[block["task"].values == task]


def _curve_blocks(path: str | Path, stances_per_block: int):
    with h5netcdf.File(path, "r") as src:
        n = src.dimensions[STANCE].size
        data = next(name for name, var in src.variables.items() if var.dimensions == (STANCE, PCT))
        per_stance = [name for name, var in src.variables.items() if var.dimensions == (STANCE,) and name != STANCE]
        pct = src.variables[PCT][...]
        for start in range(0, n, stances_per_block):
            block = slice(start, min(start + stances_per_block, n))
            coords = {STANCE: np.arange(block.start, block.stop), PCT: pct}
            for name in per_stance:
                var = src.variables[name]
                values = var[block]
                if values.dtype == object:  # variable-length strings come back as bytes
                    values = np.char.decode(values.astype(bytes), "utf-8")
                elif var.attrs.get("dtype") == "bool":
                    values = values.astype(bool)
                coords[name] = (STANCE, values)
            attrs = {k: v for k, v in src.variables[data].attrs.items() if k not in ("_FillValue", "coordinates")}
            yield xr.DataArray(src.variables[data][block], dims=(STANCE, PCT), coords=coords, attrs=attrs,
                               name=None if data == "__xarray_dataarray_variable__" else data)
