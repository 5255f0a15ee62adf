"""The statistics layer's property test at scale: thousands of generated extreme studies, none may crash or give an
absurd value.

    python benchmarks/stats_property.py [--studies 5000] [--first 0] [--out stats_property.log]

Runs ``tests/unit/stats/test_property.py``'s generator (``random_study``) and checks (``absurdities``) over seeds
``--first`` .. ``--first + --studies - 1`` with both metrics of the workflow's default configuration (the test runs
200 seeds with peak drop only). Prints one line per problem as it is found (the seed reproduces the study:
``random_study(np.random.default_rng([2828, seed]))``), a progress line every 100 studies, and the count at the
end; ``--out`` keeps the same lines in a file. One process, one core: about 0.6 cpu-s a study.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.unit.stats.test_property import METRICS, run_studies  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--studies", type=int, default=5000)
    parser.add_argument("--first", type=int, default=0, help="first seed")
    parser.add_argument("--out", type=Path, help="file for the progress and problem lines")
    args = parser.parse_args()
    log = args.out.open("w") if args.out else None
    start, done, failed = time.perf_counter(), [0], [0]

    def say(line: str) -> None:
        print(line, flush=True)
        if log:
            print(line, file=log, flush=True)

    def on_result(seed: int, found: list[str]) -> None:
        done[0] += 1
        failed[0] += bool(found)
        for problem in found:
            say(f"seed {seed}: {problem}")
        if done[0] % 100 == 0:
            say(f"{done[0]} studies, {failed[0]} with problems, {time.perf_counter() - start:.0f} s")

    run_studies(range(args.first, args.first + args.studies), metrics=METRICS, on_result=on_result)
    say(f"done: {done[0]} generated studies (seeds {args.first}-{args.first + args.studies - 1}), {failed[0]} with "
        f"an exception or an absurd value, in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
