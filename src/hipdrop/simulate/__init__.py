"""Simulated cohorts with a known truth: running with gait modifications (running) and single-leg tasks
(tasks). They are the demo's data and the ground truth of the workflow tests and the calibration.
"""
