"""hipdrop: contralateral pelvic drop, cadence and arm swing from C3D motion capture of running."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hipdrop")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__", "read_c3d", "process_trial"]


def __getattr__(name: str):
    """``read_c3d`` and ``process_trial`` imported when first asked for: every workflow job imports hipdrop, and
    the per-trial pipeline's scipy modules add start-up that the cohort's jobs never use (benchmarks/startup.py)."""
    if name == "read_c3d":
        from hipdrop.io.c3d.reader import read_c3d

        return read_c3d
    if name == "process_trial":
        from hipdrop.trial.process import process_trial

        return process_trial
    raise AttributeError(f"module 'hipdrop' has no attribute {name!r}")
