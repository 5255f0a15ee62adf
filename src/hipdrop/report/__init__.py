"""What a reader sees: the cohort figures, one page per runner, figure captions, methods.md and the
report's tables.
"""
