"""The one vocabulary of dims, coords and units, enforced at the IO boundary.

Every array that leaves ``hipdrop.io`` uses these names; kernels rely on them and never on axis numbers.
"""

TIME = "time"  #: sample times in seconds from the first analysed frame
MARKER = "marker"  #: canonical marker names (Plug-in Gait spelling, see config/markersets)
AXIS = "axis"  #: lab axes of a right-handed, Z-up frame
SIDE = "side"
STANCE = "stance"
PCT = "pct"  #: percent of stance, 0..100

AXES = ("x", "y", "z")
SIDES = ("L", "R")
OTHER_SIDE = {"L": "R", "R": "L"}

LENGTH_UNIT = "mm"
ANGLE_UNIT = "deg"

FOOT_STRIKE = "foot_strike"
FOOT_OFF = "foot_off"
#: the columns of every events table, stored (C3D EVENT group), from force plates or from markers; frames index
#: the point data, times are capture-relative seconds
EVENT_COLUMNS = ["side", "event", "frame", "time_s", "source"]

#: landmarks the pelvis segment needs (docs/science.md section 2); SACR may replace both PSIS
PELVIS_MARKERS = ("LASI", "RASI", "LPSI", "RPSI")
#: what a trial records (sheet column task; hipdrop.trial.tasks defines how each finds its single-leg support windows)
TASK_NAMES = ("running", "single_leg_squat", "single_leg_balance", "single_leg_landing")
RUNNING = TASK_NAMES[0]


def counted(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1: "1 runner", "3 runners" (the summaries' and methods' counts)."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
