"""The simulator's packaged obliquity template is what hipdrop measures on the corpus's running files today
(scripts/learn_obliquity_template.py; docs/science.md section 11): a change to events, filtering or angles that moves
the real curves shows here, and the template is then re-learned (which changes the demo and every simulated truth)."""

import importlib.util
import json
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import shared_file

pytestmark = pytest.mark.realdata

ROOT = Path(__file__).parents[2]


def _learn_script():
    spec = importlib.util.spec_from_file_location("learn_obliquity_template", ROOT / "scripts" / "learn_obliquity_template.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_packaged_template_is_learned_from_the_running_files():
    script = _learn_script()
    for name in script.RUNNING_FILES:
        shared_file(name)  # skips, naming the file, where the corpus lacks it
    learned = script.learn(script.extract())
    packaged = json.loads(files("hipdrop").joinpath("data/obliquity_template.json").read_text())
    # same files, same stances: the half-cycles the pipeline finds in each file
    assert [(s["file"], s["half_cycles"], s["with_flight"], s["event_source"]) for s in learned["sources"]] == [
        (s["file"], s["half_cycles"], s["with_flight"], s["event_source"]) for s in packaged["sources"]]
    # the curves as measured: 0.05 deg is a tenth of one RBDS stride's median RMS from its runner's mean (0.25 deg)
    assert np.max(np.abs(np.subtract(learned["mean"], packaged["mean"]))) < 0.05
    for new, old in zip(learned["sources"], packaged["sources"]):
        assert np.max(np.abs(np.subtract(new["mean"], old["mean"]))) < 0.05, new["file"]
        assert new["offset_deg"] == pytest.approx(old["offset_deg"], abs=0.05), new["file"]
    assert learned["offset_sd_deg"] == pytest.approx(packaged["offset_sd_deg"], abs=0.05)
    assert np.allclose(learned["runner_sd"], packaged["runner_sd"], rtol=0.02)
    assert np.allclose(learned["stride_sd"], packaged["stride_sd"], rtol=0.02)
