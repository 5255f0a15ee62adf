"""The ``hipdrop`` command: ``inspect`` a C3D file, analyse one ``trial``, ``simulate`` a cohort."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from hipdrop.config import ConfigError, load_config


def _inspect(args) -> int:
    from hipdrop.errors import TrialError
    from hipdrop.io.c3d import events_table, read_c3d

    try:
        trial = read_c3d(args.file)
    except TrialError as err:
        report = {"file": str(args.file), "readable": False, "stage": err.stage, "problem": err.reason}
        print(json.dumps(report, indent=1) if args.json else f"{args.file}: cannot be read: {err.reason}")
        return 1
    markers = trial["markers"]
    missing = markers.isnull().any("axis").mean("time").to_series()
    events = events_table(trial)
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
    }
    if args.json:
        print(json.dumps(report, indent=1, default=float))
        return 0
    print(f"{report['file']}\n  {report['frames']} frames at {report['rate_hz']:g} Hz ({report['duration_s']} s), "
          f"first frame {report['first_frame']}, units {report['units']}, vertical axis {report['vertical_axis']}")
    mapped = ", ".join(f"{k}->{v}" if k != v else v for k, v in report["mapped_markers"].items())
    print(f"  {report['markers']} markers; recognised: {mapped or 'none'}")
    gaps = ", ".join(f"{k} {100 * v:.1f}%" for k, v in sorted(report["missing_fraction"].items(), key=lambda kv: -kv[1])[:15])
    print(f"  missing samples: {gaps or 'none'}")
    ev = ", ".join(f"{r['side']} {r['event']} x{r['n']}" for r in report["events"])
    print(f"  events: {ev or 'none'}\n  force plates: {report['force_plates']}")
    for w in report["warnings"]:
        print(f"  warning: {w}")
    return 0


def _trial(args) -> int:
    from hipdrop.io.results import write_netcdf, write_table
    from hipdrop.pipeline import process_trial

    config = load_config(args.config)
    if args.sequence:
        config["pelvis"]["sequence"] = args.sequence
    if args.events and args.events != "auto":
        config["events"]["sources"] = [args.events]
    result = process_trial(args.file, config=config)
    if not result.ok:
        print(f"{args.file}: {result.failure.stage}: {result.failure.reason}", file=sys.stderr)
        return 2
    out = Path(args.output)
    write_table(result.events, out / "events.csv")
    write_table(result.stances, out / "stances.csv")
    pelvis = result.pelvis.assign_attrs({k: v for k, v in result.meta.items() if v is not None})
    write_netcdf(pelvis, out / "pelvis.nc")
    kept = result.stances[~result.stances["excluded"]]
    print(f"{args.file}: {len(result.stances)} stances ({len(kept)} included), events from {result.meta['event_source']}; "
          f"peak drop L {kept.loc[kept.side == 'L', 'cpd_peak_deg'].mean():.2f} deg, "
          f"R {kept.loc[kept.side == 'R', 'cpd_peak_deg'].mean():.2f} deg; wrote {out}/")
    return 0


def _simulate(args) -> int:
    from hipdrop.simulate import CohortSpec, simulate_cohort

    spec = CohortSpec(
        n_subjects=args.subjects, trials_per_condition=args.trials_per_condition, duration_s=args.duration,
        rate_hz=args.rate, seed=args.seed, variation=not args.no_variation, events=not args.no_events,
        force_plate=args.force_plate, arm_swing_cadence_pct=args.arm_swing_cadence_pct,
    )
    if args.no_effects:
        spec.effects_deg = dict.fromkeys(spec.effects_deg, 0.0)
    sheet = simulate_cohort(args.directory, spec)
    print(f"{len(sheet)} trials of {spec.n_subjects} runners in {args.directory} (trials.tsv, truth.json)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hipdrop", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("inspect", help="what a C3D file holds and how hipdrop reads it")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=_inspect)

    p = sub.add_parser("trial", help="analyse one C3D file: events.csv, stances.csv, pelvis.nc")
    p.add_argument("file")
    p.add_argument("-o", "--output", required=True, help="output folder")
    p.add_argument("--config", help="config YAML (defaults: workflow/schemas/config.schema.yaml)")
    p.add_argument("--sequence", choices=["rot", "tor"])
    p.add_argument("--events", choices=["auto", "c3d", "force", "kinematic"], default="auto")
    p.set_defaults(run=_trial)

    p = sub.add_parser("simulate", help="write a simulated running cohort as C3D files with its truth")
    p.add_argument("directory")
    p.add_argument("--subjects", type=int, default=8)
    p.add_argument("--trials-per-condition", type=int, default=1)
    p.add_argument("--duration", type=float, default=30.0, help="seconds per trial")
    p.add_argument("--rate", type=float, default=200.0, help="frame rate (Hz)")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--no-variation", action="store_true", help="no subject, stride, timing or marker variation")
    p.add_argument("--no-events", action="store_true", help="leave the EVENT group out")
    p.add_argument("--force-plate", action="store_true", help="add a treadmill force plate")
    p.add_argument("--no-effects", action="store_true",
                   help="every condition's true effect on peak drop is 0 (runners still differ): for type-I error checks")
    p.add_argument("--arm-swing-cadence-pct", type=float, default=0.0, metavar="P",
                   help="the arm-swing condition also changes cadence by P %% (a confound the design check must flag)")
    p.set_defaults(run=_simulate)

    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except ConfigError as err:
        print(f"hipdrop: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
