"""Gait-event detectors, one per source: force plates (force), the foot points the marker detectors follow (feet),
running and walking from foot markers (running, walking), the choice among them (detect), the calibration of the
marker detector on a trial's own plate contacts (calibration) and the agreement between two detectors (agreement).
"""
