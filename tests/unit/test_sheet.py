"""The trial sheet from a folder: by layout, by pattern, and through ``hipdrop sheet``, on empty placeholder files."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from hipdrop.cli import main
from hipdrop.config import ConfigError, load_sheet
from hipdrop.sheet import compile_pattern, design_defaults, sheet_from_layout, sheet_from_pattern


def touch(root, *paths):
    for rel in paths:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"")


def test_layout_places_subject_condition_files_and_names_the_rest(tmp_path):
    touch(tmp_path, "S01/baseline/run2.c3d", "S01/baseline/run10.C3D", "S02/cadence_plus10/a.c3d",
          "loose.c3d", "S01/only_subject.c3d", "S01/baseline/extra/deep.c3d", "S01/baseline/notes.txt",
          "S 03/baseline/a.c3d")
    sheet, unplaced = sheet_from_layout(tmp_path)
    assert list(sheet.columns[:4]) == ["subject", "condition", "trial", "path"]
    assert {"target_cadence_change_pct", "arm_swing"} <= set(sheet.columns[4:]) == set(design_defaults())
    assert sheet[["subject", "condition", "trial", "path"]].values.tolist() == [
        ["S01", "baseline", "run2", "S01/baseline/run2.c3d"],
        ["S01", "baseline", "run10", "S01/baseline/run10.C3D"],
        ["S02", "cadence_plus10", "a", "S02/cadence_plus10/a.c3d"],
    ]
    assert (sheet.target_cadence_change_pct == 0).all() and (sheet.arm_swing == "normal").all()
    reasons = dict(line.split(": ", 1) for line in unplaced)
    assert set(reasons) == {"loose.c3d", "S01/only_subject.c3d", "S01/baseline/extra/deep.c3d", "S 03/baseline/a.c3d"}
    assert reasons["loose.c3d"].startswith("too shallow") and reasons["S01/only_subject.c3d"].startswith("too shallow")
    assert reasons["S01/baseline/extra/deep.c3d"].startswith("too deep")
    assert "subject 'S 03' is not a valid id" in reasons["S 03/baseline/a.c3d"]


def test_layout_trial_by_position_in_natural_order(tmp_path):
    touch(tmp_path, "S01/baseline/run10.c3d", "S01/baseline/run2.c3d", "S01/fast/x.c3d")
    sheet, unplaced = sheet_from_layout(tmp_path, trial="position")
    assert unplaced == []
    assert sheet[["condition", "trial", "path"]].values.tolist() == [
        ["baseline", "1", "S01/baseline/run2.c3d"], ["baseline", "2", "S01/baseline/run10.c3d"], ["fast", "1", "S01/fast/x.c3d"]]


def test_pattern_reads_fields_condition_takes_underscores_and_the_rest_is_named(tmp_path):
    touch(tmp_path, "S01_cadence_plus10_1.c3d", "S01_baseline_2.c3d", "S02_baseline_1.c3d", "calibration.c3d",
          "S01_baseline_1.txt")
    sheet, unplaced = sheet_from_pattern(tmp_path, "{subject}_{condition}_{trial}.c3d")
    assert sheet[["subject", "condition", "trial", "path"]].values.tolist() == [
        ["S01", "baseline", "2", "S01_baseline_2.c3d"],
        ["S01", "cadence_plus10", "1", "S01_cadence_plus10_1.c3d"],
        ["S02", "baseline", "1", "S02_baseline_1.c3d"],
    ]
    assert unplaced == ["calibration.c3d: does not match the pattern {subject}_{condition}_{trial}.c3d"]


def test_pattern_with_folders_repeated_fields_skipped_text_and_literals(tmp_path):
    touch(tmp_path, "S01/2024-05-01_S01_baseline_T1.c3d", "S02/2024-05-02_S02_fast_T3.c3d",
          "S02/2024-05-02_S01_fast_T3.c3d",  # the subject in the name is not its folder's: no match
          "S03/2024-05-02_S03_fast_3.c3d")  # the literal T is missing
    sheet, unplaced = sheet_from_pattern(tmp_path, "{subject}/{*}_{subject}_{condition}_T{trial}.c3d")
    assert sheet[["subject", "condition", "trial"]].values.tolist() == [["S01", "baseline", "1"], ["S02", "fast", "3"]]
    assert [line.split(":")[0] for line in unplaced] == ["S02/2024-05-02_S01_fast_T3.c3d", "S03/2024-05-02_S03_fast_3.c3d"]
    assert all("does not match the pattern" in line for line in unplaced)


def test_pattern_without_trial_gives_trial_one_and_fields_never_span_folders(tmp_path):
    touch(tmp_path, "S01_baseline.c3d", "sub/S02_baseline.c3d")
    sheet, unplaced = sheet_from_pattern(tmp_path, "{subject}_{condition}.c3d")
    assert sheet[["subject", "trial"]].values.tolist() == [["S01", "1"]]
    assert unplaced == ["sub/S02_baseline.c3d: does not match the pattern {subject}_{condition}.c3d"]


@pytest.mark.parametrize("pattern, words", [
    ("{subject}_{speed}.c3d", ["{speed}", "{subject}", "{condition}", "{trial}"]),
    ("{subject}_{trial}.c3d", ["lacks {condition}"]),
    ("{subject_{condition}.c3d", ["unbalanced"]),
])
def test_a_bad_pattern_is_refused_with_what_to_write(pattern, words):
    with pytest.raises(ConfigError) as err:
        compile_pattern(pattern)
    assert all(w in str(err.value) for w in words)


def test_duplicates_are_refused_naming_both_files(tmp_path):
    touch(tmp_path, "a/S01_baseline_1.c3d", "b/S01_baseline_1.c3d")
    with pytest.raises(ConfigError) as err:
        sheet_from_pattern(tmp_path, "{*}/{subject}_{condition}_{trial}.c3d")
    assert "a/S01_baseline_1.c3d" in str(err.value) and "b/S01_baseline_1.c3d" in str(err.value)
    assert "subject S01, condition baseline, trial 1" in str(err.value)
    touch(tmp_path, "S01/baseline/t1.c3d", "S01/baseline/t1.C3D")
    with pytest.raises(ConfigError, match=r"S01/baseline/t1\.C3D and S01/baseline/t1\.c3d|S01/baseline/t1\.c3d and S01/baseline/t1\.C3D"):
        sheet_from_layout(tmp_path)


def test_paths_are_relative_to_the_sheet_and_the_sheet_loads(tmp_path):
    touch(tmp_path / "study", "S01/baseline/1.c3d", "S02/baseline/1.c3d")
    sheet, _ = sheet_from_layout(tmp_path / "study", relative_to=tmp_path / "sheets")
    assert sheet.path.tolist() == ["../study/S01/baseline/1.c3d", "../study/S02/baseline/1.c3d"]
    (tmp_path / "sheets").mkdir()
    sheet.to_csv(tmp_path / "sheets" / "trials.tsv", sep="\t", index=False)
    loaded = load_sheet(tmp_path / "sheets" / "trials.tsv")
    assert all(Path(p).is_file() for p in loaded.path)


def test_cli_writes_the_sheet_and_lists_what_it_did_not_place(tmp_path, capsys):
    touch(tmp_path / "lab", "S01_baseline_1.c3d", "S01_arm_swing_1.c3d", "static.c3d")
    out = tmp_path / "lab" / "trials.tsv"
    assert main(["sheet", str(tmp_path / "lab"), "-o", str(out), "--pattern", "{subject}_{condition}_{trial}.c3d"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "not placed: static.c3d: does not match the pattern {subject}_{condition}_{trial}.c3d"
    assert "2 trials, 1 subjects, 2 conditions (arm_swing, baseline); 1 .c3d file(s) not placed" in printed[1]
    written = pd.read_csv(out, sep="\t", dtype=str)
    assert written.path.tolist() == ["S01_arm_swing_1.c3d", "S01_baseline_1.c3d"]
    assert written.target_cadence_change_pct.astype(float).eq(0).all() and written.arm_swing.eq("normal").all()
    # a sheet the user may have filled in is not overwritten without --force
    assert main(["sheet", str(tmp_path / "lab"), "-o", str(out)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err


def test_cli_places_nothing_exits_nonzero_with_the_reason(tmp_path):
    touch(tmp_path / "flat", "S01_baseline_1.c3d")
    (tmp_path / "empty").mkdir()

    def hipdrop(*args):
        return subprocess.run([sys.executable, "-m", "hipdrop.cli", "sheet", *map(str, args)], capture_output=True, text=True)

    done = hipdrop(tmp_path / "flat", "-o", tmp_path / "t.tsv")
    assert done.returncode == 1 and not (tmp_path / "t.tsv").exists()
    assert done.stdout.startswith("not placed: S01_baseline_1.c3d: too shallow")
    assert "nothing placed" in done.stderr and "--pattern" in done.stderr and "Traceback" not in done.stderr
    done = hipdrop(tmp_path / "empty", "-o", tmp_path / "t.tsv")
    assert done.returncode == 1 and f"no .c3d file under {tmp_path / 'empty'}" in done.stderr
    touch(tmp_path / "dup", "x/S01_b_1.c3d", "y/S01_b_1.c3d")
    done = hipdrop(tmp_path / "dup", "-o", tmp_path / "t.tsv", "--pattern", "{*}/{subject}_{condition}_{trial}.c3d")
    assert done.returncode == 2 and "x/S01_b_1.c3d and y/S01_b_1.c3d" in done.stderr and "Traceback" not in done.stderr
