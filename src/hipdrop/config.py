"""Configuration and trial sheet: loaded, validated against the JSON schemas (with defaults) and hashed.

The schemas in ``hipdrop/schemas`` are the single source; ``workflow/schemas`` links to them.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path

import jsonschema
import pandas as pd
import yaml

SCHEMA_DIR = Path(__file__).with_name("schemas")
#: what pandas names a column without a header (``Unnamed: 6``)
_IGNORABLE_COLUMN = re.compile(r"Unnamed: \d+")


class ConfigError(ValueError):
    """A config or sheet that does not match its schema; the message says which key and why."""


@lru_cache(maxsize=4)
def load_schema(name: str) -> dict:
    """The JSON schema ``name`` (config or trials) as a dict, defaults included."""
    # libyaml's parser where PyYAML has it, with the safe loader's constructors (the same dict): the pure-Python
    # parser took 20 cpu-ms of every workflow process's start-up for the 19 kB config schema, libyaml 3
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load((SCHEMA_DIR / f"{name}.schema.yaml").read_text(), Loader=loader)


def schema_default(key: str):
    """The config schema's default of ``key``, a dotted path such as ``"stats.alpha"``: the one source of the
    defaults library functions take for a config setting (a workflow run passes the config's own value)."""
    spec = load_schema("config")
    for part in key.split("."):
        spec = spec["properties"][part]
    return copy.deepcopy(spec["default"])


def section_with_defaults(config: dict | None, key: str) -> dict:
    """Config section ``key`` (dotted, e.g. ``"stats.control"``) with the schema's default for every setting it does
    not give: for sections that have no default themselves (so that configs without them keep their hash) and
    keep their defaults in their properties."""
    spec, given = load_schema("config"), config or {}
    for part in key.split("."):
        spec, given = spec["properties"][part], (given or {}).get(part) or {}
    return {name: given[name] if name in given else schema_default(f"{key}.{name}") for name in spec["properties"]}


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
    """Validated copy of ``config`` with every default filled in.

    Raises
    ------
    ConfigError
        One line per problem, naming the key: an unknown key with the keys allowed where it stands (and the
        closest one), a wrong value with what the schema asks for (``config/README.md`` explains every key).
    """
    schema = copy.deepcopy(load_schema("config"))
    config = _with_defaults(copy.deepcopy(config or {}), schema)
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(config), key=lambda e: list(e.path))
    if errors:
        raise ConfigError("\n".join(_config_error_line(e) for e in errors))
    return config


def _config_error_line(error: jsonschema.ValidationError) -> str:
    """One line for one schema violation: jsonschema's own message for an unknown key quotes no allowed keys, and
    Snakemake's validation prints the whole schema, both of which leave a user to hunt for the typo."""
    where = ".".join(map(str, error.path))
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = list(error.schema.get("properties", {}))
        lines = []
        for key in sorted(set(error.instance) - set(allowed), key=str):
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            lines.append(f"config: unknown key {where + '.' if where else ''}{key}{hint}; allowed "
                         f"{'under ' + where if where else 'at the top level'}: {', '.join(allowed)} (see config/README.md)")
        return "\n".join(lines)
    return f"config: {where or '(top level)'}: {error.message} (see config/README.md)"


def load_config(path: str | Path | None = None) -> dict:
    """The YAML config at ``path`` (none: every default), validated and completed with the schema's defaults."""
    config = yaml.safe_load(Path(path).read_text()) if path else {}
    return validate_config(config)


#: the top-level keys no trial's result depends on: paths, job layout, where trials run, how figures are drawn, and
#: the cohort statistics (they read the trials' stance tables; a change there must not rerun or re-hash the trials)
NOT_SCIENCE = ("trials", "results", "subjects_per_job", "strict", "dask", "report", "stats")
#: settings that were constants in the code until they moved into the config (issue 23), as (section, key): at
#: their schema default they leave the hash as it was before they existed, so that a result recorded then and
#: one recorded now with the same analysis carry the same hash
MOVED_FROM_CODE = (
    ("events", "strike_height_mm"), ("events", "off_height_mm"),
    ("stances", "outlier_robust_sd"), ("stances", "outlier_floor_s"), ("stances", "outlier_min_stances"),
    *(("plausibility", key) for key in ("capture_volume_mm", "off_body_mm", "max_segment_speed_m_s", "max_spike_s",
                                        "pelvis_shape_mm")),
)


def config_hash(config: dict) -> str:
    """sha256 of the configuration a trial's result depends on (``NOT_SCIENCE`` left out; ``MOVED_FROM_CODE`` only
    where it differs from its default), recorded beside every trial's result."""
    science = {k: copy.deepcopy(v) for k, v in config.items() if k not in NOT_SCIENCE}
    for section, key in MOVED_FROM_CODE:
        if key in science.get(section, {}) and science[section][key] == schema_default(f"{section}.{key}"):
            del science[section][key]
    for section in {section for section, _ in MOVED_FROM_CODE}:
        if science.get(section) == {}:  # a section that holds only such settings, all at their defaults
            del science[section]
    return hashlib.sha256(json.dumps(science, sort_keys=True).encode()).hexdigest()[:16]


