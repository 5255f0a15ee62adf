"""Configuration and trial sheet: loaded, validated against the JSON schemas (with defaults) and hashed.

The schemas in ``hipdrop/schemas`` are the single source; ``workflow/schemas`` links to them.
"""

from __future__ import annotations

import copy
import hashlib
import json
from functools import lru_cache
from pathlib import Path

import jsonschema
import pandas as pd
import yaml

SCHEMA_DIR = Path(__file__).with_name("schemas")


class ConfigError(ValueError):
    """A config or sheet that does not match its schema; the message says which key and why."""


@lru_cache(maxsize=4)
def _schema(name: str) -> dict:
    return yaml.safe_load((SCHEMA_DIR / f"{name}.schema.yaml").read_text())


def _with_defaults(instance, schema):
    """Fill defaults of ``schema`` into ``instance`` recursively (JSON Schema's ``default`` is advisory only)."""
    if schema.get("type") == "object" and isinstance(instance, dict):
        for key, sub in schema.get("properties", {}).items():
            if key not in instance and "default" in sub:
                instance[key] = copy.deepcopy(sub["default"])
            if key in instance:
                instance[key] = _with_defaults(instance[key], sub)
    return instance


def validate_config(config: dict | None) -> dict:
    """Validated copy of ``config`` with every default filled in."""
    schema = copy.deepcopy(_schema("config"))
    config = _with_defaults(copy.deepcopy(config or {}), schema)
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(config), key=lambda e: list(e.path))
    if errors:
        lines = [f"- {'.'.join(map(str, e.path)) or '(top level)'}: {e.message}" for e in errors]
        raise ConfigError("the configuration does not match workflow/schemas/config.schema.yaml:\n" + "\n".join(lines))
    return config


def load_config(path: str | Path | None = None) -> dict:
    config = yaml.safe_load(Path(path).read_text()) if path else {}
    return validate_config(config)


def config_hash(config: dict) -> str:
    """sha256 of the science configuration (paths excluded), recorded beside every result."""
    science = {k: v for k, v in config.items() if k not in ("trials", "results", "subjects_per_job", "strict")}
    return hashlib.sha256(json.dumps(science, sort_keys=True).encode()).hexdigest()[:16]


def load_sheet(path: str | Path) -> pd.DataFrame:
    """The trial sheet with defaults filled in and ``path`` resolved against the sheet's folder."""
    path = Path(path)
    sheet = pd.read_csv(path, sep="\t", dtype={"subject": str, "condition": str, "trial": str}, comment="#")
    schema = copy.deepcopy(_schema("trials"))
    missing = [c for c in schema["required"] if c not in sheet.columns]
    if missing:
        raise ConfigError(f"{path}: the trial sheet lacks the column(s) {', '.join(missing)}")
    for column, spec in schema["properties"].items():
        if column not in sheet.columns and "default" in spec:
            sheet[column] = spec["default"]
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for i, row in enumerate(sheet.to_dict("records"), start=2):  # line 1 is the header
        row = {k: v for k, v in row.items() if not (isinstance(v, float) and pd.isna(v))}
        problems += [f"- line {i}: {'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(row)]
    duplicated = sheet.duplicated(["subject", "condition", "trial"], keep=False)
    problems += [f"- line {i + 2}: subject/condition/trial repeated" for i in sheet.index[duplicated]]
    if problems:
        raise ConfigError(f"{path}: the trial sheet does not match workflow/schemas/trials.schema.yaml:\n" + "\n".join(problems))
    sheet["path"] = [str(p if Path(p).is_absolute() else (path.parent / p)) for p in sheet["path"]]
    return sheet
