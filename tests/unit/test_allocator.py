"""The trial workers' allocator setting (hipdrop.execution.isolated.keep_freed_memory), judged by the kernel's
count of page faults: a freed block kept for reuse is not faulted in again."""

import subprocess
import sys

import pytest

#: a fresh interpreter runs 20 times a trial-like pattern of arrays (4-16 MB, several alive at once, each written
#: through) and prints the minor page faults of the last 19
_FAULTS = """
import resource, sys
import numpy as np
if sys.argv[1] == "kept":
    from hipdrop.execution.isolated import keep_freed_memory
    assert keep_freed_memory()
def trial():
    a = np.ones(1_000_000); b = np.ones(2_000_000); c = a + 1; del a; d = np.ones(500_000); del b, c, d
trial()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(19):
    trial()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", _FAULTS, mode], check=True, capture_output=True, text=True)
    return int(done.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_kept_freed_memory_is_not_faulted_in_again():
    # 36 MB a run is 8,800 pages of 4 KiB: glibc's default returned most of them to the system and faulted them
    # in again (31,390 faults for 19 runs here); kept, the runs reuse the first one's pages (0 here)
    assert _faults("default") > 19 * 1000
    assert _faults("kept") < 500
