"""One source for every default of a config setting: the config schema. A library function's parameter named after a
setting takes its default through ``hipdrop.config.schema_default``, never from a copy of the schema's value."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from hipdrop.config import load_schema, schema_default, validate_config

SRC = Path(__file__).resolve().parents[2] / "src" / "hipdrop"
#: the packages whose functions take the cohort settings of config ``stats`` and ``report``
PACKAGES = ("stats", "cohort", "report")


def _settings(schema: dict, prefix: str = "") -> dict[str, object]:
    """Every setting's dotted key -> its schema default (a section with properties is not a setting itself)."""
    out = {}
    for name, sub in schema.get("properties", {}).items():
        if sub.get("type") == "object" and "properties" in sub:
            out.update(_settings(sub, f"{prefix}{name}."))
        elif "default" in sub:
            out[f"{prefix}{name}"] = sub["default"]
    return out


def test_schema_default_is_the_validated_configs_value():
    config = validate_config({})
    assert schema_default("stats.alpha") == config["stats"]["alpha"] == 0.05
    assert schema_default("report.figure_dpi") == config["report"]["figure_dpi"]
    assert schema_default("stats.reference.z_threshold") == 2.0  # a key under a section without a default
    assert schema_default("stats.arm_metrics") is not schema_default("stats.arm_metrics")  # a copy, never shared


@pytest.mark.parametrize("package", PACKAGES)
def test_no_function_copies_a_settings_default(package):
    by_name: dict[str, list[tuple[str, object]]] = {}
    for key, default in _settings(load_schema("config")).items():
        by_name.setdefault(key.rsplit(".", 1)[-1], []).append((key, default))
    copies = []
    for path in sorted((SRC / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            args = node.args
            positional = args.posonlyargs + args.args
            pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults))
            pairs += [(arg, default) for arg, default in zip(args.kwonlyargs, args.kw_defaults) if default is not None]
            for arg, default in pairs:
                if not isinstance(default, ast.Constant):
                    continue
                for key, value in by_name.get(arg.arg, []):
                    if value is not None and default.value == value and type(default.value) is type(value):
                        copies.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name}({arg.arg}={default.value!r}) "
                                      f"copies config {key}: use schema_default({key!r})")
    assert copies == []
