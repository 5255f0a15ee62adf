"""Does the simulated cohort run like real runners? A leave-one-file-out check of the obliquity template.

    python benchmarks/simulator_realism.py [--band-runners 40] [--json out.json]

For each running file of the corpus (scripts/learn_obliquity_template.py, RUNNING_FILES) the template is learned
from the *other* files, the demo's baseline (``CohortSpec()``: 8 runners x 30 s, seed 2026) is simulated with it
and analysed by ``hipdrop.trial.process.process_trial``, and its mean stance-side obliquity curve (mean of the runners'
means, both sides pooled) is compared with the held-out file's (its two sides' means pooled): Pearson r, RMS
difference (deg), and the simulated curve's value at strike and toe-off. Beside it, ``reference``: the same figures
for the mean of the other real files' curves, the best a template that is their mean can do (a held-out shape that
no other file shows cannot be learned from them); and the real files' pairwise r.

A band of ``--band-runners`` simulated runners (10 s baseline trials, other seeds) gives the 5-95 % range of
runner-side means; each side of the held-out file is scored by the share of 0-100 % stance it spends inside. A real
side's mean over k stances carries k stances' stride-to-stride variation, so the band it is scored against is of
simulated means over k consecutive stances too (the sprints have k = 2, the jog k = 1; RBDS 42-43, where every
simulated side's 10 s mean is used). Side differences: each real file's left minus right peak of its side means
against the simulated runners' (band runners, 10 s), whose spread comes from the runner's left/right tilt
(``offset_sd_deg``) and shape. The packaged model (all files) is scored the same way, in sample. docs/science.md
section 11 and issue 25's Done-when quote the result.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

from learn_obliquity_template import RUNNING_FILES, extract, learn  # noqa: E402

from hipdrop.io.c3d.reader import write_c3d  # noqa: E402
from hipdrop.simulate.obliquity import load_template  # noqa: E402
from hipdrop.simulate.running import MARKERS, CohortSpec, draw_runner, simulate_trial  # noqa: E402
from hipdrop.trial.process import process_trial  # noqa: E402
from tests.corpus import corpus_path  # noqa: E402


def side_curves(path, config=None) -> dict:
    """Stance-side obliquity over 0-100 % stance (101 points) of each side's included stances, [stance, point]."""
    result = process_trial(path, config=config)
    assert result.ok, result.failure
    curves, stances = result.curves.to_numpy(), result.stances
    return {side: curves[((stances.side == side) & ~stances.excluded).to_numpy()] for side in ("L", "R")}


def pooled(sides: dict) -> np.ndarray:
    """The mean of the two sides' means."""
    return (sides["L"].mean(axis=0) + sides["R"].mean(axis=0)) / 2


def shape_figures(sim: np.ndarray, real: np.ndarray) -> dict:
    """Pearson r and RMS difference (deg) of two curves."""
    return {"r": round(float(np.corrcoef(sim, real)[0, 1]), 3), "rms_deg": round(float(np.sqrt(np.mean((sim - real) ** 2))), 2)}


def k_stance_means(band: list[dict], k: int) -> np.ndarray:
    """[mean, point] means of k consecutive stances of every simulated runner-side (every side's whole mean when k
    is at least its stance count)."""
    out = []
    for runner in band:
        for curves in runner.values():
            step = min(k, len(curves))
            out += [curves[i : i + step].mean(axis=0) for i in range(0, len(curves) - step + 1, step)]
    return np.array(out)


def simulated_baselines(template: str, folder: Path, *, runners: int, duration_s: float, seed: int) -> list[dict]:
    """Side curves of each simulated runner's baseline trial (the seeds simulate_cohort gives it)."""
    spec = CohortSpec(n_subjects=runners, duration_s=duration_s, seed=seed, template=template)
    out = []
    for i in range(runners):
        runner = draw_runner(np.random.default_rng([spec.seed, i]), spec)
        sim = simulate_trial(np.random.default_rng([spec.seed, i, 0, 1]), spec=spec, runner=runner, condition="baseline")
        path = folder / f"S{i + 1:02d}_baseline_1.c3d"
        write_c3d(path, sim["markers"], list(MARKERS), rate_hz=spec.rate_hz, events=sim["events"])
        out.append(side_curves(path))
    return out


