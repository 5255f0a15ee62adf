"""Learn the simulator's pelvic-obliquity template from real running files, through hipdrop's own pipeline.

    python scripts/learn_obliquity_template.py                      # learn from every running file, write the model
    python scripts/learn_obliquity_template.py --leave-out FILE ... # learn without FILE(s) (to check against them)
    python scripts/learn_obliquity_template.py --check              # leave-one-file-out check (docs/science.md 11)

Each file goes through ``hipdrop.trial.process.process_trial`` (force-plate events first where a file has plates, then
its stored events, then the markers'), so the template is what hipdrop measures, filter included. A *half-cycle*
is one stance of side S (strike to foot off, ``STANCE_POINTS`` samples) and the flight after it (foot off to the
other foot's strike, ``FLIGHT_POINTS``), as the S-side obliquity (positive: S up, the other side dropped). Per file
the two sides' means differ by a constant, the runner's left/right tilt (``offset``: + right side up); with it
removed the runner's mean half-cycle is symmetric. The model (``hipdrop/data/obliquity_template.json``):

- ``mean``: the mean over runners (files weigh equally) of their symmetric mean half-cycles;
- ``runner_components`` / ``runner_sd``: principal components of the runners' deviations from it, with their SDs;
- ``stride_components`` / ``stride_sd``: principal components of each half-cycle's deviation from its own
  runner-side mean (stride-to-stride variation; mostly from the long treadmill trial), with their SDs;
- ``offset_sd_deg``: the SD of the runners' left/right tilt;
- ``sources``: which files, how many half-cycles each, their stance time, cadence and mean curve.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.corpus finds the files of the corpus

from hipdrop.trial.process import process_trial  # noqa: E402
from tests.corpus import corpus_path, missing_reason  # noqa: E402

#: the running files of the corpus with pelvis markers (RIC_20140515T133244_run has technical clusters only; the
#: treadmill files under pig/ are walking: 0.7 s stances)
RUNNING_FILES = ("running/RBDS001runT35.c3d", "running/opensim_jogging.c3d", "running/dorn_JA1Gait35.c3d",
                 "running/flash_maxSprint.c3d")
STANCE_POINTS, FLIGHT_POINTS = 51, 11
#: a flight longer than this (s) is no flight between two running stances
MAX_FLIGHT_S = 0.25
#: share of the variance the kept components explain
KEEP_VARIANCE = 0.95
MAX_STRIDE_COMPONENTS = 6
OUT = ROOT / "src" / "hipdrop" / "data" / "obliquity_template.json"
CONFIG = {"events": {"sources": ["force", "c3d", "kinematic"]}}


def half_cycles(path: Path) -> dict:
    """Every included stance of the file as a half-cycle (NaN flight where the other foot's next strike is not in
    the recording), with its side, stance time and the file's cadence."""
    result = process_trial(path, config=CONFIG)
    if not result.ok:
        raise RuntimeError(f"{path}: {result.failure}")
    obliquity = result.pelvis["obliquity"]
    time = obliquity["time"].to_numpy()
    strikes = result.events[result.events.event == "foot_strike"]
    rows, sides, stance_s = [], [], []
    for st in result.stances[~result.stances.excluded].itertuples():
        s_side = obliquity.sel(side=st.side).to_numpy()
        stance = np.interp(np.linspace(st.strike_s, st.off_s, STANCE_POINTS), time, s_side)
        other = strikes[(strikes.side != st.side) & (strikes.time_s > st.off_s)].time_s
        flight = np.full(FLIGHT_POINTS, np.nan)
        if len(other) and other.min() - st.off_s < MAX_FLIGHT_S:
            flight = np.interp(np.linspace(st.off_s, other.min(), FLIGHT_POINTS), time, s_side)
        rows.append(np.concatenate([stance, flight[1:]]))
        sides.append(st.side)
        stance_s.append(st.stance_time_s)
    included = result.stances[~result.stances.excluded]
    return {"curves": np.array(rows), "sides": np.array(sides), "stance_s": float(np.mean(stance_s)),
            "cadence_spm": float(np.nanmedian(included.cadence_spm)), "event_source": result.meta["event_source"]}


def _nan_mean(rows: np.ndarray) -> np.ndarray:
    """Mean over rows ignoring NaN, NaN where a column has none (a side whose flights all run past the recording)."""
    n = np.isfinite(rows).sum(axis=0)
    return np.where(n > 0, np.nansum(rows, axis=0) / np.maximum(n, 1), np.nan)


