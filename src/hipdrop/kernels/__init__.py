"""Pure computations on arrays, with no file, config or cohort knowledge: plausibility, gap filling,
filters, pelvis angles, sides, stances, single-leg windows, compensations and gait events.
"""
