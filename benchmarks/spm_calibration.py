"""SPM's calibration, measured: how often the workflow's SPM finds a cluster with no true effect, and how often it
finds the +10 % cadence effect, on simulated studies.

    python benchmarks/spm_calibration.py [--studies 100] [--subjects 8] [--duration 8] [--cores 1] [--seed 20000]
                                         [--source curves|c3d] [--sets effects,null] [--out DIR]

Each study: ``hipdrop.simulate.running`` simulates a cohort (a new seed per study; every runner runs the 4
conditions once), then ``hipdrop.stats.waveforms.spm_against_baseline`` runs with the workflow's own settings
(config ``stats.alpha`` 0.05 two-tailed, ``stats.min_subjects`` 3, ``stances.curve_points`` 101; runner means
over both sides' included stances; paired SPM{t} against baseline; RFT threshold). Two sets: every true effect zero
(false-cluster rate: the share of tests with any supra-threshold cluster, per condition, and the share of studies
with one in any of the 3 conditions) and the simulator's default effects (detection: the share of tests with a
cluster, and with a "less drop" cluster, of each condition; the +10 % cadence effect is -1.5 deg at target,
about -1.31 deg at the cadence runners achieve, over the first half of stance, fading out by foot off). Every share
has its exact (Clopper-Pearson) binomial 95 % CI.

Curves:
- ``--source curves`` (default): the curve-level shortcut. The same simulated pelvis as the C3D files
  (``simulate_trial`` with the cohort's runners and trial streams), its stance-side obliquity read from the written
  pelvis markers without marker noise or gaps (asin of the inter-ASIS axis' vertical component: the `rot`
  obliquity, exactly the simulated one, docs/science.md section 2) at 0-100 % of each stance between the true
  strike and foot off. What it leaves out: marker noise, gaps, the filter and event detection.
- ``--source c3d``: the whole route, curves from ``process_trial`` on the C3D files (``analyse_trials``).

Also prints the residuals' estimated smoothness (FWHM, in samples of the 101) that RFT used, its spread, and
the share of null tests where the paired changes' t curve crosses the threshold, by where in stance the cluster
lies. Not part of the test run.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calibration import in_fresh_pools, study_jobs  # noqa: E402

#: the workflow's settings (config/config.yaml: stats.alpha, stats.min_subjects, stances.curve_points)
ALPHA, MIN_SUBJECTS, CURVE_POINTS = 0.05, 3, 101


def _obliquity_r(markers: np.ndarray) -> np.ndarray:
    """Right-side-up pelvic obliquity (deg) of the written pelvis markers: minus the elevation of the inter-ASIS
    axis (LASI - RASI) above the horizontal (docs/science.md section 2, `rot` obliquity)."""
    from hipdrop.simulate.running import MARKERS

    axis = markers[:, MARKERS.index("LASI")] - markers[:, MARKERS.index("RASI")]
    return -np.degrees(np.arcsin(axis[:, 2] / np.linalg.norm(axis, axis=1)))


def curve_study(spec) -> xr.DataArray:
    """The stance-side obliquity curves ``[stance, pct]`` of ``simulate_cohort(spec)``'s runners and trials, from the
    simulated pelvis (no marker noise, no gaps, true events; module docstring)."""
    from dataclasses import replace

    from hipdrop.simulate.running import CONDITIONS, draw_runner, simulate_trial
    from hipdrop.vocab import PCT, STANCE

    clean = replace(spec, marker_noise_mm=0.0, gaps=False)  # drawn after the pelvis: the same pelvis
    pct = np.linspace(0.0, 100.0, CURVE_POINTS)
    blocks, subjects, conditions = [], [], []
    for i in range(spec.n_subjects):
        runner = draw_runner(np.random.default_rng([spec.seed, i]), spec)
        for c, condition in enumerate(CONDITIONS):
            sim = simulate_trial(np.random.default_rng([spec.seed, i, c, 1]), spec=clean, runner=runner,
                                 condition=condition)
            t = (np.arange(sim["markers"].shape[0]) + 1) / spec.rate_hz
            oblique = _obliquity_r(sim["markers"])
            for st in sim["stances"].itertuples():
                sign = 1.0 if st.side == "R" else -1.0
                blocks.append(sign * np.interp(st.strike_s + pct / 100 * (st.off_s - st.strike_s), t, oblique))
                subjects.append(f"S{i + 1:02d}")
                conditions.append(condition)
    n = len(blocks)
    return xr.DataArray(np.array(blocks), dims=(STANCE, PCT),
                        coords={STANCE: np.arange(n), PCT: pct, "subject": (STANCE, subjects),
                                "condition": (STANCE, conditions), "excluded": (STANCE, np.zeros(n, bool))})


def c3d_curves(spec) -> xr.DataArray:
    """The curves of ``simulate_cohort(spec)``'s C3D files through ``analyse_trials`` (the whole per-trial route)."""
    import tempfile

    from hipdrop.cohort.batches import analyse_trials
    from hipdrop.config import load_sheet, validate_config
    from hipdrop.simulate.running import simulate_cohort

    with tempfile.TemporaryDirectory() as tmp:
        simulate_cohort(tmp, spec)
        out = analyse_trials(load_sheet(Path(tmp) / "trials.tsv"), config=validate_config({}), workers=1)
    return out["curves"]


