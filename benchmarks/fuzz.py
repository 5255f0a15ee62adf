"""Fuzz: mutated C3D files through `hipdrop inspect` and `hipdrop trial`, and a workflow with mutants mixed in.

    python benchmarks/fuzz.py [--n 1000] [--seed 11] [--out fuzz-results] [--timeout 60] [--workers 2]
                              [--workflow-mutants 30] [--no-workflow] [--keep] [--rerun EARLIER/fuzz.json]

Sources: every file of the corpus (tests/data/c3d/README.md; with ../shared/data/c3d or HIPDROP_SHARED_DATA the
two files not in the repository too) and a small simulated cohort
(`hipdrop simulate`, 2 runners, 6 s, with a force plate). Each of ``--n`` mutants is one source changed by one
mutation kind, drawn with ``--seed``:

- structure: bytes flipped in the parameter section; a 512-byte block duplicated, zeroed, or the file truncated;
  header words changed (frame rate, first/last frame, data start, scale, number of points);
- points (Intel float sources whose layout ezc3d confirms; the samples of analysed markers that the file marks
  valid): one-frame spikes of 2-20 times the fastest plausible segment speed, infinite or NaN coordinates, runs of
  1-50 frames moved 1-100 km. Written by patching the float bytes, so everything else in the file stays.

Each mutant runs through ``python -m hipdrop.cli inspect FILE --json`` and ``python -m hipdrop.cli trial FILE -o
DIR`` as subprocesses (their own session, killed with their children after ``--timeout`` s), at most ``--workers``
(<= 2) at a time. Outcomes per command: ``signal`` (negative return code), ``hang`` (timeout), ``traceback`` (on
stderr), ``refused`` (a reason: trial's one line on stderr naming the file, inspect's JSON problem),
``unexplained`` (a failure without a reason), ``accepted``, and for trial ``accepted_absurd`` (an included stance
with a peak drop beyond +-30 deg or a cadence outside 30-300 steps/min, an infinite value in stances.csv or
pelvis.nc, an angle beyond +-180 deg). For accepted points mutants the samples flagged (``hipdrop inspect``'s
``implausible_samples``) are set against the samples written. The unmutated sources run first (kind ``none``):
their flags are false flags.

The workflow check simulates a cohort (6 runners, 10 s), runs the Snakemake workflow on it, then again with
``--workflow-mutants`` mutants of its own files added to its trial sheet as extra trials; it checks that the run
completes, that every mutant is quarantined with a reason or analysed (points mutants with their bad samples
counted), and that every effect on peak drop (mixed model) stays within 3 standard errors of the clean run's.

Writes OUT/fuzz.json (every record, the tables, the workflow check) and OUT/outcomes.csv (kind x outcome per
command), and prints the tables. Not part of the test run; tests/realdata/test_fuzz.py runs a small version.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: tests/corpus.py finds the corpus files
    sys.path.insert(0, str(ROOT))
from tests.corpus import MANIFEST, corpus_path  # noqa: E402

STRUCTURE_KINDS = ("param_bytes", "block_duplicate", "block_zero", "truncate", "header_rate", "header_frames",
                   "header_data_start", "header_scale", "header_points")
POINT_KINDS = ("points_spike", "points_inf", "points_nan", "points_km")
KINDS = STRUCTURE_KINDS + POINT_KINDS
OUTCOMES = ("signal", "hang", "traceback", "unexplained", "raw_error", "refused", "accepted", "accepted_absurd")
#: a refusal whose reason is an exception passed on as it was raised ("ValueError: ..."): a step that failed
#: without saying why in the researcher's terms (process_trial's catch-all, inspect's last guard)
RAW_ERROR = re.compile(r"^[A-Z]\w*(Error|Exception): ")
#: the plausibility limits of a trial's results (science, not the code under test): a contralateral pelvic drop
#: peak beyond +-30 deg (running peaks are 4-10 deg, walking obliquity -10..+14 in the corpus) or a cadence
#: outside 30-300 steps/min (slow walking ~70, sprinting up to ~280) is absurd
MAX_PEAK_DEG = 30.0
CADENCE_SPM = (30.0, 300.0)
#: the speed hipdrop.kernels.arrays treats as no body's (m/s); spikes are written 2-20 times faster
SEGMENT_SPEED_M_S = 50.0
BLOCK = 512
Z_95 = 1.959964  # two-sided 95 % normal quantile: the effects' CI half-width over this is their SE


# --------------------------------------------------------------------------------------------- sources
@dataclass
class Source:
    """A C3D file to mutate, and (for points mutations) where its analysed markers' valid samples lie."""

    path: Path
    name: str
    raw: bytes
    rate_hz: float = 0.0
    mm_per_unit: float = 1.0
    frame_bytes: int = 0
    data_offset: int = 0
    n_frames: int = 0
    #: (point index, valid frames) of each analysed marker, for Intel float files whose layout ezc3d confirms
    targets: list = field(default_factory=list)

    @property
    def param_start(self) -> int:
        return (self.raw[0] - 1) * BLOCK if len(self.raw) >= BLOCK and self.raw[0] >= 2 else BLOCK

    @property
    def data_start(self) -> int:
        stated = (struct.unpack_from("<H", self.raw, 16)[0] - 1) * BLOCK if len(self.raw) >= BLOCK else 0
        return stated if self.param_start < stated <= len(self.raw) else len(self.raw)


