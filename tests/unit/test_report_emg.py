"""The EMG in the report: methods.md gains its paragraph (and references) only when stances hold EMG; the runner
page's line gives the baseline-normalised means."""

import numpy as np
import pandas as pd

from hipdrop.config import validate_config
from hipdrop.report.emg import page_line
from hipdrop.report.methods import methods_paragraph
from tests.unit.test_methods import cited_and_listed, tables


def _with_emg(stances, values):
    return stances.assign(emg_gmed_mean=values, emg_gmed_pre_mean=np.asarray(values) / 2, side="L")


def test_methods_unchanged_without_emg_and_complete_with_it():
    config = validate_config({"stats": {"baseline": "base"}})
    plain = tables()
    before = methods_paragraph(config, plain)
    empty = {**plain, "stances": _with_emg(plain["stances"], [np.nan] * 9)}
    assert methods_paragraph(config, empty) == before  # NaN columns: a run without EMG reads as before
    text = methods_paragraph(config, {**plain, "stances": _with_emg(plain["stances"], [0.2] * 5 + [np.nan] * 4)})
    assert "**Surface EMG.**" not in before and "**Surface EMG.**" in text
    assert "20-450 Hz" in text and "6 Hz" in text and "100 ms before foot strike" in text
    assert "gmed: 5 stances of 1 runner." in text
    cited, listed = cited_and_listed(text)
    assert {("Hermens", "2000"), ("Merletti", "1999"), ("Burden", "2010")} <= cited <= listed


def test_page_line_normalises_to_the_runners_baseline():
    stances = pd.DataFrame({"subject": "A", "condition": ["base", "base", "fast", "fast"], "side": ["L", "R", "L", "R"],
                            "excluded": False, "emg_gmed_mean": [2.0, 4.0, 3.0, 5.0], "emg_gmed_pre_mean": [1.0, 1.0, 2.0, 2.0]})
    # left: fast 3 / 2 = 150 %, right 5 / 4 = 125 %: mean 137.5; pre: 50 and 25 % at base, 100 and 50 % fast
    assert page_line("A", stances, baseline="base") == (
        "EMG, mean envelope over stance (and over the pre-activation window) in % of the baseline's stance mean: "
        "gmed base 100 (pre 38), fast 138 (pre 75)")
    assert page_line("B", stances, baseline="base") == ""
    assert page_line("A", stances.assign(emg_gmed_mean=np.nan), baseline="base") == ""


def test_page_line_of_the_cohort_normalised_once_equals_the_runner_s_own():
    """write_runner_pages normalises the cohort's stances once: each runner's line must read as from its own rows
    (by hand: B's right side is 6 / 3 = 200 % fast, its left 2 / 2 = 100 %; A has an MVC of 8 mV on both sides)."""
    from hipdrop.stats.emg import normalise_emg

    stances = pd.DataFrame({
        "subject": ["A"] * 4 + ["B"] * 4, "condition": ["base", "base", "fast", "fast"] * 2, "side": ["L", "R"] * 4,
        "excluded": False, "emg_gmed_mean": [2.0, 4.0, 3.0, 5.0, 2.0, 3.0, 2.0, 6.0],
        "emg_gmed_pre_mean": [1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 1.0, 1.0], "emg_gmed_mvc_mv": [8.0] * 4 + [np.nan] * 4})
    once = normalise_emg(stances, baseline="base")
    for subject in ("A", "B"):
        assert page_line(subject, once, baseline="base") == page_line(subject, stances, baseline="base")
    assert page_line("B", once, baseline="base").endswith("gmed base 100 (pre 42), fast 150 (pre 42)")
    assert "gmed (% MVC) base 38 (pre 12), fast 50 (pre 25)" in page_line("A", once, baseline="base")


def test_the_runner_page_carries_the_emg_line_only_with_emg():
    from tests.unit.test_runner_pages import small_tables
    from hipdrop.report.runner_pages import runner_page

    curves, stances, responders, manipulation = small_tables()
    texts = lambda figure: " ".join(t.get_text() for ax in figure.axes for t in ax.texts)
    assert "EMG" not in texts(runner_page("A", curves, stances, responders, manipulation))
    with_emg = stances.assign(emg_gmed_mean=1.0, emg_gmed_pre_mean=0.5)
    with_emg.loc[with_emg["condition"] != "baseline", "emg_gmed_mean"] = 1.2
    text = texts(runner_page("A", curves, with_emg, responders, manipulation))
    assert "in % of the baseline's stance mean: gmed baseline 100 (pre 50)" in text and "120 (pre 50)" in text
