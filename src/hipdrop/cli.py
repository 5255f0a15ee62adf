"""The ``hipdrop`` command: ``inspect`` a C3D file, analyse one ``trial``, ``simulate`` a cohort, build a
trial ``sheet`` from a folder.

Every subcommand exits with ``EXIT_OK`` (0) when it did its work, ``EXIT_UNUSABLE_INPUT`` (1) when its input (a C3D
file, a folder) could not be read or analysed, and ``EXIT_USAGE`` (2) when the command itself was wrong (an option
argparse refuses, a config file that is missing or invalid, an existing sheet without ``--force``); a failure is
one line on stderr naming the file and the reason, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from hipdrop.config import ConfigError, load_config
from hipdrop.vocab import TASK_NAMES

EXIT_OK = 0
EXIT_UNUSABLE_INPUT = 1
EXIT_USAGE = 2
EXIT_CODES_HELP = (
    "Exit status, the same for every command: 0 done; 1 the input (a C3D file, a folder) could not be read or "
    "analysed, said in one line on stderr naming the file and the reason; 2 the command was wrong (an unknown or "
    "invalid option, a config file that is missing or invalid, an existing sheet without --force). `inspect` "
    "exits 0 for a readable file even where the analysis fails: that failure is part of its report."
)


class _HelpWithDefaults(argparse.HelpFormatter):
    """Every option's help ends with its default (``off`` for a flag) or says it is required, unless the help
    already says what the default is."""

    def _get_help_string(self, action):
        text = action.help or ""
        if not action.option_strings or action.default is argparse.SUPPRESS or "default" in text:
            return text
        if action.required:
            return f"{text} (required)"
        if isinstance(action, argparse._StoreTrueAction):
            return f"{text} (default: off)"
        return f"{text} (default: %(default)s)"


def _load_config(path: str | None) -> dict:
    """The config at ``path`` (``None``: the packaged defaults), a missing or unparsable file as a ConfigError."""
    import yaml

    try:
        return load_config(path)
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"config {path}: {err}") from err


def _inspect(args) -> int:
    from hipdrop.errors import TrialError
    from hipdrop.io.c3d.reader import read_c3d
    from hipdrop.trial.inspection import format_text

    config = _load_config(args.config)
    try:
        trial = read_c3d(args.file, vertical_axis=config["vertical_axis"], markersets=tuple(config["markersets"]))
    except TrialError as err:
        report = {"file": str(args.file), "readable": False, "stage": err.stage, "problem": err.reason}
        if args.json:
            print(json.dumps(report, indent=1))
        print(f"{args.file}: cannot be read: {err.reason}", file=sys.stderr)
        return EXIT_UNUSABLE_INPUT
    try:
        report = _inspection(args, config, trial)
        shown = json.dumps(report, indent=1, default=float) if args.json else "\n".join(format_text(report))
    except Exception as err:  # a bug or an unforeseen file: said in one line naming the file, never a traceback
        from hipdrop.trial.process import exception_reason

        report = {"file": str(args.file), "readable": True, "stage": "inspect", "problem": exception_reason(err)}
        if args.json:
            print(json.dumps(report, indent=1))
        print(f"{args.file}: cannot be inspected: {report['problem']}", file=sys.stderr)
        return EXIT_UNUSABLE_INPUT
    print(shown)
    return EXIT_OK


def _inspection(args, config: dict, trial) -> dict:
    """The facts ``hipdrop inspect`` shows of a readable trial (its ``--json`` report)."""
    from hipdrop.io.c3d.reader import events_table
    from hipdrop.trial.inspection import emg_report, marker_report, stance_summary
    from hipdrop.trial.process import process_trial

    markers = trial["markers"]
    missing = markers.isnull().any("axis").mean("time").to_series()
    events = events_table(trial)
    # the real pipeline with the same config: its stance table says which stances the pelvis data excludes
    result = process_trial(args.file, config=config, keep_pelvis=False, task=args.task)
    if result.ok:
        analysis = {"ok": True, "task": args.task, **stance_summary(result.stances),
                    "event_source": result.meta["event_source"]}
        if args.task != "running":  # the windows the task finds, where a clinician can check them against the feet
            analysis["windows"] = result.stances[["side", "strike_s", "off_s", "cpd_peak_deg", "excluded",
                                                  "exclude_reason"]].rename(columns={"strike_s": "start_s", "off_s": "end_s"}
                                                                            ).round(3).to_dict("records")
            # and the candidates that are none, with why, and why there is no window at all where there is none
            analysis["dropped_windows"] = result.dropped.to_dict("records")
            analysis["no_windows"] = result.meta["no_windows"]
    else:
        analysis = {"ok": False, "stage": result.failure.stage, "problem": result.failure.reason}
    analysis["event_warnings"] = result.meta.get("event_warnings", "")
    analysis["clean_warnings"] = result.meta.get("clean_warnings", "")
    per_marker = marker_report(trial, config, result.stances if result.ok else None)
    report = {
        "file": str(args.file),
        "readable": True,
        "rate_hz": trial.attrs["rate_hz"],
        "frames": int(trial.sizes["time"]),
        "first_frame": trial.attrs["first_frame"],
        "duration_s": round(trial.sizes["time"] / trial.attrs["rate_hz"], 3),
        "units": trial.attrs["original_units"] or "(none stated)",
        "vertical_axis": trial.attrs["vertical_axis"],
        "markers": int(markers.sizes["marker"]),
        "mapped_markers": json.loads(trial.attrs["marker_map"]),
        "missing_fraction": {k: round(float(v), 4) for k, v in missing.items() if v > 0},
        "events": events.groupby(["side", "event"]).size().rename("n").reset_index().to_dict("records"),
        "force_plates": int(trial.sizes.get("plate", 0)),
        "warnings": json.loads(trial.attrs["qc_warnings"]),
        # samples of the analysed markers no body makes (kernels.plausibility.mask_implausible): made missing, by kind
        "implausible_samples": per_marker["implausible_samples"],
        "config": {"file": str(args.config) if args.config else None, "clean_max_gap_s": config["clean"]["max_gap_s"],
                   "stances_max_filled_s": config["stances"]["max_filled_s"]},
        "analysis": analysis,
        "analysed_markers": per_marker["analysed"],
        "other_markers": per_marker["other"],
        "pelvis_markers": per_marker["pelvis_markers"],
        "marker_groups": per_marker["groups"],
        "unattributed_stances": per_marker["unattributed_stances"],
        # the analog channels the EMG analysis reads: label, muscle and side found, rate and unit
        "emg": emg_report(trial, config),
    }
    return report


def _trial(args) -> int:
    from hipdrop.io.results import write_netcdf, write_table
    from hipdrop.trial.inspection import commonest_reason
    from hipdrop.trial.process import process_trial

    config = _load_config(args.config)
    if args.sequence:
        config["pelvis"]["sequence"] = args.sequence
    if args.events and args.events != "auto":
        config["events"]["sources"] = [args.events]
    calibration = reference = None
    if args.static:  # as the workflow gives a runner's trials its static trial: the file read once for both
        from hipdrop.cohort.batches import LANDMARK_CALIBRATION, static_trial

        static = static_trial(args.static, config=config)
        if not static.ok:
            print(f"{args.static}: {static.failure.stage}: {static.failure.reason}", file=sys.stderr)
            return EXIT_UNUSABLE_INPUT
        calibration = static.meta.pop(LANDMARK_CALIBRATION)
        reference = static.meta  # static_reference's obliquity and tilt
    result = process_trial(args.file, config=config, task=args.task, calibration=calibration)
    if not result.ok:
        print(f"{args.file}: {result.failure.stage}: {result.failure.reason}", file=sys.stderr)
        return EXIT_UNUSABLE_INPUT
    if reference is not None:
        from hipdrop.cohort.batches import with_static_reference

        result.stances = with_static_reference(result.stances, reference)
    out = Path(args.output)
    write_table(result.events, out / "events.csv")
    write_table(result.stances, out / "stances.csv")
    pelvis = result.pelvis.assign_attrs({k: v for k, v in result.meta.items() if v is not None})
    write_netcdf(pelvis, out / "pelvis.nc")
    stances = result.stances
    kept = stances.loc[~stances["excluded"].astype(bool)]
    windows = "stances" if args.task == "running" else f"{args.task} windows"
    print(f"{args.file}: {len(stances)} {windows} ({len(kept)} included), events from "
          f"{result.meta['event_source'] or 'none'}; peak drop {_side_peaks(stances, kept, windows)}; wrote {out}/")
    if result.meta.get("no_windows"):
        print(f"  no window: {result.meta['no_windows']}")
    if len(stances) and kept.empty:  # say why, e.g. walking stances under the running limits
        print(f"  most stances excluded for: {commonest_reason(stances)}")
    if result.dropped is not None and len(result.dropped):
        print(f"  {len(result.dropped)} candidate window(s) dropped, not counted above:")
        for line in result.meta["dropped_windows"].split("; "):
            print(f"    {line}")
    if result.meta["implausible_samples"]:
        kinds = ", ".join(f"{k.removeprefix('implausible_')} {v}" for k, v in result.meta.items()
                          if k.startswith("implausible_") and k != "implausible_samples" and v)
        print(f"  {result.meta['implausible_samples']} implausible marker samples made missing ({kinds})")
    if result.meta["clean_warnings"]:
        print(f"  warning: {result.meta['clean_warnings']}")
    if args.static:
        print(f"  static trial {args.static}: standing obliquity {reference['static_obliquity_deg']:+.2f} deg "
              f"(cpd_peak_deg_static_ref), calibrated landmarks: "
              f"{result.meta.get('calibrated_landmarks') or 'none (this trial has them, or no cluster carries them)'}")
    return EXIT_OK


def _side_peaks(stances, kept, windows: str) -> str:
    """Mean peak drop per side: "L 4.12 deg", or "L none included" where its windows are all excluded, or "L no
    windows" where it has none (a right-leg task has no left windows: none were excluded)."""
    def side(s: str) -> str:
        peaks = kept.loc[kept["side"] == s, "cpd_peak_deg"]
        if len(peaks):
            return f"{s} {peaks.mean():.2f} deg"
        n = int((stances["side"] == s).sum())
        return f"{s} none included (all {n} excluded)" if n else f"{s} no {windows}"
    return ", ".join(side(s) for s in ("L", "R"))


