"""The methods section of a paper, written from the run's own configuration and tables.

Everything a reader needs to repeat the analysis, with the numbers this run used: software versions, marker
cleaning, pelvis angles, gait events (and which source gave them, per trial), the stance rules, the statistical
models with their formulas, and how many runners, trials and stances went in. Sources: docs/science.md.
"""

from __future__ import annotations

import platform
from importlib import metadata

import pandas as pd

from hipdrop.report.arms import methods_text as arm_methods
from hipdrop.report.foot import methods_text as foot_methods
from hipdrop.report.emg import methods_parts as emg_methods
from hipdrop.report.emg import with_references as emg_references
from hipdrop.vocab import counted

#: distributions whose versions the methods name, in that order
#: what the analysis ran on; ezc3d only writes simulated cohorts (C3D files are decoded by hipdrop.io.c3d.format)
SOFTWARE = ("hipdrop", "numpy", "scipy", "statsmodels", "pingouin", "spm1d", "snakemake")

REFERENCES = [
    "Altman AR, Davis IS (2012). A kinematic method for footstrike pattern detection in barefoot and shod runners. "
    "Gait Posture 35:298-300.",
    "Baker R (2001). Pelvic angles: a mathematically rigorous definition which is consistent with a conventional "
    "clinical understanding of the terms. Gait Posture 13:1-6.",
    "Bramah C, Preece SJ, Gill N, Herrington L (2019). A 10% increase in step rate improves running kinematics and "
    "clinical outcomes in runners with patellofemoral pain at 4 weeks and 3 months. Am J Sports Med 47:3406-3413.",
    "Clarke TE, Frederick EC, Hamill CL (1983). The effects of shoe design parameters on rearfoot control in running. "
    "Med Sci Sports Exerc 15:376-381.",
    "Crawford JR, Howell DC (1998). Comparing an individual's test score against norms derived from small samples. "
    "Clin Neuropsychol 12:482-486.",
    "Holm S (1979). A simple sequentially rejective multiple test procedure. Scand J Stat 6:65-70.",
    "Holmes AP, Friston KJ (1998). Generalisability, random effects and population inference. NeuroImage 7:S754.",
    "Newey WK, West KD (1987). A simple, positive semi-definite, heteroskedasticity and autocorrelation consistent "
    "covariance matrix. Econometrica 55:703-708.",
    "Newey WK, West KD (1994). Automatic lag selection in covariance matrix estimation. Rev Econ Stud 61:631-653.",
    "Pataky TC (2012). One-dimensional statistical parametric mapping in Python. Comput Methods Biomech Biomed "
    "Engin 15:295-301.",
    "Satterthwaite FE (1946). An approximate distribution of estimates of variance components. Biometrics Bull "
    "2:110-114.",
    "Tirrell TF, Rademaker AW, Lieber RL (2018). Analysis of hierarchical biomechanical data structures using mixed-"
    "effects models. J Biomech 69:34-39.",
    "Tukey JW (1977). Exploratory Data Analysis. Addison-Wesley (twicing).",
    "Weir JP (2005). Quantifying test-retest reliability using the intraclass correlation coefficient and the SEM. "
    "J Strength Cond Res 19:231-240.",
]


def software_versions() -> dict[str, str]:
    """Python's and each ``SOFTWARE`` distribution's installed version ("not installed" when absent)."""
    versions = {"Python": platform.python_version()}
    for name in SOFTWARE:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _share(counts: pd.Series) -> str:
    total = int(counts.sum())
    return ", ".join(f"{name} {n} of {total} ({100.0 * n / total:.0f} %)" for name, n in counts.items()) if total else "none"


def study_counts(tables: dict[str, pd.DataFrame]) -> dict:
    """Runners, trials analysed and quarantined, stances (included and excluded) and the event sources' share of
    the analysed trials, from ``tables["trials"]`` (qc/trials.csv) and ``tables["stances"]`` (the stance table)."""
    trials = tables.get("trials", pd.DataFrame(columns=["status"]))
    stances = tables.get("stances", pd.DataFrame(columns=["subject", "excluded"]))
    ok = trials[trials["status"] == "ok"] if "status" in trials else trials
    excluded = stances["excluded"].astype(bool) if "excluded" in stances else pd.Series(False, index=stances.index)
    sources = ok["event_source"].fillna("none").value_counts() if "event_source" in ok else pd.Series(dtype=int)
    return {
        "runners": int(stances["subject"].nunique()) if "subject" in stances else 0,
        "conditions": int(stances["condition"].nunique()) if "condition" in stances else 0,
        "trials": len(ok),
        "quarantined": int((trials["status"] == "quarantined").sum()) if "status" in trials else 0,
        "stances": len(stances),
        "included": int((~excluded).sum()),
        "excluded": int(excluded.sum()),
        "event_sources": sources.sort_index(),
        "repeated_trials": bool(len(stances) and "trial" in stances
                                and (stances.groupby(["subject", "condition"])["trial"].nunique() > 1).any()),
    }


