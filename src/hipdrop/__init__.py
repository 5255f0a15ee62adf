"""hipdrop: contralateral pelvic drop, cadence and arm swing from C3D motion capture of running."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hipdrop")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

from hipdrop.io.c3d import read_c3d  # noqa: E402
from hipdrop.pipeline import process_trial  # noqa: E402

__all__ = ["__version__", "read_c3d", "process_trial"]