def _components(deviations: np.ndarray, n_samples: int, most: int) -> tuple[np.ndarray, np.ndarray]:
    """Principal components (rows) of ``deviations`` [sample, point] and their SDs, enough for KEEP_VARIANCE."""
    _, s, vt = np.linalg.svd(deviations, full_matrices=False)
    sd = s / np.sqrt(max(n_samples - 1, 1))
    share = np.cumsum(sd**2) / np.sum(sd**2)
    keep = min(int(np.searchsorted(share, KEEP_VARIANCE)) + 1, most, len(sd))
    return vt[:keep], sd[:keep]


def extract(files=RUNNING_FILES) -> dict:
    """``half_cycles`` of each file, by its corpus name."""
    found = {}
    for name in files:
        path = corpus_path(name)
        if path is None:
            raise SystemExit(missing_reason(name))
        found[name] = half_cycles(path)
    return found


def learn(extracted: dict) -> dict:
    """The model from ``extract``'s half-cycles (files weigh equally in the mean and the runner components)."""
    runners, strides, sources = [], [], []
    for name, hc in extracted.items():
        side_means = {s: _nan_mean(hc["curves"][hc["sides"] == s]) for s in ("L", "R")}
        offset = float(np.nanmean(side_means["R"] - side_means["L"]) / 2)  # + right side up
        # where one side has no flight (the recording ends first), the other side's gives the runner's
        symmetric = _nan_mean(np.array([side_means["R"] - offset, side_means["L"] + offset]))
        runners.append(symmetric)
        for s in ("L", "R"):
            own = hc["curves"][hc["sides"] == s]
            strides += list(own - side_means[s])
        sources.append({"file": name, "half_cycles": len(hc["curves"]),
                        "with_flight": int(np.isfinite(hc["curves"][:, -1]).sum()), "event_source": hc["event_source"],
                        "stance_s": round(hc["stance_s"], 4), "cadence_spm": round(hc["cadence_spm"], 1),
                        "offset_deg": round(offset, 3), "mean": np.round(symmetric, 3).tolist()})
    runners = np.array(runners)
    mean = runners.mean(axis=0)
    runner_pc, runner_sd = _components(runners - mean, len(runners), len(runners) - 1)
    complete = np.array([s for s in strides if np.isfinite(s).all()])
    stride_pc, stride_sd = _components(complete, len(complete), MAX_STRIDE_COMPONENTS)
    offsets = [s["offset_deg"] for s in sources]
    return {
        "description": "stance-side pelvic obliquity (deg, + = the stance side up) over one half-cycle: stance "
                       f"(strike to foot off, {STANCE_POINTS} points) then flight (foot off to the other foot's "
                       f"strike, {FLIGHT_POINTS - 1} points after foot off); learned by "
                       "scripts/learn_obliquity_template.py through hipdrop.trial.process.process_trial",
        "stance_points": STANCE_POINTS, "flight_points": FLIGHT_POINTS,
        "mean": np.round(mean, 4).tolist(),
        "runner_components": np.round(runner_pc, 5).tolist(), "runner_sd": np.round(runner_sd, 4).tolist(),
        "stride_components": np.round(stride_pc, 5).tolist(), "stride_sd": np.round(stride_sd, 4).tolist(),
        # about the runners' own mean (ddof 1); about zero (no side favoured in a population) it would be 1.86 deg, not
        # 2.02, and the simulated runner-sides would cover less of the real ones (benchmarks/simulator_realism.py:
        # RBDS001runT35's right side inside the band over 50 % of stance, not 57 %; dorn's right 54 %, not 72 %)
        "offset_sd_deg": round(float(np.std(offsets, ddof=1)) if len(offsets) > 1 else 0.0, 3),
        "n_runners": len(runners), "n_half_cycles": int(sum(s["half_cycles"] for s in sources)),
        "n_stride_deviations": len(complete), "sources": sources,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leave-out", nargs="*", default=[], help="corpus files to learn without")
    parser.add_argument("-o", "--output", type=Path, default=OUT)
    args = parser.parse_args(argv)
    files = [f for f in RUNNING_FILES if f not in args.leave_out]
    model = learn(extract(files))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(model, indent=1) + "\n")
    print(f"{args.output}: {model['n_runners']} runners, {model['n_half_cycles']} half-cycles, "
          f"{len(model['runner_sd'])} runner and {len(model['stride_sd'])} stride components")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
