"""The hipdrop command as a user runs it: a real process, real files."""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from tests.conftest import shared_file


def hipdrop(*args):
    return subprocess.run([sys.executable, "-m", "hipdrop.cli", *map(str, args)], capture_output=True, text=True)


def test_simulate_then_trial_then_inspect(tmp_path):
    assert hipdrop("simulate", tmp_path / "c", "--subjects", "1", "--duration", "4", "--force-plate").returncode == 0
    truth = json.loads((tmp_path / "c" / "truth.json").read_text())
    assert set(truth["effects_deg"]) == {"cadence_plus5", "cadence_plus10", "arm_swing"}
    done = hipdrop("trial", tmp_path / "c" / "S01_baseline_1.c3d", "-o", tmp_path / "out", "--sequence", "tor", "--events", "force")
    assert done.returncode == 0, done.stderr
    events = pd.read_csv(tmp_path / "out" / "events.csv")
    assert list(events.columns) == ["side", "event", "frame", "time_s", "source"] and set(events.source) == {"force"}
    assert len(pd.read_csv(tmp_path / "out" / "stances.csv")) > 5
    pelvis = xr.open_dataset(tmp_path / "out" / "pelvis.nc", engine="h5netcdf")
    assert pelvis.attrs["sequence"] == "tor" and list(pelvis.side.values) == ["L", "R"]
    assert {"tilt", "obliquity", "rotation"} <= set(pelvis.data_vars)
    report = json.loads(hipdrop("inspect", tmp_path / "c" / "S01_baseline_1.c3d", "--json").stdout)
    assert report["rate_hz"] == 200.0 and report["force_plates"] == 1 and report["vertical_axis"] == "+z"


def wide_help(*command) -> str:
    """``hipdrop [COMMAND] --help`` as a user sees it, on a terminal wide enough that no line is wrapped."""
    done = subprocess.run([sys.executable, "-m", "hipdrop.cli", *command, "--help"], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "2000"})
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return done.stdout


def help_entry(shown: str, invocation: str) -> str:
    """One argument's entry in a help text, its lines joined: argparse puts the help of a long invocation on the
    next line."""
    lines = shown.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(f"  {invocation}"))
    entry = [lines[first]]
    for line in lines[first + 1:]:
        if not line.startswith(" " * 6):  # a blank line, a heading or the next argument
            break
        entry.append(line)
    return " ".join(" ".join(entry).split())


def test_every_command_and_option_is_explained_with_its_default():
    from hipdrop.cli import build_parser

    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert set(commands) == {"inspect", "trial", "simulate", "sheet"}
    top = wide_help()
    # the exit-status convention, as the bad-file and usage tests below find it
    assert "0 done; 1 the input (a C3D file, a folder) could not be read or analysed" in top
    assert "2 the command was wrong" in top
    for name, command in commands.items():
        shown = wide_help(name)
        assert command.description and command.description in shown, name
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help and action.help.strip(), (name, action.dest)
            line = help_entry(shown, action.format_usage() if action.option_strings else action.dest)
            if not action.option_strings:
                continue
            if action.required:
                assert line.endswith("(required)"), line
            elif action.default is None:  # the help says in words what happens without the option
                assert "(default: none, " in line, line
            elif action.default is False:
                assert line.endswith("(default: off)"), line
            else:
                assert line.endswith(f"(default: {action.default})"), line


def test_trial_config_default_is_the_packaged_config_not_a_repository_path():
    shown = wide_help("trial")
    line = help_entry(shown, "--config")
    assert "the packaged default config" in line and "workflow/" not in line and ".yaml" not in line.split("YAML")[1]


def truncated_corpus_file(tmp_path: Path) -> Path:
    """The first 20,000 of RBDS001runT35.c3d's 2,527,168 bytes: a header that promises 4,500 frames."""
    whole = shared_file("running/RBDS001runT35.c3d").read_bytes()
    path = tmp_path / "RBDS001runT35_cut.c3d"
    path.write_bytes(whole[:20_000])
    return path


def text_file_named_c3d(tmp_path: Path) -> Path:
    path = tmp_path / "notes.c3d"
    path.write_text("subject\tcondition\nS01\tbaseline\n")
    return path