def _fwhm(ya: np.ndarray, yb: np.ndarray) -> float:
    """The residuals' smoothness (FWHM, samples) spm1d estimates for the paired test."""
    import spm1d

    d = ya - yb
    return float(spm1d.rft1d.geom.estimate_fwhm(d - d.mean(axis=0)))


def one_study(job: tuple) -> pd.DataFrame:
    """One study's SPM per condition: any cluster, any "less drop" cluster, the threshold, clusters' places."""
    seed, null, subjects, duration, source = job
    from hipdrop.simulate.running import CohortSpec
    from hipdrop.stats.waveforms import LESS_DROP, spm_against_baseline

    warnings.simplefilter("ignore")
    spec = CohortSpec(n_subjects=subjects, duration_s=duration, seed=seed)
    if null:
        spec.effects_deg = dict.fromkeys(spec.effects_deg, 0.0)
    curves = curve_study(spec) if source == "curves" else c3d_curves(spec)
    result = spm_against_baseline(curves, baseline="baseline", alpha=ALPHA, min_subjects=MIN_SUBJECTS)
    rows = []
    for condition, mine in result.clusters.groupby("condition"):
        found = mine[mine["cluster"] > 0]
        kept = [s for s in result.means["subject"].values
                if np.isfinite(result.means.sel(condition=[condition, "baseline"], subject=s)).all()]
        ya = result.means.sel(condition=condition, subject=kept).to_numpy()
        yb = result.means.sel(condition="baseline", subject=kept).to_numpy()
        rows.append({"seed": seed, "null": null, "condition": condition, "n_subjects": int(mine["n_subjects"].iloc[0]),
                     "estimable": bool(mine["estimable"].iloc[0]), "cluster": len(found) > 0,
                     "less_drop": bool((found["direction"] == LESS_DROP).any()),
                     "threshold_t": float(mine["threshold_t"].iloc[0]), "fwhm": _fwhm(ya, yb),
                     "starts": ";".join(f"{v:.0f}" for v in found["start_pct"]),
                     "ends": ";".join(f"{v:.0f}" for v in found["end_pct"])})
    return pd.DataFrame(rows)


def share_ci(hits: pd.Series) -> pd.Series:
    """The share of True in ``hits`` with its exact binomial 95 % CI."""
    from scipy.stats import binomtest

    k, n = int(hits.sum()), int(hits.size)
    ci = binomtest(k, n).proportion_ci(0.95, method="exact")
    return pd.Series({"share": k / n, "ci_low": ci.low, "ci_high": ci.high, "k": k, "n": n})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=100, help="studies per set (with effects, and null)")
    parser.add_argument("--subjects", type=int, default=8)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per trial")
    parser.add_argument("--cores", type=int, default=1)
    parser.add_argument("--seed", type=int, default=20_000, help="first study's seed")
    parser.add_argument("--sets", default="effects,null", help="which sets: effects, null or both")
    parser.add_argument("--source", choices=("curves", "c3d"), default="curves")
    parser.add_argument("--out", type=Path, help="folder for the per-study CSV")
    args = parser.parse_args()
    start = time.perf_counter()
    # imported once here: the forked workers share it (and one simulator version, whatever is edited meanwhile)
    import hipdrop.simulate.running  # noqa: F401
    import hipdrop.stats.waveforms  # noqa: F401

    results = in_fresh_pools(one_study, study_jobs(args), cores=args.cores)
    table = pd.concat(results, ignore_index=True)
    print(f"{args.studies} studies per set ({args.sets}) of {args.subjects} runners x 4 conditions x "
          f"{args.duration:g} s, curves from {args.source}, SPM alpha {ALPHA} two-tailed, "
          f"in {time.perf_counter() - start:.0f} s\n")
    ok = table[table["estimable"]]
    for null, name in ((True, "no true effect: share of tests with any cluster (false-cluster rate, target 0.05)"),
                       (False, "default effects: share of tests with any cluster / with a less-drop cluster")):
        part = ok[ok["null"] == null]
        if part.empty:
            continue
        print(name + ":")
        per = part.groupby("condition")["cluster"].apply(share_ci).unstack()
        per.loc["(3 conditions pooled)"] = share_ci(part["cluster"])
        per.loc["(any of the 3, per study)"] = share_ci(part.groupby("seed")["cluster"].any())
        if not null:
            less = part.groupby("condition")["less_drop"].apply(share_ci).unstack()
            per = per.join(less.add_prefix("less_drop_"))
        print(per.round(3).to_string() + "\n")
        smooth = part.groupby("condition")[["fwhm", "threshold_t"]].describe(percentiles=[0.1, 0.5, 0.9])
        print("residual smoothness FWHM (samples of 101) and threshold t*:\n"
              + smooth.loc[:, (slice(None), ["mean", "10%", "50%", "90%"])].round(2).to_string() + "\n")
        if null:
            starts = [float(s) for row in part["starts"] for s in str(row).split(";") if s and s != "nan"]
            ends = [float(s) for row in part["ends"] for s in str(row).split(";") if s and s != "nan"]
            if starts:
                print("null clusters (start-end % of stance): "
                      + ", ".join(f"{a:.0f}-{b:.0f}" for a, b in zip(starts, ends)) + "\n")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.out / f"spm_calibration_{args.source}_{args.subjects}.csv", index=False)


if __name__ == "__main__":
    main()
