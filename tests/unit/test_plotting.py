"""The figures of hipdrop.report.figures from small hand-made result tables: each figure shows every row it is given,
where it belongs (estimates, CIs, classes, confounds, slopes), and says so in text where there is nothing to draw."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402

from hipdrop.report.figures import (  # noqa: E402
    RESPONDER_COLOURS,
    exclusion_counts,
    metric_label,
    plot_adherence,
    plot_dose_response,
    plot_effects,
    plot_obliquity_by_condition,
    plot_quality,
    plot_runners,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text)]


def _bands(ax) -> list[PolyCollection]:
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


# --- effects -------------------------------------------------------------------------------------------------------

def _effects() -> pd.DataFrame:
    rows = []
    for metric, scale in (("cpd_peak_deg", 1.0), ("cpd_excursion_deg", 0.5)):
        for analysis, shift in (("mixed model", 0.0), ("rm-anova", 0.05)):
            for condition, est in (("arm_swing", -0.6), ("cadence_plus10", -1.2), ("cadence_plus5", -0.9)):
                e = scale * est + shift
                rows.append({"metric": metric, "term": f"condition[{condition}]", "estimate_deg": e, "ci_low": e - 0.3,
                             "ci_high": e + 0.2, "analysis": analysis, "estimable": True, "reason": "", "n_subjects": 6})
    table = pd.DataFrame(rows)
    gone = (table["metric"] == "cpd_peak_deg") & (table["analysis"] == "mixed model") & (table["term"] == "condition[arm_swing]")
    table.loc[gone, ["estimate_deg", "ci_low", "ci_high", "estimable", "reason", "n_subjects"]] = [
        np.nan, np.nan, np.nan, False, "2 runners with arm_swing and baseline, fewer than 3", 2]
    return table


def test_effects_forest_plot_has_a_point_and_ci_per_estimable_row_of_each_analysis():
    effects = _effects()
    fig = plot_effects(effects)
    axes = [ax for ax in fig.axes if ax.containers]
    assert len(axes) == 2  # one panel per metric
    for ax, metric in zip(axes, ["cpd_peak_deg", "cpd_excursion_deg"]):
        bars = {c.get_label(): c for c in ax.containers if isinstance(c, ErrorbarContainer)}
        assert set(bars) == {"mixed model", "rm-anova"}
        for analysis, container in bars.items():
            rows = effects[(effects["metric"] == metric) & (effects["analysis"] == analysis) & effects["estimable"].astype(bool)]
            x = container.lines[0].get_xdata()
            assert sorted(x) == pytest.approx(sorted(rows["estimate_deg"]))
            segments = container.lines[2][0].get_segments()
            assert len(segments) == len(rows)
            spans = sorted((min(s[:, 0]), max(s[:, 0])) for s in segments)
            np.testing.assert_allclose(spans, sorted(zip(rows["ci_low"], rows["ci_high"])))
        assert any(list(line.get_xdata()) == [0, 0] for line in ax.get_lines())  # the zero line
        assert "(deg)" in ax.get_xlabel()
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert [label.split(" ")[0] for label in labels] == ["arm_swing", "cadence_plus10", "cadence_plus5"]
    assert "peak pelvic drop" in axes[0].get_xlabel() and "excursion" in axes[1].get_xlabel()
    missing = [t for t in _texts(fig) if "not estimable" in t]
    assert missing == ["mixed model: not estimable: 2 runners with arm_swing and baseline, fewer than 3"]


def test_effects_conditions_are_rows_and_analyses_side_by_side_on_them():
    fig = plot_effects(_effects(), metrics=["cpd_excursion_deg"])
    ax = fig.axes[0]
    ticks = dict(zip([t.get_text().split(" ")[0] for t in ax.get_yticklabels()], ax.get_yticks()))
    bars = {c.get_label(): c for c in ax.containers}
    mixed_y = np.sort(bars["mixed model"].lines[0].get_ydata())
    anova_y = np.sort(bars["rm-anova"].lines[0].get_ydata())
    assert np.all(mixed_y != anova_y)  # not on top of one another
    assert np.abs(mixed_y - anova_y) == pytest.approx(np.full(3, 0.36))
    assert sorted(np.round((mixed_y + anova_y) / 2)) == sorted(ticks.values())


# --- runners -------------------------------------------------------------------------------------------------------

def _subjects_and_responders():
    base = {"A": 6.0, "B": 8.0, "C": 5.0}
    subjects, responders = [], []
    changes = {("A", "fast"): (-1.0, 0.3, "improved"), ("B", "fast"): (0.1, 0.4, "unchanged"),
               ("C", "fast"): (np.nan, np.nan, "not assessable"), ("A", "arms"): (0.8, 0.3, "worsened"),
               ("B", "arms"): (-0.9, 0.4, "improved"), ("C", "arms"): (-0.2, 0.5, "unchanged")}
    for s, b in base.items():
        subjects.append({"subject": s, "condition": "baseline", "metric": "cpd_peak_deg", "mean": b, "baseline_mean": b})
    for (s, c), (change, mdc, klass) in changes.items():
        subjects.append({"subject": s, "condition": c, "metric": "cpd_peak_deg",
                         "mean": base[s] + (change if np.isfinite(change) else 0.5), "baseline_mean": base[s]})
        responders.append({"subject": s, "condition": c, "metric": "cpd_peak_deg", "change_deg": change,
                           "mdc95_deg": mdc, "responder": klass})
    subjects.append({"subject": "A", "condition": "baseline", "metric": "cadence_spm", "mean": 170.0, "baseline_mean": 170.0})
    return pd.DataFrame(subjects), pd.DataFrame(responders), base, changes


def test_runners_figure_joins_each_runner_coloured_by_class_within_its_mdc_band():
    subjects, responders, base, changes = _subjects_and_responders()
    fig = plot_runners(subjects, responders)
    panels = [ax for ax in fig.axes if ax.get_lines()]
    assert [ax.get_title().split("\n")[0] for ax in panels] == ["arms", "fast"]
    for ax in panels:
        condition = ax.get_title().split("\n")[0]
        mine = {s: v for (s, c), v in changes.items() if c == condition}
        lines = ax.get_lines()
        assert len(lines) == len(mine)  # one line per runner
        drawn = {}
        for line in lines:
            x, y = line.get_xdata(), line.get_ydata()
            assert list(x) == [0, 1]
            runner = next(s for s, b in base.items() if b == pytest.approx(y[0]))
            drawn[runner] = (y[1], to_hex(line.get_color()))
        for runner, (change, mdc, klass) in mine.items():
            end, colour = drawn[runner]
            assert colour == to_hex(RESPONDER_COLOURS[klass])
            if np.isfinite(change):
                assert end == pytest.approx(base[runner] + change)
        bands = _bands(ax)
        finite = {s: v for s, v in mine.items() if np.isfinite(v[1])}
        assert len(bands) == len(finite)  # one MDC band per runner with an MDC
        extents = sorted((b.get_paths()[0].vertices[:, 1].min(), b.get_paths()[0].vertices[:, 1].max()) for b in bands)
        np.testing.assert_allclose(extents, sorted((base[s] - v[1], base[s] + v[1]) for s, v in finite.items()))
        assert [t.get_text() for t in ax.get_xticklabels()] == ["baseline", condition]
    assert panels[1].get_title() == "fast\n1 improved, 1 unchanged,\n1 not assessable"  # wrapped between classes
    assert "(deg)" in panels[0].get_ylabel()
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert set(legend) == {"improved", "unchanged", "worsened", "not assessable", "baseline +/- MDC95"}


def test_runners_figure_titles_of_a_large_cohort_stay_over_their_own_panels():
    # 450 runners: "309 improved, 84 unchanged, 57 worsened" ran into the next panel's title
    classes = ["improved", "unchanged", "worsened"]
    runners = [f"R{k:03d}" for k in range(300)]
    conditions = ["arm_swing", "cadence_plus10", "cadence_plus5"]
    subjects = pd.DataFrame([{"subject": s, "condition": c, "metric": "cpd_peak_deg", "mean": 5.0, "baseline_mean": 5.0}
                             for s in runners for c in ["baseline", *conditions]])
    responders = pd.DataFrame([{"subject": s, "condition": c, "metric": "cpd_peak_deg", "change_deg": -0.5,
                                "mdc95_deg": 0.3, "responder": classes[k % 3]}
                               for k, s in enumerate(runners) for c in conditions])
    fig = plot_runners(subjects, responders)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    titles = [ax.title.get_window_extent(renderer) for ax in fig.axes if ax.get_lines()]
    assert len(titles) == 3
    for left, right in zip(titles, titles[1:]):
        assert left.x1 < right.x0  # pixels
    assert all("100 improved" in ax.get_title() and "100 worsened" in ax.get_title() for ax in fig.axes if ax.get_lines())


# --- adherence -----------------------------------------------------------------------------------------------------

def _manipulation() -> pd.DataFrame:
    rows = []
    for k, s in enumerate(["A", "B", "C", "D"]):
        rows.append({"subject": s, "condition": "baseline", "target_cadence_change_pct": 0, "achieved_cadence_change_pct": 0.0,
                     "arm_swing_change_pct": 0.0, "adherent": np.nan, "confounded": False})
        rows.append({"subject": s, "condition": "cadence_plus10", "target_cadence_change_pct": 10,
                     "achieved_cadence_change_pct": 9.0 + k * 0.5 - (4 if s == "D" else 0),
                     "arm_swing_change_pct": 25.0 if s == "B" else 1.0, "adherent": s != "D", "confounded": s == "B"})
        rows.append({"subject": s, "condition": "arm_swing", "target_cadence_change_pct": 0,
                     "achieved_cadence_change_pct": 4.0 if s in "CD" else 0.2, "arm_swing_change_pct": -40.0,
                     "adherent": True, "confounded": s in "CD"})
    return pd.DataFrame(rows)


def test_adherence_marks_every_confounded_runner_in_both_panels():
    table = _manipulation()
    fig = plot_adherence(table, cadence_tolerance_pct=3.0)
    cadence, arms = fig.axes
    confounded = table[table["confounded"]]
    for ax, column in ((cadence, "achieved_cadence_change_pct"), (arms, "arm_swing_change_pct")):
        marked = [c for c in ax.collections if c.get_label() == "confounded (3)"]
        assert len(marked) == 1
        offsets = marked[0].get_offsets()
        assert len(offsets) == len(confounded) == 3
        assert sorted(offsets[:, 1]) == pytest.approx(sorted(confounded[column]))
        assert "confounded (3)" in [t.get_text() for t in ax.get_legend().get_texts()]
        others = [c for c in ax.collections if c.get_label() in ("cadence_plus10", "arm_swing")]
        assert sum(len(c.get_offsets()) for c in others) == 8  # every runner x condition besides baseline, once
    points = {c.get_label(): c.get_offsets() for c in cadence.collections}
    assert sorted(points["cadence_plus10"][:, 1]) == pytest.approx(
        sorted(table.loc[table["condition"] == "cadence_plus10", "achieved_cadence_change_pct"]))
    assert np.all(np.abs(points["cadence_plus10"][:, 0] - 10) < 1)  # at the target, spread only to be seen
    assert any(line.get_label() == "achieved = target" for line in cadence.get_lines())
    assert _bands(cadence)  # the tolerance band
    assert "target" in cadence.get_xlabel() and "achieved" in cadence.get_ylabel() and "%" in cadence.get_ylabel()
    assert [t.get_text() for t in arms.get_xticklabels()] == ["arm_swing", "cadence_plus10"]
    hollow = [c for c in cadence.collections if c.get_label() == "cadence_plus10"][0].get_facecolors()
    assert (hollow[:, 3] == 0).sum() == 1  # D missed its target


# --- dose-response -------------------------------------------------------------------------------------------------

def test_dose_response_draws_each_runner_line_through_baseline_and_the_population_band():
    manipulation = _manipulation()
    subjects = pd.DataFrame([{"subject": r.subject, "condition": r.condition, "metric": "cpd_peak_deg",
                              "change_from_baseline": -0.12 * r.achieved_cadence_change_pct} for r in manipulation.itertuples()])
    dose = pd.DataFrame([
        {"level": "population", "subject": "", "metric": "cpd_peak_deg", "slope_deg_per_pct": -0.12, "ci_low": -0.16,
         "ci_high": -0.08, "own_slope_deg_per_pct": np.nan, "achieved_min_pct": 0.0, "achieved_max_pct": 10.5,
         "estimable": True, "reason": ""},
        *[{"level": "runner", "subject": s, "metric": "cpd_peak_deg", "slope_deg_per_pct": slope, "ci_low": np.nan,
           "ci_high": np.nan, "own_slope_deg_per_pct": slope * 1.1, "achieved_min_pct": 0.0, "achieved_max_pct": top,
           "estimable": True, "reason": ""}
          for s, slope, top in (("A", -0.10, 9.0), ("B", -0.13, 9.5), ("C", -0.12, 10.0), ("D", -0.14, 6.5))],
    ])
    fig = plot_dose_response(dose, subjects, manipulation)
    ax = fig.axes[0]
    runners = [line for line in ax.get_lines() if line.get_label()[:2] in ("A:", "B:", "C:", "D:")]
    assert len(runners) == 4
    for line, (slope, top) in zip(runners, [(-0.10, 9.0), (-0.13, 9.5), (-0.12, 10.0), (-0.14, 6.5)]):
        x, y = line.get_xdata(), line.get_ydata()
        assert x[0] == 0 and y[0] == 0 and x[-1] == pytest.approx(top)  # through the runner's baseline point
        assert y[-1] / x[-1] == pytest.approx(slope)
    population = [line for line in ax.get_lines() if line.get_label().startswith("population")]
    assert len(population) == 1 and population[0].get_ydata()[-1] == pytest.approx(-0.12 * 10.5)
    bands = _bands(ax)
    assert len(bands) == 1 and bands[0].get_label() == "population 95 % CI"
    corner = bands[0].get_paths()[0].vertices
    assert corner[:, 1].min() == pytest.approx(-0.16 * 10.5) and corner[:, 1].max() == pytest.approx(0.0)
    points = np.vstack([c.get_offsets() for c in ax.collections if not isinstance(c, PolyCollection)])
    assert len(points) == 8  # baseline and cadence_plus10 of 4 runners; the arm-swing condition is not a dose
    assert "cadence" in ax.get_xlabel() and "(deg)" in ax.get_ylabel()
    own = plot_dose_response(dose, subjects, manipulation, runner_slope="own_slope_deg_per_pct").axes[0]
    line = [line for line in own.get_lines() if line.get_label().startswith("A:")][0]
    assert line.get_ydata()[-1] / line.get_xdata()[-1] == pytest.approx(-0.11)


def test_dose_response_of_a_crowd_sums_the_runners_up_in_one_legend_entry_and_keeps_its_plot():
    # 450 runners once gave 450 legend entries, which pushed the axes to nothing; past the 10 colours there are
    # one grey line per runner and one entry with their median slope and quartiles
    slopes = np.linspace(-0.30, 0.06, 25)
    runners = [f"R{k:02d}" for k in range(25)]
    manipulation = pd.DataFrame([{"subject": s, "condition": c, "target_cadence_change_pct": t,
                                  "achieved_cadence_change_pct": 0.9 * t} for s in runners
                                 for c, t in (("baseline", 0), ("cadence_plus10", 10))])
    subjects = pd.DataFrame([{"subject": s, "condition": "cadence_plus10", "metric": "cpd_peak_deg",
                              "change_from_baseline": 9.0 * slope} for s, slope in zip(runners, slopes)])
    dose = pd.DataFrame([
        {"level": "population", "subject": "", "metric": "cpd_peak_deg", "slope_deg_per_pct": -0.12, "ci_low": -0.16,
         "ci_high": -0.08, "achieved_min_pct": 0.0, "achieved_max_pct": 9.0, "estimable": True, "reason": ""},
        *[{"level": "runner", "subject": s, "metric": "cpd_peak_deg", "slope_deg_per_pct": slope,
           "achieved_min_pct": 0.0, "achieved_max_pct": 9.0, "estimable": True, "reason": ""}
          for s, slope in zip(runners, slopes)],
    ])
    fig = plot_dose_response(dose, subjects, manipulation)
    ax = fig.axes[0]
    lines = [line for line in ax.get_lines() if list(line.get_xdata()) == [0.0, 9.0]]  # not the axes' zero lines
    assert sorted(round(line.get_ydata()[-1] / 9.0, 6) for line in lines) == sorted(np.round(slopes, 6))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == ("each runner's own line (25 runners): median -0.120, quartiles -0.210 to -0.030")
    assert len(legend) == 3  # the crowd, the population's band and its line
    fig.canvas.draw()
    assert ax.get_position().height > 0.6  # the plot keeps its room (figure fractions)


def test_dose_response_without_an_estimable_population_slope_says_so():
    dose = pd.DataFrame([{"level": "population", "subject": "", "metric": "cpd_peak_deg", "slope_deg_per_pct": np.nan,
                          "ci_low": np.nan, "ci_high": np.nan, "achieved_min_pct": 0.0, "achieved_max_pct": 5.0,
                          "estimable": False, "reason": "2 runners, fewer than 3"}])
    fig = plot_dose_response(dose, pd.DataFrame(columns=["subject", "condition", "metric", "change_from_baseline"]),
                             _manipulation())
    assert "population slope not estimable: 2 runners, fewer than 3" in _texts(fig)
    assert not _bands(fig.axes[0])


# --- quality -------------------------------------------------------------------------------------------------------

def _stances() -> pd.DataFrame:
    reasons = ["", "", "", "stance time out of bounds", "stance time out of bounds; sides not alternating",
               "missing pelvis data", ""]
    return pd.DataFrame({"excluded": [bool(r) for r in reasons], "exclude_reason": reasons})


def test_exclusion_counts_count_each_reason_of_a_stance():
    counts = exclusion_counts(_stances())
    assert counts.to_dict() == {"stance time out of bounds": 2, "sides not alternating": 1, "missing pelvis data": 1}


def test_quality_figure_counts_exclusions_quarantine_stages_and_event_agreement():
    quarantine = pd.DataFrame({"path": ["a.c3d", "b.c3d", "c.c3d"], "stage": ["read", "read", "events"],
                               "reason": ["bad header", "truncated", "no stances"]})
    agreement = pd.DataFrame([{"subject": "S1", "condition": "baseline", "trial": t, "method": m, "reference": r,
                               "event": e, "median_abs_error_ms": err}
                              for t in (1, 2) for m in ("running", "zeni") for r in ("force", "c3d")
                              for e, err in (("foot_strike", 1.0 * t), ("foot_off", 4.0 * t))])
    fig = plot_quality(_stances(), quarantine, agreement)
    exclusions, stages, events = fig.axes
    bars = {t.get_text(): p.get_width() for t, p in zip(exclusions.get_yticklabels(), exclusions.patches)}
    assert bars == {"stance time out of bounds": 2, "sides not alternating": 1, "missing pelvis data": 1}
    assert "4 of 7 included" in exclusions.get_title()
    assert {t.get_text(): p.get_height() for t, p in zip(stages.get_xticklabels(), stages.patches)} == {"read": 2, "events": 1}
    assert "(3)" in stages.get_title()
    assert len(events.patches) == 2 * 2 * 2  # detector x reference x event
    assert sorted(p.get_height() for p in events.patches) == pytest.approx([1.5] * 4 + [6.0] * 4)
    assert [t.get_text() for t in events.get_legend().get_texts()] == ["running", "zeni"]
    assert "(ms)" in events.get_ylabel()


def test_quality_figure_without_exclusions_quarantine_or_references_says_so():
    stances = pd.DataFrame({"excluded": [False, False], "exclude_reason": ["", ""]})
    fig = plot_quality(stances, pd.DataFrame(columns=["path", "stage", "reason"]), pd.DataFrame())
    texts = _texts(fig)
    assert "no stance excluded\n(2 included)" in texts
    assert "no trial quarantined" in texts
    assert any(t.startswith("no force plates or stored events") for t in texts)
    assert not any(ax.patches for ax in fig.axes)


def test_metric_label_names_the_unit():
    assert metric_label("cpd_peak_deg") == "peak pelvic drop (deg)"
    assert metric_label("cadence_spm") == "cadence (steps/min)"
    assert metric_label("cpd_excursion_deg") == "pelvic drop excursion (deg)"


def test_quality_figure_groups_reasons_into_kinds_with_counts_and_labels_that_do_not_overlap():
    """Issue 22 item 10: 13 pelvis fills of 13 durations were 13 bars with overlapping labels; they are one kind,
    its durations as a range, each bar with its count."""
    fills = [f"pelvis data filled for {0.010 + 0.005 * k:.3f} s (> 0.007 s) in the stance" for k in range(13)]
    reasons = fills + ["pelvis marker rebuilt as a rigid body in the stance (a 0.300 s gap)"] * 9 + [
        "stance time 0.733 s outside [0.1, 0.5] s; missing pelvis data in the stance", "", ""]
    stances = pd.DataFrame({"excluded": [bool(r) for r in reasons], "exclude_reason": reasons})
    fig = plot_quality(stances, pd.DataFrame(columns=["path", "stage", "reason"]), pd.DataFrame())
    exclusions = fig.axes[0]
    labels = [t.get_text().replace("\n", " ") for t in exclusions.get_yticklabels()]
    bars = dict(zip(labels, (p.get_width() for p in exclusions.patches)))
    assert bars == {"pelvis data filled for 0.010\u20130.070 s (> 0.007 s) in the stance": 13,
                    "pelvis marker rebuilt as a rigid body in the stance (a 0.300 s gap)": 9,
                    "stance time 0.733 s outside [0.1, 0.5] s": 1, "missing pelvis data in the stance": 1}
    assert {"13", "9", "1"} <= set(_texts(fig))  # each bar says its count
    fig.canvas.draw()
    boxes = [t.get_window_extent() for t in exclusions.get_yticklabels()]
    assert not any(a.overlaps(b) for k, a in enumerate(boxes) for b in boxes[k + 1:])


def test_quality_figure_keeps_a_readable_number_of_bars():
    reasons = [f"reason number {'abcdefghijklmnopqrstuvwxyz'[k]} of its own" for k in range(20)]
    stances = pd.DataFrame({"excluded": True, "exclude_reason": reasons})
    exclusions = plot_quality(stances, pd.DataFrame(columns=["path", "stage", "reason"]), pd.DataFrame()).axes[0]
    labels = [t.get_text().replace("\n", " ") for t in exclusions.get_yticklabels()]
    assert len(labels) == 8 and labels[-1] == "13 other kinds of reason"  # 7 kinds and the other 13 in one bar
    assert sum(p.get_width() for p in exclusions.patches) == 20


# --- obliquity by condition ----------------------------------------------------------------------------------------

def _curves(ran: dict[str, list[str]]) -> xr.DataArray:
    """Two stances of each runner in each condition ``ran`` gives it; a runner's curve is its own offset."""
    rows = [(c, s) for c, subjects in ran.items() for s in subjects for _ in range(2)]
    pct = np.arange(101)
    values = np.array([np.sin(np.pi * pct / 100) * (5 + int(s[1:])) for _, s in rows])
    return xr.DataArray(values, dims=("stance", "pct"), coords={
        "pct": pct, "condition": ("stance", [c for c, _ in rows]), "subject": ("stance", [s for _, s in rows]),
        "excluded": ("stance", np.zeros(len(rows), bool))})


