"""Joining the batches' result files one at a time gives what concatenating them in memory gives."""

import numpy as np
import pandas as pd
import xarray as xr

from hipdrop.cohort.aggregate import concat_curves, empty_curves
from hipdrop.io.results import (
    iter_curves,
    join_csv_files,
    join_curve_files,
    join_parquet_files,
    write_netcdf,
    write_table,
)
from hipdrop.stats.waveforms import subject_mean_curves

RNG = np.random.default_rng(7)


def curves_part(subject: str, n: int, points: int = 11) -> xr.DataArray:
    values = RNG.normal(size=(n, points))
    values[0, 3] = np.nan  # a missing sample must survive the copy as NaN
    return xr.DataArray(
        values, dims=("stance", "pct"), name="obliquity",
        coords={"stance": np.arange(n), "pct": np.linspace(0, 100, points),
                "subject": ("stance", [subject] * n), "condition": ("stance", RNG.choice(["baseline", "cadence"], n)),
                "trial": ("stance", ["1"] * n), "side": ("stance", RNG.choice(["L", "R"], n)),
                "excluded": ("stance", RNG.random(n) < 0.2)},
        attrs={"units": "deg"},
    )


def test_joined_curves_read_back_as_the_in_memory_concatenation(tmp_path):
    parts = [curves_part("S01", 700), empty_curves(11), curves_part("S02", 1500), curves_part("S03", 3)]
    paths = []
    for k, part in enumerate(parts):
        paths.append(tmp_path / f"b{k}.nc")
        write_netcdf(part, paths[-1])
    n = join_curve_files(paths, tmp_path / "curves.nc", empty=empty_curves(11))
    joined = xr.open_dataarray(tmp_path / "curves.nc", engine="h5netcdf").load()
    expected = concat_curves(parts)
    assert n == 2203 == joined.sizes["stance"]
    xr.testing.assert_identical(joined.drop_attrs(deep=False), expected.drop_attrs(deep=False))
    assert joined.attrs["units"] == "deg" and np.isnan(joined[700, 3])
    blocks = list(iter_curves(tmp_path / "curves.nc", stances_per_block=1000))
    assert [b.sizes["stance"] for b in blocks] == [1000, 1000, 203]
    xr.testing.assert_identical(xr.concat(blocks, dim="stance"), joined)


def test_joining_only_empty_batches_writes_the_empty_curves(tmp_path):
    write_netcdf(empty_curves(11), tmp_path / "b.nc")
    assert join_curve_files([tmp_path / "b.nc"], tmp_path / "curves.nc", empty=empty_curves(11)) == 0
    assert xr.open_dataarray(tmp_path / "curves.nc", engine="h5netcdf").sizes == {"stance": 0, "pct": 11}


def test_joined_tables_hold_every_row_under_the_union_of_columns(tmp_path):
    parts = [
        pd.DataFrame({"subject": ["S01", "S01"], "trial": ["1", "2"], "cpd_peak_deg": [1.5, 2.0], "arm_swing": ["normal", "reduced"]}),
        pd.DataFrame(columns=["subject", "trial", "cpd_peak_deg", "arm_swing"]),  # a batch whose trials all failed
        pd.DataFrame({"subject": ["S02"], "trial": ["1"], "cpd_peak_deg": [np.nan]}),  # no design column
    ]
    for k, part in enumerate(parts):
        write_table(part, tmp_path / f"b{k}.parquet")
        write_table(part, tmp_path / f"b{k}.csv")
    rows = join_parquet_files([tmp_path / f"b{k}.parquet" for k in range(3)], tmp_path / "all.parquet", tmp_path / "all.csv")
    expected = pd.concat([p for p in parts if len(p)], ignore_index=True)
    assert rows == 3
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "all.parquet"), expected, check_dtype=False)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "all.csv", dtype={"trial": str}), expected, check_dtype=False)
    first_rows = {tmp_path / "firsts.csv": lambda part: part.head(1)}
    assert join_csv_files([tmp_path / f"b{k}.csv" for k in (2, 0)], tmp_path / "joined.csv", derived=first_rows) == 3
    assert pd.read_csv(tmp_path / "firsts.csv")["cpd_peak_deg"].tolist()[1:] == [1.5]  # one row per part, same read
    joined = pd.read_csv(tmp_path / "joined.csv", dtype={"trial": str, "subject": str})
    assert list(joined.columns) == ["subject", "trial", "cpd_peak_deg", "arm_swing"] and joined["arm_swing"].isna().sum() == 1


def test_blockwise_subject_means_equal_xarray_groupby_on_the_whole_array():
    curves = concat_curves([curves_part("S01", 300), curves_part("S02", 200)])
    blocks = [curves.isel(stance=slice(s, s + 64)) for s in range(0, curves.sizes["stance"], 64)]
    means = subject_mean_curves(blocks)
    kept = curves.where(~curves["excluded"], drop=True)
    groups = means.stack(group=("condition", "subject")).dropna("group", how="all").transpose("group", "pct")
    for condition, subject, mean in zip(groups["condition"].values, groups["subject"].values, groups.to_numpy()):
        mine = kept.where((kept["condition"] == condition) & (kept["subject"] == subject), drop=True)
        np.testing.assert_allclose(mean, mine.mean("stance").to_numpy(), rtol=1e-12)
    assert groups.sizes["group"] == 4
