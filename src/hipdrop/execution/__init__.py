"""Where trials run: hipdrop's own fork pool (the default), each trial isolated in a child that may crash
without losing the batch, a Dask cluster, SLURM administration, and the resumption of an interrupted run.
"""
