"""Pelvis markers labelled on the wrong side (issue 22, item 17): a trial whose LASI/RASI and LPSI/RPSI labels are
swapped gives pelvic drop with the wrong sign. ``hipdrop.kernels.sides.pelvis_side_check`` finds it from the
pelvis frame (upside down) and the way the subject faces (feet, travel); ``process_trial`` refuses the trial with
the reason in its QC record. No false alarm on any running or Plug-in Gait file of the corpus."""

import pytest

from hipdrop.io.c3d.format import decode
from hipdrop.trial.process import process_trial
from tests.conftest import corpus_rows, shared_file
from tests.test_cli import hipdrop

pytestmark = pytest.mark.realdata

RUNNING_AND_PIG = sorted(row["file"] for folder in ("running", "pig") for row in corpus_rows(folder))
#: the left/right pairs a labelling error swaps
SWAPS = {"RBDS001runT35": [("L.ASIS", "R.ASIS"), ("L.PSIS", "R.PSIS")], "dorn_JA1Gait35": [("LASI", "RASI")]}


def relabelled(raw: bytes, pairs: list[tuple[str, str]]) -> bytes:
    """The file with the POINT:LABELS of each pair swapped in place, as a labelling error in the capture software
    leaves them: the fixed-width label block is found from the decoded labels."""
    labels = decode(raw).point_labels[:255]
    for width in range(max(map(len, labels)), 256):
        start = raw.find(b"".join(label.encode().ljust(width) for label in labels))
        if start >= 0:
            break
    out, index = bytearray(raw), {label: i for i, label in enumerate(labels)}
    for a, b in pairs:
        for label, new in ((a, b), (b, a)):
            out[start + index[label] * width : start + (index[label] + 1) * width] = new.encode().ljust(width)
    return bytes(out)


@pytest.mark.parametrize("name", ["running/RBDS001runT35.c3d", "running/dorn_JA1Gait35.c3d"])
def test_swapped_pelvis_labels_are_refused_with_the_reason(name, tmp_path):
    """RBDS001runT35: treadmill running (no travel: the feet say which way the runner faces); dorn_JA1Gait35:
    overground, LASI/RASI swapped with SACR behind."""
    original = shared_file(name)
    swapped = tmp_path / original.name
    swapped.write_bytes(relabelled(original.read_bytes(), SWAPS[original.stem]))
    result = process_trial(swapped)
    assert not result.ok and result.failure.stage == "pelvis"
    assert "LASI/RASI and LPSI/RPSI look swapped left for right" in result.failure.reason
    assert result.meta["pelvis_labels"] == "left_right_swapped"
    assert "look swapped left for right" in result.meta["clean_warnings"]  # the QC record says it too
    done = hipdrop("trial", swapped, "-o", tmp_path / "out")
    assert done.returncode == 1 and "look swapped left for right" in done.stderr and "Traceback" not in done.stderr
    fine = process_trial(original)
    assert fine.ok and fine.meta["pelvis_labels"] == "ok"


def test_the_check_tells_a_front_back_swap_and_a_swap_of_every_label():
    from hipdrop.io.c3d.reader import read_c3d
    from hipdrop.kernels.sides import pelvis_side_check

    markers = read_c3d(shared_file("running/RBDS001runT35.c3d"))["markers"]  # LASI RASI LPSI RPSI, HEE MT1 MT5
    names = [str(m) for m in markers.marker.values]

    def swapped(pairs: dict) -> dict:
        pairs = pairs | {b: a for a, b in pairs.items()}
        return pelvis_side_check(markers.assign_coords(marker=[pairs.get(n, n) for n in names]))

    assert pelvis_side_check(markers)["verdict"] == "ok"
    assert swapped({"LASI": "LPSI", "RASI": "RPSI"})["verdict"] == "front_back_swapped"
    everything = {n: "R" + n[1:] for n in names if n[0] == "L" and "R" + n[1:] in names}
    every = swapped(everything)
    assert every["verdict"] == "left_right_swapped" and every["left_foot_mm"] > 30  # feet swapped with the pelvis
    pelvis_only = swapped({"LASI": "RASI", "LPSI": "RPSI"})
    assert pelvis_only["verdict"] == "left_right_swapped" and pelvis_only["left_foot_mm"] < -30


@pytest.mark.parametrize("name", RUNNING_AND_PIG)
def test_no_false_alarm_on_the_running_and_plug_in_gait_files(name):
    result = process_trial(shared_file(name))
    assert "pelvis marker labels" not in (result.failure.reason if result.failure else "")
    if result.ok or result.failure.stage not in ("ingest", "pelvis", "clean"):  # it passed the check
        assert result.meta["pelvis_labels"] == "ok"
