"""SPM of obliquity waveforms: hand-built curves, then the simulator's truth.

The simulator lifts the stance-side obliquity along a bump peaking at 30 % of stance whose height is the stance's
peak drop; the cadence +10 % condition lowers it by 1.5 deg at target (0.15 deg per 1 % achieved cadence), the
arm-swing condition here by 0 deg (runners still differ from one another by the simulator's effect SD).
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
import xarray as xr

pytest.importorskip("spm1d")

from hipdrop.cohort.batches import analyse_trials
from hipdrop.config import load_sheet, validate_config
from hipdrop.simulate.running import DEFAULT_EFFECTS_DEG, CohortSpec, simulate_cohort
from hipdrop.stats.waveforms import (
    CLUSTER_COLUMNS,
    LESS_DROP,
    plot_waveforms,
    spm_against_baseline,
    subject_mean_curves,
    t_table,
)

PCT = np.linspace(0, 100, 101)


def curves_from(rows):
    """[stance, pct] curves from (subject, condition, side, excluded, curve) rows."""
    return xr.DataArray(
        np.array([r[4] for r in rows]), dims=("stance", "pct"),
        coords={"stance": np.arange(len(rows)), "pct": PCT, "subject": ("stance", [r[0] for r in rows]),
                "condition": ("stance", [r[1] for r in rows]), "side": ("stance", [r[2] for r in rows]),
                "excluded": ("stance", [r[3] for r in rows])})


def test_subject_means_pool_sides_and_skip_excluded_stances():
    rows = [("A", "base", "L", False, np.full(101, 2.0)), ("A", "base", "R", False, np.full(101, 4.0)),
            ("A", "base", "R", True, np.full(101, 100.0)), ("A", "fast", "L", False, np.full(101, 1.0))]
    means = subject_mean_curves(curves_from(rows))
    assert means.dims == ("condition", "subject", "pct")
    assert float(means.sel(condition="base", subject="A")[50]) == pytest.approx(3.0)
    assert float(means.sel(condition="fast", subject="A")[0]) == pytest.approx(1.0)


def test_runners_without_both_curves_are_dropped_and_named():
    rng = np.random.default_rng(1)
    rows = []
    for k, subject in enumerate(["A", "B", "C", "D", "E"]):
        rows.append((subject, "base", "L", False, np.sin(PCT / 30) + rng.normal(0, 0.2, 101)))
        if subject != "E":
            rows.append((subject, "fast", "L", subject == "D", np.sin(PCT / 30) + rng.normal(0, 0.2, 101)))
    result = spm_against_baseline(curves_from(rows), baseline="base")
    assert list(result.clusters.columns) == CLUSTER_COLUMNS
    row = result.clusters.iloc[0]
    assert row.n_subjects == 3 and row.subjects_dropped == "D; E"
    assert set(result.dropped["subject"]) == {"D", "E"}
    assert result.t.sizes == {"condition": 1, "pct": 101}
    assert len(t_table(result)) == 101


def test_too_few_runners_is_not_estimable():
    rows = [(s, c, "L", False, np.random.default_rng(i).normal(0, 1, 101))
            for i, (s, c) in enumerate([("A", "base"), ("A", "fast"), ("B", "base"), ("B", "fast")])]
    row = spm_against_baseline(curves_from(rows), baseline="base").clusters.iloc[0]
    assert not row.estimable and "need 3" in row.reason and np.isnan(row.p)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    """8 runners, 8 s trials, every variation on; the arm-swing condition with a true population effect of 0."""
    folder = tmp_path_factory.mktemp("spm")
    spec = CohortSpec(n_subjects=8, duration_s=8.0, seed=13, effects_deg={**DEFAULT_EFFECTS_DEG, "arm_swing": 0.0})
    simulate_cohort(folder, spec)
    sheet = load_sheet(folder / "trials.tsv")
    sheet = sheet[sheet["condition"].isin(["baseline", "cadence_plus10", "arm_swing"])]
    out = analyse_trials(sheet, config=validate_config({}), workers=1)
    return spm_against_baseline(out["curves"], baseline="baseline")


def test_the_simulated_cadence_effect_is_a_cluster_around_its_peak(simulated):
    clusters = simulated.clusters.set_index("condition")
    row = clusters.loc["cadence_plus10"]
    assert row.n_subjects == 8 and row.subjects_dropped == ""
    # the true effect is whole from strike to half of stance and fades out by toe-off (hipdrop.simulate.obliquity.effect_weight)
    assert row.start_pct < 30.0 < row.end_pct < 100.0
    assert row.direction == LESS_DROP and row.peak_t < -row.threshold_t
    assert row.p < 0.05


def test_no_cluster_where_the_true_effect_is_zero(simulated):
    row = simulated.clusters.set_index("condition").loc["arm_swing"]
    assert row.cluster == 0 and np.isnan(row.p) and row.estimable
    assert (np.abs(simulated.t.sel(condition="arm_swing")) < row.threshold_t).all()


def test_the_figure_has_a_mean_panel_and_one_spm_panel_per_condition(simulated):
    figure = plot_waveforms(simulated, baseline="baseline")
    axes = figure.axes
    assert len(axes) == 3
    assert len(axes[0].get_lines()) >= 3  # baseline and both conditions (plus the zero line)
    assert any("p " in t.get_text() for t in axes[2].texts)  # cadence_plus10 panel: its cluster's p


@pytest.mark.parametrize("start, end, p, text", [(0.0, 0.4, 0.0495, "0 %, p = 0.050"),
                                                 (40.0, 60.0, 0.0004, "40-60 %, p < 0.001"),
                                                 (93.0, 100.0, 0.012, "93-100 %, p = 0.012")])
def test_a_clusters_label_stays_inside_the_axes_wherever_the_cluster_lies(start, end, p, text):
    import matplotlib.pyplot as plt

    from hipdrop.stats.waveforms import _cluster_label

    fig, ax = plt.subplots(figsize=(6, 2))
    ax.set(xlim=(0, 100), ylim=(-5, 5))
    _cluster_label(ax, pd.Series({"start_pct": start, "end_pct": end, "p": p}), y=2.0, span=(0.0, 100.0))
    fig.canvas.draw()
    label, = ax.texts
    inside, box = ax.get_window_extent(), label.get_window_extent()  # pixels
    assert label.get_text() == text
    assert inside.x0 <= box.x0 and box.x1 <= inside.x1
    plt.close(fig)
