"""The trial sheet from a lab's folder of C3D files, by its folder layout or by a file-name pattern.

Both builders are pure functions of a folder's listing: they return the sheet (``subject``, ``condition``,
``trial``, ``path`` and the design columns at their schema defaults, to be filled in by the user) and one line for
every ``.c3d`` file they could not place, with the reason. They never guess: a file that does not fit is listed,
and two files that would be the same trial are an error naming both.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from hipdrop.config import ConfigError, load_schema

#: the fields a file-name pattern may hold; ``{*}`` skips text (a date, a session code) within one folder name
FIELDS = ("subject", "condition", "trial")
SHEET_COLUMNS = ["subject", "condition", "trial", "path"]
#: the layout ``sheet_from_layout`` reads
LAYOUT = "subject/condition/FILE.c3d"
# Where a name splits more than one way (S01_cadence_plus10_1.c3d under {subject}_{condition}_{trial}.c3d),
# subject and trial take the shortest text that fits and condition the longest: condition names hold
# underscores (cadence_plus10) far more often than subject ids or trial numbers do.
_FIELD_REGEX = {"subject": r"[^/]+?", "condition": r"[^/]+", "trial": r"[^/]+?"}


#: the condition (folder or name part) that marks a static standing trial
STATIC_CONDITION = "static"


def design_defaults() -> dict:
    """The design columns of ``trials.schema.yaml`` and their defaults (the values a new sheet starts with)."""
    properties = load_schema("trials")["properties"]
    return {name: spec["default"] for name, spec in properties.items() if name not in SHEET_COLUMNS and "default" in spec}


def find_c3d(root: str | Path) -> list[str]:
    """Every ``.c3d`` file under ``root`` (any case of the suffix), as sorted POSIX paths relative to ``root``."""
    root = Path(root)
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.suffix.lower() == ".c3d" and p.is_file())


def sheet_from_layout(root: str | Path, *, trial: str = "stem", relative_to: str | Path | None = None
                      ) -> tuple[pd.DataFrame, list[str]]:
    """The trial sheet of a folder laid out as ``subject/condition/FILE.c3d``.

    Parameters
    ----------
    root : the study's folder
    trial : ``"stem"``: the trial is the file's name without ``.c3d``; ``"position"``: its place (1, 2, ...) among
        its folder's files in natural order (``run2`` before ``run10``)
    relative_to : the folder the sheet will be written to (``path`` is relative to it); default ``root``

    Returns
    -------
    sheet : one row per placed file, columns ``subject``, ``condition``, ``trial``, ``path`` and the design columns
        at their defaults, sorted by subject, condition and trial
    unplaced : ``"PATH: reason"`` for every ``.c3d`` file that is not in the sheet (too shallow, too deep, a folder
        name that is not a valid id), PATH relative to ``root``

    Raises
    ------
    ConfigError
        When two files give the same subject, condition and trial (naming both).

    Examples
    --------
    >>> sheet, unplaced = sheet_from_layout("data/mystudy")  # doctest: +SKIP
    """
    if trial not in ("stem", "position"):
        raise ValueError(f"trial must be 'stem' or 'position', not {trial!r}")
    rows, unplaced = [], []
    folders: dict[tuple[str, str], list[str]] = {}
    for rel in find_c3d(root):
        parts = rel.split("/")
        if len(parts) < 3:
            unplaced.append(f"{rel}: too shallow (the layout is {LAYOUT})")
        elif len(parts) > 3:
            unplaced.append(f"{rel}: too deep (the layout is {LAYOUT}; or give --pattern with its folders)")
        else:
            folders.setdefault((parts[0], parts[1]), []).append(rel)
    for (subject, condition), files in folders.items():
        for k, rel in enumerate(sorted(files, key=_natural), start=1):
            fields = {"subject": subject, "condition": condition, "trial": Path(rel).stem if trial == "stem" else str(k)}
            problem = _field_problem(fields) or _path_problem(rel)
            if problem:
                unplaced.append(f"{rel}: {problem}")
            else:
                rows.append({**fields, "path": rel})
    return _sheet(rows, root, relative_to), sorted(unplaced)


def sheet_from_pattern(root: str | Path, pattern: str, *, relative_to: str | Path | None = None
                       ) -> tuple[pd.DataFrame, list[str]]:
    """The trial sheet of a folder whose files are named by ``pattern``.

    Parameters
    ----------
    root : the study's folder
    pattern : the files' paths relative to ``root`` with ``{subject}``, ``{condition}`` and optionally ``{trial}``
        (a field may repeat and must then read the same), ``{*}`` for text to skip, and folders separated by ``/``,
        e.g. ``{subject}_{condition}_{trial}.c3d`` or ``{subject}/{*}_{condition}_{trial}.c3d``. Everything else
        is matched exactly (case included); a field never spans a folder. Without ``{trial}`` every trial is ``1``.
    relative_to : the folder the sheet will be written to (``path`` is relative to it); default ``root``

    Returns
    -------
    sheet, unplaced : as ``sheet_from_layout``; a file is unplaced when its path does not match the pattern or a
        field is not a valid id

    Raises
    ------
    ConfigError
        When the pattern has an unknown field or lacks ``{subject}`` or ``{condition}``, or two files give the
        same subject, condition and trial (naming both).

    Notes
    -----
    Where a name can be split more than one way, subject and trial take the shortest text that fits and condition
    the longest: ``S01_cadence_plus10_1.c3d`` under ``{subject}_{condition}_{trial}.c3d`` is S01, cadence_plus10, 1.

    Examples
    --------
    >>> sheet, unplaced = sheet_from_pattern("data/mystudy", "{subject}/{subject}_{condition}_{trial}.c3d")  # doctest: +SKIP
    """
    regex = compile_pattern(pattern)
    rows, unplaced = [], []
    for rel in find_c3d(root):
        match = regex.fullmatch(rel)
        if match is None:
            unplaced.append(f"{rel}: does not match the pattern {pattern}")
            continue
        fields = {"trial": "1", **match.groupdict()}
        problem = _field_problem(fields) or _path_problem(rel)
        if problem:
            unplaced.append(f"{rel}: {problem}")
        else:
            rows.append({**fields, "path": rel})
    return _sheet(rows, root, relative_to), unplaced


def compile_pattern(pattern: str) -> re.Pattern:
    """The regular expression of a file-name pattern (see ``sheet_from_pattern``), to be used with ``fullmatch``."""
    text = pattern[2:] if pattern.startswith("./") else pattern
    regex, seen = "", set()
    for part in re.split(r"(\{[^{}]*\})", text):
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1].strip()
            if name == "*":
                regex += r"[^/]*?"
            elif name not in FIELDS:
                raise ConfigError(f"pattern {pattern}: unknown field {part}; the fields are "
                                  f"{', '.join('{' + f + '}' for f in FIELDS)} and {{*}} (text to skip)")
            elif name in seen:
                regex += f"(?P={name})"
            else:
                regex += f"(?P<{name}>{_FIELD_REGEX[name]})"
                seen.add(name)
        elif "{" in part or "}" in part:
            raise ConfigError(f"pattern {pattern}: unbalanced brace in {part!r}; fields are written {{subject}}")
        else:
            regex += re.escape(part)
    missing = [f"{{{f}}}" for f in ("subject", "condition") if f not in seen]
    if missing:
        raise ConfigError(f"pattern {pattern}: lacks {' and '.join(missing)}; e.g. {{subject}}_{{condition}}_{{trial}}.c3d")
    return re.compile(regex)


def _field_problem(fields: dict) -> str | None:
    """Why the subject or condition read from a file cannot go into the sheet (the schema's id pattern)."""
    properties = load_schema("trials")["properties"]
    for name in ("subject", "condition"):
        if not re.fullmatch(properties[name]["pattern"], fields[name]):
            return f"{name} {fields[name]!r} is not a valid id (letters, digits, _ . - only): rename the file or folder"
    return None


def _path_problem(rel: str) -> str | None:
    # load_sheet reads the sheet with comment="#": a path holding '#' would be cut short there
    if "#" in rel:
        return "its path holds '#', which the trial sheet reads as the start of a comment: rename it"
    return None


def _natural(text: str) -> list:
    """Sort key that orders the numbers inside names by value (run2 before run10)."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", text) if t]


def _sheet(rows: list[dict], root: str | Path, relative_to: str | Path | None) -> pd.DataFrame:
    """The sheet of the placed files: duplicates refused, design defaults filled, paths relative to the sheet."""
    seen: dict[tuple, str] = {}
    for row in rows:
        key = (row["subject"], row["condition"], row["trial"])
        if key in seen:
            raise ConfigError(f"{seen[key]} and {row['path']} (under {root}) are both subject {key[0]}, condition "
                              f"{key[1]}, trial {key[2]}: rename or move one of them, or give a --pattern that tells "
                              f"them apart")
        seen[key] = row["path"]
    base = Path(relative_to if relative_to is not None else root).resolve()
    root = Path(root).resolve()
    sheet = pd.DataFrame(rows, columns=SHEET_COLUMNS).assign(**design_defaults())
    # a condition named "static" is a runner's standing trial (its reference), not a condition: the command says so
    sheet["static"] = sheet["condition"].str.lower().eq(STATIC_CONDITION)
    sheet["path"] = [Path(os.path.relpath(root / rel, base)).as_posix() for rel in sheet["path"]]
    order = sorted(sheet.index, key=lambda i: [_natural(sheet.at[i, c]) for c in ("subject", "condition", "trial")])
    return sheet.loc[order].reset_index(drop=True)
