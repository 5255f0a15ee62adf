"""hipdrop beside what a researcher would write with the field's libraries: a minimal script per peer (read the C3D,
fill gaps, 15 Hz zero-lag low-pass, pelvic obliquity, each stance's peak), timed beside ``process_trial`` on the same
files, cpu-ms per trial as ratios measured in one run; the peers' obliquity and stance peaks compared with hipdrop's
(RMS, deg) and, on simulated trials, with the simulator's truth (bias, deg).

    python3.11 -m venv /work/peers-venv
    /work/peers-venv/bin/pip install -r benchmarks/requirements-peers.txt   # outside requirements.lock and .venv
    .venv/bin/python benchmarks/peers.py [--peers-python /work/peers-venv/bin/python] [--demo-trials 8] [--rounds 3]

Every peer uses hipdrop's own events (each stance's strike and foot off, the stances hipdrop keeps) and hipdrop's
reading of the file's labels and lab axes (which labels are LASI and RASI, which axis is up): the scripts measure
the signal path, not event detection. The obliquity is the Plug-in Gait pelvis's in Baker's ``rot`` sequence, which
for the obliquity is the vertical component of the unit vector from RASI to LASI (arcsin), positive when the side is
up; it needs no heading. The peers:
  - pyomeca: ``Markers.from_c3d``, ``.meca.interpolate_missing_data()``, ``.meca.low_pass(order=2, cutoff=15)``;
  - kineticstoolkit: ``ktk.read_c3d``, ``TimeSeries.fill_missing_samples``, ``ktk.filters.butter(filtfilt=True)``;
  - gaitalytics: its trial readers (markers, analogs and events, as ``load_c3d_trial`` reads them; its analysis
    mapping needs a lab's config and is left out), xarray's interpolation, scipy's ``filtfilt`` (it has no filter);
  - pycgm2 4.2 (the last release) does not install on Python 3.11: listed, not timed.
hipdrop's time is the whole ``process_trial`` (reading, plausibility, repair, low-pass with twicing, pelvis, events,
stances, compensations, QC), so it does more than any peer script. Each measurement runs in a fresh process of its
own environment; the first file's run (imports, first-use caches) is not counted. Files: the first --demo-trials
trials of a simulated cohort (``hipdrop simulate``) and the running trials of tests/data/c3d/running (static trials
left out). Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PEERS = ("pyomeca", "kineticstoolkit", "gaitalytics")
#: peers that cannot be measured here, and why
NOT_MEASURED = {"pycgm2 4.2": "does not install on Python 3.11 (its last release pins Python < 3.11 builds)"}
CUTOFF_HZ, ORDER = 15.0, 2


# --------------------------------------------------------------------------- the peer scripts (peers' environment)
def obliquity_left(lasi: np.ndarray, rasi: np.ndarray, lab_to_canonical: np.ndarray) -> np.ndarray:
    """Left-side obliquity (deg, positive when the left side is up) from LASI and RASI [n, 3] in the file's lab."""
    y = (lasi - rasi) @ lab_to_canonical.T
    y = y / np.linalg.norm(y, axis=1, keepdims=True)
    return np.degrees(np.arcsin(np.clip(y[:, 2], -1, 1)))


def stance_peaks(left: np.ndarray, stances: list) -> list[float]:
    """Each stance's peak of its own side's obliquity over [strike, off] (frame indices)."""
    return [float(np.nanmax(left[i0:i1 + 1] if side == "L" else -left[i0:i1 + 1])) for side, i0, i1 in stances]


def run_pyomeca(job: dict) -> np.ndarray:
    from pyomeca import Markers

    markers = Markers.from_c3d(job["path"])
    filled = markers.meca.interpolate_missing_data().ffill("time").bfill("time")  # ends: nearest value
    smooth = filled.meca.low_pass(order=ORDER, cutoff=CUTOFF_HZ, freq=job["rate_hz"])
    lasi, rasi = (smooth.sel(channel=job[k]).values[:3].T for k in ("lasi", "rasi"))
    return obliquity_left(lasi, rasi, np.array(job["lab_to_canonical"]).reshape(3, 3))


def run_kineticstoolkit(job: dict) -> np.ndarray:
    import kineticstoolkit as ktk

    points = ktk.read_c3d(job["path"], convert_point_unit=False)["Points"]
    points = points.get_subset([job["lasi"], job["rasi"]]) if hasattr(points, "get_subset") else points
    points = points.fill_missing_samples(max_missing_samples=int(0.1 * job["rate_hz"]))
    points = ktk.filters.butter(points, fc=CUTOFF_HZ, order=ORDER, filtfilt=True)
    lasi, rasi = (points.data[job[k]][:, :3] for k in ("lasi", "rasi"))
    return obliquity_left(lasi, rasi, np.array(job["lab_to_canonical"]).reshape(3, 3))