def static_rows(sheet: pd.DataFrame) -> pd.Series:
    """True for the sheet's static standing trials (column ``static``; absent = none): a runner's reference, not
    a condition."""
    if "static" not in sheet:
        return pd.Series(False, index=sheet.index)
    return sheet["static"].fillna(False).astype(bool)


def load_sheet(path: str | Path) -> pd.DataFrame:
    """The trial sheet with defaults filled in and ``path`` resolved against the sheet's folder.

    Empty unnamed columns (a trailing tab) are dropped; other columns not in the schema are kept and named by
    ``unknown_columns``, files that do not exist by ``missing_files`` (both warnings: the workflow reports them).
    """
    path = Path(path)
    sheet = pd.read_csv(path, sep="\t", dtype={"subject": str, "condition": str, "trial": str}, comment="#")
    # a trailing tab on a line makes an empty, unnamed column: nothing the lab meant, so nothing to warn about
    sheet = sheet.drop(columns=[c for c in sheet.columns if _IGNORABLE_COLUMN.fullmatch(str(c)) and sheet[c].isna().all()])
    schema = copy.deepcopy(load_schema("trials"))
    missing = [c for c in schema["required"] if c not in sheet.columns]
    if missing:
        raise ConfigError(f"{path}: the trial sheet lacks the column(s) {', '.join(missing)}")
    for column, spec in schema["properties"].items():
        if "default" in spec:  # an absent column, or an empty cell (sheets joined from two studies), is the default
            sheet[column] = sheet[column].fillna(spec["default"]) if column in sheet.columns else spec["default"]
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for i, row in enumerate(sheet.to_dict("records"), start=2):  # line 1 is the header
        row = {k: v for k, v in row.items() if not (isinstance(v, float) and pd.isna(v))}
        problems += [f"- line {i}: {'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(row)]
    # a subject may run and squat with a "baseline" in each: a trial is named within its task
    duplicated = sheet.duplicated(["task", "subject", "condition", "trial"], keep=False)
    problems += [f"- line {i + 2}: subject/condition/trial repeated within task {sheet.at[i, 'task']}"
                 for i in sheet.index[duplicated]]
    if problems:
        raise ConfigError(f"{path}: the trial sheet does not match workflow/schemas/trials.schema.yaml:\n" + "\n".join(problems))
    sheet["path"] = [str(p if Path(p).is_absolute() else (path.parent / p)) for p in sheet["path"]]
    if "mvc" in sheet:  # a runner's MVC file, resolved as the trials' paths are; empty cells stay empty
        sheet["mvc"] = [p if not isinstance(p, str) or not p or Path(p).is_absolute() else str(path.parent / p)
                        for p in sheet["mvc"]]
    return sheet


def unknown_columns(sheet: pd.DataFrame) -> list[str]:
    """The columns of a loaded trial sheet that hipdrop does not use (not in ``trials.schema.yaml``), each with the
    schema column it most resembles, e.g. ``arm_swng (did you mean arm_swing?)``.

    A lab's own notes columns are welcome, so these are a warning, not an error; but a misspelt design column
    would otherwise leave its default in place without a word.
    """
    return [f"{column} (did you mean {close}?)" if close else str(column) for column, close in _unknown(sheet).items()]


def misspelt_columns(sheet: pd.DataFrame) -> list[str]:
    """One sentence per column of a loaded trial sheet that is not hipdrop's but closely resembles one of its
    columns (``target_cadense_change_pct``): a design problem, since the column it was meant to be keeps its
    default in every row (every cadence target 0), and in strict mode an error."""
    defaults = {name: spec.get("default") for name, spec in load_schema("trials")["properties"].items()}
    return [f"column {column} is not a trial sheet column (did you mean {close}?): {close} keeps its default "
            f"{defaults[close]!r} wherever the sheet does not give it" for column, close in _unknown(sheet).items() if close]


def _unknown(sheet: pd.DataFrame) -> dict[str, str | None]:
    """The sheet's columns not in ``trials.schema.yaml``, each with the schema column it most resembles (None)."""
    known = list(load_schema("trials")["properties"])
    return {str(c): next(iter(difflib.get_close_matches(str(c), known, n=1)), None) for c in sheet.columns if c not in known}


def missing_files(sheet: pd.DataFrame) -> list[str]:
    """The ``path`` of every row of a loaded trial sheet (paths resolved) whose file does not exist."""
    return [p for p in sheet["path"] if not Path(p).exists()]
