"""A runner's page from small hand-built tables: one curve per condition and the responder verdict."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from hipdrop.config import validate_config
from hipdrop.report.runner_pages import responder_lines, runner_page, write_runner_pages
from hipdrop.stats.waveforms import subject_mean_curves

PCT = np.linspace(0, 100, 101)
#: the pages at the configured resolution
DPI = validate_config({})["report"]["runner_page_dpi"]
CONDITIONS = ["baseline", "cadence_plus10", "arm_swing"]


#: each runner's baseline peak drop (deg); condition k lies k deg lower. Runners differ, so that a page showing
#: another runner's rows is seen
BASELINE_PEAK = {"A": 6.0, "B": 9.0}


def small_tables():
    """Curves of 4 stances per runner and condition, each its table peak x sin(pi pct / 100), so that a condition's
    mean curve is the mean of its stances' ``cpd_peak_deg`` times that sine."""
    rows = [(s, c, side, BASELINE_PEAK[s] - k) for s in ("A", "B") for k, c in enumerate(CONDITIONS)
            for side in ("L", "R", "L", "R")]
    curves = xr.DataArray(
        np.array([peak * np.sin(np.pi * PCT / 100) for *_, peak in rows]), dims=("stance", "pct"),
        coords={"stance": np.arange(len(rows)), "pct": PCT, "subject": ("stance", [r[0] for r in rows]),
                "condition": ("stance", [r[1] for r in rows]), "side": ("stance", [r[2] for r in rows]),
                "excluded": ("stance", [False] * len(rows))})
    stances = pd.DataFrame({"subject": [r[0] for r in rows], "condition": [r[1] for r in rows],
                            "side": [r[2] for r in rows], "cpd_peak_deg": [r[3] for r in rows], "excluded": False})
    responders = pd.DataFrame({
        "subject": ["A", "A"], "condition": ["cadence_plus10", "arm_swing"], "metric": "cpd_peak_deg",
        "change_deg": [-1.0, -2.0], "mdc95_deg": [1.2, 0.8], "responder": ["unchanged", "improved"], "reason": ""})
    manipulation = pd.DataFrame({
        "subject": ["A"] * 3, "condition": CONDITIONS, "cadence_spm": [170.0, 185.0, 171.0],
        "target_cadence_change_pct": [0.0, 10.0, 0.0], "achieved_cadence_change_pct": [0.0, 8.8, 0.6],
        "arm_swing_mm": [220.0, 221.0, 130.0], "arm_swing_change_pct": [0.0, 0.5, -40.9],
        "adherent": [None, True, True]})
    return curves, stances, responders, manipulation


def curve_labels(figure):
    return sorted(line.get_label() for line in figure.axes[0].get_lines() if not line.get_label().startswith("_"))


def drawn_curves(figure) -> dict:
    """The curves a page draws: {condition: obliquity (deg) at PCT}."""
    return {line.get_label(): np.asarray(line.get_ydata(), dtype=float) for line in figure.axes[0].get_lines()
            if not line.get_label().startswith("_")}


def assert_curves_are_the_stance_tables(curves: dict, stances: pd.DataFrame, subject: str):
    """Each condition's curve is the runner's mean table peak of its included stances times sin(pi pct / 100)."""
    rows = stances[(stances["subject"] == subject) & ~stances["excluded"]]
    peaks = rows.groupby("condition")["cpd_peak_deg"].mean()
    assert sorted(curves) == sorted(peaks.index)
    for condition, peak in peaks.items():
        np.testing.assert_allclose(curves[condition], peak * np.sin(np.pi * PCT / 100), atol=1e-9, err_msg=condition)


def test_one_curve_per_condition_and_the_responder_text():
    curves, stances, responders, manipulation = small_tables()
    figure = runner_page("A", curves, stances, responders, manipulation)
    assert curve_labels(figure) == sorted(CONDITIONS)
    text = "\n".join(t.get_text() for ax in figure.axes for t in ax.texts)
    assert "arm_swing: improved (change -2.00 deg, MDC95 0.80 deg)" in text
    assert "cadence_plus10: unchanged (change -1.00 deg, MDC95 1.20 deg)" in text
    assert "Runner A" in figure.get_suptitle()


