"""Reading and writing files: C3D (io.c3d), marker-name aliases (markersets), result files and the run record.
"""
