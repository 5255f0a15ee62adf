"""Cohort level: split a trial sheet into batches, gather the trials' results into the cohort tables
(stances, curves, quarantine) and write the run's plain-text summary.
"""
