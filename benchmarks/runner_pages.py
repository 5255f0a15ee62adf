"""What a runner page costs to draw, and what the drawing code's two choices save: one fixed layout instead of
matplotlib's constrained one, and each worker drawing its pages over one figure instead of a new figure a page.

    python benchmarks/runner_pages.py [--pages 24] [--dpi 120]

Draws the pages of a small synthetic cohort (two runners' tables, as tests/unit/test_runner_pages.py builds them)
three ways, each timed in CPU seconds a page: as ``hipdrop.report.runner_pages`` draws them (fixed layout, one
figure redrawn); a new figure for every page; and the constrained layout on a new figure. Then a profile of the
shipped way names the share of a page spent in text rendering. Cited by hipdrop.report.runner_pages. Not part of
the test run.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hipdrop.report import runner_pages  # noqa: E402
from tests.unit.test_runner_pages import small_tables  # noqa: E402


def cpu_per_page(pages: int, dpi: int, *, reuse: bool, constrained: bool = False) -> float:
    """CPU seconds per page, drawing and writing ``pages`` pages of runner A."""
    import matplotlib.pyplot as plt

    curves, stances, responders, manipulation = small_tables()
    blank = runner_pages._blank_page
    if constrained:  # the layout the page had before the fixed one
        def blank_constrained():
            fig = blank()
            fig.set_layout_engine("constrained")
            return fig
        runner_pages._blank_page = blank_constrained
    try:
        figure = None
        with tempfile.TemporaryDirectory() as tmp:
            start = time.process_time()
            for k in range(pages):
                figure = runner_pages.runner_page("A", curves, stances, responders, manipulation,
                                                  page=figure if reuse else None)
                figure.savefig(Path(tmp) / f"{k}.png", dpi=dpi, format="png", pil_kwargs={"compress_level": 3})
                if not reuse:
                    plt.close(figure)
                    figure = None
            return (time.process_time() - start) / pages
    finally:
        runner_pages._blank_page = blank


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=24)
    parser.add_argument("--dpi", type=int, default=120, help="as config report.runner_page_dpi (default 120)")
    args = parser.parse_args(argv)
    cpu_per_page(2, args.dpi, reuse=True)  # imports and font caches are start-up, not drawing
    shipped = cpu_per_page(args.pages, args.dpi, reuse=True)
    fresh = cpu_per_page(args.pages, args.dpi, reuse=False)
    constrained = cpu_per_page(args.pages, args.dpi, reuse=False, constrained=True)
    print(f"cpu-s a page: shipped (fixed layout, one figure) {shipped:.3f}; a new figure a page {fresh:.3f}; "
          f"constrained layout, new figure {constrained:.3f}")
    profile = cProfile.Profile()
    profile.enable()
    cpu_per_page(args.pages, args.dpi, reuse=True)
    profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    total = stats.total_tt
    text = sum(row[3] for func, row in stats.stats.items() if "text.py" in func[0] and func[2] == "draw")
    print(f"text drawing: {100 * text / total:.0f} % of the profiled time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
