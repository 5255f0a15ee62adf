"""The report's numeric captions say what the tables say, and never more (a CI across zero is no direction)."""

import pandas as pd

from hipdrop.report import captions


def _effect(term, estimate, low, high, *, analysis="mixed model", estimable=True, reason=""):
    return {"metric": "cpd_peak_deg", "term": term, "estimate_deg": estimate, "ci_low": low, "ci_high": high,
            "p_holm": 0.0004 if high < 0 or low > 0 else 0.4, "n_subjects": 8, "analysis": analysis,
            "estimable": estimable, "reason": reason}


def _responders(condition, changes, classes):
    return pd.DataFrame({"subject": [f"S{i}" for i in range(len(changes))], "condition": condition,
                         "metric": "cpd_peak_deg", "change_deg": changes, "responder": classes})


def test_effects_caption_states_estimate_ci_and_runner_counts():
    effects = pd.DataFrame([
        _effect("condition[cadence_plus10]", -1.5, -1.8, -1.2),
        _effect("condition[cadence_plus10]", -1.45, -1.9, -1.0, analysis="rm-anova"),
        _effect("condition[arm_swing]", -0.2, -0.6, 0.2),
        _effect("condition[cadence_plus5]", float("nan"), float("nan"), float("nan"), estimable=False,
                reason="2 runners with the condition and a baseline (3 needed)"),
    ])
    responders = pd.concat([
        _responders("cadence_plus10", [-1.0] * 7 + [0.1], ["improved"] * 6 + ["unchanged"] * 2),
        _responders("arm_swing", [-0.1, 0.2, -0.3], ["unchanged"] * 3),
    ])
    manipulation = pd.DataFrame({"condition": ["cadence_plus10", "arm_swing"], "target_cadence_change_pct": [10.0, 0.0],
                                 "arm_swing": ["normal", "reduced"]})
    text = captions.effects_caption(effects, responders, manipulation)
    assert ("cadence_plus10 (cadence +10 %) lowered peak drop by 1.50 deg (95 % CI -1.80 to -1.20, p < 0.001 "
            "Holm-adjusted, 8 runners)") in text
    assert "repeated-measures analysis of runner means gives -1.45 deg (95 % CI -1.90 to -1.00)" in text
    assert "fell in 7 of 8 runners (6 by more than their MDC95)" in text
    # a CI across zero gives no direction
    assert "arm_swing (arm swing reduced) changed peak drop by -0.20 deg, no clear change" in text
    assert "arm_swing (arm swing reduced) lowered" not in text
    assert "cadence_plus5: peak drop not estimable (2 runners with the condition and a baseline (3 needed))" in text


def test_adherence_caption_counts_adherent_and_confounded_runners():
    manipulation = pd.DataFrame({
        "condition": ["baseline"] * 3 + ["cadence_plus10"] * 3,
        "target_cadence_change_pct": [0.0] * 3 + [10.0] * 3, "arm_swing": ["normal"] * 6,
        "achieved_cadence_change_pct": [0, 0, 0, 9.0, 7.0, 10.5], "arm_swing_change_pct": [0, 0, 0, 1.0, -2.0, 30.0],
        "adherent": [None] * 3 + [True, False, True], "confounded": [False] * 3 + [False, False, True],
    })
    text = captions.adherence_caption(manipulation, baseline="baseline")
    assert text == ("cadence_plus10 (cadence +10 %): cadence changed by a median +9.0 % (range +7.0 to +10.5 %), arm "
                    "swing by a median +1 %; 2 of 3 runners adherent, 1 confounded.")


def test_dose_response_caption_scales_the_slope_to_ten_percent():
    dose = pd.DataFrame([{"level": "population", "metric": "cpd_peak_deg", "slope_deg_per_pct": -0.15, "ci_low": -0.19,
                          "ci_high": -0.11, "p": 1e-5, "n_subjects": 8, "achieved_min_pct": 0.0,
                          "achieved_max_pct": 10.3, "estimable": True, "reason": ""},
                         {"level": "runner", "metric": "cpd_peak_deg", "slope_deg_per_pct": -0.5}])
    text = captions.dose_response_caption(dose)
    assert "-0.150 deg (95 % CI -0.190 to -0.110, p < 0.001), -1.50 deg per 10 %" in text
    assert "-0.5" not in text  # the runners' own slopes are the figure's, not the caption's


def test_waveforms_caption_names_cluster_extent_and_p_or_none():
    clusters = pd.DataFrame([
        {"condition": "cadence_plus10", "n_subjects": 8, "subjects_dropped": "", "threshold_t": 4.9, "cluster": 1,
         "start_pct": 6.4, "end_pct": 74.4, "direction": "less drop", "peak_t": -10.06, "p": 0.0, "estimable": True},
        {"condition": "arm_swing", "n_subjects": 7, "subjects_dropped": "S03", "threshold_t": 5.1, "cluster": 0,
         "start_pct": None, "end_pct": None, "direction": None, "peak_t": None, "p": None, "estimable": True},
    ])
    text = captions.waveforms_caption(clusters)
    assert "cadence_plus10 differs from baseline over 6-74 % of stance (less drop, peak t -10.1, p < 0.001)" in text
    assert "arm_swing: no supra-threshold cluster (t* = 5.10, 7 runners; left out: S03)" in text


def test_quality_caption_counts_exclusions_quarantine_and_event_errors():
    stances = pd.DataFrame({"excluded": [False] * 8 + [True] * 2, "exclude_reason": [""] * 8 + ["gap in pelvis"] * 2})
    quarantine = pd.DataFrame({"path": ["a.c3d"], "stage": ["ingest"], "reason": ["the file is empty (0 bytes)"]})
    agreement = pd.DataFrame({"subject": ["S1", "S2", "S1"], "condition": "b", "trial": 1,
                              "method": ["running", "running", "zeni"], "reference": "force",
                              "event": "foot_strike", "n_reference": [10, 12, 10], "n_matched": [10, 11, 10],
                              "median_abs_error_ms": [1.0, 3.0, 20.0]})
    text = captions.quality_caption(stances, quarantine, agreement)
    assert text.startswith("8 of 10 stances analysed, 2 excluded (gap in pelvis: 2); 1 trial quarantined (ingest: 1).")
    # Zeni's errors are the figure's comparison, not the configured detector's agreement
    assert "(running detector) against force plates: 21 of 22 matched, median absolute error 2.0 ms over 2 trials" in text


def test_quality_caption_names_the_commonest_kinds_of_reason_whatever_their_numbers():
    """Issue 22 item 10: fills of different durations are one kind, counted together (and so among the top)."""
    reasons = ([f"pelvis data filled for {d:.3f} s (> 0.007 s) in the stance" for d in (0.01, 0.02, 0.03, 0.04)]
               + ["no foot off before the next strike"] * 2 + ["missing pelvis data in the stance; stance time 0.9 s "
                                                               "outside [0.1, 0.5] s"])
    stances = pd.DataFrame({"excluded": True, "exclude_reason": reasons})
    text = captions.quality_caption(stances, pd.DataFrame(columns=["path", "stage", "reason"]), pd.DataFrame())
    assert text.startswith("0 of 7 stances analysed, 7 excluded (pelvis data filled for 0.010\u20130.040 s (> 0.007 s) "
                           "in the stance: 4, no foot off before the next strike: 2, ")
