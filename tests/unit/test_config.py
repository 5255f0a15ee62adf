"""Config and trial sheet checks: one line per config problem naming the key; the sheet's unknown columns and
missing files named before any work."""

import pytest

from hipdrop.config import ConfigError, load_sheet, missing_files, misspelt_columns, unknown_columns, validate_config


@pytest.mark.parametrize("config, key, allowed", [
    ({"clean": {"lowpas_hz": 3}}, "clean.lowpas_hz (did you mean lowpass_hz?)", "allowed under clean: max_gap_s, lowpass_hz"),
    ({"stricct": True}, "stricct (did you mean strict?)", "allowed at the top level: trials, results"),
])
def test_a_config_typo_is_one_line_naming_the_key_and_the_allowed_ones(config, key, allowed):
    with pytest.raises(ConfigError) as err:
        validate_config(config)
    message = str(err.value)
    assert "\n" not in message and f"unknown key {key}" in message and allowed in message
    assert "description" not in message and "properties" not in message  # not the schema


def test_a_wrong_value_names_its_key_and_defaults_still_fill():
    with pytest.raises(ConfigError, match=r"^config: clean\.lowpass_hz: -3 is less than or equal to the minimum of 0"):
        validate_config({"clean": {"lowpass_hz": -3}})
    config = validate_config({"clean": {"lowpass_hz": 6}})
    assert config["clean"] == {"lowpass_hz": 6, "max_gap_s": 0.1, "lowpass_order": 2, "lowpass_twicing": True}
    assert config["strict"] is False and config["stats"]["baseline"] == "baseline"


def test_sheet_names_unknown_columns_and_missing_files_and_ignores_trailing_tabs(tmp_path):
    (tmp_path / "S01_baseline_1.c3d").write_bytes(b"")
    (tmp_path / "trials.tsv").write_text(
        "subject\tcondition\ttrial\tpath\tarm_swng\tnotes\t\n"
        "S01\tbaseline\t1\tS01_baseline_1.c3d\tnormal\tshoe A\t\n"
        "S01\tfast\t1\tS01_fast_1.c3d\treduced\t\t\n"
    )
    sheet = load_sheet(tmp_path / "trials.tsv")
    assert unknown_columns(sheet) == ["arm_swng (did you mean arm_swing?)", "notes"]
    # the misspelt design column is a design problem; the lab's own notes are not
    assert misspelt_columns(sheet) == ["column arm_swng is not a trial sheet column (did you mean arm_swing?): arm_swing "
                                       "keeps its default 'normal' wherever the sheet does not give it"]
    assert missing_files(sheet) == [str(tmp_path / "S01_fast_1.c3d")]


def test_sheet_refuses_duplicate_rows_naming_their_lines(tmp_path):
    (tmp_path / "trials.tsv").write_text("subject\tcondition\ttrial\tpath\nS01\tbaseline\t1\ta.c3d\nS01\tbaseline\t1\tb.c3d\n")
    with pytest.raises(ConfigError, match="line 2: subject/condition/trial repeated") as err:
        load_sheet(tmp_path / "trials.tsv")
    assert "line 3" in str(err.value) and str(tmp_path / "trials.tsv") in str(err.value)


def test_settings_moved_from_code_leave_the_hash_at_their_defaults_and_figures_never_count():
    """config_hash: a result recorded before a constant became a setting keeps its hash for the same analysis; a
    changed setting changes it; the figures' resolution is no science."""
    from hipdrop.config import MOVED_FROM_CODE, config_hash, validate_config

    default = validate_config({})
    older = {section: dict(values) if isinstance(values, dict) else values for section, values in default.items()}
    for section, key in MOVED_FROM_CODE:
        older[section].pop(key)
    older = {k: v for k, v in older.items() if v != {}}
    assert config_hash(default) == config_hash(older)
    assert config_hash(validate_config({"events": {"strike_height_mm": 4.0}})) != config_hash(default)
    assert config_hash(validate_config({"plausibility": {"max_spike_s": 0.02}})) != config_hash(default)
    assert config_hash(validate_config({"report": {"figure_dpi": 300}})) == config_hash(default)
    # the statistics read the trials' stance tables: a trial's result and its hash do not depend on them
    assert config_hash(validate_config({"stats": {"alpha": 0.1}})) == config_hash(default)