def _simulate(args) -> int:
    from hipdrop.simulate.running import CohortSpec, simulate_cohort
    from hipdrop.simulate.tasks import TaskCohortSpec, simulate_task_cohort

    if args.task != "running":
        task_spec = TaskCohortSpec(task=args.task, n_subjects=args.subjects, trials_per_condition=args.trials_per_condition,
                                   seed=args.seed, variation=not args.no_variation)
        if args.no_effects:
            task_spec.effects_deg = dict.fromkeys(task_spec.effects_deg, 0.0)
        sheet = simulate_task_cohort(args.directory, task_spec)
        print(f"{len(sheet)} {args.task} trials of {task_spec.n_subjects} subjects in {args.directory} (trials.tsv, truth.json)")
        return EXIT_OK

    spec = CohortSpec(
        n_subjects=args.subjects, trials_per_condition=args.trials_per_condition, duration_s=args.duration,
        rate_hz=args.rate, seed=args.seed, variation=not args.no_variation, events=not args.no_events,
        force_plate=args.force_plate, arm_swing_cadence_pct=args.arm_swing_cadence_pct,
        emg=args.emg or args.mvc, emg_mvc=args.mvc,
        arm_swing_target=args.arm_swing_target, crossing_wrists=args.crossing_wrists, drift_deg_per_min=args.drift,
        stride_sd_deg=args.stride_sd, trial_interval_min=args.trial_interval, static_trial=args.static_trial,
    )
    if args.no_effects:
        spec.effects_deg = dict.fromkeys(spec.effects_deg, 0.0)
    sheet = simulate_cohort(args.directory, spec)
    print(f"{len(sheet)} trials of {spec.n_subjects} runners in {args.directory} (trials.tsv, truth.json)")
    return EXIT_OK


