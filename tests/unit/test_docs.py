"""The docs against what the code validates and holds: every key of the config schema in config/README.md with its
schema default, every column of the trial-sheet schema in its sheet table, every module under src/hipdrop in the
layout section of docs/architecture.md (the schemas and the source tree are the outside truth here)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from hipdrop.config import load_schema

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "hipdrop"


def _leaf_keys(schema: dict, prefix: str = "") -> dict[str, dict]:
    """Every setting of the schema as dotted key -> its schema; a section with properties is not a setting itself."""
    keys = {}
    for name, sub in schema.get("properties", {}).items():
        key = f"{prefix}{name}"
        if sub.get("type") == "object" and "properties" in sub:
            keys.update(_leaf_keys(sub, f"{key}."))
        else:
            keys[key] = sub
    return keys


def _table_rows(text: str, heading: str) -> list[list[str]]:
    """The cells of the first Markdown table after ``heading`` (the rule under its header left out)."""
    rows, started = [], False
    for line in text[text.index(heading):].splitlines()[1:]:
        if line.startswith("|"):
            started = True
            rows.append([cell.strip() for cell in line.strip().strip("|").split(" | ")])
        elif started:
            break
    return rows[1:]


def _ticked(cell: str) -> list[str]:
    return re.findall(r"`([^`]*)`", cell)


def _config_rows() -> dict[str, tuple[str, str]]:
    """config/README.md's key table as key -> (its default as written, the whole row); a row naming two keys
    (`a`, `b` | `1`, `2`) gives each its own default."""
    rows = {}
    for key_cell, default_cell, *meaning in _table_rows((ROOT / "config" / "README.md").read_text(), "| key |"):
        keys, defaults = _ticked(key_cell), _ticked(default_cell)
        for i, key in enumerate(keys):
            written = defaults[i] if len(defaults) == len(keys) else default_cell
            rows[key] = (written, " | ".join([key_cell, default_cell, *meaning]))
    return rows


CONFIG_KEYS = _leaf_keys(load_schema("config"))


@pytest.mark.parametrize("key", sorted(CONFIG_KEYS))
def test_every_config_key_is_in_config_readme_with_its_schema_default(key):
    rows = _config_rows()
    assert key in rows, f"config key {key} is not in config/README.md's table"
    written, row = rows[key]
    default = CONFIG_KEYS[key].get("default")
    if isinstance(default, dict) or (isinstance(default, list) and len(default) > 3):
        # a mapping or a long list is named, not written out: each of its entries appears in the row
        missing = [entry for entry in default if f"`{entry}`" not in row]
        assert not missing, f"config/README.md's row of {key} does not name {missing} of its default"
    else:
        assert yaml.safe_load(written) == default, f"config/README.md gives {key} the default {written!r}, the schema {default!r}"


def test_config_readme_names_no_key_the_schema_lacks():
    assert sorted(set(_config_rows()) - set(CONFIG_KEYS)) == []


def test_every_sheet_column_is_in_config_readme():
    columns = {_ticked(cells[0])[0] for cells in _table_rows((ROOT / "config" / "README.md").read_text(), "| column |")}
    assert sorted(set(load_schema("trials")["properties"]) - columns) == []
    assert sorted(columns - set(load_schema("trials")["properties"])) == []


def _layout_section() -> str:
    text = (ROOT / "docs" / "architecture.md").read_text()
    start = text.index("## 3. Layout")
    return text[start:text.index("\n## ", start + 1)]


@pytest.mark.parametrize("module", sorted(
    str(path.relative_to(SRC)) for path in SRC.rglob("*.py") if path.name != "__init__.py"
))
def test_every_module_is_in_the_architecture_layout(module):
    assert re.search(rf"(^|\s){re.escape(module)}(\s|$)", _layout_section(), re.M), (
        f"src/hipdrop/{module} is not listed in docs/architecture.md section 3")


@pytest.mark.parametrize("rules", sorted(path.name for path in (ROOT / "workflow" / "rules").glob("*.smk")))
def test_every_rule_file_is_in_the_architecture_layout(rules):
    assert f"workflow/rules/{rules}" in _layout_section()