def describe(path: Path, name: str, ezc3d_reads: bool) -> Source:
    """A source; its point targets when ezc3d reads it and my own offsets give ezc3d's first and last frames."""
    raw = path.read_bytes()
    source = Source(path=path, name=name, raw=raw)
    if not ezc3d_reads or len(raw) < BLOCK or raw[source.param_start + 3] != 84:  # 84: Intel processor
        return source
    n_points, analog_words = struct.unpack_from("<2H", raw, 2)
    (scale,) = struct.unpack_from("<f", raw, 12)
    if scale >= 0:  # integer storage: no room for the spikes, infinities and kilometres written here
        return source
    import ezc3d

    from hipdrop.io.markersets import map_labels
    from hipdrop.trial.process import ANALYSED_MARKERS

    c3d = ezc3d.c3d(str(path))
    points = c3d["data"]["points"][:3]  # [axis, point, frame], file units
    point_group = c3d["parameters"]["POINT"]
    labels = [x for key in ["LABELS"] + [f"LABELS{k}" for k in range(2, 10)]  # LABELS2..: more than 255 points
              for x in point_group.get(key, {}).get("value", [])]
    if points.shape[1] != n_points or len(labels) < n_points:
        return source
    frame_bytes = 4 * (4 * n_points + analog_words)
    data_offset = source.data_start
    n_frames = points.shape[2]
    if data_offset + n_frames * frame_bytes > len(raw):
        return source
    for frame in (0, n_frames - 1):
        mine = np.frombuffer(raw, "<f4", 4 * n_points, data_offset + frame * frame_bytes).reshape(n_points, 4)[:, :3]
        if not np.array_equal(mine, points[:, :, frame].T.astype("<f4"), equal_nan=True):
            return source  # the header's data start is not where ezc3d read the frames: no blind patching
    units = str(next(iter(point_group.get("UNITS", {}).get("value", ["mm"])), "mm")).strip().lower()
    residuals = c3d["data"]["meta_points"]["residuals"][0]  # [point, frame]
    names, _, _ = map_labels([str(x) for x in labels[:n_points]], ())
    for index, canonical in enumerate(names):
        if canonical in ANALYSED_MARKERS:
            xyz = points[:, index, :]
            valid = np.flatnonzero((residuals[index] >= 0) & np.isfinite(xyz).all(0) & (xyz != 0).any(0))
            if len(valid) > 10:
                source.targets.append((index, valid))
    source.rate_hz = float(c3d["header"]["points"]["frame_rate"])
    source.mm_per_unit = {"m": 1000.0, "cm": 10.0}.get(units, 1.0)
    source.frame_bytes, source.data_offset, source.n_frames = frame_bytes, data_offset, n_frames
    return source


def corpus_sources() -> list[Source]:
    found = [(corpus_path(row["file"]), row) for row in MANIFEST]
    return [describe(path, row["file"], row["ezc3d_1.7.2"] == "reads") for path, row in found
            if path is not None and path.stat().st_size >= BLOCK]