def run_gaitalytics(job: dict) -> np.ndarray:
    from gaitalytics import io as gio
    from scipy.signal import butter, filtfilt

    path = Path(job["path"])
    markers = gio.MarkersInputFileReader(path).get_markers()
    gio.AnalogsInputFileReader(path).get_analogs()
    try:
        gio.C3dEventInputFileReader(path).get_events()
    except Exception:  # noqa: BLE001 - a file without stored events: the script goes on with hipdrop's
        pass
    filled = markers.interpolate_na(dim="time").ffill("time").bfill("time")
    b, a = butter(ORDER, CUTOFF_HZ / (job["rate_hz"] / 2))
    smooth = filtfilt(b, a, filled.values, axis=filled.get_axis_num("time"))
    channels = list(filled["channel"].values)
    lasi, rasi = (smooth[:3, channels.index(job[k]), :].T for k in ("lasi", "rasi"))
    return obliquity_left(lasi, rasi, np.array(job["lab_to_canonical"]).reshape(3, 3))


def run_hipdrop(job: dict, _config={}):
    from hipdrop.config import validate_config
    from hipdrop.trial.process import process_trial

    if not _config:
        _config.update(validate_config(None))
    return process_trial(job["path"], config=_config, keep_pelvis=False)


TOOLS = {"hipdrop": run_hipdrop, "pyomeca": run_pyomeca, "kineticstoolkit": run_kineticstoolkit,
         "gaitalytics": run_gaitalytics}


def worker(tool: str, jobs: list[dict]) -> dict:
    """cpu-ms per file of ``tool`` on ``jobs`` (the first run of the first file, with its imports, not counted), and
    each file's obliquity and stance peaks (peers)."""
    run = TOOLS[tool]
    run(jobs[0])
    start = time.process_time()
    outputs = [run(job) for job in jobs]
    cpu_ms = 1000 * (time.process_time() - start) / len(jobs)
    if tool == "hipdrop":
        return {"cpu_ms": cpu_ms}
    return {"cpu_ms": cpu_ms, "files": [{"left": [float(v) if np.isfinite(v) else None for v in left],
                                         "peaks": stance_peaks(left, job["stances"])}
                                        for left, job in zip(outputs, jobs)]}


# --------------------------------------------------------------------------------- the driver (hipdrop's .venv)
def reference(paths: list[str]) -> list[dict]:
    """hipdrop's reading of each file: the labels of LASI and RASI, the lab axes, its kept stances (frame indices),
    its left obliquity and stance peaks."""
    from hipdrop.config import validate_config
    from hipdrop.io.c3d.reader import read_c3d
    from hipdrop.trial.process import process_trial

    config = validate_config(None)
    jobs = []
    for path in paths:
        trial = read_c3d(path)
        labels = {canonical: label for label, canonical in json.loads(trial.attrs["marker_map"] or "{}").items()}
        result = process_trial(path, config=config, keep_pelvis=True)
        if not result.ok:
            print(f"  {Path(path).name}: hipdrop could not analyse it ({result.failure.reason}); left out")
            continue
        time_s = trial["time"].values
        kept = result.stances[~result.stances["excluded"].astype(bool)]
        stances = [[side, int(np.searchsorted(time_s, strike - 1e-9)), int(np.searchsorted(time_s, off - 1e-9))]
                   for side, strike, off in zip(kept["side"], kept["strike_s"], kept["off_s"])]
        jobs.append({
            "path": path, "rate_hz": float(trial.attrs["rate_hz"]),
            "lab_to_canonical": [float(v) for v in trial.attrs["lab_to_canonical"]],
            "lasi": labels.get("LASI", "LASI"), "rasi": labels.get("RASI", "RASI"), "stances": stances,
            "hipdrop_left": result.pelvis["obliquity"].sel(side="L").values.tolist(),
            "hipdrop_peaks": kept["cpd_peak_deg"].tolist(), "strike_s": kept["strike_s"].tolist(),
        })
    return jobs


def measure(python: str, tool: str, jobs: list[dict], env: dict) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(jobs, handle)
    try:
        done = subprocess.run([python, __file__, "--worker", tool, handle.name], capture_output=True, text=True,
                              env=env)
    finally:
        os.unlink(handle.name)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def truth_peaks(cohort: Path, jobs: list[dict]) -> list[list[float]]:
    """The simulator's true peak for each of hipdrop's kept stances (matched by side and strike within 20 ms)."""
    truth = json.loads((cohort / "truth.json").read_text())
    by_trial = {}
    for row in truth["stances"]:
        by_trial.setdefault(f"{row['subject']}_{row['condition']}_{row['trial']}", []).append(row)
    out = []
    for job in jobs:
        rows = by_trial.get(Path(job["path"]).stem, [])
        peaks = []
        for (side, _, _), strike in zip(job["stances"], job["strike_s"]):
            near = [r for r in rows if r["side"] == side and abs(r["strike_s"] - strike) < 0.02]
            peaks.append(near[0]["cpd_peak_deg"] if near else np.nan)
        out.append(peaks)
    return out


