"""Does the simulated cohort run like real runners? A leave-one-file-out check of the obliquity template.

    python benchmarks/simulator_realism.py [--band-runners 40] [--json out.json]

For each running file of the corpus (scripts/learn_obliquity_template.py, RUNNING_FILES) the template is learned
from the *other* files, the demo's baseline (``CohortSpec()``: 8 runners x 30 s, seed 2026) is simulated with it
and analysed by ``hipdrop.trial.process.process_trial``, and its mean stance-side obliquity curve (mean of the runners'
means, both sides pooled) is compared with the held-out file's (its two sides' means pooled): Pearson r, RMS
difference (deg), and the simulated curve's value at strike and toe-off. A band of ``--band-runners`` simulated
runners (10 s baseline trials, other seeds) gives the 5-95 % range of runner-side means; each side of the held-out
file is scored by the share of 0-100 % stance it spends inside. The packaged model (all files) is scored the same
way, in sample. docs/science.md section 11 and issue 25's Done-when quote the result.
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


def side_means(path, config=None) -> dict:
    """Mean stance-side obliquity over 0-100 % stance (101 points) of each side's included stances."""
    result = process_trial(path, config=config)
    assert result.ok, result.failure
    curves, stances = result.curves.to_numpy(), result.stances
    return {side: curves[((stances.side == side) & ~stances.excluded).to_numpy()].mean(axis=0) for side in ("L", "R")}


def simulated_baselines(template: str, folder: Path, *, runners: int, duration_s: float, seed: int) -> list[dict]:
    """Side means of each simulated runner's baseline trial (the seeds simulate_cohort gives it)."""
    spec = CohortSpec(n_subjects=runners, duration_s=duration_s, seed=seed, template=template)
    out = []
    for i in range(runners):
        runner = draw_runner(np.random.default_rng([spec.seed, i]), spec)
        sim = simulate_trial(np.random.default_rng([spec.seed, i, 0, 1]), spec=spec, runner=runner, condition="baseline")
        path = folder / f"S{i + 1:02d}_baseline_1.c3d"
        write_c3d(path, sim["markers"], list(MARKERS), rate_hz=spec.rate_hz, events=sim["events"])
        out.append(side_means(path))
    return out


def score(template: str, held_out: dict, band_runners: int) -> dict:
    """The demo's baseline mean against each held-out file, and each held-out side against the band."""
    with tempfile.TemporaryDirectory() as tmp:
        demo = simulated_baselines(template, Path(tmp), runners=8, duration_s=30.0, seed=2026)
        band = simulated_baselines(template, Path(tmp), runners=band_runners, duration_s=10.0, seed=99)
    sim_mean = np.mean([(m["L"] + m["R"]) / 2 for m in demo], axis=0)
    low, high = np.percentile([m[s] for m in band for s in ("L", "R")], [5, 95], axis=0)
    rows = {}
    for name, sides in held_out.items():
        real = (sides["L"] + sides["R"]) / 2
        rows[name] = {
            "r": round(float(np.corrcoef(sim_mean, real)[0, 1]), 3),
            "rms_deg": round(float(np.sqrt(np.mean((sim_mean - real) ** 2))), 2),
            "sim_strike_deg": round(float(sim_mean[0]), 2), "sim_toe_off_deg": round(float(sim_mean[-1]), 2),
            "real_strike_deg": round(float(real[0]), 2), "real_toe_off_deg": round(float(real[-1]), 2),
            "inside_band_pct": {s: round(float(np.mean((v >= low) & (v <= high)) * 100), 1) for s, v in sides.items()},
        }
    return {"sim_mean": np.round(sim_mean, 3).tolist(), "band": [np.round(low, 3).tolist(), np.round(high, 3).tolist()],
            "files": rows}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--band-runners", type=int, default=40)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    extracted = extract()
    config = {"events": {"sources": ["force", "c3d", "kinematic"]}}  # as the template was learned
    real = {name: side_means(corpus_path(name), config) for name in RUNNING_FILES}
    report = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in RUNNING_FILES:
            model = Path(tmp) / "model.json"
            model.write_text(json.dumps(learn({k: v for k, v in extracted.items() if k != name})))
            load_template.cache_clear()
            report[f"without {name}"] = score(str(model), {name: real[name]}, args.band_runners)
    report["packaged (all files, in sample)"] = score("", real, args.band_runners)
    for fold, result in report.items():
        print(fold)
        for name, row in result["files"].items():
            print(f"  {name}: {row}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
