"""Cohort statistics: the design, the mixed model and rm-ANOVA effects, dose-response, responders, power,
waveform statistics (SPM), single-leg task statistics, exclusions and the measured calibration of the intervals.
"""
