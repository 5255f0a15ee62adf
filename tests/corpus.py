"""The corpus of real C3D files from other labs (tests/data/c3d/README.md), looked up in one place.

The files whose licence allows it are in the repository, in tests/data/c3d; the others are only in
../shared/data/c3d beside the project or in the folder the environment variable HIPDROP_SHARED_DATA names.
tests/conftest.py and benchmarks/ find files here; this module needs neither pytest nor hipdrop.
"""

import csv
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: the files in the repository, and MANIFEST.tsv with a row for every file of the corpus (`in_repository` yes/no)
REPOSITORY_C3D = ROOT / "tests" / "data" / "c3d"
#: the whole corpus, where a checkout has it
SHARED_C3D = Path(os.environ.get("HIPDROP_SHARED_DATA", ROOT.parent / "shared" / "data" / "c3d"))

with open(REPOSITORY_C3D / "MANIFEST.tsv", newline="") as _handle:
    #: one dict per file of the corpus, in the manifest's order; paths relative to the corpus root
    MANIFEST = list(csv.DictReader(_handle, delimiter="\t"))
_ROWS = {row["file"]: row for row in MANIFEST}


def corpus_path(relative: str) -> Path | None:
    """The corpus file at `relative` (e.g. ``"pig/c3dorg_gait-pig.c3d"``): the repository's copy first, then the
    shared one; None where neither exists."""
    for folder in (REPOSITORY_C3D, SHARED_C3D):
        if (folder / relative).is_file():
            return folder / relative
    return None


def missing_reason(relative: str) -> str:
    """Why `relative` cannot be found: the file, why the repository lacks it, and where else it was looked for."""
    row = _ROWS.get(relative)
    why = f"not in the repository (licence: {row['licence']})" if row else "not a file of tests/data/c3d/MANIFEST.tsv"
    return f"needs {relative}: {why}, nor in {SHARED_C3D} (set HIPDROP_SHARED_DATA; tests/data/c3d/README.md)"
