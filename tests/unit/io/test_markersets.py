"""Marker-name maps: prefixes, aliases, a lab's own map, exact names winning over aliases."""

import numpy as np
import pandas as pd

from hipdrop.io.c3d.reader import read_c3d, write_c3d
from hipdrop.io.markersets import map_labels
from hipdrop.simulate.running import MARKERS, CohortSpec, simulate_cohort
from hipdrop.trial.process import process_trial


def test_prefixes_and_aliases():
    names, mapping, warnings = map_labels(["Subject:L.ASIS", "A22:RASI", "ASISr", "L_IAS", "foo", "foo"])
    assert names[:2] == ["LASI", "RASI"] and names[4:] == ["foo", "foo#2"]
    assert mapping["Subject:L.ASIS"] == "LASI" and len(warnings) >= 1


def test_exact_name_wins_over_its_alias():
    names, mapping, _ = map_labels(["LASIS", "RASIS", "LASI", "RASI"])
    assert names == ["LASIS", "RASIS", "LASI", "RASI"] and "LASIS" not in mapping


def test_a_labs_own_map_from_the_config(tmp_path):
    """A lab with its own labels writes a YAML map and lists it under `markersets`."""
    simulate_cohort(tmp_path, CohortSpec(n_subjects=1, duration_s=3.0, variation=False))
    trial = read_c3d(tmp_path / "S01_baseline_1.c3d")
    own = {"LASI": "Pelvis_Left_Front", "RASI": "Pelvis_Right_Front", "LPSI": "Pelvis_Left_Back", "RPSI": "Pelvis_Right_Back"}
    labels = [own.get(m, m) for m in MARKERS]
    events = pd.DataFrame({"side": trial.event_side.values, "event": trial.event_event.values, "time_s": trial.event_time_s.values})
    write_c3d(tmp_path / "lab.c3d", trial["markers"].values, labels, rate_hz=200.0, events=events)
    assert not process_trial(tmp_path / "lab.c3d").ok  # unknown labels: the pelvis is not found
    mapfile = tmp_path / "mylab.yaml"
    mapfile.write_text("name: mylab\nmarkers:\n" + "".join(f"  {k}: [{v}]\n" for k, v in own.items()))
    result = process_trial(tmp_path / "lab.c3d", config={"markersets": [str(mapfile)]})
    assert result.ok and np.allclose(result.stances.cpd_peak_deg, process_trial(tmp_path / "S01_baseline_1.c3d").stances.cpd_peak_deg)