@pytest.mark.parametrize("subject", ["A", "B"])
def test_stance_curves_and_subject_means_both_draw_the_stance_tables_means(subject):
    curves, stances, responders, manipulation = small_tables()
    for given in (curves, subject_mean_curves(curves)):
        figure = runner_page(subject, given, stances, responders, manipulation)
        assert_curves_are_the_stance_tables(drawn_curves(figure), stances, subject)


def test_a_runner_without_stances_still_gets_a_page():
    curves, stances, responders, manipulation = small_tables()
    figure = runner_page("Z", curves, stances, responders, manipulation)
    assert curve_labels(figure) == []
    assert responder_lines("Z", responders) == []


def test_pages_drawn_by_two_forked_workers_equal_those_drawn_in_one_process(tmp_path):
    curves, stances, responders, manipulation = small_tables()
    for workers in (1, 2):
        pages = {s: tmp_path / str(workers) / f"{s}.png" for s in ("A", "B", "Z")}
        write_runner_pages(pages, subject_mean_curves(curves), stances, responders, manipulation, workers=workers,
                           dpi=DPI)
    for subject in ("A", "B", "Z"):
        one, two = (tmp_path / str(w) / f"{subject}.png" for w in (1, 2))
        assert one.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and one.read_bytes() == two.read_bytes()
    assert sorted(p.name for p in (tmp_path / "2").iterdir()) == ["A.png", "B.png", "Z.png"]  # no temporary left


