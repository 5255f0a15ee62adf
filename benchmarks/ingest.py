"""C3D reading speed: hipdrop's numpy decoder against ezc3d and the `c3d` package, as ratios measured in one run.

    python benchmarks/ingest.py [--cohort data/demo] [--repeats 5] [--largest 5]

Readers, each timed on every file in one process (no pool: the ratio is per core):
  - ``ezc3d.c3d(path)``: bare ezc3d, the reference;
  - ``hipdrop read_c3d``: the whole ingest, checks, marker-set mapping, canonical frame, events and SHA-256;
  - ``hipdrop decode``: the bare decoder (header, parameters, points, analog data) on the file's bytes, read included;
  - the `c3d` package (py-c3d): its reader, every frame into one array.
File sets: the demo cohort (``data/demo/*.c3d``; simulated into a temporary folder when absent) and the largest
files of the corpus (tests/data/c3d) that all readers read. For every file the readers take turns, in an order that rotates
between repeats, so that a drift in the machine's load falls on all of them alike; a reader's time on a file is the
median of its repeats. Not part of the test run; tests never assert times.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: tests/corpus.py finds the corpus files
    sys.path.insert(0, str(ROOT))
from tests.corpus import MANIFEST, corpus_path  # noqa: E402


def _ezc3d(path: str) -> int:
    import ezc3d

    return ezc3d.c3d(path)["data"]["points"].shape[2]


def _read_c3d(path: str) -> int:
    from hipdrop.io.c3d.reader import read_c3d

    return read_c3d(path).sizes["time"]


def _decode(path: str) -> int:
    from hipdrop.io.c3d.format import decode

    return decode(Path(path).read_bytes(), path).n_frames


def _package(path: str) -> int:
    import c3d

    with open(path, "rb") as handle, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its notes on inconsistent parameters
        return len([points.copy() for _, points, _ in c3d.Reader(handle).read_frames()])


READERS = {"ezc3d.c3d": _ezc3d, "hipdrop read_c3d": _read_c3d, "hipdrop decode": _decode, "c3d package": _package}


def demo_cohort(requested: Path | None) -> list[str]:
    """The cohort's C3D files; the default demo cohort is simulated with ``hipdrop simulate`` when absent."""
    folder = requested or ROOT / "data" / "demo"
    if not requested and not list(folder.glob("*.c3d")):
        folder = Path(tempfile.gettempdir()) / "demo_bench"
        if not list(folder.glob("*.c3d")):
            hipdrop = Path(sys.executable).with_name("hipdrop")  # the console script of this environment
            subprocess.run([str(hipdrop), "simulate", str(folder)], check=True, capture_output=True)
    return sorted(str(p) for p in folder.glob("*.c3d"))


def largest_shared(count: int) -> list[str]:
    """The largest corpus files that ezc3d 1.7.2 reads (MANIFEST.tsv) and the `c3d` package too."""
    rows = [r for r in MANIFEST if r["ezc3d_1.7.2"] == "reads" and corpus_path(r["file"])]
    chosen = []
    for row in sorted(rows, key=lambda r: -int(r["bytes"])):
        path = str(corpus_path(row["file"]))
        try:
            [reader(path) for reader in READERS.values()]
        except Exception:  # noqa: BLE001 - a file one reader refuses cannot give a ratio
            continue
        chosen.append(path)
        if len(chosen) == count:
            break
    return chosen


def time_readers(paths: list[str], repeats: int) -> dict[str, list[float]]:
    """Median seconds per file for every reader, readers interleaved file by file in a rotating order."""
    names = list(READERS)
    for name in names:
        READERS[name](paths[0])  # imports and first-use caches are start-up, not reading
    medians = {name: [] for name in names}
    for path in paths:
        times = {name: [] for name in names}
        for repeat in range(repeats):
            for name in names[repeat % len(names):] + names[: repeat % len(names)]:
                start = time.perf_counter()
                READERS[name](path)
                times[name].append(time.perf_counter() - start)
        for name in names:
            medians[name].append(median(times[name]))
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cohort", type=Path, help="folder of C3D files (default data/demo)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--largest", type=int, default=5, help="how many of the largest corpus files")
    args = parser.parse_args()

    sets = {"demo cohort": demo_cohort(args.cohort), "largest real files": largest_shared(args.largest)}
    print(f"{'file set':20s} {'files':>5s} {'MB/file':>7s}  {'reader':18s} {'ms/file':>8s} {'x ezc3d speed':>13s}")
    for label, paths in sets.items():
        if not paths:
            print(f"{label:20s} (no files)")
            continue
        medians = time_readers(paths, args.repeats)
        megabytes = sum(Path(p).stat().st_size for p in paths) / len(paths) / 1e6
        reference = sum(medians["ezc3d.c3d"])
        for k, (name, seconds) in enumerate(medians.items()):
            head = f"{label:20s} {len(paths):5d} {megabytes:7.2f}" if k == 0 else " " * 34
            print(f"{head}  {name:18s} {1000 * sum(seconds) / len(seconds):8.2f} {reference / sum(seconds):13.2f}")


if __name__ == "__main__":
    main()
