"""Per-trial cost, step by step: ``process_trial`` on the same files, cpu-ms per trial and per pipeline step, and a
bare ezc3d parse of them beside it.

    python benchmarks/per_trial.py [--files 'DIR/*.c3d'] [--trials 24] [--against OTHER/src] [--rounds 3]
                                   [--allocator]

Without --files, simulates 2 runners x 4 conditions x 30 s at 200 Hz into a temporary folder. --against: the
``src`` folder of another checkout (e.g. ``git worktree add /tmp/before <commit>``), measured in alternation with
this one in the same run, round after round, so that the comparison holds on a shared machine. Each measurement
is a fresh process (imports and the first two trials are not counted) whose allocator keeps freed memory, as
the workflow's trial workers do (``hipdrop.execution.isolated.keep_freed_memory``; here through glibc's
environment variables, for every tree alike); --allocator adds a column of this tree with glibc's default
allocator, measured in the same rounds. The step times come from wrapping the
functions ``hipdrop.trial.process`` calls; a step inside another (the events inside the agreement) counts in both.
Not part of the test run.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from run import _bare  # noqa: E402  the same bare parse as the other benchmarks

#: the steps of ``hipdrop.trial.process.process_trial`` timed on their own
STEPS = ("read_c3d", "plausible_markers", "repair_markers", "lowpass", "progression_heading", "pelvic_angles",
         "detect_events", "marker_event_agreement", "arm_swing", "stance_table", "compensation_angles",
         "stance_compensations", "foot_angles", "rearfoot_angles", "stance_foot", "trial_emg", "arm_measures")


def measure(paths: list[str]) -> dict:
    """cpu-ms per trial of ``process_trial`` and of each step in ``STEPS``, in this process."""
    import hipdrop.trial.process as pipeline
    from hipdrop.config import validate_config

    spent = Counter()

    def timed(name, function):
        def wrapper(*args, **kwargs):
            start = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.process_time() - start
        return wrapper

    for name in STEPS:
        setattr(pipeline, name, timed(name, getattr(pipeline, name)))
    config = validate_config(None)
    for path in paths[:2]:  # first calls pay for lazy imports
        pipeline.process_trial(path, config=config, keep_pelvis=False)
    spent.clear()
    start = time.process_time()
    failed = sum(not pipeline.process_trial(path, config=config, keep_pelvis=False).ok for path in paths)
    total = time.process_time() - start
    return {"trial": 1000 * total / len(paths), "failed": failed,
            **{name: 1000 * spent[name] / len(paths) for name in STEPS}}


def bare_ezc3d(paths: list[str]) -> float:
    """cpu-ms per trial of the bare parse ``benchmarks/run.py`` and ``archive.py`` measure, in this process."""
    _bare(paths[0])  # imports
    start = time.process_time()
    for path in paths:
        _bare(path)
    return 1000 * (time.process_time() - start) / len(paths)


def in_fresh_process(src: str | None, paths: list[str], keep_freed: bool = True) -> dict:
    """``measure`` in a fresh process on ``src``'s hipdrop; ``keep_freed``: with glibc's thresholds set as
    ``keep_freed_memory`` sets them in the workers (through the environment, so that a tree without it is
    measured the same way)."""
    from hipdrop.execution.isolated import KEPT_FREED_BYTES

    env = {**os.environ, "PYTHONPATH": src} if src else dict(os.environ)
    if keep_freed:
        env |= {"MALLOC_MMAP_THRESHOLD_": str(KEPT_FREED_BYTES), "MALLOC_TRIM_THRESHOLD_": str(2 * KEPT_FREED_BYTES)}
    done = subprocess.run([sys.executable, __file__, "--worker", *paths], env=env, capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", help="a glob of C3D files (default: a simulated cohort)")
    parser.add_argument("--trials", type=int, default=24, help="files measured (the first N of the glob)")
    parser.add_argument("--against", help="another checkout's src folder, measured in alternation")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--allocator", action="store_true",
                        help="also this tree with glibc's default allocator (no keep_freed_memory)")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.worker)))
        return
    with tempfile.TemporaryDirectory(prefix="hipdrop-per-trial-") as tmp:
        if args.files:
            paths = sorted(glob.glob(args.files))[: args.trials]
        else:
            from hipdrop.simulate.running import CohortSpec, simulate_cohort

            simulate_cohort(Path(tmp), CohortSpec(n_subjects=2, duration_s=30.0))
            paths = sorted(str(p) for p in Path(tmp).glob("*.c3d"))[: args.trials]
        if len(paths) < 3:
            raise SystemExit(f"need at least 3 files, found {len(paths)}")
        trees = ({"this": str(ROOT / "src")} | ({"against": args.against} if args.against else {})
                 | ({"default allocator": str(ROOT / "src")} if args.allocator else {}))
        runs = {name: [] for name in trees}
        for _ in range(args.rounds):
            for name, src in trees.items():
                runs[name].append(in_fresh_process(src, paths, keep_freed=name != "default allocator"))
        print(f"{len(paths)} trials; bare ezc3d parse {bare_ezc3d(paths):.0f} cpu-ms per trial")
        print(f"{'cpu-ms per trial':24s}" + "".join(f"{name:>26s}" for name in trees))
        for step in ("trial", *STEPS):
            cells = ["  ".join(f"{run[step]:6.1f}" for run in runs[name]) for name in trees]
            print(f"{step:24s}" + "".join(f"{cell:>26s}" for cell in cells))
        for name in trees:
            if any(run["failed"] for run in runs[name]):
                print(f"{name}: {runs[name][0]['failed']} of {len(paths)} trials failed (their cost counts too)")


if __name__ == "__main__":
    main()