@pytest.mark.parametrize("make, reason", [(truncated_corpus_file, "the file is truncated"),
                                          (text_file_named_c3d, "not a C3D file")])
def test_a_bad_file_exits_1_from_trial_and_inspect_naming_the_file_and_why(tmp_path, make, reason):
    bad = make(tmp_path)
    for done in (hipdrop("trial", bad, "-o", tmp_path / "out"), hipdrop("inspect", bad), hipdrop("inspect", bad, "--json")):
        assert done.returncode == 1, done.args
        assert done.stderr.count("\n") == 1 and str(bad) in done.stderr and reason in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()
    assert json.loads(done.stdout) == {"file": str(bad), "readable": False, "stage": "ingest",
                                       "problem": done.stderr.split(": cannot be read: ")[1].strip()}


def test_a_wrong_command_exits_2_without_a_traceback(tmp_path):
    simulated = tmp_path / "S01_baseline_1.c3d"  # never read: each command below is refused before
    for args, said in [(("trial", simulated), "the following arguments are required: -o/--output"),
                       (("trial", simulated, "-o", tmp_path, "--config", tmp_path / "missing.yaml"), "missing.yaml"),
                       (("inspect", simulated, "--task", "hopping"), "invalid choice: 'hopping'")]:
        done = hipdrop(*args)
        assert done.returncode == 2 and said in done.stderr and "Traceback" not in done.stderr, done.stderr
    (tmp_path / "bad.yaml").write_text("clean: {lowpass_hz: -3}\n")
    done = hipdrop("inspect", simulated, "--config", tmp_path / "bad.yaml")
    assert done.returncode == 2 and "lowpass_hz" in done.stderr and done.stderr.count("\n") == 1


def test_the_installed_command_silences_numpy_float_warnings_for_its_run_only(monkeypatch):
    """pip installs [project.scripts] hipdrop, which calls that function directly: no ``__main__`` block runs."""
    import importlib
    import tomllib

    from tests.conftest import ROOT

    module, function = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]["hipdrop"].split(":")
    cli = importlib.import_module(module)
    seen = {}
    monkeypatch.setattr(cli, "_trial", lambda args: seen.update(np.geterr()) or 0)
    before = np.geterr()
    assert getattr(cli, function)(["trial", "x.c3d", "-o", "out"]) == 0
    assert seen == dict.fromkeys(("divide", "over", "under", "invalid"), "ignore")
    assert np.geterr() == before


def test_file_without_pelvis_says_why():
    done = hipdrop("trial", shared_file("running/RIC_20140515T133244_run.c3d"), "-o", "/tmp/never-written")
    assert done.returncode != 0 and "pelvis" in done.stderr and "LASI" in done.stderr


def run_notebook(name: str, workdir: Path) -> list[dict]:
    """Execute notebooks/NAME under a real Jupyter kernel (nbclient, ipykernel) in ``workdir``; its code cells."""
    import nbclient
    import nbformat

    from tests.conftest import ROOT

    notebook = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}).execute()
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def images(cells: list[dict]) -> int:
    return sum("image/png" in output.get("data", {}) for cell in cells for output in cell.outputs)