def test_written_pages_show_their_own_runners_rows_whatever_was_drawn_before(tmp_path, monkeypatch):
    """write_runner_pages hands each page its runner's rows, picked out once, and draws a worker's pages over one
    figure: each page as saved shows its runner's stance-table means and stance counts (B has stances only, Z
    nothing), and a page is the same file whether it was drawn first or after the others."""
    from matplotlib.figure import Figure

    curves, stances, responders, manipulation = small_tables()
    saved, save = [], Figure.savefig

    def recording(figure, *args, **kwargs):
        saved.append((drawn_curves(figure), [t.get_text() for t in figure.axes[2].texts]))
        return save(figure, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", recording)
    for order in (("A", "B", "Z"), ("Z", "B", "A")):
        saved.clear()
        pages = {s: tmp_path / "".join(order) / f"{s}.png" for s in order}
        write_runner_pages(pages, subject_mean_curves(curves), stances, responders, manipulation, dpi=DPI)
        for subject, (drawn, texts) in zip(order, saved, strict=True):
            if subject == "Z":
                assert drawn == {}
                continue
            assert_curves_are_the_stance_tables(drawn, stances, subject)
            assert "4* / 0\n4* / 0\n4* / 0" in texts  # 4 included stances per condition, none excluded
    for subject in ("A", "B", "Z"):
        assert (tmp_path / "ABZ" / f"{subject}.png").read_bytes() == (tmp_path / "ZBA" / f"{subject}.png").read_bytes()


def test_the_table_states_each_conditions_cadence_arm_swing_and_verdict_in_its_row():
    curves, stances, responders, manipulation = small_tables()
    figure = runner_page("A", curves, stances, responders, manipulation)
    texts = [t.get_text() for t in figure.axes[2].texts]
    start = texts.index("baseline\narm_swing\ncadence_plus10")  # baseline first, then the others by name
    # one text per column after the header's, its rows in the conditions' order
    columns = [texts[k].split("\n") for k in range(start, start + 2 * 10, 2)]
    assert columns[1:] == [
        ["170", "171", "185"], ["+0.0 (+0)", "+0.6 (+0)", "+8.8 (+10)"], ["220", "130", "221"],
        ["+0", "-41", "+0"],  # +0.5 % rounds to zero: "+0", never "-0" or "+1"
        ["4* / 0", "4* / 0", "4* / 0"],  # the stances behind each mean, starred under stats.min_stances (10)
        [" ", "yes", "yes"], ["-", "-2.00", "-1.00"], ["-", "0.80", "1.20"], [" ", "improved", "unchanged"],
    ]


def test_the_page_counts_the_stances_behind_each_mean_and_why_the_others_were_excluded():
    """Issue 22 items 3, 5, 6 and 8: a runner who lost stances sees how many and why; a condition that is not an
    intervention is "not judged"; a condition the runner never ran is not on the page."""
    curves, stances, responders, manipulation = small_tables()
    lost = stances.index[(stances["subject"] == "A") & (stances["condition"] == "arm_swing")][:3]
    stances.loc[lost, "excluded"] = True
    stances["exclude_reason"] = ""
    stances.loc[lost, "exclude_reason"] = ["pelvis data filled for 0.050 s (> 0.007 s) in the stance"] * 2 + [
        "contact cut by the end of the recording (0.100 s after the strike)"]
    manipulation["targets"] = ["baseline", "cadence", "not an intervention"]
    figure = runner_page("A", curves, stances[stances["condition"] != "cadence_plus10"], responders[1:],
                         manipulation[manipulation["condition"] != "cadence_plus10"])
    texts = [t.get_text() for t in figure.axes[2].texts]
    assert "baseline\narm_swing" in texts  # cadence_plus10 never ran: no row
    assert "4* / 0\n1* / 3" in texts and " \nnot judged" in texts
    sentence = next(t for t in texts if t.startswith("Stances:"))
    assert sentence.replace("\n", " ").startswith(
        "Stances: 5 of 8 included; excluded: 2 pelvis data filled for 0.050 s (> 0.007 s) in the stance, 1 contact "
        "cut by the end of the recording (0.100 s after the strike)")
    assert "* a mean from fewer than 10 included stances" in sentence


def test_the_star_is_explained_only_where_the_table_has_one():
    curves, stances, responders, manipulation = small_tables()
    texts = lambda figure: [t.get_text() for t in figure.axes[2].texts]  # noqa: E731
    sentence = lambda figure: next(t for t in texts(figure) if t.startswith("Stances:"))  # noqa: E731
    assert "* a mean from fewer" in sentence(runner_page("A", curves, stances, responders, manipulation))  # 4 < 10
    figure = runner_page("A", curves, stances, responders, manipulation, min_stances=4)
    assert "*" not in "".join(texts(figure)) and sentence(figure) == "Stances: 12 of 12 included"


def test_the_mdc_band_sits_on_the_mean_of_the_sides_which_the_page_marks():
    """Two sides 6 deg apart (as real runners' can be): the band around the baseline's mean of the side means lies
    between them, so the page marks that mean for every condition (the quantity the band and responders judge)."""
    curves, stances, responders, manipulation = small_tables()
    stances.loc[stances["side"] == "L", "cpd_peak_deg"] += 3.0
    stances.loc[stances["side"] == "R", "cpd_peak_deg"] -= 3.0
    figure = runner_page("A", curves, stances, responders, manipulation)
    marks = [line for line in figure.axes[1].get_lines() if line.get_label() == "mean of the sides"]
    assert len(marks) == 1
    ticks = [t.get_text() for t in figure.axes[1].get_xticklabels()]
    drawn = {ticks[int(line.get_xdata()[0])]: float(line.get_ydata()[0]) for line in figure.axes[1].get_lines()
             if line.get_marker() == "D"}
    mine = stances[stances["subject"] == "A"]
    expected = {c: mine[mine["condition"] == c].groupby("side")["cpd_peak_deg"].mean().mean() for c in CONDITIONS}
    assert drawn == pytest.approx(expected)  # 6, 5 and 4 deg: the sides' 9/3, 8/2 and 7/1
