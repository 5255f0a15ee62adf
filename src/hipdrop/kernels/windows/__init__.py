"""Single-leg support windows of non-running tasks and their metrics (docs/science.md section 8).

A window is a stretch of time on one leg: the support foot on the ground and the other foot lifted clear of it.
Squats cut it into repetitions by the pelvis's vertical motion, balance keeps each continuous hold, a landing runs
from the landing foot's initial contact for a set time. Each window gets the running stance's pelvic-drop metrics
(``hipdrop.kernels.stances``: peak of the support side's obliquity, excursion, time of the peak in % of the
window) and the compensations of ``hipdrop.kernels.compensations`` (trunk lean, knee FPPA of the support leg).

Modules:

- ``support``: what the tasks share: the feet's ground contacts, single-leg support, and the candidate-window
  helpers (``candidate_window``, ``record_dropped``, ``support_runs``, ``contact_source``)
- ``balance``, ``squat``, ``landing``: one per task, each finding that task's windows
- ``table``: the metrics and curves of the windows (``window_table``), their events, and the compensations of
  running stances

Inputs are numpy-backed: windows are few (a handful per trial), and the work per window is slicing, as for the
stance table; the support masks come from vectorised comparisons over time.

Frames index the point data of the trial; a window's ``start`` and ``end`` are (fractional) frames, its times
interpolated on the trial's ``time``.
"""
