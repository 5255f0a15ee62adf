"""The Snakemake report shows the run's tables and summary as pages, and opens on the summary (issue 22 item 13:
every table was a download, and the landing page sent a reader to "0 Summary", a text file to download)."""

import json
import re

import pandas as pd
import pytest

from hipdrop.report.tables import MAX_ROWS, summary_html, table_html
from hipdrop.simulate.running import CohortSpec
from tests.integration.test_workflow import make_study, run_workflow

pytestmark = pytest.mark.workflow  # the module's fixture runs the whole workflow


def _report_data(html: str):
    """The report's results (path -> name, mime type, category...) and its landing text, from report.html."""
    results = json.loads(re.search(r"var results = (\{.*?\});?\n", html)[1])
    landing = json.loads(re.search(r"workflow_desc = (\".*?\");?\n", html)[1])
    return results, landing


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    make_study(tmp, CohortSpec(n_subjects=3, duration_s=4.0))
    run_workflow(tmp)
    done = run_workflow(tmp, "--report", str(tmp / "report.html"))
    assert "warn" not in done.stderr.lower(), done.stderr[-3000:]
    return tmp, (tmp / "report.html").read_text()


def test_every_table_and_the_summary_open_as_html_pages(report):
    tmp, html = report
    results, _ = _report_data(html)
    mimes = {entry["name"]: entry["mime_type"] for entry in results.values()}
    for name in ("summary", "effects", "manipulation", "subjects", "dose_response", "responders", "power",
                 "waveforms_clusters", "quarantine", "event_agreement", "methods"):
        assert mimes.get(f"{name}.html") == "text/html", name
    # nothing the report can only offer as a download, but the stance table itself (data, not a page to read)
    assert {n for n, m in mimes.items() if m not in ("text/html", "image/png")} == {"stances.parquet"}
    effects = (tmp / "results" / "report_pages" / "effects.html").read_text()
    assert "<table>" in effects and "condition[cadence_plus10]" in effects and 'download="effects.csv"' in effects


def test_the_landing_page_holds_the_summary(report):
    tmp, html = report
    _, landing = _report_data(html)
    summary = (tmp / "results" / "summary.txt").read_text().splitlines()
    assert "12 trials analysed, 0 quarantined" in summary[1]
    for line in summary[1:]:
        if line.strip():
            assert line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in landing, line
    assert "Start with" not in landing


def test_a_table_page_shows_its_rows_numbers_short_and_blanks_empty():
    table = pd.DataFrame({"term": ["condition[a]", "condition[b]"], "estimate_deg": [-1.23456789, float("nan")],
                          "n_subjects": [8, 7], "estimable": [True, False]})
    page = table_html(table, title="Effects", source=__file__, name="results/stats/effects.csv")
    assert "2 rows, 4 columns" in page and "results/stats/effects.csv" in page
    assert '<td class="num">-1.235</td>' in page and "<td></td>" in page and '<td class="num">8</td>' in page
    long = table_html(pd.DataFrame({"x": range(MAX_ROWS + 5)}), title="Long", source=__file__, name="long.csv")
    assert f"the first {MAX_ROWS} shown" in long and long.count("<tr>") == MAX_ROWS + 1


def test_the_summary_page_gives_a_line_per_finding():
    page = summary_html("hipdrop run summary\n32 trials analysed, 0 quarantined\nadherence a & b\n")
    assert "<h1>hipdrop run summary</h1>" in page and "<li>adherence a &amp; b</li>" in page
