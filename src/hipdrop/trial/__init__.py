"""One trial from file to stance table: process_trial and the static reference (process), the single-leg
task registry (tasks) and the file inspection behind `hipdrop inspect` (inspection).
"""
