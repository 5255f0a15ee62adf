"""What a run was asked to do, kept beside its results: ``results/config.yaml`` (the validated config, every default
filled in), written by the workflow; and the settings a reader of the results needs back from it, such as the
condition the effects are measured against (the notebooks compare against it, whatever a study calls it)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import yaml

from hipdrop.io.results import atomic_path

#: the run's config, relative to its results folder
CONFIG_NAME = "config.yaml"


def write_run_config(path: str | Path, config: dict) -> None:
    """``config`` (the run's validated config) as YAML at ``path``; values YAML cannot hold as such as text."""
    plain = json.loads(json.dumps(dict(config), default=str))
    with atomic_path(path) as tmp:
        Path(tmp).write_text("# the config this run used, every default filled in (written by the workflow)\n"
                             + yaml.safe_dump(plain, sort_keys=False))


def run_baseline(results: str | Path) -> str:
    """The condition the run at ``results`` measured its effects against: ``stats.baseline`` of its
    ``config.yaml``, or for a run written before that file, the ``baseline`` column of
    ``stats/waveforms_clusters.csv``. Raises ValueError naming what is missing when the run records none, or when
    no stance of the run has that condition (every effect would then compare against nothing)."""
    results = Path(results)
    recorded = results / CONFIG_NAME
    if recorded.exists():
        baseline, source = (yaml.safe_load(recorded.read_text()) or {}).get("stats", {}).get("baseline"), recorded
    else:
        source = results / "stats" / "waveforms_clusters.csv"
        baseline = None
        if source.exists() and source.stat().st_size:
            named = pd.read_csv(source).get("baseline", pd.Series(dtype=object)).dropna().unique()
            baseline = str(named[0]) if len(named) == 1 else None
    if not baseline:
        raise ValueError(f"{results} records no baseline condition: neither {recorded} (stats.baseline) nor a single "
                         f"baseline in {results / 'stats' / 'waveforms_clusters.csv'}; is it a hipdrop results folder? "
                         "Rerun the workflow, or set BASELINE by hand")
    conditions = sorted(pd.read_parquet(results / "stances.parquet", columns=["condition"])["condition"].astype(str).unique())
    if baseline not in conditions:
        raise ValueError(f"the baseline of the run at {results} is {baseline!r} ({source}), but no stance has that "
                         f"condition (conditions: {', '.join(conditions) or 'none'}): nothing can be compared with it; "
                         "check stats.baseline against the trial sheet's condition names")
    return str(baseline)