def simulated_sources(directory: Path, seed: int) -> list[Source]:
    hipdrop_command("simulate", directory, "--subjects", "2", "--duration", "6", "--seed", seed, "--force-plate")
    return [describe(p, f"simulated/{p.name}", True) for p in sorted(directory.glob("*.c3d"))]


def hipdrop_command(*args, timeout: float | None = None) -> dict:
    """``python -m hipdrop.cli ARGS`` in its own session; killed with its children after ``timeout`` s."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "hipdrop.cli", *map(str, args)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True, cwd=ROOT)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        timed_out = True
    return {"returncode": process.returncode, "stdout": stdout, "stderr": stderr, "timed_out": timed_out,
            "seconds": round(time.perf_counter() - start, 2)}


# --------------------------------------------------------------------------------------------- mutations
def _header_word(raw: bytearray, word: int, value: int) -> str:
    struct.pack_into("<H", raw, 2 * (word - 1), int(value) % 65536)
    return f"header word {word} := {int(value) % 65536}"


def _header_float(raw: bytearray, offset: int, value: float) -> str:
    struct.pack_into("<f", raw, offset, value)
    return f"header float at byte {offset} := {value:g}"


def mutate_structure(kind: str, source: Source, rng: np.random.Generator) -> tuple[bytes, str]:
    raw = bytearray(source.raw)
    n_blocks = len(raw) // BLOCK
    if kind == "param_bytes":
        start, stop = source.param_start, max(source.data_start, source.param_start + 4)
        offsets = np.sort(rng.integers(start, min(stop, len(raw)), size=int(rng.integers(1, 9))))
        for offset in offsets:
            raw[offset] ^= int(rng.integers(1, 256))
        return bytes(raw), f"bytes {offsets.tolist()} of the parameter section flipped"
    if kind == "block_duplicate":
        b = int(rng.integers(0, n_blocks))
        return bytes(raw[: (b + 1) * BLOCK] + raw[b * BLOCK : (b + 1) * BLOCK] + raw[(b + 1) * BLOCK :]), f"block {b} duplicated"
    if kind == "block_zero":
        b = int(rng.integers(0, n_blocks))
        raw[b * BLOCK : (b + 1) * BLOCK] = bytes(BLOCK)
        return bytes(raw), f"block {b} zeroed"
    if kind == "truncate":
        # half the cuts in the data block, where a copy that stopped early ends
        low = source.data_start if rng.random() < 0.5 and source.data_start < len(raw) - 1 else 1
        cut = int(rng.integers(low, len(raw)))
        return bytes(raw[:cut]), f"truncated to {cut} of {len(raw)} bytes"
    if kind == "header_rate":
        (rate,) = struct.unpack_from("<f", raw, 20)
        value = rng.choice([0.0, -rate, np.nan, np.inf, 1e-3, 0.5, 2 * rate, rate / 2, 1e5, 1e9, rng.uniform(1, 1000)])
        return bytes(raw), _header_float(raw, 20, float(value))
    if kind == "header_scale":
        (scale,) = struct.unpack_from("<f", raw, 12)
        value = rng.choice([0.0, -scale, np.nan, np.inf, 1e6, 1e-6, -1.0, rng.uniform(-10, 10)])
        return bytes(raw), _header_float(raw, 12, float(value))
    if kind == "header_frames":
        first, last = struct.unpack_from("<2H", raw, 6)
        word = int(rng.integers(4, 6))
        value = rng.choice([0, 1, 65535, last + 1000, max(first - 1, 0), last + 1, int(rng.integers(0, 65536))])
        return bytes(raw), _header_word(raw, word, value)
    if kind == "header_data_start":
        (start,) = struct.unpack_from("<H", raw, 16)
        value = rng.choice([0, 1, 2, start - 1, start + 1, 65535, int(rng.integers(0, 65536))])
        return bytes(raw), _header_word(raw, 9, value)
    if kind == "header_points":
        (points,) = struct.unpack_from("<H", raw, 2)
        value = rng.choice([0, points - 1, points + 1, 2 * points, 65535, int(rng.integers(0, 65536))])
        return bytes(raw), _header_word(raw, 2, value)
    raise ValueError(kind)


def mutate_points(kind: str, source: Source, rng: np.random.Generator) -> tuple[bytes, str, int]:
    """The source with analysed markers' valid samples patched; returns the bytes, what was done and the number
    of (marker, frame) samples changed."""
    raw = bytearray(source.raw)
    changed = set()

    def patch(point: int, frame: int, values: np.ndarray, axes=(0, 1, 2)) -> None:
        offset = source.data_offset + frame * source.frame_bytes + 16 * point
        xyz = np.frombuffer(raw, "<f4", 3, offset).astype(float)
        xyz[list(axes)] = values
        struct.pack_into("<3f", raw, offset, *xyz.astype("<f4"))
        changed.add((point, frame))

    def direction() -> np.ndarray:
        v = rng.normal(size=3)
        return v / np.linalg.norm(v)

    def xyz_of(point: int, frame: int) -> np.ndarray:
        return np.frombuffer(raw, "<f4", 3, source.data_offset + frame * source.frame_bytes + 16 * point).astype(float)

    if kind == "points_km":
        point, valid = source.targets[int(rng.integers(len(source.targets)))]
        length = int(rng.integers(1, 51))
        start = int(valid[rng.integers(len(valid))])
        usable = set(valid.tolist())
        frames = [f for f in range(start, min(start + length, source.n_frames)) if f in usable]
        shift = direction() * rng.uniform(1e6, 1e8) / source.mm_per_unit  # 1-100 km
        for f in frames:
            patch(point, f, xyz_of(point, f) + shift)
        km = np.linalg.norm(shift) * source.mm_per_unit / 1e6
        return bytes(raw), f"point {point} frames {frames[0]}-{frames[-1]} moved {km:.1f} km", len(changed)
    for _ in range(int(rng.integers(1, 9))):
        point, valid = source.targets[int(rng.integers(len(source.targets)))]
        frame = int(valid[rng.integers(len(valid))])
        if kind == "points_spike":
            # 2-20 times the fastest plausible segment speed, in one frame and back (file units)
            size = rng.uniform(2, 20) * SEGMENT_SPEED_M_S * 1000.0 / source.rate_hz / source.mm_per_unit
            patch(point, frame, xyz_of(point, frame) + size * direction())
        elif kind == "points_inf":
            patch(point, frame, np.array([rng.choice([np.inf, -np.inf])]), axes=(int(rng.integers(3)),))
        elif kind == "points_nan":
            axes = (0, 1, 2) if rng.random() < 0.5 else (int(rng.integers(3)),)
            patch(point, frame, np.full(len(axes), np.nan), axes=axes)
        else:
            raise ValueError(kind)
    return bytes(raw), f"{kind.removeprefix('points_')} at (point, frame) {sorted(changed)}", len(changed)


# --------------------------------------------------------------------------------------------- running
def _failure(done: dict) -> str | None:
    if done["timed_out"]:
        return "hang"
    if done["returncode"] < 0:
        return "signal"
    if "Traceback (most recent call last)" in done["stderr"]:
        return "traceback"
    return None


def inspect_outcome(path: Path, timeout: float) -> dict:
    done = hipdrop_command("inspect", path, "--json", timeout=timeout)
    record = {"seconds": done["seconds"], "returncode": done["returncode"], "stderr": done["stderr"][-2000:]}
    bad = _failure(done)
    if bad:
        return {**record, "outcome": bad}
    try:
        report = json.loads(done["stdout"])
    except json.JSONDecodeError:
        return {**record, "outcome": "unexplained", "reason": "no JSON report"}
    if "analysis" not in report:  # unreadable, or the inspection itself failed
        return {**record, "outcome": _refusal(report.get("problem")), "reason": f"{report.get('stage')}: {report.get('problem')}"}
    analysis = report["analysis"]
    flagged = report.get("implausible_samples", {})
    record.update(flagged=int(sum(flagged.values())), flagged_by_kind=flagged)
    if not analysis["ok"]:
        return {**record, "outcome": _refusal(analysis.get("problem")), "reason": f"{analysis['stage']}: {analysis.get('problem')}"}
    return {**record, "outcome": "accepted"}


def _refusal(reason: str | None) -> str:
    return "unexplained" if not reason else "raw_error" if RAW_ERROR.match(reason) else "refused"


def absurd_values(out: Path) -> list[str]:
    """What is absurd in a `hipdrop trial` output folder (``MAX_PEAK_DEG``, ``CADENCE_SPM``, infinities)."""
    import xarray as xr

    problems = []
    stances = pd.read_csv(out / "stances.csv")
    numeric = stances.select_dtypes("number")
    if np.isinf(numeric.to_numpy(float)).any():
        problems.append("infinite value in stances.csv")
    kept = stances[~stances["excluded"].astype(bool)]
    if (kept["cpd_peak_deg"].abs() > MAX_PEAK_DEG).any():
        problems.append(f"peak drop {kept['cpd_peak_deg'].abs().max():.1f} deg")
    cadence = kept["cadence_spm"].dropna()
    if ((cadence < CADENCE_SPM[0]) | (cadence > CADENCE_SPM[1])).any():
        problems.append(f"cadence {cadence.min():.0f}-{cadence.max():.0f} steps/min")
    with xr.open_dataset(out / "pelvis.nc", engine="h5netcdf") as pelvis:
        angles = np.stack([pelvis[v].values for v in ("tilt", "obliquity", "rotation")])
    if np.isinf(angles).any() or (np.abs(angles[np.isfinite(angles)]) > 180).any():
        problems.append("pelvis angle infinite or beyond 180 deg")
    return problems


def trial_outcome(path: Path, out: Path, timeout: float) -> dict:
    done = hipdrop_command("trial", path, "-o", out, timeout=timeout)
    record = {"seconds": done["seconds"], "returncode": done["returncode"], "stderr": done["stderr"][-2000:]}
    bad = _failure(done)
    if bad:
        return {**record, "outcome": bad}
    if done["returncode"] != 0:
        lines = done["stderr"].strip().splitlines()
        named = len(lines) == 1 and lines[0].startswith(f"{path}: ")
        reason = lines[0].removeprefix(f"{path}: ").split(": ", 1)[-1] if named else None  # after "stage: "
        return {**record, "outcome": _refusal(reason), "reason": lines[-1] if lines else ""}
    try:
        problems = absurd_values(out)
    except Exception as err:  # an output that cannot even be read back is absurd too
        problems = [f"unreadable output: {type(err).__name__}: {err}"]
    return {**record, "outcome": "accepted_absurd" if problems else "accepted", "absurd": problems}


def mutate(kind: str, source: Source, rng: np.random.Generator) -> tuple[bytes, str, int | None]:
    """One mutant of ``source``: its bytes, what was done, and the samples written (points kinds)."""
    if kind == "none":
        return source.raw, "unmutated", 0
    if kind in POINT_KINDS:
        return mutate_points(kind, source, rng)
    return (*mutate_structure(kind, source, rng), None)


def run_one(job: dict, work: Path, seed: int, timeout: float, keep: bool) -> dict:
    """Write one mutant (its own generator: the same mutant whatever the order of the jobs), run both commands on
    it, remove it (unless ``keep``)."""
    source = job.pop("source")
    data, detail, injected = mutate(job["kind"], source, np.random.default_rng([seed, job["index"] + 1_000_000]))
    path = work / "mutants" / f"{job['index']:05d}_{job['kind']}_{source.path.stem}.c3d"
    path.write_bytes(data)
    out = work / "outputs" / path.stem
    record = {**job, "source": source.name, "file": path.name, "detail": detail, "injected": injected,
              "inspect": inspect_outcome(path, timeout), "trial": trial_outcome(path, out, timeout)}
    if not keep:
        path.unlink()
        shutil.rmtree(out, ignore_errors=True)
    return record


def plan(sources: list[Source], n: int, seed: int) -> list[dict]:
    """``n`` mutants, each a kind drawn uniformly (points kinds need a source with targets) and a source."""
    rng = np.random.default_rng(seed)
    pointable = [s for s in sources if s.targets]
    kinds = KINDS if pointable else STRUCTURE_KINDS
    jobs = []
    for i in range(n):
        kind = str(kinds[int(rng.integers(len(kinds)))])
        pool = pointable if kind in POINT_KINDS else sources
        jobs.append({"index": i, "kind": kind, "source": pool[int(rng.integers(len(pool)))]})
    return jobs


def outcome_table(records: list[dict], command: str) -> pd.DataFrame:
    """Mutation kind x outcome counts of one command."""
    table = pd.crosstab(pd.Series([r["kind"] for r in records], name="kind"),
                        pd.Series([r[command]["outcome"] for r in records], name="outcome"))
    return table.reindex(columns=list(OUTCOMES), fill_value=0)


def run_jobs(jobs: list[dict], work: Path, *, seed: int, timeout: float, workers: int, keep: bool, label: str) -> list[dict]:
    records = []
    with ThreadPoolExecutor(max_workers=workers) as pool:  # threads wait; each job's two commands are the processes
        futures = [pool.submit(run_one, job, work, seed, timeout, keep) for job in jobs]
        for k, future in enumerate(futures, start=1):
            records.append(future.result())
            if k % 25 == 0 or k == len(futures):
                print(f"  {label}: {k}/{len(futures)}", flush=True)
    return records


# --------------------------------------------------------------------------------------------- workflow
def run_workflow(workdir: Path, timeout: float) -> dict:
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory", str(workdir),
               "--cores", "2", "--nolock"]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    return {"returncode": done.returncode, "seconds": round(time.perf_counter() - start, 1), "stderr": done.stderr[-3000:]}


def workflow_check(work: Path, *, n_mutants: int, seed: int, timeout: float) -> dict:
    """A simulated cohort run clean, then with ``n_mutants`` mutants of its own files mixed into its sheet."""
    data = work / "workflow" / "data"
    hipdrop_command("simulate", data, "--subjects", "6", "--duration", "10", "--seed", seed)
    sheet = pd.read_csv(data / "trials.tsv", sep="\t", dtype={"trial": str})
    rng = np.random.default_rng(seed)
    sources = {row.path: describe(data / row.path, row.path, True) for row in sheet.itertuples()}
    (data / "mutants").mkdir()
    rows = []
    for i in range(n_mutants):
        kind = str(KINDS[int(rng.integers(len(KINDS)))])
        row = sheet.iloc[int(rng.integers(len(sheet)))]
        raw, detail, injected = mutate(kind, sources[row.path], rng)
        name = f"mutants/{i:03d}_{kind}_{Path(row.path).stem}.c3d"
        (data / name).write_bytes(raw)
        rows.append({**row.to_dict(), "trial": f"fuzz{i}", "path": name, "kind": kind, "detail": detail, "injected": injected})
    mutants = pd.DataFrame(rows)
    (data / "mixed.tsv").write_text(pd.concat([sheet, mutants[sheet.columns]]).to_csv(sep="\t", index=False))
    runs = {}
    for name, trials in (("clean", data / "trials.tsv"), ("mixed", data / "mixed.tsv")):
        workdir = work / "workflow" / name
        (workdir / "config").mkdir(parents=True)
        (workdir / "config" / "config.yaml").write_text(yaml.safe_dump({"trials": str(trials)}))
        runs[name] = run_workflow(workdir, timeout=max(timeout * 20, 1800))
    result = {"runs": runs, "mutants": n_mutants, "completed": all(r["returncode"] == 0 for r in runs.values())}
    if not result["completed"]:
        return result
    mixed = work / "workflow" / "mixed" / "results"
    quarantine = pd.read_csv(mixed / "qc" / "quarantine.csv")
    trials = pd.read_csv(mixed / "qc" / "trials.csv", dtype={"trial": str})
    fates = []
    for m in mutants.itertuples():
        held = quarantine[quarantine["path"].astype(str).str.endswith(m.path)]
        row = trials[trials["trial"] == m.trial]
        if len(held):
            fate = "quarantined" if held["reason"].astype(str).str.strip().ne("").all() else "quarantined without reason"
        elif len(row) and row.iloc[0]["status"] == "ok":
            counted = int(row.iloc[0].get("implausible_samples", 0) or 0)
            fate = ("analysed, bad samples counted" if counted else "analysed, NaN read as gaps" if m.kind == "points_nan"
                    else "analysed, none counted" if m.kind in POINT_KINDS else "analysed (structure kept)")
        else:
            fate = "missing from the results"
        fates.append({"path": m.path, "kind": m.kind, "detail": m.detail, "injected": m.injected, "fate": fate,
                      "reason": held["reason"].iloc[0] if len(held) else None})
    result["fates"] = fates
    result["fate_counts"] = pd.Series([f["fate"] for f in fates]).value_counts().to_dict()
    effects = {}
    for name in runs:
        table = pd.read_csv(work / "workflow" / name / "results" / "stats" / "effects.csv")
        table = table[(table["metric"] == "cpd_peak_deg") & (table["analysis"] == "mixed model")]
        effects[name] = table.set_index("term")[["estimate_deg", "ci_low", "ci_high"]]
    clean, mixed_effects = effects["clean"], effects["mixed"].reindex(effects["clean"].index)
    se = (clean["ci_high"] - clean["ci_low"]) / (2 * Z_95)
    shift = (mixed_effects["estimate_deg"] - clean["estimate_deg"]) / se
    result["effects"] = [{"term": term, "clean_deg": round(float(clean.loc[term, "estimate_deg"]), 4),
                          "mixed_deg": round(float(mixed_effects.loc[term, "estimate_deg"]), 4),
                          "clean_se_deg": round(float(se[term]), 4), "shift_in_se": round(float(shift[term]), 3)}
                         for term in clean.index]
    result["effects_within_3_se"] = bool((shift.abs() <= 3).all())
    return result


# --------------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="mutants to run (default 1000)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", default="fuzz-results", help="folder for fuzz.json and outcomes.csv")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per command before it counts as a hang")
    parser.add_argument("--workers", type=int, default=2, help="commands at once (at most 2)")
    parser.add_argument("--workflow-mutants", type=int, default=30, help="mutants mixed into the workflow's cohort")
    parser.add_argument("--no-workflow", action="store_true", help="skip the workflow check")
    parser.add_argument("--keep", action="store_true", help="keep the mutants and the trial outputs in OUT/work")
    parser.add_argument("--rerun", type=Path, help="an earlier run's fuzz.json: run again (same seed and n) only its "
                        "mutants with a failing outcome and the unmutated sources, keeping its other records")
    args = parser.parse_args(argv)
    earlier = json.loads(args.rerun.read_text()) if args.rerun else None
    if earlier:
        args.seed, args.n = earlier["seed"], earlier["n"]
    workers = max(1, min(args.workers, 2))
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    work = out / "work" if args.keep else Path(tempfile.mkdtemp(prefix="hipdrop-fuzz-"))
    for sub in ("mutants", "outputs"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    try:
        sources = corpus_sources() + simulated_sources(work / "simulated", args.seed)
        print(f"{len(sources)} sources ({sum(bool(s.targets) for s in sources)} take points mutations)", flush=True)
        unmutated = [{"index": -1 - k, "kind": "none", "source": s} for k, s in enumerate(sources)]
        options = {"seed": args.seed, "timeout": args.timeout, "workers": workers, "keep": args.keep}
        baseline = run_jobs(unmutated, work, **options, label="unmutated")
        jobs = plan(sources, args.n, args.seed)
        if earlier:  # each mutant is its own seeded generator's: the same file as in the earlier run
            again = {r["index"] for r in earlier["records"] if {r["inspect"]["outcome"], r["trial"]["outcome"]} & FAILING}
            rerun = {r["index"]: r for r in run_jobs([j for j in jobs if j["index"] in again], work, **options,
                                                      label="mutants run again")}
            records = [rerun.get(r["index"], r) for r in earlier["records"]]
        else:
            records = run_jobs(jobs, work, **options, label="mutants")
        summary = summarise(records, baseline)
        if not args.no_workflow and args.workflow_mutants > 0:
            print("workflow: a clean cohort, then with mutants mixed in", flush=True)
            summary["workflow"] = workflow_check(work, n_mutants=args.workflow_mutants, seed=args.seed, timeout=args.timeout)
        elif earlier and "workflow" in earlier:
            summary["workflow"] = {**earlier["workflow"], "from": str(args.rerun)}
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    summary.update(seed=args.seed, n=args.n, timeout_s=args.timeout, workers=workers,
                   seconds=round(time.perf_counter() - start, 1))
    (out / "fuzz.json").write_text(json.dumps({**summary, "records": records, "unmutated": baseline}, indent=1, default=str))
    tables = pd.concat({c: outcome_table(records, c) for c in ("inspect", "trial")}, names=["command"])
    tables.to_csv(out / "outcomes.csv")
    report(summary, tables)
    return summary


#: the outcomes --rerun runs again: everything but a reasoned refusal or a sound acceptance
FAILING = {"signal", "hang", "traceback", "unexplained", "raw_error", "accepted_absurd"}


def summarise(records: list[dict], baseline: list[dict]) -> dict:
    """The tables and the figures the issue asks for."""
    failures = {c: {o: sum(r[c]["outcome"] == o for r in records) for o in ("signal", "hang", "traceback", "unexplained")}
                for c in ("inspect", "trial")}
    raw = [{"file": r["file"], "command": c, "reason": r[c]["reason"]} for r in records for c in ("inspect", "trial")
           if r[c]["outcome"] == "raw_error"]
    absurd = [r for r in records if r["trial"]["outcome"] == "accepted_absurd"]
    points = [r for r in records if r["kind"] in POINT_KINDS and r["inspect"]["outcome"] == "accepted"]
    false_flags = {r["source"]: r["inspect"].get("flagged") for r in baseline if r["inspect"].get("flagged")}
    return {
        "outcomes": {c: {kind: {o: int(n) for o, n in row.items()} for kind, row in outcome_table(records, c).iterrows()}
                     for c in ("inspect", "trial")},
        "failures": failures,
        "raw_errors": raw,
        "absurd_accepted": [{"file": r["file"], "detail": r["detail"], "absurd": r["trial"]["absurd"]} for r in absurd],
        "points_flagged": {kind: {"mutants": len(mine), "injected": int(sum(r["injected"] for r in mine)),
                                  "flagged": int(sum(r["inspect"].get("flagged", 0) for r in mine)),
                                  "none_flagged": sum(not r["inspect"].get("flagged") for r in mine)}
                           for kind in POINT_KINDS for mine in [[r for r in points if r["kind"] == kind]]},
        "unmutated": {"files": len(baseline), "false_flags": false_flags,
                      "outcomes": {c: pd.Series([r[c]["outcome"] for r in baseline]).value_counts().to_dict()
                                   for c in ("inspect", "trial")}},
        "examples": {o: [{"file": r["file"], "detail": r["detail"], "stderr": r[c]["stderr"][-400:]}
                         for c in ("inspect", "trial") for r in records if r[c]["outcome"] == o][:5]
                     for o in ("signal", "hang", "traceback", "unexplained")},
    }


def report(summary: dict, tables: pd.DataFrame) -> None:
    print(f"\n{summary['n']} mutants, seed {summary['seed']}, {summary['seconds']:.0f} s")
    for command in ("inspect", "trial"):
        print(f"\n{command}: mutation kind x outcome\n{tables.loc[command].to_string()}")
    print(f"\nfailures: {summary['failures']}")
    print(f"refused with a raw library error as the reason: {len(summary['raw_errors'])}")
    for item in summary["raw_errors"][:10]:
        print(f"  {item['file']} ({item['command']}): {item['reason'][:160]}")
    print(f"accepted with absurd values: {len(summary['absurd_accepted'])}")
    for item in summary["absurd_accepted"][:10]:
        print(f"  {item['file']}: {item['detail'][:100]}: {'; '.join(item['absurd'])}")
    print("points mutants accepted by inspect: samples written and flagged (NaN written is read as a gap)")
    for kind, p in summary["points_flagged"].items():
        print(f"  {kind}: {p['mutants']} mutants, {p['injected']} samples written, {p['flagged']} flagged, "
              f"{p['none_flagged']} mutants with nothing flagged")
    u = summary["unmutated"]
    print(f"unmutated sources: {u['files']}; outcomes {u['outcomes']}; false flags {u['false_flags'] or 'none'}")
    if "workflow" in summary:
        w = summary["workflow"]
        runs = ", ".join(f"{name} {run['seconds']:.0f} s, exit {run['returncode']}" for name, run in w["runs"].items())
        print(f"\nworkflow: completed {w['completed']} ({runs})")
        if w["completed"]:
            print(f"  {w['mutants']} mutants: {w['fate_counts']}")
            print(f"  effects within 3 SE of the clean run's: {w['effects_within_3_se']}")
            for e in w["effects"]:
                print(f"    {e['term']}: clean {e['clean_deg']:+.3f}, mixed {e['mixed_deg']:+.3f} deg "
                      f"(SE {e['clean_se_deg']:.3f}; shift {e['shift_in_se']:+.2f} SE)")


if __name__ == "__main__":
    main()
