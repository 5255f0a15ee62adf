"""The one exception a trial fails with: it names the file, the stage and the reason."""


class TrialError(Exception):
    """A trial that cannot be read or analysed. ``stage`` is one of the pipeline stages (ingest, clean, pelvis,
    events, stances); ``reason`` says what is wrong and, where it can, what to do about it."""

    def __init__(self, path, stage: str, reason: str):
        self.path, self.stage, self.reason = str(path), stage, reason
        super().__init__(f"{self.path}: {stage}: {reason}")

    def __reduce__(self):  # travels between Dask worker processes (Exception's default replays only the message)
        return type(self), (self.path, self.stage, self.reason)