def _unfitted(effects: pd.DataFrame | None) -> str:
    """The reasons no effect was estimable, one per condition ("" when any effect was estimated or the effects
    are unknown): the methods must not describe models that were never fitted."""
    if effects is None or effects.empty or effects["estimable"].astype(bool).any():
        return ""
    conditions = effects.assign(condition=effects["term"].str[len("condition[") : -1])
    reasons = conditions.drop_duplicates("condition")
    return "; ".join(f"{row.condition}: {row.reason}" for row in reasons.itertuples())


def _control_and_reference(config: dict, tables: dict[str, pd.DataFrame]) -> str:
    """The paragraphs on variability and drift (``hipdrop.stats.control``) and the reference comparison
    (``hipdrop.stats.reference``; ``tables["reference"]`` is stats/reference.csv where the run wrote one)."""
    from hipdrop.stats import control, reference

    return (control.methods_text(config["stats"]) + "\n\n"
            + reference.methods_text(config["stats"], tables.get("reference")))


def methods_paragraph(config: dict, tables: dict[str, pd.DataFrame]) -> str:
    """A methods section (Markdown) for this run.

    Parameters
    ----------
    config : dict
        The validated configuration (``hipdrop.config.validate_config``; keys ``clean``, ``pelvis``, ``events``,
        ``stances``, ``stats``).
    tables : dict of pandas.DataFrame
        ``trials`` (qc/trials.csv: ``status``, ``event_source``), ``stances`` (the stance table: ``subject``,
        ``condition``, ``trial``, ``excluded``) and optionally ``effects`` (stats/effects.csv: ``term``,
        ``estimable``, ``reason``; when no effect was estimable the statistics say so instead of describing fits).

    Returns
    -------
    str
        Paragraphs on software, data processing, statistics and the sample, then the references.
    """
    clean, pelvis, events, st, stats = (config[k] for k in ("clean", "pelvis", "events", "stances", "stats"))
    n = study_counts(tables)
    versions = software_versions()
    software = ", ".join(f"{name} {version}" for name, version in versions.items()
                         if name not in ("Python", "hipdrop"))
    sequence = ("Baker's rotation-obliquity-tilt sequence (Baker 2001), whose obliquity is the elevation of the "
                "inter-ASIS axis and does not depend on tilt or walking direction"
                if pelvis["sequence"] == "rot" else
                "the Plug-in Gait tilt-obliquity-rotation sequence (as Vicon Nexus reports it)")
    twicing = (" with Tukey's twicing (the filtered residual added back, a pass band flat to second order; "
               "Tukey 1977)" if clean["lowpass_twicing"] else "")
    gaps = (f"Gaps of up to {clean['max_gap_s']:g} s were filled by cubic spline; a longer gap in a pelvis marker "
            "was refilled as a rigid body from the other three pelvis markers."
            if clean["max_gap_s"] > 0 else "No gap was filled: missing samples stayed missing.")
    lowpass = (f"Trajectories were low-pass filtered by a zero-lag Butterworth filter ({clean['lowpass_hz']:g} Hz "
               f"cut-off, order {clean['lowpass_order']} per pass, {2 * clean['lowpass_order']} after the "
               f"forward-backward pass){twicing}."
               if clean["lowpass_hz"] is not None else "Trajectories were analysed as stored (filtered upstream).")
    alpha = stats["alpha"]
    conf = f"{100 * (1 - alpha):g} %"
    trial_vc = ("; trials were a variance component, as runners repeated conditions" if n["repeated_trials"]
                else "; no runner repeated a condition, so no trial variance component was needed")
    statistics = (
        f"**Statistics.** Effects on {', '.join(stats['metrics'])} were measured against `{stats['baseline']}` in "
        f"two ways. (1) A linear mixed model on all included stances (Tirrell 2018), "
        "`metric ~ condition + side + (1 + condition | subject)` with each runner's left/right offset as a "
        "subject-by-side variance component" + trial_vc + "; when that could not be estimated the next simpler "
        "model was fitted and named. Effects were tested by Student's t with Satterthwaite's degrees of freedom "
        f"(Satterthwaite 1946), {conf} confidence intervals, and Holm's correction across conditions "
        "(Holm 1979). (2) As in the published studies (Bramah 2019): a repeated-measures ANOVA on subject means "
        "of the runners with every condition, with the Greenhouse-Geisser correction, then paired t-tests against "
        "baseline with Holm's correction and Cohen's d_z. A condition needed at least "
        f"{stats['min_subjects']} runners with a baseline."
    )
    unfitted = _unfitted(tables.get("effects"))
    if unfitted:
        statistics = (
            f"**Statistics.** Effects on {', '.join(stats['metrics'])} against `{stats['baseline']}` were to be "
            "estimated by a linear mixed model on all included stances (Tirrell 2018) and by a repeated-measures "
            f"ANOVA on subject means (Bramah 2019), each condition needing at least {stats['min_subjects']} runners "
            f"with a baseline. No effect could be estimated, so no model was fitted: {unfitted}."
        )
    parts = [
        "## Methods\n",
        f"**Software.** The analysis ran in hipdrop {versions['hipdrop']} (Python {versions['Python']}; {software}) "
        "as a Snakemake workflow; every result file is rebuilt from the C3D files and this configuration.",
        "",
        "**Marker processing.** C3D files were decoded by hipdrop's own reader (hipdrop.io.c3d.format). "
        f"{gaps} {lowpass} "
        f"Pelvic angles used {sequence}; contralateral pelvic drop is the stance-side obliquity "
        "(positive when the swing side has dropped).",
        "",
        f"**Gait events.** Sources were tried in the order {', '.join(events['sources'])} until one gave strikes and "
        f"offs for both feet (force plates: {events['force_threshold_n']:g} N vertical-force threshold with "
        f"{events['force_hysteresis_n']:g} N hysteresis; markers: the {events['kinematic_method']} detector"
        f"{' (running when the trial has a flight phase, else walking)' if events['kinematic_method'] == 'auto' else ''} on "
        f"markers low-passed at {events['marker_lowpass_hz']:g} Hz). Source of the analysed trials' events: "
        f"{_share(n['event_sources'])}.",
        "",
        f"**Stances.** A stance was kept in the table but excluded from analysis when its stance time fell outside "
        f"{st['min_stance_s']:g}-{st['max_stance_s']:g} s, its swing outside {st['min_swing_s']:g}-"
        f"{st['max_swing_s']:g} s, sides did not alternate, its stance time was an outlier (more than "
        f"{st['outlier_robust_sd']:g} robust SDs, 1.4826 MAD, and {1000 * st['outlier_floor_s']:g} ms from the trial "
        f"median, in trials of {st['outlier_min_stances']} or more stances), or its pelvis data were missing, "
        f"rebuilt as a rigid body, or spline-filled for longer than {st['max_filled_s']:g} s. Obliquity was "
        f"normalised to 0-100 % of stance ({st['curve_points']} samples).",
        "",
        arm_methods(stats),
        "",
        foot_methods(tables.get("trials")),
        "",
        *emg_methods(config, tables.get("stances")),  # surface EMG, where the run has it
        f"{statistics} Dose-response: peak drop against each runner's achieved "
        "cadence change (%) in a mixed model with a random slope per runner. Responders: a runner's change of mean "
        "peak drop against its minimal detectable change, MDC95 = 1.96 x the change's standard error from its "
        "stride-to-stride (and, with repeated trials, trial-to-trial) variability (Weir 2005). Power: the runners a "
        f"paired study needs at alpha {alpha:g} and power {stats['power']:g} for each observed effect and for "
        f"{stats['smallest_effect_deg']:g} deg, from the mixed model's variance components. Waveforms: each runner's "
        "mean obliquity curve per condition (included stances, left and right pooled) was compared with baseline by "
        f"a paired SPM{{t}} over 0-100 % of stance (spm1d; Pataky 2012), two-tailed at alpha {alpha:g}, on the runners "
        "with both curves. Significance level throughout: two-sided "
        f"{alpha:g}.",
        "",
        _control_and_reference(config, tables),
        "",
        f"**Sample.** {counted(n['runners'], 'runner')}, {n['conditions']} conditions, "
        f"{counted(n['trials'], 'trial')} analysed ({n['quarantined']} quarantined), {n['stances']} stances of which "
        f"{n['included']} were included and {n['excluded']} excluded.",
        "",
        "### References\n",
        *[f"- {reference}" for reference in emg_references(REFERENCES, tables.get("stances"))],
    ]
    return "\n".join(parts) + "\n"