@pytest.mark.workflow  # runs a whole Snakemake workflow first
def test_both_notebooks_run_under_a_real_kernel(tmp_path, monkeypatch):
    """explore_results.ipynb redraws every report figure from a fresh small workflow run's results/, and
    trial_walkthrough.ipynb takes one of its trials through process_trial, each executed by nbclient on ipykernel."""
    from hipdrop.simulate.running import CohortSpec
    from tests.integration.test_workflow import make_study, run_workflow

    make_study(tmp_path, CohortSpec(n_subjects=3, duration_s=4.0))
    run_workflow(tmp_path)
    monkeypatch.setenv("HIPDROP_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("HIPDROP_TRIAL", str(tmp_path / "data" / "S01_baseline_1.c3d"))
    explored = run_notebook("explore_results.ipynb", tmp_path)
    assert images(explored) == 7  # adherence, effects, dose-response, runners, obliquity, waveforms, quality
    assert "12 trials analysed" in "".join(o.get("text", "") for o in explored[0].outputs)
    walked = run_notebook("trial_walkthrough.ipynb", tmp_path)
    assert images(walked) == 4  # gaps, events over obliquity, stances, a squat trial's windows
    assert "S01_baseline_1.c3d" in "".join(o.get("text", "") for o in walked[0].outputs)
    # the simulated squat (3 repetitions per side, variation off) shows its 6 windows, each with its peak drop
    table = walked[-1].outputs[-1]["data"]["text/plain"]
    assert table.count("single_leg_squat") == 6 and "NaN" not in table.split("exclude_reason")[0]


# ------------------------------------------------------------------ hipdrop inspect: what the analysis makes of each marker


@pytest.fixture(scope="module")
def gappy_trial(tmp_path_factory):
    """A simulated trial with a 0.3 s gap cut into LASI (rebuilt as a rigid body) and a 0.03 s one into RHEE
    (spline-filled), where RHEE was visible; written back as a C3D file (NaN = gap)."""
    from hipdrop.io.c3d.reader import events_table, read_c3d, write_c3d
    from hipdrop.simulate.running import CohortSpec, simulate_cohort

    folder = tmp_path_factory.mktemp("inspect")
    simulate_cohort(folder, CohortSpec(n_subjects=1, duration_s=6.0, seed=4))
    trial = read_c3d(folder / "S01_baseline_1.c3d")
    xyz, names, rate = trial["markers"].values.copy(), [str(m) for m in trial.marker.values], trial.attrs["rate_hz"]
    lasi = (round(2.0 * rate), round(2.3 * rate))
    xyz[lasi[0] : lasi[1], names.index("LASI")] = np.nan
    heel = np.isnan(xyz[:, names.index("RHEE")]).any(-1)
    # a stretch where RHEE is visible with 20 frames to spare on either side, for a gap of its own
    start = next(s for s in range(40, len(heel) - 60) if not heel[s - 20 : s + round(0.03 * rate) + 20].any())
    xyz[start : start + round(0.03 * rate), names.index("RHEE")] = np.nan
    path = folder / "gappy.c3d"
    write_c3d(path, xyz, names, rate_hz=rate, events=events_table(trial))
    return path, lasi


def _row(lines, label):
    return next(line for line in lines if line.split()[:1] == [label] or line.strip().startswith(f"{label} "))


def test_inspect_says_which_pelvis_marker_excludes_which_stances(gappy_trial):
    from hipdrop.trial.process import process_trial

    path, (cut_from, cut_to) = gappy_trial
    done = hipdrop("inspect", path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    # independent count: the stance table of the pipeline on the same file, and the stances the cut overlaps
    stances = process_trial(path).stances
    pelvis = stances[stances.exclude_reason.str.contains("pelvis")]
    overlapping = stances[(stances.strike_frame < cut_to) & (stances.off_frame >= cut_from)]
    assert len(pelvis) == len(overlapping) >= 1
    n = len(pelvis)
    # the markers the analysis uses come first, the pelvis at their head
    marker_rows = [line.split()[0] for line in lines if line.startswith("    ") and line.split()[0].isupper()]
    assert marker_rows[:4] == ["LASI", "RASI", "LPSI", "RPSI"]
    assert lines.index(_row(lines, "LASI")) < lines.index(_row(lines, "LHEE")) < lines.index(_row(lines, "LWRA"))
    assert any(line.startswith("  other markers (not used by the analysis)") for line in lines)
    lasi = " ".join(" ".join(lines[lines.index(_row(lines, "LASI")) :][:3]).split())  # the row may wrap
    assert "1 gap > 0.1 s: rebuilt as a rigid body from the other pelvis markers" in lasi
    assert f"excludes {n} stance{'s' if n > 1 else ''}" in lasi and "0.300 s" in lasi
    assert f"{n} excluded for filled or missing pelvis data" in done.stdout
    rhee = _row(lines, "RHEE")
    assert "filled by cubic spline" in rhee and "left missing" not in rhee
    assert "complete; excludes no stance" in _row(lines, "RASI")
    # --json: the same numbers
    report = json.loads(hipdrop("inspect", path, "--json").stdout)
    by_name = {r["name"]: r for r in report["analysed_markers"]}
    assert [r["name"] for r in report["analysed_markers"]][:4] == ["LASI", "RASI", "LPSI", "RPSI"]
    assert by_name["LASI"]["rebuilt_gaps"] == 1 and by_name["LASI"]["longest_gap_s"] == 0.3
    assert by_name["LASI"]["left_missing_gaps"] == 0 and by_name["LASI"]["stances_excluded"] == n
    assert sorted(by_name["LASI"]["excluded_stances"]) == sorted(f"{r.side}{r.stance_index}" for r in pelvis.itertuples())
    assert by_name["RASI"]["stances_excluded"] == 0 and by_name["RHEE"]["stances_excluded"] is None
    assert by_name["RHEE"]["spline_filled_gaps"] == by_name["RHEE"]["gaps"] >= 1
    assert report["analysis"]["excluded_pelvis_data"] == n and report["analysis"]["stances"] == len(stances)
    assert {r["name"] for r in report["other_markers"]} == {"LELB", "RELB"}


def test_inspect_follows_the_config_and_survives_a_failing_analysis(gappy_trial, tmp_path):
    """--config changes the verdicts (a 0.02 s spline limit leaves RHEE's 0.03 s gap missing); a trial the
    analysis cannot use (here: only force-plate events allowed, and the file has no plates) is said in one line,
    its markers still shown."""
    path, _ = gappy_trial
    config = tmp_path / "config.yaml"
    config.write_text("clean:\n  max_gap_s: 0.02\nevents:\n  sources: [force]\n")
    done = hipdrop("inspect", path, "--config", config)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    failing = [line for line in lines if "analysis (config" in line]
    assert len(failing) == 1 and "fails at the events stage" in failing[0]
    rhee = " ".join(" ".join(lines[lines.index(_row(lines, "RHEE")) :][:2]).split())  # the row may wrap
    assert "> 0.02 s left missing" in rhee
    assert "rebuilt as a rigid body" in _row(lines, "LASI") and "excludes" not in _row(lines, "LASI")
    report = json.loads(hipdrop("inspect", path, "--json", "--config", config).stdout)
    assert report["analysis"]["ok"] is False and report["analysis"]["stage"] == "events"
    assert {r["name"]: r["left_missing_gaps"] for r in report["analysed_markers"]}["RHEE"] >= 1


def test_inspect_shows_raw_labels_beside_canonical_names():
    path = shared_file("running/RBDS001runT35.c3d")
    done = hipdrop("inspect", path)
    assert done.returncode == 0, done.stderr
    assert "L.ASIS -> LASI" in done.stdout and "R.Heel.Bottom -> RHEE" in done.stdout
    lines = done.stdout.splitlines()
    assert lines.index(_row(lines, "L.ASIS")) < lines.index(_row(lines, "L.Heel.Bottom"))
    assert "L.Iliac.Crest" in done.stdout.split("other markers (not used by the analysis)")[1]
    report = json.loads(hipdrop("inspect", path, "--json").stdout)
    lasi = next(r for r in report["analysed_markers"] if r["name"] == "LASI")
    assert lasi["raw"] == "L.ASIS" and lasi["group"] == "pelvis" and report["analysis"]["ok"]


def test_inspect_and_trial_name_why_the_stances_were_excluded():
    # c3d.org's short walking file: its 0.73 s stances are too long for the running limits
    path = shared_file("events/c3dio_short.c3d")
    reason = "stance time 0.733 s outside [0.1, 0.5] s"
    inspected = hipdrop("inspect", path)
    assert inspected.returncode == 0, inspected.stderr
    assert f"4 excluded for other reasons (most often: {reason})" in inspected.stdout
    assert json.loads(hipdrop("inspect", path, "--json").stdout)["analysis"]["other_reason"] == reason


def test_inspect_help_is_plain_text_and_says_what_it_shows():
    shown = hipdrop("inspect", "--help").stdout
    assert "``" not in shown and "*" not in shown
    for words in ("pelvis", "raw label -> canonical name", "cubic spline", "rigid body", "left missing", "stances", "--config"):
        assert words in " ".join(shown.split())
    top = hipdrop("--help").stdout
    assert "inspect" in top and "stances" in " ".join(top.split())


def test_inspect_and_trial_count_the_implausible_samples(gappy_trial, tmp_path):
    """A 0.8 m, one-frame LASI spike (160 m/s each way) at two places and a 2 km LWRA excursion of 4 frames:
    inspect shows the 6 samples by kind and by marker; trial analyses the file and says so."""
    from hipdrop.io.c3d.reader import events_table, read_c3d, write_c3d

    path, _ = gappy_trial
    trial = read_c3d(path)
    xyz, names = trial["markers"].values.copy(), [str(m) for m in trial.marker.values]
    xyz[[100, 700], names.index("LASI"), 2] += 800.0
    xyz[300:304, names.index("LWRA")] += [0.0, 0.0, 2.0e6]
    damaged = tmp_path / "damaged.c3d"
    write_c3d(damaged, xyz, names, rate_hz=trial.attrs["rate_hz"], events=events_table(trial))
    report = json.loads(hipdrop("inspect", damaged, "--json").stdout)
    assert report["implausible_samples"] == {"nonfinite": 0, "outside_volume": 4, "off_body": 0, "spike": 2, "pelvis_shape": 0}
    by_name = {r["name"]: r for r in report["analysed_markers"]}
    assert by_name["LWRA"]["implausible_samples"] == {"outside_volume": 4} and by_name["LASI"]["implausible_samples"] == {"spike": 2}
    assert report["analysis"]["ok"]
    shown = hipdrop("inspect", damaged).stdout
    assert "implausible samples made missing (as gaps, then filled or not by the rules below): 6 (outside_volume 4, spike 2)" in shown
    assert "4 implausible samples removed (outside_volume 4)" in " ".join(_row(shown.splitlines(), "LWRA").split())
    done = hipdrop("trial", damaged, "-o", tmp_path / "out")
    assert done.returncode == 0 and "6 implausible marker samples made missing (outside_volume 4, spike 2)" in done.stdout
    assert done.stderr == ""


def test_inspect_lists_the_emg_channels(tmp_path):
    """Beside the markers, the EMG channels the analysis reads: the simulator's both-leg gluteus medius (1000 Hz,
    V), opensim_jogging's four gluteal channels (1500 Hz), and dorn_JA1Gait35's GMED and GMAX left out for want of
    a side (docs/science.md section 13)."""
    assert hipdrop("simulate", tmp_path / "c", "--subjects", "1", "--duration", "4", "--emg").returncode == 0
    trial = tmp_path / "c" / "S01_baseline_1.c3d"
    report = json.loads(hipdrop("inspect", trial, "--json").stdout)
    assert report["emg"]["channels"] == [
        {"label": f"{s} Gluteus Medius", "muscle": "gmed", "side": s, "rate_hz": 1000.0, "unit": "V"} for s in "LR"]
    text = hipdrop("inspect", trial).stdout
    assert "EMG channels (config emg.muscles): 2" in text and "L gmed = 'L Gluteus Medius' (1000 Hz, V)" in text
    jogging = json.loads(hipdrop("inspect", shared_file("running/opensim_jogging.c3d"), "--json").stdout)["emg"]
    assert sorted((c["side"], c["muscle"], c["rate_hz"]) for c in jogging["channels"]) == [
        ("L", "gmax", 1500.0), ("L", "gmed", 1500.0), ("R", "gmax", 1500.0), ("R", "gmed", 1500.0)]
    dorn = json.loads(hipdrop("inspect", shared_file("running/dorn_JA1Gait35.c3d"), "--json").stdout)["emg"]
    assert dorn["channels"] == [] and len(dorn["notes"]) == 2 and all("no side" in n for n in dorn["notes"])


def test_simulate_fatigue_crossover_and_static_options(tmp_path):
    """--drift, --stride-sd, --trial-interval, --arm-swing-target and --static-trial reach the cohort: the true
    peaks grow by the drift per minute into the run (the trials 5 min apart), the sheet says the target and the
    times, and each runner has a static trial."""
    done = hipdrop("simulate", tmp_path / "c", "--subjects", "2", "--duration", "4", "--trials-per-condition", "2",
                   "--trial-interval", "5", "--drift", "0.3", "--stride-sd", "0.4", "--arm-swing-target", "crossover",
                   "--static-trial")
    assert done.returncode == 0, done.stderr
    sheet = pd.read_csv(tmp_path / "c" / "trials.tsv", sep="\t")
    running = sheet[~sheet["static"]]
    assert sorted(running["time_into_run_min"].unique()) == [0.0, 5.0]
    assert set(running.loc[running["condition"] == "arm_swing", "arm_swing_target"]) == {"crossover"}
    assert sheet["static"].sum() == 2
    truth = json.loads((tmp_path / "c" / "truth.json").read_text())
    assert truth["spec"]["drift_deg_per_min"] == 0.3 and truth["spec"]["stride_sd_deg"] == 0.4
    # the second trial of each runner-condition-side, 5 min on: its true peaks 1.5 deg higher on average
    stances = pd.DataFrame(truth["stances"])
    means = stances.groupby(["subject", "condition", "side", "trial"])["cpd_peak_deg"].mean().unstack("trial")
    step = (means.iloc[:, 1] - means.iloc[:, 0]).mean()
    # the stride draws' SD 0.4 deg over ~10 stances per trial and side, 16 pairs: SE of the mean step ~0.05 deg
    assert abs(step - 1.5) < 0.25, step


def test_trial_with_its_static_trial(tmp_path):
    """`hipdrop trial --static`: the standing obliquity (3 deg, right side up, in the simulated static trial) is the
    reference of cpd_peak_deg_static_ref, as the workflow gives it; on a LASEM drop jump the static trial's medial
    knee and ankle markers are carried in (the knee FPPA of process_trial with the calibration)."""
    from hipdrop.simulate.running import CohortSpec, simulate_cohort

    simulate_cohort(tmp_path / "c", CohortSpec(n_subjects=1, duration_s=4.0, static_trial=True,
                                               static_obliquity_deg=3.0))
    done = hipdrop("trial", tmp_path / "c" / "S01_baseline_1.c3d", "-o", tmp_path / "out",
                   "--static", tmp_path / "c" / "S01_static_1.c3d")
    assert done.returncode == 0, done.stderr
    assert "static trial" in done.stdout and "standing obliquity +3.0" in done.stdout
    stances = pd.read_csv(tmp_path / "out" / "stances.csv")
    assert stances["static_obliquity_deg"].iloc[0] == pytest.approx(3.0, abs=0.1)
    sign = np.where(stances["side"] == "R", 1.0, -1.0)
    np.testing.assert_allclose(stances["cpd_peak_deg"] - stances["cpd_peak_deg_static_ref"],
                               sign * stances["static_obliquity_deg"], atol=2e-5)  # the CSV's 5 decimals
    missing = hipdrop("trial", tmp_path / "c" / "S01_baseline_1.c3d", "-o", tmp_path / "o2", "--static", tmp_path / "no.c3d")
    assert missing.returncode == 1 and "no.c3d" in missing.stderr

    from hipdrop.trial.calibration import static_calibration
    from hipdrop.trial.process import process_trial

    static, jump = shared_file("single_leg/lasem_FAILT01_static02.c3d"), shared_file("single_leg/lasem_FAILT01_SLDJ01.c3d")
    done = hipdrop("trial", jump, "-o", tmp_path / "lasem", "--task", "single_leg_landing", "--static", static)
    assert done.returncode == 0, done.stderr
    assert "LKNM" in done.stdout
    direct = process_trial(jump, task="single_leg_landing", calibration=static_calibration(static))
    written = pd.read_csv(tmp_path / "lasem" / "stances.csv")["knee_fppa_peak_deg"]
    np.testing.assert_allclose(written, direct.stances["knee_fppa_peak_deg"], rtol=1e-5)  # the CSV's 6 digits
    # toward valgus against the lateral markers alone, as docs/science.md section 8 measured on these files
    lateral = process_trial(jump, task="single_leg_landing").stances["knee_fppa_peak_deg"]
    assert (written.to_numpy() > lateral.to_numpy()).all()