def side_difference(sides: dict) -> float:
    """Left minus right peak (deg) of a runner's two side means."""
    return float(sides["L"].mean(axis=0).max() - sides["R"].mean(axis=0).max())


def score(template: str, held_out: dict, band_runners: int, others: dict) -> dict:
    """The demo's baseline mean against each held-out file (and the mean of ``others``, the real files it was
    learned from, against it), and each held-out side against the band of as many stances."""
    with tempfile.TemporaryDirectory() as tmp:
        demo = simulated_baselines(template, Path(tmp), runners=8, duration_s=30.0, seed=2026)
        band = simulated_baselines(template, Path(tmp), runners=band_runners, duration_s=10.0, seed=99)
    sim_mean = np.mean([pooled(m) for m in demo], axis=0)
    differences = np.abs([side_difference(m) for m in band])
    rows = {}
    for name, sides in held_out.items():
        real = pooled(sides)
        inside = {}
        for s, curves in sides.items():
            low, high = np.percentile(k_stance_means(band, len(curves)), [5, 95], axis=0)
            v = curves.mean(axis=0)
            inside[s] = round(float(np.mean((v >= low) & (v <= high)) * 100), 1)
        reference = [pooled(v) for k, v in others.items() if k != name]
        rows[name] = {
            **shape_figures(sim_mean, real),
            "sim_strike_deg": round(float(sim_mean[0]), 2), "sim_toe_off_deg": round(float(sim_mean[-1]), 2),
            "real_strike_deg": round(float(real[0]), 2), "real_toe_off_deg": round(float(real[-1]), 2),
            "stances": {s: len(c) for s, c in sides.items()}, "inside_band_pct": inside,
            "reference": shape_figures(np.mean(reference, axis=0), real) if reference else None,
            "side_difference_deg": round(side_difference(sides), 2),
            "sim_side_difference_above_pct": round(float(np.mean(differences > abs(side_difference(sides))) * 100), 1),
        }
    low, high = np.percentile(k_stance_means(band, 10**6), [5, 95], axis=0)
    return {"sim_mean": np.round(sim_mean, 3).tolist(), "band": [np.round(low, 3).tolist(), np.round(high, 3).tolist()],
            "sim_abs_side_difference_deg": dict(zip(("p5", "p50", "p95", "max"),
                                                    np.round(np.percentile(differences, [5, 50, 95, 100]), 2).tolist())),
            "files": rows}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--band-runners", type=int, default=40)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    extracted = extract()
    config = {"events": {"sources": ["force", "c3d", "kinematic"]}}  # as the template was learned
    real = {name: side_curves(corpus_path(name), config) for name in RUNNING_FILES}
    names = list(real)
    report = {"real pairwise r": {a: {b: round(float(np.corrcoef(pooled(real[a]), pooled(real[b]))[0, 1]), 3)
                                      for b in names} for a in names}}
    with tempfile.TemporaryDirectory() as tmp:
        for name in RUNNING_FILES:
            model = Path(tmp) / "model.json"
            model.write_text(json.dumps(learn({k: v for k, v in extracted.items() if k != name})))
            load_template.cache_clear()
            report[f"without {name}"] = score(str(model), {name: real[name]}, args.band_runners, real)
    load_template.cache_clear()
    report["packaged (all files, in sample)"] = score("", real, args.band_runners, {})
    print("real files' pairwise r")
    for a, row in report["real pairwise r"].items():
        print(f"  {a}: " + " ".join(f"{v:6.3f}" for v in row.values()))
    for fold, result in report.items():
        if fold == "real pairwise r":
            continue
        print(fold, "simulated |L - R| peak difference, deg:", result["sim_abs_side_difference_deg"])
        for name, row in result["files"].items():
            print(f"  {name}: {row}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