def _sheet(args) -> int:
    from hipdrop.sheet import design_defaults, find_c3d, sheet_from_layout, sheet_from_pattern

    root, out = Path(args.directory), Path(args.output)
    if not root.is_dir():
        print(f"hipdrop sheet: {root} is not a folder", file=sys.stderr)
        return EXIT_UNUSABLE_INPUT
    if out.exists() and not args.force:
        # a sheet the user has already filled in would lose its design columns
        print(f"hipdrop sheet: {out} exists; pass --force to overwrite it (its design columns would be lost)", file=sys.stderr)
        return EXIT_USAGE
    if args.pattern:
        sheet, unplaced = sheet_from_pattern(root, args.pattern, relative_to=out.parent)
    else:
        sheet, unplaced = sheet_from_layout(root, trial=args.trial, relative_to=out.parent)
    for line in unplaced:
        print(f"not placed: {line}")
    if sheet.empty:
        found = len(find_c3d(root))
        how = f"the pattern {args.pattern}" if args.pattern else "the layout subject/condition/FILE.c3d"
        reason = (f"no .c3d file under {root}" if not found else
                  f"none of the {found} .c3d file(s) under {root} fit {how} (see above)"
                  + ("" if args.pattern else "; for names such as S01_baseline_1.c3d give --pattern "
                     "'{subject}_{condition}_{trial}.c3d'"))
        print(f"hipdrop sheet: nothing placed, no sheet written: {reason}", file=sys.stderr)
        return EXIT_UNUSABLE_INPUT
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.to_csv(out, sep="\t", index=False)
    first = sheet.iloc[0]
    conditions = sorted(sheet["condition"].unique())
    print(f"wrote {out}: {len(sheet)} trials, {sheet['subject'].nunique()} subjects, {len(conditions)} conditions "
          f"({', '.join(conditions)}); {len(unplaced)} .c3d file(s) not placed")
    print(f"  e.g. {first['path']} -> subject {first['subject']}, condition {first['condition']}, trial {first['trial']}")
    if sheet["static"].any():
        print(f"  {int(sheet['static'].sum())} trial(s) of condition 'static' marked static: each runner's standing "
              "reference (column static), not analysed as running")
    design = ", ".join(f"{column} (now {value})" for column, value in design_defaults().items())
    print(f"  now fill the design columns for each condition: {design} (see data/README.md)")
    return EXIT_OK


