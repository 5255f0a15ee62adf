"""Marker-name maps: from the labels a lab wrote to the canonical (Plug-in Gait) names the kernels use.

A map is a YAML file ``{name: ..., markers: {CANONICAL: [alias, ...]}}``. The built-in maps live beside this
module; a lab adds its own with the ``markersets`` config key. Labels are compared after stripping a subject
prefix (``"A22:LASI"`` -> ``"LASI"``) and normalising (case, spaces, dots, dashes and underscores ignored).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

BUILTIN_DIR = Path(__file__).with_name("markersets")
_NOT_ALNUM = re.compile(r"[^0-9a-z]")


def strip_prefix(label: str) -> str:
    """Drop a subject prefix such as ``Subject:`` or ``A22:`` and surrounding blanks."""
    return label.rsplit(":", 1)[-1].strip()


def normalise(label: str) -> str:
    """The label as aliases are matched: subject prefix dropped, lower case, letters and digits only."""
    return _NOT_ALNUM.sub("", strip_prefix(label).lower())


def builtin_markersets() -> list[Path]:
    """The marker-set alias files shipped with hipdrop, in name order."""
    return sorted(BUILTIN_DIR.glob("*.yaml"))


@lru_cache(maxsize=32)
def _alias_table(paths: tuple[Path, ...]) -> dict[str, str]:
    table: dict[str, str] = {}
    for path in paths:
        spec = yaml.safe_load(Path(path).read_text())
        for canonical, aliases in spec["markers"].items():
            for alias in [canonical, *aliases]:
                key = normalise(alias)
                if table.get(key, canonical) != canonical:
                    raise ValueError(
                        f"marker set {path}: alias {alias!r} maps to {canonical} but an earlier map sends it to "
                        f"{table[key]}; remove one of them"
                    )
                table[key] = canonical
    return table


def map_labels(labels: list[str], extra_markersets: tuple[str | Path, ...] = ()) -> tuple[list[str], dict[str, str], list[str]]:
    """Canonical name for each label; labels no map knows keep their prefix-free spelling.

    A label spelled as the canonical name itself wins over aliases of it (a Nexus file can hold both ``LASIS``
    from a lab's own model and ``LASI`` from Plug-in Gait; they differ by up to 0.8 mm).

    Returns
    -------
    names : one name per label, unique (a repeated name gets a ``#2``, ``#3`` suffix)
    mapping : {original label: canonical name} for the labels a map recognised
    warnings : one sentence per duplicate label
    """
    table = _alias_table(tuple(Path(p) for p in (*extra_markersets, *builtin_markersets())))
    canonical = [table.get(normalise(label)) for label in labels]
    exact = {c for label, c in zip(labels, canonical) if c and normalise(label) == normalise(c)}
    names, mapping, warnings, seen = [], {}, [], {}
    for label, target in zip(labels, canonical):
        own = strip_prefix(label) or "unnamed"
        if target and (target not in exact or normalise(label) == normalise(target)):
            name = target
            mapping.setdefault(label, target)
        else:
            name = own
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            warnings.append(f"label {label!r} appears {seen[name]} times; the first one is used as {name}")
            name = f"{name}#{seen[name]}"
        names.append(name)
    return names, mapping, warnings
