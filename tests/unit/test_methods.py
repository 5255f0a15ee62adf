"""The methods section names the configured numbers and counts the given tables."""

import re
import sys
import tomllib
from importlib import import_module

import pandas as pd

from hipdrop.config import validate_config
from hipdrop.report.methods import methods_paragraph
from tests.conftest import ROOT


def tables():
    trials = pd.DataFrame({
        "subject": ["A", "A", "B", "B", "C"], "condition": ["base", "fast", "base", "fast", "base"],
        "status": ["ok", "ok", "ok", "ok", "quarantined"], "event_source": ["c3d", "c3d", "c3d", "force", None],
    })
    stances = pd.DataFrame({
        "subject": ["A"] * 5 + ["B"] * 4, "condition": ["base", "base", "fast", "fast", "fast", "base", "base", "fast", "fast"],
        "trial": ["1"] * 9, "excluded": [False, False, False, True, False, False, False, True, True],
    })
    return {"trials": trials, "stances": stances}


def test_the_paragraph_holds_the_configured_numbers():
    config = validate_config({"clean": {"lowpass_hz": 12.5, "lowpass_order": 3, "max_gap_s": 0.05},
                              "stances": {"max_filled_s": 0.013}, "stats": {"alpha": 0.01, "min_subjects": 4}})
    text = methods_paragraph(config, tables())
    assert "12.5 Hz cut-off" in text and "order 3 per pass, 6 after the forward-backward pass" in text
    assert "Tukey's twicing" in text
    assert "Gaps of up to 0.05 s" in text and "rigid body" in text
    assert "spline-filled for longer than 0.013 s" in text
    assert "Baker's rotation-obliquity-tilt sequence" in text
    assert "`metric ~ condition + side + (1 + condition | subject)`" in text
    assert "99 % confidence intervals" in text and "at least 4 runners" in text
    assert "Greenhouse-Geisser" in text and "d_z" in text and "Holm" in text and "MDC95" in text
    for reference in ("Baker R (2001)", "Tirrell", "Bramah", "Pataky TC (2012)", "Holm S (1979)", "Weir JP (2005)",
                      "Tukey JW (1977)"):
        assert reference in text


def test_the_paragraph_counts_the_tables():
    text = methods_paragraph(validate_config({"clean": {"lowpass_twicing": False}}), tables())
    assert "2 runners, 2 conditions, 4 trials analysed (1 quarantined), 9 stances of which 6 were included and 3 excluded" in text
    assert "c3d 3 of 4 (75 %), force 1 of 4 (25 %)" in text
    assert "Tukey's twicing" not in text
    assert "no trial variance component" in text


def test_software_versions_are_the_installed_ones():
    """Each version the methods name is the one the imported package reports itself (its ``__version__``), Python's
    the running interpreter's, hipdrop's the one pyproject.toml declares: not what hipdrop's own lookup returns."""
    text = methods_paragraph(validate_config({}), tables())
    assert "Python {}.{}.{}".format(*sys.version_info[:3]) in text
    for name in ("numpy", "scipy", "statsmodels", "pingouin", "spm1d", "snakemake"):
        assert f"{name} {import_module(name).__version__}" in text, name
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert f"hipdrop {declared}" in text


#: an author-year citation in the text: "Baker 2001", "(Holm 1979)", "Newey & West 1994", "Crawford & Howell's (1998)"
CITATION = re.compile(r"\b([A-Z][a-z]+)(?: & [A-Z][a-z]+)?(?:'s)? \(?((?:19|20)\d\d)\b")


def cited_and_listed(text: str) -> tuple[set, set]:
    """(first author, year) of every citation in the body and of every entry under "### References"."""
    body, _, listed = text.partition("### References")
    cited = set(CITATION.findall(body))
    entries = {(m[1], m[2]) for m in re.finditer(r"^- ([A-Z][a-z]+) [^(]*\(((?:19|20)\d\d)\)", listed, re.M)}
    return cited, entries


def test_every_cited_reference_is_listed_and_every_listed_one_is_cited():
    """The text's author-year citations against its reference list, both ways, over configurations that change
    what is cited (twicing, cleaning), with and without estimable effects, with and without a reference table."""
    effects = pd.DataFrame({"term": ["condition[fast]"], "analysis": ["mixed model"], "estimable": [False],
                            "reason": ["2 runner(s) ran fast and base; at least 3 are needed"]})
    reference = pd.DataFrame({"subject": ["A"], "reference_source": ["sheet group control"]})  # stats/reference.csv
    texts = [methods_paragraph(validate_config(config), {**tables(), **extra})
             for config in ({}, {"clean": {"lowpass_twicing": False}}, {"clean": {"lowpass_hz": None, "max_gap_s": 0}})
             for extra in ({}, {"effects": effects}, {"reference": reference})]
    all_cited = set()
    for text in texts:
        cited, listed = cited_and_listed(text)
        assert cited and cited <= listed, cited - listed  # nothing cited that the list does not hold
        all_cited |= cited
    assert listed - all_cited == set()  # nothing listed that no text cites
    assert ("Baker", "2001") in all_cited and ("Tukey", "1977") in all_cited


def test_markers_taken_as_stored_are_said_so():
    text = methods_paragraph(validate_config({"clean": {"lowpass_hz": None, "max_gap_s": 0}}), tables())
    assert "analysed as stored (filtered upstream)" in text and "No gap was filled" in text
    assert "Butterworth" not in text


def test_no_estimable_effect_means_no_model_is_described_as_fitted():
    """The messy real study of issue 22: every effect refused for want of runners; the methods must say that no
    model was fitted and why, not describe the mixed model and the ANOVA as if they had run."""
    effects = pd.DataFrame({
        "term": ["condition[fast]", "condition[fast]"], "analysis": ["mixed model", "rm-anova"], "estimable": [False, False],
        "reason": ["2 runner(s) ran fast and base; at least 3 are needed"] * 2,
    })
    text = methods_paragraph(validate_config({}), {**tables(), "effects": effects})
    assert "No effect could be estimated, so no model was fitted: fast: 2 runner(s) ran fast and base" in text
    assert "Greenhouse-Geisser" not in text and "were measured against" not in text
    # one estimable effect: the models are described as fitted
    estimable = effects.assign(estimable=[True, False])
    assert "were measured against" in methods_paragraph(validate_config({}), {**tables(), "effects": estimable})