def test_obliquity_by_condition_with_the_same_runners_in_every_condition_names_their_number():
    fig = plot_obliquity_by_condition(_curves({"baseline": ["S1", "S2", "S3"], "cadence": ["S1", "S2", "S3"]}))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["baseline (3 runners)", "cadence (3 runners)"]
    assert "differ" not in " ".join(_texts(fig))


def test_obliquity_by_condition_says_when_the_runners_differ_between_conditions():
    """Issue 22 item 9: lines of different runners per condition look like a within-runner comparison; the legend
    gives each line's runners and the figure says that the sets differ, and how many runners ran every condition."""
    fig = plot_obliquity_by_condition(_curves({"speed25": ["S1", "S2", "S3", "S4"], "speed35": ["S1", "S2"],
                                               "overground": ["S5", "S6", "S7"]}))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "overground (3 runners, not S1, S2, S3, S4)", "speed25 (4 runners, not S5, S6, S7)",
        "speed35 (2 runners, not 5 others)"]
    assert "runners differ between conditions: none of 7 ran every condition" in ax.get_title()
    assert len(ax.get_lines()) == 3 + 1  # every condition drawn (and the zero line)


def test_adherence_tells_conditions_apart_and_names_those_that_are_not_interventions():
    """Issue 22 item 5: two conditions of one runner at the same target looked the same (the second condition's
    orange beside the confounded cross's vermilion), and a speed condition was drawn as a failed intervention."""
    table = pd.DataFrame({
        "subject": ["A", "A", "A"], "condition": ["baseline", "speed35", "speed45"],
        "target_cadence_change_pct": 0.0, "achieved_cadence_change_pct": [0.0, 3.5, 6.0],
        "arm_swing_change_pct": [0.0, 10.0, 20.0], "targets": ["baseline", "not an intervention", "not an intervention"],
        "adherent": [None, None, None], "confounded": [False, False, False]})
    cadence, _ = plot_adherence(table, baseline="baseline").axes
    drawn = {c.get_label(): c for c in cadence.collections if len(c.get_offsets())}
    assert set(drawn) == {"speed35 (not an intervention)", "speed45 (not an intervention)"}
    first, second = drawn.values()
    assert not np.array_equal(first.get_paths()[0].vertices, second.get_paths()[0].vertices)  # two shapes
    # no condition drawn in a colour near the confounded cross's
    two = pd.DataFrame({"subject": "A", "condition": ["baseline", "c1", "c2"], "target_cadence_change_pct": [0, 5, 10],
                        "achieved_cadence_change_pct": [0, 5, 10], "arm_swing_change_pct": 0.0, "adherent": [None, True, True],
                        "confounded": False, "targets": ["baseline", "cadence", "cadence"]})
    vermilion = matplotlib.colors.to_rgb("#D55E00")
    for c in plot_adherence(two).axes[0].collections:
        if c.get_label() in ("c1", "c2"):
            assert np.abs(c.get_edgecolors()[0][:3] - vermilion).sum() > 0.5
