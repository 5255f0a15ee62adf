"""Fingerprints of hipdrop's outputs, to show that a change of structure changed no result.

For every file of the corpus (tests/data/c3d, and ../shared/data/c3d where present) ``process_trial`` runs with the
default config; the stance table, the curves, the events and the pelvis angles (or the failure's stage and reason)
are hashed, tables column by column. A simulated 4-runner cohort then goes through the whole Snakemake workflow and
every table (column by column) and text under results/ is hashed (figures are left out: matplotlib's PNG bytes are not
part of behaviour). A column or output that did not exist before is listed as added, not as a difference, so a change
that adds a measure can still show that it changed none of the old ones.

    python benchmarks/outputs_snapshot.py --write before.json     # on the commit before the change
    python benchmarks/outputs_snapshot.py --compare before.json   # after it: lists every output that differs
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.corpus import MANIFEST, corpus_path  # noqa: E402

#: the workflow outputs compared: tables and texts; figures are pixels, not results
COMPARED_SUFFIXES = (".csv", ".txt", ".md", ".parquet", ".nc")


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part)
    return h.hexdigest()[:16]


def _column_digests(prefix: str, table: pd.DataFrame | None) -> dict[str, str]:
    """One digest per column (and one for the row count), so an added column leaves the others comparable."""
    if table is None:
        return {prefix: "none"}
    table = table.reset_index(drop=True)
    out = {f"{prefix}#rows": str(len(table))}
    for column in table.columns:
        out[f"{prefix}:{column}"] = _digest(table[column].to_csv(index=False, float_format="%.12g").encode())
    return out


def _array_bytes(array) -> bytes:
    return b"none" if array is None else np.ascontiguousarray(np.asarray(array.values, float)).tobytes()


def trial_fingerprints() -> dict[str, str]:
    """One digest per corpus file the checkout holds: its result, or its failure's stage and reason."""
    from hipdrop.trial.process import process_trial

    out = {}
    for row in MANIFEST:
        path = corpus_path(row["file"])
        if path is None:
            continue
        result = process_trial(path)
        if not result.ok:
            out[row["file"]] = f"failed at {result.failure.stage}: {result.failure.reason}"
            continue
        pelvis = result.pelvis["obliquity"] if result.pelvis is not None else None
        out.update(_column_digests(f"{row['file']}/stances", result.stances))
        out.update(_column_digests(f"{row['file']}/events", result.events))
        out[f"{row['file']}/curves"] = _digest(_array_bytes(result.curves))
        out[f"{row['file']}/obliquity"] = _digest(_array_bytes(pelvis))
    return out


def _table_bytes(path: Path) -> bytes:
    if path.suffix == ".nc":
        import xarray as xr

        with xr.open_dataset(path) as data:
            return b"".join(_array_bytes(data[name]) for name in sorted(data.data_vars))
    return path.read_bytes()


def workflow_fingerprints() -> dict[str, str]:
    """One digest per table or text of a whole workflow run on a simulated cohort (fixed seed)."""
    from hipdrop.simulate.running import CohortSpec, simulate_cohort

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        simulate_cohort(work / "data", CohortSpec(n_subjects=4, duration_s=10.0))
        (work / "config").mkdir()
        (work / "config" / "config.yaml").write_text("trials: data/trials.tsv\n")
        subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory",
                        str(work), "--cores", "2", "--quiet"], check=True, capture_output=True)
        results = work / "results"
        out = {}
        for p in sorted(results.rglob("*")):
            if p.suffix not in COMPARED_SUFFIXES or {"logs", "benchmarks"} & set(p.parts) or p.name == "config.yaml":
                continue
            name = str(p.relative_to(results))
            if p.suffix in (".csv", ".parquet"):
                out.update(_column_digests(name, pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p)))
            else:
                out[name] = _digest(_table_bytes(p))
        return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", type=Path, help="write the fingerprints to this JSON file")
    group.add_argument("--compare", type=Path, help="compare with fingerprints written before; exit 1 on a difference")
    args = parser.parse_args()
    now = {"trials": trial_fingerprints(), "workflow": workflow_fingerprints()}
    if args.write:
        args.write.write_text(json.dumps(now, indent=1, sort_keys=True))
        print(f"{len(now['trials'])} corpus-trial and {len(now['workflow'])} workflow fingerprints -> {args.write}")
        return 0
    before = json.loads(args.compare.read_text())
    added = [f"{part}/{name}" for part in now for name in sorted(set(now[part]) - set(before[part]))]
    differ = [f"{part}/{name}: {before[part].get(name)} -> {now[part].get(name)}" for part in now
              for name in sorted(before[part]) if before[part].get(name) != now[part].get(name)]
    if added:
        print(f"added (new, not compared): {len(added)}\n  " + "\n  ".join(added))
    print("\n".join(differ) or f"identical: every one of {sum(map(len, before.values()))} earlier outputs")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
