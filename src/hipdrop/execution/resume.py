"""Resuming an interrupted workflow run: what a killed run leaves behind, and when it is safe to clear it.

A run killed without warning (``kill -9``, a lost login, a machine restart) leaves Snakemake's lock in
``.snakemake/locks`` (the next run then refuses to start until ``snakemake --unlock``) and, when a job dies while
writing, the temporary file ``hipdrop.io.results.atomic_path`` was writing into (a dot-file beside the output).
Both may be cleared only when no other Snakemake process is working in the same folder: the lock's purpose is to
keep two runs from writing the same files. Snakemake's own ``rerun-incomplete`` (in the profiles) redoes the jobs
the killed run had started.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

#: the name ``tempfile.mkstemp(prefix=".<name>.", suffix=<suffix>)`` gives: 8 random characters in the middle
TEMPORARY_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}(\.[A-Za-z0-9]+)?$")


def other_snakemake_here(workdir: str | Path) -> list[int]:
    """PIDs of Snakemake processes other than this one (and its ancestors) whose working folder is ``workdir``.
    Reads /proc; on a system without it, returns [-1] so that nothing is cleared."""
    proc = Path("/proc")
    if not proc.is_dir():
        return [-1]
    workdir = Path(workdir).resolve()
    mine = set()
    pid = os.getpid()
    while pid > 1:  # this process and its ancestors (the shell or make that started the run)
        mine.add(pid)
        try:
            pid = int((proc / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) in mine:
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            if b"snakemake" in command and Path(os.readlink(entry / "cwd")).resolve() == workdir:
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def clear_interrupted_run(workdir: str | Path, results: str | Path) -> list[str]:
    """Remove a killed run's stale Snakemake locks and half-written temporary files under ``results``, when no
    other Snakemake process works in ``workdir``. Returns what was removed (nothing when another run is alive)."""
    workdir = Path(workdir)
    if other_snakemake_here(workdir):
        return []
    removed = []
    locks = workdir / ".snakemake" / "locks"
    stale = sorted(locks.glob("*.lock")) if locks.is_dir() else []
    results = workdir / results
    if results.is_dir():
        stale += sorted(p for p in results.rglob(".*") if p.is_file() and TEMPORARY_NAME.match(p.name))
    for path in stale:
        path.unlink(missing_ok=True)
        removed.append(str(path))
    return removed
