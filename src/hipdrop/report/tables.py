"""The run's tables as pages the Snakemake report shows: its viewer opens images, PDF and HTML, and offers every
other file (CSV, text) only as a download. Each table becomes a small self-contained HTML page: its caption, the
table itself (numbers to 4 significant digits, empty cells blank) and a link that downloads the CSV as written;
the run summary becomes a page of its lines."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import pandas as pd

from hipdrop.io.results import atomic_path

#: rows a table page shows; a longer table shows its first rows and says so (the whole table is the download)
MAX_ROWS = 2000
#: characters past which a text cell (a model's notes, a reason) gets a column wide enough to read as a paragraph
LONG_TEXT = 60

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 14px; margin: 1.2em;
       color: #1e293b; }
h1 { font-size: 1.3em; margin: 0 0 0.3em 0; }
p.note { color: #475569; margin: 0.2em 0 0.8em 0; }
table { border-collapse: collapse; font-size: 12px; }
th, td { border: 1px solid #cbd5e1; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f1f5f9; position: sticky; top: 0; }
td.long { min-width: 24em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr:nth-child(even) td { background: #f8fafc; }
ul.summary { list-style: none; padding: 0; font-size: 15px; line-height: 1.5; }
ul.summary li { margin: 0.15em 0; }
"""


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{_STYLE}</style></head>\n<body>\n<h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n")


def _download(path: Path) -> str:
    """A link that saves the file as written (embedded: the report may travel as one HTML file)."""
    data = base64.b64encode(path.read_bytes()).decode()
    return (f'<a download="{html.escape(path.name)}" href="data:text/csv;charset=utf-8;base64,{data}">'
            f"download {html.escape(path.name)}</a>")


def _cell(value) -> tuple[str, bool]:
    """A cell's text and whether it is a number (right-aligned)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "", False
    if isinstance(value, bool):
        return str(value), False
    if isinstance(value, float):
        return (f"{value:.4g}" if abs(value) < 1e6 else f"{value:.4e}"), True
    if isinstance(value, int):
        return str(value), True
    return html.escape(str(value)), False


def table_html(table: pd.DataFrame, *, title: str, source: str | Path, name: str) -> str:
    """``table`` (read from the CSV at ``source``, which the page calls ``name``: "results/stats/effects.csv") as a
    page: title, rows and columns, a download of the CSV."""
    source = Path(source)
    shown = table.head(MAX_ROWS)
    note = f"{len(table)} row{'s' if len(table) != 1 else ''}, {table.shape[1]} columns"
    if len(table) > MAX_ROWS:
        note += f"; the first {MAX_ROWS} shown, the whole table is the download"
    if table.empty:
        note = "no rows in this run" + (f" (columns: {', '.join(map(str, table.columns))})" if table.shape[1] else "")
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    rows = []
    for record in shown.astype(object).itertuples(index=False):
        cells = [_cell(v) for v in record]
        rows.append("<tr>" + "".join(f'<td class="num">{t}</td>' if num else f'<td class="long">{t}</td>'
                                     if len(t) > LONG_TEXT else f"<td>{t}</td>" for t, num in cells) + "</tr>")
    grid = f"<table><thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table>" if len(shown) else ""
    return _page(title, f'<p class="note">{note}; {html.escape(name)} ({_download(source)})'
                        f"</p>\n{grid}")


def summary_html(text: str) -> str:
    """The run summary (``summary.txt``: a title line, then a line per finding) as a page of its lines."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    title, lines = (lines[0], lines[1:]) if lines else ("hipdrop run summary", [])
    items = "\n".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return _page(title, f'<ul class="summary">\n{items}\n</ul>\n<p class="note">The same lines: results/summary.txt. '
                        "Each number in full: the tables of this report.</p>")


def read_table(path: str | Path) -> pd.DataFrame:
    """A result CSV; one the run left empty (no byte: nothing quarantined) as an empty table."""
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def write_page(path: str | Path, page: str) -> None:
    """Write an HTML page as UTF-8, atomically."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(page, encoding="utf-8")


def _inline(text: str) -> str:
    """Markdown's **bold** and `code` of one escaped paragraph, as HTML."""
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html.escape(text))
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def methods_html(text: str) -> str:
    """The methods section (``methods.md``: headings, paragraphs with **bold** and `code`, as ``hipdrop.report.methods``
    writes it) as a page."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    title = blocks.pop(0).lstrip("# ") if blocks and blocks[0].startswith("#") else "Methods"
    body = "\n".join(f"<h2>{_inline(b.lstrip('# '))}</h2>" if b.startswith("#") else f"<p>{_inline(b)}</p>"
                     for b in blocks)
    return _page(title, f'<div style="max-width: 60em; line-height: 1.5">{body}</div>')