# each subcommand: its line in `hipdrop --help`, and the description atop its own help
_COMMANDS = {
    "inspect": (
        "what a C3D file holds and what the analysis makes of its markers, gaps and stances",
        "Show what a C3D file holds and how hipdrop reads it: frame rate, frames, units, vertical axis, "
        "stored events, force plates and read warnings. Then the markers the analysis uses, grouped as pelvis, "
        "feet, wrists, trunk and knees (what each group gives: arm swing, trunk lean, knee FPPA, or why not; labels "
        "that look like a group's landmarks but no marker-set map names), "
        "each as raw label -> canonical name with its missing share, number of gaps and "
        "longest gap, and what the clean stage does with the gaps under the config: filled by cubic spline (gaps "
        "up to clean.max_gap_s), rebuilt as a rigid body from the other pelvis markers (longer pelvis gaps), or "
        "left missing. For each pelvis marker: how many stances its filled or missing data exclude, counted on "
        "the stance table of the real analysis of the file. Then the other markers and their missing share. Last, "
        "the EMG channels among the analog channels (label, the muscle and side found, rate, unit), and labels of a "
        "muscle left out (no side: config emg.sides)."),
    "trial": (
        "analyse one C3D file: events.csv, stances.csv, pelvis.nc",
        "Analyse one C3D file as the workflow analyses each trial (read, clean, pelvis angles, events, stances or "
        "task windows) and write DIR/events.csv, DIR/stances.csv and DIR/pelvis.nc (tilt, obliquity and rotation "
        "in degrees over time and side). Prints the stances found and included, the mean peak drop per side, and "
        "why stances or candidate windows were excluded or dropped."),
    "simulate": (
        "write a simulated running cohort as C3D files with its truth",
        "Write a simulated cohort into DIRECTORY: one C3D file per trial, its trial sheet (trials.tsv) and its "
        "truth (truth.json: the true effects and every stance's true events and peak drop). Runners run a "
        "baseline, two cadence conditions and an arm-swing condition; with --task, subjects perform a single-leg "
        "task at baseline and after training. `make demo` runs it with the defaults."),
    "sheet": (
        "the trial sheet of a folder of C3D files (subject/condition/*.c3d, or --pattern)",
        "Write the trial sheet (trials.tsv) of a folder of C3D files, from the layout DIRECTORY/subject/"
        "condition/FILE.c3d or from the file names (--pattern). Files that fit neither are listed as not "
        "placed. The design columns (target cadence change, arm swing, static trial, task) are written at their "
        "defaults, for you to fill in (data/README.md)."),
}