def rms(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    ok = np.isfinite(a) & np.isfinite(b)
    return float(np.sqrt(np.mean((a[ok] - b[ok]) ** 2))) if ok.any() else np.nan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--peers-python", default="/work/peers-venv/bin/python",
                        help="python of the environment with benchmarks/requirements-peers.txt")
    parser.add_argument("--demo-trials", type=int, default=8, help="simulated trials timed (the first N)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, every tool once per round per file set")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        tool, job_file = args.worker
        print(json.dumps(worker(tool, json.loads(Path(job_file).read_text()))))
        return

    with tempfile.TemporaryDirectory(prefix="hipdrop-peers-") as tmp:
        cohort = Path(tmp) / "demo"
        subprocess.run([str(Path(sys.executable).with_name("hipdrop")), "simulate", str(cohort)], check=True,
                       capture_output=True)
        demo = sorted(str(p) for p in cohort.glob("*.c3d"))[: args.demo_trials]
        real = sorted(str(p) for p in (ROOT / "tests" / "data" / "c3d" / "running").glob("*.c3d")
                      if "static" not in p.name.lower())
        sets = {"demo": reference(demo)} | {Path(p).stem: jobs for p in real if (jobs := reference([p]))}
        truth = truth_peaks(cohort, sets["demo"])
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        pythons = {"hipdrop": sys.executable, **{peer: args.peers_python for peer in PEERS}}
        runs = {(name, tool): [] for name in sets for tool in pythons}
        for _ in range(args.rounds):  # every tool on every set, round after round: the load's drift falls on all
            for name, jobs in sets.items():
                for tool, python in pythons.items():
                    runs[name, tool].append(measure(python, tool, jobs, env))
    report(sets, runs, truth, pythons, args.rounds)


def report(sets: dict, runs: dict, truth: list, pythons: dict, rounds: int) -> None:
    """The peer table: cpu-ms per trial and the ratio to hipdrop's per file set; then each peer's agreement."""
    print(f"cpu-ms per trial, median of {rounds} interleaved rounds, and its ratio to hipdrop's (the median of "
          f"the rounds' ratios); demo: {len(sets['demo'])} simulated 30 s trials at 200 Hz")
    print(f"{'':16s}" + "".join(f"{name[:22]:>24s}" for name in sets))
    for tool in pythons:
        cells = []
        for name in sets:
            pairs = [(r, h) for r, h in zip(runs[name, tool], runs[name, "hipdrop"]) if "error" not in r and "error" not in h]
            if not pairs:
                cells.append(f"{'fails: see below':>24s}")
                continue
            cpu = np.median([r["cpu_ms"] for r, _ in pairs])
            ratio = np.median([r["cpu_ms"] / h["cpu_ms"] for r, h in pairs])
            cells.append(f"{cpu:12.0f} ms {ratio:6.2f}x  ")
        print(f"{tool:16s}" + "".join(cells))
    for name, why in NOT_MEASURED.items():
        print(f"{name:16s}{why}")
    for (name, tool), results in runs.items():
        if results and "error" in results[0]:
            print(f"  {tool} on {name}: {results[0]['error'][:150]}")
    print("agreement with hipdrop (RMS, deg: left obliquity sample by sample / kept stances' peaks) and, on the "
          "demo, peak bias against the simulator's truth (mean of peak - true peak, deg)")
    print(f"{'':16s}" + "".join(f"{name[:22]:>24s}" for name in sets) + f"{'bias vs truth':>15s}")
    hipdrop_bias = np.nanmean([p - t for job, ts in zip(sets["demo"], truth) for p, t in zip(job["hipdrop_peaks"], ts)])
    print(f"{'hipdrop':16s}" + "".join(f"{'-':>24s}" for _ in sets) + f"{hipdrop_bias:+15.3f}")
    for tool in PEERS:
        cells, bias = [], np.nan
        for name, jobs in sets.items():
            good = [r for r in runs[name, tool] if "error" not in r]
            if not good:
                cells.append(f"{'-':>24s}")
                continue
            files = good[0]["files"]
            oblique = np.nanmedian([rms(f["left"], j["hipdrop_left"]) for f, j in zip(files, jobs)])
            peaks = rms([a for f in files for a in f["peaks"]], [b for j in jobs for b in j["hipdrop_peaks"]])
            cells.append(f"{oblique:13.3f} / {peaks:6.3f}  ")
            if name == "demo":
                bias = np.nanmean([p - t for f, ts in zip(files, truth) for p, t in zip(f["peaks"], ts)])
        print(f"{tool:16s}" + "".join(cells) + f"{bias:+15.3f}")


if __name__ == "__main__":
    main()