def build_parser() -> argparse.ArgumentParser:
    """The ``hipdrop`` argument parser: every subcommand with its description, every option with its help and
    default (``hipdrop COMMAND --help``)."""
    parser = argparse.ArgumentParser(
        prog="hipdrop", formatter_class=_HelpWithDefaults, epilog=EXIT_CODES_HELP,
        description="hipdrop: pelvic drop from C3D motion capture. inspect a C3D file, analyse one trial, simulate a "
        "cohort, or build a trial sheet from a folder. `hipdrop COMMAND --help` says more.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, run) -> argparse.ArgumentParser:
        """The subcommand ``name`` of ``_COMMANDS``, ``run`` its work."""
        summary, description = _COMMANDS[name]
        command_parser = sub.add_parser(name, help=summary, description=description, formatter_class=_HelpWithDefaults,
                                        epilog="Exit status: 0, 1 or 2, as `hipdrop --help` says.")
        command_parser.set_defaults(run=run)
        return command_parser

    config_help = ("config YAML whose settings override the defaults (default: none, the packaged default config, "
                   "every setting at its default)")
    task_help = "running stances, or the single-leg windows of this task"

    p = command("inspect", _inspect)
    p.add_argument("file", help="the C3D file")
    p.add_argument("--json", action="store_true", help="the same facts as JSON (machine-readable)")
    p.add_argument("--config", help=config_help)
    p.add_argument("--task", choices=TASK_NAMES, default="running", help=f"show the windows of the task: {task_help}")

    p = command("trial", _trial)
    p.add_argument("file", help="the C3D file")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="folder the three files are written to")
    p.add_argument("--config", help=config_help)
    p.add_argument("--sequence", choices=["rot", "tor"],
                   help="pelvis angle sequence: rot (Baker 2001) or tor (Plug-in Gait, as Vicon Nexus reports) "
                   "(default: none, the config's pelvis.sequence, rot unless the config says otherwise)")
    p.add_argument("--events", choices=["auto", "c3d", "force", "kinematic"], default="auto",
                   help="where foot strikes and offs come from; auto: the config's events.sources, tried in order "
                   "(c3d, force, kinematic unless the config says otherwise)")
    p.add_argument("--task", choices=TASK_NAMES, default="running", help=f"what the trial records: {task_help}")
    p.add_argument("--static", metavar="FILE",
                   help="the runner's static standing trial: its medial knee and ankle markers carried into this "
                   "trial for the knee FPPA (calibrated landmarks), and its standing obliquity and tilt as the "
                   "reference of cpd_peak_deg_static_ref (default: none, lateral markers only, no static reference)")

    p = command("simulate", _simulate)
    p.add_argument("directory", help="folder the C3D files, trials.tsv and truth.json are written to")
    p.add_argument("--subjects", type=int, default=8, help="runners (or subjects of a task cohort)")
    p.add_argument("--trials-per-condition", type=int, default=1, help="trials of each subject in each condition")
    p.add_argument("--duration", type=float, default=30.0, help="seconds per running trial")
    p.add_argument("--rate", type=float, default=200.0, help="frame rate of a running trial (Hz)")
    p.add_argument("--seed", type=int, default=2026, help="random seed: the same seed writes the same cohort")
    p.add_argument("--no-variation", action="store_true", help="no subject, stride, timing or marker variation")
    p.add_argument("--no-events", action="store_true", help="leave the EVENT group out (running cohorts)")
    p.add_argument("--force-plate", action="store_true", help="add a treadmill force plate (running cohorts)")
    p.add_argument("--emg", action="store_true", help="add both legs' gluteus medius EMG with a known envelope per "
                   "stance (running cohorts; truth.json's emg)")
    p.add_argument("--mvc", action="store_true",
                   help="also write each runner's maximal voluntary contraction of both gluteus medius "
                   "(mvc/<subject>.c3d, named in the sheet's mvc column; truth.json's emg.mvc_mv the true amplitudes), "
                   "so the analysis gives %% MVC; implies --emg")
    p.add_argument("--no-effects", action="store_true",
                   help="every condition's true effect on peak drop is 0 (runners still differ): for type-I error checks")
    p.add_argument("--task", choices=TASK_NAMES, default="running",
                   help="running, or a single-leg task cohort (baseline and post_training, 100 Hz) instead of runners")
    p.add_argument("--arm-swing-cadence-pct", type=float, default=0.0, metavar="P",
                   help="the arm-swing condition also changes cadence by P %% (a confound the design check must flag)")
    p.add_argument("--arm-swing-target", choices=["amplitude", "crossover"], default="amplitude",
                   help="what the arm-swing condition changes (sheet column arm_swing_target): the fore-aft amplitude, "
                   "or the wrists' crossing of the midline (the first runner reduces amplitude instead: non-adherent)")
    p.add_argument("--crossing-wrists", action="store_true",
                   help="the wrists sweep across the body's midline in every condition (implied by "
                   "--arm-swing-target crossover); off: they stay at the shoulders' width")
    p.add_argument("--drift", type=float, default=0.0, metavar="DEG_PER_MIN",
                   help="fatigue: every stance's peak drop grows by this many deg per minute into the run")
    p.add_argument("--stride-sd", type=float, default=None, metavar="DEG",
                   help="each stance's peak drop varies by its own normal draw of this SD (deg), so the stride-to-stride "
                   "SD is known (default: none, the template's stride shapes)")
    p.add_argument("--trial-interval", type=float, default=0.0, metavar="MIN",
                   help="trial k of a condition starts (k - 1) x MIN minutes into the run (sheet column "
                   "time_into_run_min when above 0); with --trials-per-condition, a fatigue protocol")
    p.add_argument("--static-trial", action="store_true",
                   help="also write each runner's 3 s static standing trial (sheet column static)")

    p = command("sheet", _sheet)
    p.add_argument("directory", help="the folder of C3D files, searched recursively")
    p.add_argument("-o", "--output", required=True, help="the sheet to write (trials.tsv); paths are relative to its folder")
    p.add_argument("--pattern", help="file names such as {subject}_{condition}_{trial}.c3d ({*} skips text; folders "
                   "with /) (default: none, the layout subject/condition/FILE.c3d)")
    p.add_argument("--trial", choices=["stem", "position"], default="stem",
                   help="without --pattern: the trial is the file's name (stem) or its place in its folder (position)")
    p.add_argument("--force", action="store_true", help="overwrite an existing sheet")
    return parser


def main(argv: list[str] | None = None) -> int:
    """The ``hipdrop`` command (the installed entry point): run the subcommand of ``argv`` and return its exit
    status (``EXIT_OK``, ``EXIT_UNUSABLE_INPUT`` or ``EXIT_USAGE``)."""
    args = build_parser().parse_args(argv)
    for stream in (sys.stdout, sys.stderr):  # a corrupt file's labels may hold bytes no encoding takes: escape them
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    # a damaged file's NaN and overflowing samples are found and reported by the analysis: numpy's warnings about
    # them would only bury that report on stderr
    with np.errstate(all="ignore"):
        try:
            return args.run(args)
        except ConfigError as err:
            print(f"hipdrop {args.command}: {err}", file=sys.stderr)
            return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
